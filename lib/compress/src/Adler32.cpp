// Adler-32: blocked scalar implementation, a few GB/s without SIMD intrinsics.
#include "kextkit/compress/Adler32.h"

#include <cstddef>

namespace kextkit::compress {

namespace {

constexpr uint32_t kBase = 65521;  // largest prime below 2^16
// Largest n such that 255 n (n+1) / 2 + (n+1) (kBase-1) <= 2^32-1 (zlib's NMAX): the number
// of bytes that can be summed before s2 must be reduced. A multiple of 16.
constexpr size_t kNmax = 5552;

// Sums one 16-byte chunk. s2 gets 16 * s1 (the running sum carried over every byte of the
// chunk) plus the weighted bytes 16*b0 + 15*b1 + ... + 1*b15; the partial sums are a
// re-ordering of the textbook loop's additions, so with kNmax they never overflow either.
// The weighted sum has no loop-carried dependency, which is what makes this faster.
inline void chunk16(const uint8_t* p, uint32_t& s1, uint32_t& s2) {
  uint32_t sum = 0;
  uint32_t weighted = 0;
  for (int j = 0; j < 16; ++j) {
    sum += p[j];
    weighted += static_cast<uint32_t>(16 - j) * p[j];
  }
  s2 += 16 * s1 + weighted;
  s1 += sum;
}

}  // namespace

uint32_t adler32(Bytes data, uint32_t init) {
  uint32_t s1 = init & 0xffff;
  uint32_t s2 = init >> 16;
  const uint8_t* p = data.data();
  size_t n = data.size();
  while (n > 0) {
    size_t block = n < kNmax ? n : kNmax;
    n -= block;
    for (; block >= 16; block -= 16, p += 16) chunk16(p, s1, s2);
    for (; block > 0; --block, ++p) {
      s1 += *p;
      s2 += s1;
    }
    s1 %= kBase;
    s2 %= kBase;
  }
  return (s2 << 16) | s1;
}

}  // namespace kextkit::compress
