// Apple/Okumura LZSS (reference apple-formats.md §1.2).
#pragma once

#include <cstdint>
#include <vector>

#include "kextkit/compress/Codec.h"

namespace kextkit::compress {

/// Decodes `src` into exactly `expectedSize` bytes (see Codec::decode for the errors).
Expected<std::vector<uint8_t>> lzssDecode(Bytes src, uint64_t expectedSize,
                                          uint64_t maxSize = kDefaultMaxDecodedSize);

/// Encodes `src` (see Codec::encode).
std::vector<uint8_t> lzssEncode(Bytes src);

}  // namespace kextkit::compress
