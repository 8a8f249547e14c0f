// zlib-wrapped deflate with the mkext2 rules (apple-formats.md §1.3).
#pragma once

#include <cstdint>
#include <vector>

#include "kextkit/compress/Codec.h"

namespace kextkit::compress {

/// Decodes `src` into exactly `expectedSize` bytes (see Codec::decode for the errors).
Expected<std::vector<uint8_t>> zlibDecode(Bytes src, uint64_t expectedSize,
                                          uint64_t maxSize = kDefaultMaxDecodedSize);

/// Encodes `src` (see Codec::encode).
std::vector<uint8_t> zlibEncode(Bytes src);

}  // namespace kextkit::compress
