// raw LZVN streams (apple-containers.md §1).
#pragma once

#include <cstdint>
#include <vector>

#include "kextkit/compress/Codec.h"

namespace kextkit::compress {

/// Decodes `src` into exactly `expectedSize` bytes (see Codec::decode for the errors).
Expected<std::vector<uint8_t>> lzvnDecode(Bytes src, uint64_t expectedSize,
                                          uint64_t maxSize = kDefaultMaxDecodedSize);

/// Encodes `src` (see Codec::encode).
std::vector<uint8_t> lzvnEncode(Bytes src);

}  // namespace kextkit::compress
