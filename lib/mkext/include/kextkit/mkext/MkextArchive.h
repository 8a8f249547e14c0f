// Reading mkext archives (v1 LZSS and v2 zlib + XML plist), thin or fat.
//
// What untrusted input can do: every header field, offset, size, checksum and plist is
// validated (apple-formats.md §2.6 plus bounds of every entry against its slice); decoded
// sizes are capped by ReadOptions; any violation is an Error naming the slice, the kext
// index, the field and the file offset. Nothing is allocated from a size field before it
// has been checked against the slice and the limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/plist/Value.h"
#include "kextkit/support/Error.h"

namespace kextkit::mkext {

using io::Bytes;

/// Archive format version.
enum class MkextVersion { V1, V2 };

/// Limits applied while reading.
struct ReadOptions {
  /// Largest decoded size accepted for one file entry (executable or plist).
  uint64_t maxEntrySize = 512ull << 20;
  /// Largest total of decoded bytes for one archive (all slices).
  uint64_t maxTotalSize = 4ull << 30;
  /// Verify the header adler32 (on by default; off only for forensic listing).
  bool verifyChecksum = true;
};

/// One kext in an archive.
struct MkextKext {
  /// The Info dictionary. For v2 this is the dictionary from the archive plist with the
  /// `_MKEXT*` keys removed; for v1 it is the parsed Info.plist.
  plist::Value info;
  /// v1 only: the original Info.plist bytes (without the NUL readers append).
  std::string rawInfoPlist;
  /// The executable, decoded; absent for codeless kexts.
  std::optional<std::vector<uint8_t>> executable;
  /// v2: `_MKEXTBundlePath` (absolute path on the source volume); v1: empty.
  std::string bundlePath;
  /// v2: `_MKEXTExecutableRelativePath`, e.g. "Contents/MacOS/Foo"; v1: empty.
  std::string executableRelativePath;
  /// Absolute file offset of the executable's entry (v2 file entry / v1 module data), or 0.
  uint64_t executableOffset = 0;

  /// CFBundleIdentifier, or "" when absent.
  std::string bundleId() const;
  /// CFBundleVersion as written, or "" when absent.
  std::string bundleVersion() const;
  /// CFBundleExecutable, or "" when absent.
  std::string executableName() const;
};

/// One mkext (a whole thin file, or one slice of a fat file).
struct MkextSlice {
  MkextVersion version = MkextVersion::V2;
  int32_t cputype = 0;
  int32_t cpusubtype = 0;
  uint64_t fileOffset = 0;  ///< where the slice starts in the file
  uint32_t length = 0;
  uint32_t adler32 = 0;
  std::vector<MkextKext> kexts;
  /// v2: the top-level plist dictionary without `_MKEXTInfoDictionaries` (load requests such
  /// as `Kext Request Predicate` / `_MKEXTLoadRequest` are kept here). v1: empty dict.
  plist::Value requestInfo = plist::Value(plist::Dict{});
};

/// A whole mkext file.
struct MkextFile {
  bool fat = false;
  std::vector<MkextSlice> slices;
};

/// Reads one mkext slice. `fileOffset` is where `slice` starts in its file (for messages).
Expected<MkextSlice> readMkextSlice(Bytes slice, uint64_t fileOffset = 0, const ReadOptions& opts = {});

/// Reads a thin or fat mkext file. For a fat file every slice must be an mkext.
Expected<MkextFile> readMkext(Bytes file, const ReadOptions& opts = {});

/// True if `file` starts like an mkext (thin 'MKXT' or fat whose first slice is 'MKXT').
bool looksLikeMkext(Bytes file);

}  // namespace kextkit::mkext
