// Writing kexts taken out of an archive or a kernelcache back into bundles on disk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kextkit/io/AtomicFile.h"
#include "kextkit/io/OutputDir.h"
#include "kextkit/plist/Value.h"
#include "kextkit/support/Error.h"

namespace kextkit::kext {

/// One kext to write as a bundle.
struct ExtractedKext {
  /// The bundle's path on its source volume (mkext2 `_MKEXTBundlePath`, prelink
  /// `_PrelinkBundlePath`), or "" when the container does not record one (mkext1).
  std::string bundlePath;
  /// The Info dictionary, written as a standard XML plist unless rawInfoPlist is set.
  plist::Value info;
  /// Exact Info.plist bytes to write instead (mkext1 keeps the original file).
  std::optional<std::string> rawInfoPlist;
  /// The executable bytes, or nullptr for a codeless kext.
  const std::vector<uint8_t>* executable = nullptr;
};

/// How bundle folder names are chosen.
enum class NamingScheme {
  /// mkextunpack for mkext2 and kernelcaches: the last component of the bundle path; a kext
  /// whose bundle path lies inside another extracted kext's bundle is nested in that kext's
  /// Contents/PlugIns (or PlugIns for a flat parent). Repeats become Name-1.kext, Name-2.kext.
  BundlePath,
  /// mkextunpack for mkext1: CFBundleExecutable, else the last component of
  /// CFBundleIdentifier, else NameUnknown-N; repeats (compared case-insensitively) become
  /// Name-1, Name-2; the folder is <name>.kext.
  ExecutableName,
};

/// Where each kext goes: its bundle folder relative to the output directory.
struct BundlePlan {
  std::vector<std::string> bundleDirs;  ///< one per input kext, same order
  std::vector<std::string> names;       ///< the name mkextunpack -v prints for mkext1 kexts
};

/// Chooses a safe, unique folder for every kext (names from the archive are sanitized:
/// no separators, no "..", nothing absolute).
BundlePlan planBundles(const std::vector<ExtractedKext>& kexts, NamingScheme scheme);

/// Writes every kext under `out` as planned: <dir>/Contents/Info.plist and
/// <dir>/Contents/MacOS/<CFBundleExecutable>. Each file is written atomically; existing files
/// are refused unless `ow` is Allow. Stops at the first error, which names the file.
Status writeBundles(const io::OutputDir& out, const std::vector<ExtractedKext>& kexts, const BundlePlan& plan,
                    io::Overwrite ow);

}  // namespace kextkit::kext
