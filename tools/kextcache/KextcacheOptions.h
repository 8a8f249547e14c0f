// kextcache's parsed command line, shared by its modes (mkext packing, prelinked kernels).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kextkit::tools::kextcache {

/// kextcache exit codes (kext_tools kextcache_main.h) plus the sysexits values it uses.
enum Exit : int {
  kExitOK = 0,
  kExitNotFound = 1,
  kExitArchNotFound = 2,
  kExitKextBad = 3,
  kExitUsage = 64,
  kExitOsErr = 71,
  kExitCantCreate = 73,
};

struct Options {
  std::string mkextPath;        ///< -mkext / -m / -mkext2 / -mkext1 OUT
  int mkextVersion = 0;         ///< 1 or 2 (0: no mkext requested)
  std::vector<std::string> archs;      ///< -arch (repeatable)
  std::vector<std::string> bundleIds;  ///< -b / -bundle-id (repeatable)
  bool localRoot = false, networkRoot = false, safeBoot = false;           ///< -l -n -s
  bool localRootAll = false, networkRootAll = false, safeBootAll = false;  ///< -L -N -S
  std::string volumeRoot;       ///< -volume-root
  bool noAuthentication = false;  ///< -z
  bool printDiagnostics = false;  ///< -t
  bool quiet = false;           ///< -q
  bool verbose = false;         ///< -v
  bool force = false;           ///< -f: overwrite an existing output file
  unsigned threads = 0;         ///< --threads (0: one per core)
  std::vector<std::string> inputs;  ///< kexts and repository directories

  // Prelinked kernels (-c); see PrelinkedKernel.cpp.
  std::string prelinkedPath;    ///< -c / -prelinked-kernel OUT (or the file to re-encode in place)
  std::string kernelPath;       ///< -K / -kernel: the prelinked kernel to wrap
  bool compressed = false;      ///< -compressed
  bool uncompressed = false;    ///< -uncompressed (-compressed wins when both are given)
  bool lzss = false;            ///< -lzss: compress with LZSS
  bool lzvn = false;            ///< -lzvn: compress with LZVN
  uint64_t maxImageSize = uint64_t{1} << 30;  ///< --max-size for decoding existing caches
};

/// Packs the selected kexts into an mkext (fat, one slice per arch). Returns the exit code.
int runMkext(const Options& o);

/// -c: wraps the prelinked kernel given with -K in a kernelcache file, or re-encodes an
/// existing one in place. Returns the exit code.
int runPrelinkedKernel(const Options& o);

}  // namespace kextkit::tools::kextcache
