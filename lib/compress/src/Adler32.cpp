// Adler-32: SSE2 (baseline on x86-64) for long inputs, blocked scalar code elsewhere.
#include "kextkit/compress/Adler32.h"

#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace kextkit::compress {

namespace {

constexpr uint32_t kBase = 65521;  // largest prime below 2^16
// Largest n such that 255 n (n+1) / 2 + (n+1) (kBase-1) <= 2^32-1 (zlib's NMAX): the number
// of bytes the 32-bit scalar sums can take before s2 must be reduced. A multiple of 16.
constexpr size_t kNmax = 5552;

// The textbook loop on up to kNmax bytes, unrolled by 16. s1 and s2 must be < 2^16 on entry;
// they are not reduced here.
inline void scalarBlock(const uint8_t* p, size_t n, uint32_t& s1, uint32_t& s2) {
  for (; n >= 16; n -= 16, p += 16) {
    // s2 gets 16 * s1 (the running sum carried over every byte of the chunk) plus the
    // weighted bytes 16*b0 + 15*b1 + ... + 1*b15: a re-ordering of the textbook additions
    // (so no more overflow-prone), without their loop-carried dependency.
    uint32_t sum = 0;
    uint32_t weighted = 0;
    for (int j = 0; j < 16; ++j) {
      sum += p[j];
      weighted += static_cast<uint32_t>(16 - j) * p[j];
    }
    s2 += 16 * s1 + weighted;
    s1 += sum;
  }
  for (; n > 0; --n, ++p) {
    s1 += *p;
    s2 += s1;
  }
}

#if defined(__SSE2__)
// Bytes per SSE2 block: the 32-bit lanes of the weighted sums gain at most
// 2 * 16 * 255 = 8160 per 16-byte chunk, so they hold 2^32 / 8160 chunks (8 MiB); 1 MiB
// leaves ample margin. Everything else is accumulated in 64 bits.
constexpr size_t kSimdBlock = 1 << 20;

inline uint64_t sumLanes64(__m128i v) {
  return static_cast<uint64_t>(_mm_cvtsi128_si64(v)) +
         static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)));
}
inline uint64_t sumLanes32(__m128i v) {
  __m128i zero = _mm_setzero_si128();
  return sumLanes64(_mm_add_epi64(_mm_unpacklo_epi32(v, zero), _mm_unpackhi_epi32(v, zero)));
}

// Adds n (a multiple of 16, at most kSimdBlock) bytes to reduced s1/s2; returns them reduced.
inline void simdBlock(const uint8_t* p, size_t n, uint32_t& s1, uint32_t& s2) {
  const __m128i zero = _mm_setzero_si128();
  const __m128i weightsLo = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
  const __m128i weightsHi = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
  __m128i bytes = zero;     // sum of all bytes so far (2 x 64-bit lanes, psadbw)
  __m128i before = zero;    // sum over chunks of `bytes` before the chunk (64-bit lanes)
  __m128i weighted = zero;  // sum over chunks of 16*b0 + ... + 1*b15 (4 x 32-bit lanes)
  size_t chunks = n / 16;
  for (size_t c = 0; c < chunks; ++c, p += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    before = _mm_add_epi64(before, bytes);
    bytes = _mm_add_epi64(bytes, _mm_sad_epu8(v, zero));
    weighted = _mm_add_epi32(weighted, _mm_madd_epi16(_mm_unpacklo_epi8(v, zero), weightsLo));
    weighted = _mm_add_epi32(weighted, _mm_madd_epi16(_mm_unpackhi_epi8(v, zero), weightsHi));
  }
  // Per chunk, s2 += 16 * (s1 before the chunk) + weighted; s1 += sum of the chunk.
  uint64_t t2 = s2 + 16 * (static_cast<uint64_t>(s1) * chunks + sumLanes64(before)) +
                sumLanes32(weighted);
  uint64_t t1 = s1 + sumLanes64(bytes);
  s1 = static_cast<uint32_t>(t1 % kBase);
  s2 = static_cast<uint32_t>(t2 % kBase);
}
#endif

}  // namespace

uint32_t adler32(Bytes data, uint32_t init) {
  uint32_t s1 = init & 0xffff;
  uint32_t s2 = init >> 16;
  const uint8_t* p = data.data();
  size_t n = data.size();
#if defined(__SSE2__)
  if (n >= 64) {
    // zlib accepts s1/s2 up to 0xffff from `init`; reduce them first like its long path.
    s1 %= kBase;
    s2 %= kBase;
    while (n >= 16) {
      size_t block = n < kSimdBlock ? n & ~size_t{15} : kSimdBlock;
      simdBlock(p, block, s1, s2);
      p += block;
      n -= block;
    }
  }
#endif
  while (n > 0) {
    size_t block = n < kNmax ? n : kNmax;
    scalarBlock(p, block, s1, s2);
    p += block;
    n -= block;
    s1 %= kBase;
    s2 %= kBase;
  }
  return (s2 << 16) | s1;
}

}  // namespace kextkit::compress
