// zlib-wrapped deflate with the mkext2 rules (apple-formats.md §1.3).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "kextkit/compress/Codec.h"

namespace kextkit::compress {

/// Inflates the zlib-wrapped stream `src` into exactly `expectedSize` bytes, as XNU's
/// `extractMkext2FileData` and IOKit's `__OSKextUncompressMkext2FileData` require. Errors
/// (field "zlib header" or "zlib", offsets into `src`):
///   - LimitExceeded: expectedSize > maxSize (checked before anything is allocated);
///   - Truncated: `src` is shorter than the 2-byte header, the input ends before the end of
///     the deflate stream, or the stream ends having produced fewer than expectedSize bytes;
///   - Malformed: bad CMF/FLG header, corrupt deflate data (zlib's reason is quoted), or
///     bytes after the end of the stream (trailing data);
///   - Unsupported: the header asks for a preset dictionary (FDICT);
///   - ChecksumMismatch: the Adler-32 trailer does not match the inflated data;
///   - DstTooSmall: the stream would produce more than expectedSize bytes.
Expected<std::vector<uint8_t>> zlibDecode(Bytes src, uint64_t expectedSize,
                                          uint64_t maxSize = kDefaultMaxDecodedSize);

/// Deflates `src` exactly as IOKit's mkext2 writer does: level 6 (Z_DEFAULT_COMPRESSION),
/// windowBits 15 (zlib wrapper: 0x78 0x9c header, Adler-32 trailer), memLevel 8,
/// Z_DEFAULT_STRATEGY. Never fails on valid memory (throws std::bad_alloc if zlib cannot
/// allocate its state). The result is larger than `src` for incompressible data.
std::vector<uint8_t> zlibEncode(Bytes src);

/// The mkext2 rule (IOKit `__OSKextAddCompressedFileToMkext`): the zlibEncode() output when
/// it is strictly smaller than `src`, else nullopt, meaning "store raw" (compressed_size 0 in
/// the mkext2_file_entry, plist_compressed_size 0 for the plist). Empty input gives nullopt.
std::optional<std::vector<uint8_t>> zlibCompressIfSmaller(Bytes src);

}  // namespace kextkit::compress
