// One API for every block codec kextkit knows (LZSS, zlib, LZVN; LZFSE and Apple LZ4 later).
//
// Conventions (as zstd): `dst, dstCapacity, src, srcSize` order; decoders are told the exact
// size the container promised and fail unless they produce exactly that many bytes; no
// decoder allocates more than the caller's limit, whatever the input says.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/support/Error.h"

namespace kextkit::compress {

using io::Bytes;

/// Codecs by their on-disk names.
enum class CodecId {
  Lzss,  ///< Apple/Okumura LZSS (mkext1, 'comp'+'lzss' kernelcaches)
  Zlib,  ///< zlib-wrapped deflate (mkext2)
  Lzvn,  ///< raw LZVN stream ('comp'+'lzvn' kernelcaches)
};

/// Default ceiling for any single decoded buffer: 2 GiB. Callers may pass a lower or higher one.
constexpr uint64_t kDefaultMaxDecodedSize = 2ull << 30;

/// A codec's entry points. Every function is safe on arbitrary untrusted `src`.
struct Codec {
  CodecId id;
  std::string_view name;  ///< "lzss", "zlib", "lzvn"

  /// Decodes `src` into exactly `expectedSize` bytes. Errors: Malformed (bad stream),
  /// Truncated (stream ends early), DstTooSmall (stream would produce more than
  /// expectedSize), LimitExceeded (expectedSize > maxSize; nothing allocated).
  Expected<std::vector<uint8_t>> (*decode)(Bytes src, uint64_t expectedSize, uint64_t maxSize);

  /// Encodes `src`. Never fails for valid memory; the result may be larger than the input
  /// (callers decide whether to store raw).
  std::vector<uint8_t> (*encode)(Bytes src);
};

/// The codec registered under `id`.
const Codec& codec(CodecId id);
/// All registered codecs, for benchmarks and tools.
std::span<const Codec> allCodecs();

}  // namespace kextkit::compress
