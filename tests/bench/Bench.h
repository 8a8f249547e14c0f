// Shared pieces of kextkit-bench: the subcommand hook, input loading, timing and tables.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kextkit/io/MappedFile.h"

namespace kextkit::bench {

/// A declared subcommand and what to run (returning the exit status) when it is chosen.
struct Subcommand {
  CLI::App* command;
  std::function<int()> run;
};
/// Declares a subcommand (name, options) on the app. Each lives in its own Bench<Name>.cpp
/// and is listed in main.cpp.
using AddSubcommand = Subcommand (*)(CLI::App& app);

/// `kextkit-bench codecs`: encode/decode speed and ratio of every registered codec.
Subcommand addCodecs(CLI::App& app);
/// `kextkit-bench kexts`: validate every kext of a corpus; 10.9 resolution, folder vs kernelcache (BenchKexts.cpp).
Subcommand addKexts(CLI::App& app);
/// `kextkit-bench mkext`: mkext2 packing (N threads vs one) and unpacking of kext repositories.
Subcommand addMkext(CLI::App& app);
/// `kextkit-bench kextstat`: end-to-end kextstat on a ~30 MB complzvn cache vs decompression alone.
Subcommand addKextstat(CLI::App& app);

/// Options every subcommand shares.
struct Timing {
  unsigned repeat = 5;   ///< runs per measurement; the best one is reported
  bool cpuTime = false;  ///< thread CPU time instead of wall-clock time (noisy machines)

  /// Adds --repeat and --cpu-time to `cmd`.
  void addOptions(CLI::App* cmd);
  /// Seconds taken by the fastest of `repeat` calls of `fn`. `untimed` runs before each
  /// call, outside the measurement (to free the previous result, for instance).
  double best(const std::function<void()>& fn, const std::function<void()>& untimed = {}) const;
  /// "best of 5 runs, wall clock" style description.
  std::string describe() const;
};

/// The first `limit` bytes of `path` (all of it when limit is 0 or larger than the file),
/// copied into memory so that page faults do not count in the measurements.
std::vector<uint8_t> loadInput(const std::string& path, uint64_t limit, std::string& error);

/// Megabytes (10^6 bytes) per second.
inline double mbPerSecond(uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0;
}

}  // namespace kextkit::bench
