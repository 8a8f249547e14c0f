// Property: LZSS decoding of arbitrary bytes never reads or writes out of bounds, and either
// fails cleanly or returns exactly the expected size, byte for byte what Apple's ring-buffer
// decoder produces from the same stream. The first 4 bytes (LE) give the expected size, up
// to 2 MiB against a 1 MiB limit (so LimitExceeded is reached too); the rest is the stream.
// A violation calls __builtin_trap().
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kextkit/compress/Lzss.h"

using namespace kextkit;
using namespace kextkit::compress;

namespace {

// Apple's decoder (apple-formats.md §1.2), one byte at a time: ring of 4078 spaces and 18
// zeros, r = 4078; stops when the source runs out or `limit` bytes are out.
std::vector<uint8_t> referenceDecode(Bytes src, size_t limit) {
  std::array<uint8_t, 4096> ring{};
  for (size_t k = 0; k < 4078; ++k) ring[k] = ' ';
  size_t r = 4078;
  std::vector<uint8_t> out;
  size_t s = 0;
  unsigned flags = 0;
  while (out.size() < limit) {
    flags >>= 1;
    if ((flags & 0x100) == 0) {
      if (s >= src.size()) break;
      flags = src[s++] | 0xff00u;
    }
    if (flags & 1) {
      if (s >= src.size()) break;
      out.push_back(src[s]);
      ring[r] = src[s++];
      r = (r + 1) & 4095;
    } else {
      if (s + 1 >= src.size()) break;
      uint32_t pos = src[s] | ((src[s + 1] & 0xf0u) << 4);
      uint32_t len = (src[s + 1] & 0x0fu) + 3;
      s += 2;
      for (uint32_t k = 0; k < len && out.size() < limit; ++k) {
        uint8_t c = ring[(pos + k) & 4095];
        out.push_back(c);
        ring[r] = c;
        r = (r + 1) & 4095;
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t raw;
  std::memcpy(&raw, data, 4);
  const uint64_t expected = raw & ((2u << 20) - 1);
  const Bytes stream(data + 4, size - 4);

  auto r = lzssDecode(stream, expected, 1u << 20);
  if (!r.ok()) {
    if (expected > (1u << 20) && r.error().code != ErrorCode::LimitExceeded) __builtin_trap();
    return 0;
  }
  if (r->size() != expected) __builtin_trap();
  // Whatever we accept, Apple's decoder decodes to the same bytes.
  if (referenceDecode(stream, expected) != *r) __builtin_trap();
  return 0;
}
