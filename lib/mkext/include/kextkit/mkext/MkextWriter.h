// Writing mkext archives: mkext2 (zlib + IOCFSerialize plist) and mkext1 (LZSS).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kextkit/mkext/MkextArchive.h"

namespace kextkit::mkext {

/// One kext to pack into one slice.
struct PackKext {
  /// The Info dictionary (without `_MKEXT*` keys; the writer adds them for v2).
  plist::Value info;
  /// The original Info.plist bytes, stored as-is by mkext1. When empty, mkext1 stores
  /// the dictionary serialized as a standard XML plist.
  std::string rawInfoPlist;
  /// The executable, already thinned to this slice's arch; nullopt for codeless kexts.
  std::optional<std::vector<uint8_t>> executable;
  /// `_MKEXTBundlePath` (v2): the bundle's path on the target volume.
  std::string bundlePath;
  /// `_MKEXTExecutableRelativePath` (v2), e.g. "Contents/MacOS/Foo".
  std::string executableRelativePath;
};

/// Writer settings.
struct WriteOptions {
  /// Compression threads; 0 = one per core. The output is byte-identical for any value.
  unsigned threads = 0;
};

/// Builds one mkext slice for (cputype, cpusubtype) holding `kexts` in order.
///
/// mkext2 follows IOKitUser's __OSKextCreateMkext: 44-byte header, one file entry per
/// executable (zlib level 6, kept only when smaller, else stored with compressed_size 0),
/// then the NUL-terminated IOCFSerialize plist (zlib only if smaller), no alignment,
/// adler32 over [16, length) written last. Unlike IOKitUser, `_MKEXTExecutable` always points
/// at the entry actually written (the IOK "untrimmed buffer" bug is not reproduced).
///
/// mkext1 follows kext_tools 426 mkext1_file.c: a table of numkexts+1 32-byte slots (the last
/// one zero, as Apple's writer leaves it), then per kext the Info.plist bytes and the
/// executable, each LZSS-compressed and verified by decoding, or stored when LZSS does not
/// shrink it; modifiedsecs 0.
///
/// Errors: LimitExceeded when the archive would pass 4 GiB (the format's 32-bit offsets) or,
/// for ppc, Apple's 16 MiB Open Firmware limit; Malformed if an info dictionary cannot be
/// serialized (e.g. it holds a real or a date); InvalidArgument for an empty (0-byte)
/// executable in mkext1, which the format cannot tell from no executable (field: the bundle
/// path).
Expected<std::vector<uint8_t>> writeMkextSlice(MkextVersion version, int32_t cputype, int32_t cpusubtype,
                                               std::span<const PackKext> kexts, const WriteOptions& opts = {});

}  // namespace kextkit::mkext
