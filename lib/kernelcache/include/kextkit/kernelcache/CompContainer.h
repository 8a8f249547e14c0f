// The 'comp' container of compressed prelinked kernels: the 384-byte big-endian
// prelinked_kernel_header followed by an LZSS or raw LZVN payload (apple-formats.md §3.1).
//
// What untrusted input can do: only produce an Error. The header is read through
// io::ByteReader; the payload must lie inside the slice; the uncompressed size is compared
// with a caller-set limit before anything is allocated; the decoder must produce exactly the
// promised size; the Adler-32 is verified last, as kext_tools' uncompressPrelinkedSlice does.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/support/Error.h"

namespace kextkit::kernelcache {

using io::Bytes;

/// How a kernelcache slice stores its Mach-O.
enum class Compression {
  None,  ///< the slice is the Mach-O itself
  Lzss,  ///< 'comp' + 'lzss'
  Lzvn,  ///< 'comp' + 'lzvn'
};

/// "none", "lzss", "lzvn".
std::string_view compressionName(Compression c);

/// The decoded prelinked_kernel_header.
struct CompHeader {
  Compression compression = Compression::Lzss;
  uint32_t compressType = 0;      ///< raw field ('lzss' / 'lzvn')
  uint32_t adler32 = 0;           ///< of the uncompressed image
  uint32_t uncompressedSize = 0;
  uint32_t compressedSize = 0;
  uint32_t prelinkVersion = 0;
};

/// Default ceiling on the uncompressed size of one kernelcache image: 1 GiB (real macOS
/// prelinked kernels are 20-60 MB, kernel collections up to ~200 MB).
constexpr uint64_t kDefaultMaxImageSize = uint64_t{1} << 30;

/// True if `slice` starts with the 'comp' signature.
bool isComp(Bytes slice);

/// Reads the 384-byte header at slice[0]. `base` is the slice's absolute file offset, for
/// messages. Errors, in kext_tools' order, each naming the field and its offset:
///  - Truncated: fewer than 384 bytes;
///  - Malformed: the signature is not 'comp';
///  - Unsupported: compressType is neither 'lzss' nor 'lzvn';
///  - Truncated: compressedSize runs past the end of the slice (bytes after the payload are
///    allowed: some caches carry data there);
///  - Malformed: uncompressedSize is 0.
Expected<CompHeader> parseCompHeader(Bytes slice, uint64_t base = 0);

/// Options of decompressComp().
struct DecompressOptions {
  /// Larger uncompressedSize values fail with LimitExceeded before any allocation.
  uint64_t maxImageSize = kDefaultMaxImageSize;
  /// Compare the Adler-32 of the result with the header (ChecksumMismatch when they differ).
  bool verifyChecksum = true;
};

/// Decodes the payload of a 'comp' slice into exactly uncompressedSize bytes. Errors: those of
/// parseCompHeader(); LimitExceeded (uncompressedSize > maxImageSize, named
/// "prelinked_kernel_header.uncompressedSize"); those of the LZSS/LZVN decoders (with the
/// payload's file offsets), e.g. Truncated when the stream ends early or DstTooSmall when it
/// would produce more; ChecksumMismatch naming both values.
Expected<std::vector<uint8_t>> decompressComp(Bytes slice, uint64_t base = 0, const DecompressOptions& options = {});

/// Compares the Adler-32 `computed` over the decoded image with the header's: ChecksumMismatch
/// naming both values (field prelinked_kernel_header.adler32 at base + 8) when they differ.
Status checkCompChecksum(const CompHeader& header, uint32_t computed, uint64_t base = 0);

/// Builds a 'comp' slice: the header (signature, type, Adler-32 of `image`, both sizes,
/// `prelinkVersion`, zeros elsewhere) followed by the LZSS or LZVN encoding of `image`.
/// kext_tools refuses to compress an image that is already a 'comp' slice, and so does this
/// (InvalidArgument); also InvalidArgument for Compression::None and LimitExceeded for an
/// image or payload of 4 GiB or more (the 32-bit header fields).
Expected<std::vector<uint8_t>> compressComp(Bytes image, Compression compression, uint32_t prelinkVersion);

}  // namespace kextkit::kernelcache
