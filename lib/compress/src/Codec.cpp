// The codec registry: binds each CodecId to its encoder and decoder.
#include "kextkit/compress/Codec.h"

#include <array>

#include "kextkit/compress/Lzss.h"
#include "kextkit/compress/Lzvn.h"
#include "kextkit/compress/Zlib.h"

namespace kextkit::compress {

namespace {
const std::array<Codec, 3> kCodecs = {{
    {CodecId::Lzss, "lzss", &lzssDecode, &lzssEncode},
    {CodecId::Zlib, "zlib", &zlibDecode, &zlibEncode},
    {CodecId::Lzvn, "lzvn", &lzvnDecode, &lzvnEncode},
}};
}  // namespace

const Codec& codec(CodecId id) { return kCodecs[static_cast<size_t>(id)]; }

std::span<const Codec> allCodecs() { return kCodecs; }

}  // namespace kextkit::compress
