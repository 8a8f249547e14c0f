// mkextunpack's parsed command line, shared by its mkext and kernelcache modes.
#pragma once

#include <cstdint>
#include <string>

#include "kextkit/io/ByteReader.h"

namespace kextkit::tools::mkextunpack {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;

struct Options {
  bool verbose = false;     ///< -v
  std::string arch;         ///< -a
  std::string dir;          ///< -d
  bool json = false;        ///< --json
  bool force = false;       ///< -f
  std::string kernelOut;    ///< -kernel OUT (kernelcaches)
  std::string prelinkOut;   ///< -prelink-info OUT (kernelcaches)
  uint64_t maxImageSize = uint64_t{1} << 30;  ///< --max-size (kernelcaches)
  std::string file;
};

/// Lists or extracts the kexts of a kernelcache (`file` is the whole input, mapped). Returns
/// the exit code.
int unpackKernelcache(const Options& o, io::Bytes file);

}  // namespace kextkit::tools::mkextunpack
