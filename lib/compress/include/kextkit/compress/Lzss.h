// Apple/Okumura LZSS (reference apple-formats.md §1.2), as in mkext1 archives and 'comp'/'lzss'
// kernelcaches.
#pragma once

#include <cstdint>
#include <vector>

#include "kextkit/compress/Codec.h"

namespace kextkit::compress {

/// Decodes the LZSS stream `src` into exactly `expectedSize` bytes, with Apple's semantics:
/// 4096-byte ring starting as 4078 spaces and 18 zeros, write position 4078, LSB-first flag
/// bits (1 = literal), matches naming absolute ring positions (which may be the initial
/// spaces). Unlike Apple's decoder, which stops silently when the destination is full, the
/// stream must end exactly there: the unused bits of the last flag group are ignored, but
/// nothing may follow. Errors (field "lzss", offset = position in `src`):
///   - LimitExceeded: expectedSize > maxSize (checked before anything is allocated);
///   - Truncated: the stream ends before producing expectedSize bytes (at a group boundary,
///     inside a flag group, or between the two bytes of a match);
///   - DstTooSmall: a match runs past expectedSize, or whole items follow it;
///   - Malformed: bytes follow the last item that do not form an item (trailing data).
/// Time is linear in the output size; nothing is read or written out of bounds whatever `src`.
Expected<std::vector<uint8_t>> lzssDecode(Bytes src, uint64_t expectedSize,
                                          uint64_t maxSize = kDefaultMaxDecodedSize);

/// Encodes `src` (see Codec::encode) with a hash-chain, lazy-matching encoder. The stream is
/// valid for Apple's decoder, ends with the last (possibly partial) flag group, and is empty
/// for empty input. It is not bit-identical to Apple's binary-tree encoder. Incompressible
/// input grows by 1/8 (plus one byte).
std::vector<uint8_t> lzssEncode(Bytes src);

}  // namespace kextkit::compress
