// Raw LZVN streams (apple-containers.md §1): the payload of 'comp'+'lzvn' kernelcaches and of
// LZFSE 'bvxn' blocks. No block header; a stream ends with the 8-byte end-of-stream opcode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "kextkit/compress/Codec.h"

namespace kextkit::compress {

/// Decodes `src` into exactly `expectedSize` bytes (see Codec::decode for the errors).
/// Errors (all carry the source offset of the offending instruction where there is one):
/// - LimitExceeded: expectedSize > maxSize (checked before anything is allocated);
/// - Truncated: expectedSize is more than `src` could ever expand to, an opcode, literal or
///   end-of-stream opcode is cut short, the stream has no end-of-stream opcode, or it ends
///   ("stream ended after N bytes, expected M") before producing expectedSize bytes;
/// - Malformed: an undefined opcode, or a match distance of 0 or beyond the bytes produced;
/// - DstTooSmall: the stream would produce more than expectedSize bytes.
/// Bytes after the end-of-stream opcode are ignored, as Apple's decoder does.
Expected<std::vector<uint8_t>> lzvnDecode(Bytes src, uint64_t expectedSize,
                                          uint64_t maxSize = kDefaultMaxDecodedSize);

/// What lzvnDecodeInto did.
struct LzvnDecoded {
  size_t dstWritten = 0;   ///< bytes written at dst[dstPos...]
  size_t srcConsumed = 0;  ///< bytes of `src` read, up to and including the end-of-stream opcode
};

/// Decodes one LZVN stream from `src` into dst[dstPos, dst.size()), stopping at its
/// end-of-stream opcode. Matches may reach back before dstPos down to dst[0], as LZFSE 'bvxn'
/// blocks do for earlier blocks' output; the previous distance starts at 0 for each call.
/// `srcBase` is added to the offsets reported in errors (the stream's offset in its file).
/// Errors: as lzvnDecode, except that no size is expected: DstTooSmall when the stream would
/// write past dst.size(); InvalidArgument when dstPos > dst.size(). Never reads or writes outside
/// `src` and `dst`, and never writes before dstPos; but wide copies may overwrite bytes of dst
/// after the decoded output (on error, anything from dstPos on).
Expected<LzvnDecoded> lzvnDecodeInto(std::span<uint8_t> dst, size_t dstPos, Bytes src,
                                     uint64_t srcBase = 0);

/// Encodes `src` (see Codec::encode) as one LZVN stream ending with the end-of-stream opcode;
/// it decodes with lzvnDecode(result, src.size()). The match finder and lazy parse follow
/// Apple's reference encoder (apple-containers.md §1.7). Inputs over 8 MiB are cut into
/// 4 MiB segments encoded on up to 8 threads (matches still reach into the previous segment);
/// the output does not depend on the number of threads. Never fails (throws only
/// std::bad_alloc); the result is at most src.size() * 5 / 4 + 24 bytes, plus 1 per segment.
std::vector<uint8_t> lzvnEncode(Bytes src);

/// The most bytes any LZVN stream of `srcSize` bytes can decode to (a 2-byte 'lrg_m' opcode
/// yields 271 bytes), used to reject impossible expected sizes before allocating.
constexpr uint64_t lzvnMaxDecodedSize(uint64_t srcSize) {
  return srcSize > (UINT64_MAX / 136) ? UINT64_MAX : srcSize * 136;
}

}  // namespace kextkit::compress
