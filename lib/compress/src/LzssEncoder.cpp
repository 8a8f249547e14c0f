// Apple/Okumura LZSS encoder: hash-chain match finder over a 4078-byte window, lazy matching.
//
// Any valid stream decodes with Apple's decoder; this one is not bit-identical to Apple's
// binary-tree encoder (apple-formats.md §1.2); it compresses slightly better and an order of
// magnitude faster:
//   - match finder: the most recent position of each 3-byte prefix (head3_) and hash chains
//     over 4-byte prefixes (head4_/prev_), searched to a bounded depth, plus the distance of
//     the previous match (code repeats its offsets);
//   - parse: greedy with one step of lazy evaluation for short matches (as zlib's
//     deflate_slow): when the match at i+1 is longer, i is emitted as a literal instead.
// Positions in the tables are stored modulo 2^16. A stale entry can therefore alias a
// position in the window; every candidate is verified against the data at a distance of at
// most 4078 (and at most i), so aliasing costs a probe, never correctness.
#include <algorithm>
#include <cstring>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kextkit/compress/Lzss.h"
#include "kextkit/compress/LzssFormat.h"

namespace kextkit::compress {

namespace {

using namespace lzss;

constexpr uint32_t kWindow = N - F;  // 4078: the window Apple's encoder searches
// Search effort, chosen on 30 MB of x86_64 code (tests/bench: kextkit-bench codecs): chain
// candidates examined per position, and for the lazy look at i+1; matches shorter than
// kLazyBelow get that look.
constexpr int kDepth = 24;
constexpr int kLazyDepth = 4;
constexpr uint32_t kLazyBelow = 6;
constexpr int kHash4Bits = 15;
constexpr int kHash3Bits = 16;
constexpr uint16_t kNoPos = 0x8000;  // distance 32768 from position 0: outside any window
// Positions at least this far from the end may read 24 bytes ahead (the wide match length).
constexpr size_t kTail = 40;
// Encoded bytes are staged here and appended to the result in blocks, so the result only
// grows to the compressed size (no worst-case-sized, zero-filled allocation).
constexpr size_t kStageSize = 1 << 15;

inline uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Length of the common prefix of a and b, capped at F (18); needs 24 readable bytes at both.
// Branch-free: which of the 18 byte pairs differ is a bit mask, and the answer is its first
// set bit. A branch per 8-byte word would be mispredicted about once a call.
inline uint32_t matchLen(const uint8_t* a, const uint8_t* b) {
#if defined(__SSE2__)
  __m128i x = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a)),
                             _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
  __m128i y = _mm_cmpeq_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a + 16)),
                             _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + 16)));
  uint32_t eq = static_cast<uint32_t>(_mm_movemask_epi8(x)) |
                (static_cast<uint32_t>(_mm_movemask_epi8(y)) << 16);
  return static_cast<uint32_t>(__builtin_ctz(~eq | (1u << F)));
#else
  uint64_t x0 = load64(a) ^ load64(b);
  uint64_t x1 = load64(a + 8) ^ load64(b + 8);
  uint64_t x2 = (load64(a + 16) ^ load64(b + 16)) | (1ull << 16);  // caps at 18
  uint32_t l0 = x0 ? static_cast<uint32_t>(__builtin_ctzll(x0)) >> 3 : 8;
  uint32_t l1 = x1 ? static_cast<uint32_t>(__builtin_ctzll(x1)) >> 3 : 8;
  uint32_t l2 = static_cast<uint32_t>(__builtin_ctzll(x2)) >> 3;
  return l0 < 8 ? l0 : (l1 < 8 ? 8 + l1 : 16 + l2);
#endif
}

struct Match {
  uint32_t len;
  uint32_t dist;
};

class Encoder {
 public:
  explicit Encoder(Bytes src) : p_(src.data()), n_(src.size()) {
    std::fill(std::begin(head4_), std::end(head4_), kNoPos);
    std::fill(std::begin(head3_), std::end(head3_), kNoPos);
    std::fill(std::begin(prev_), std::end(prev_), kNoPos);
    result_.reserve(n_ / 2 + 64);
  }

  std::vector<uint8_t> run() {
    if (n_ > kTail) parse<true>(n_ - kTail);
    parse<false>(n_);
    // Close the last group: drop an unused flag byte, else store the partial flags.
    if (mask_ == 1)
      --o_;
    else
      stage_[flagAt_] = static_cast<uint8_t>(flags_);
    result_.insert(result_.end(), stage_, stage_ + o_);
    return std::move(result_);
  }

 private:
  static uint32_t hash4(uint32_t v) { return (v * 2654435761u) >> (32 - kHash4Bits); }
  static uint32_t hash3(uint32_t v) { return ((v << 8) * 2246822519u) >> (32 - kHash3Bits); }

  template <bool kWide>
  void parse(size_t end);

  // Input and tables.
  const uint8_t* p_;
  size_t n_;
  uint16_t head4_[1 << kHash4Bits];  // newest position of each 4-byte hash
  uint16_t head3_[1 << kHash3Bits];  // newest position of each 3-byte hash
  uint16_t prev_[N];                 // previous position with the same 4-byte hash
  // Parse and output state (copied into locals by parse(): byte stores may alias members).
  size_t i_ = 0;       // next input position to encode
  size_t o_ = 1;       // next free byte in stage_
  size_t flagAt_ = 0;  // stage_[flagAt_] is the open group's flag byte
  unsigned flags_ = 0;
  unsigned mask_ = 1;  // flag bit of the next item
  uint32_t lastDist_ = 1;
  std::vector<uint8_t> result_;
  uint8_t stage_[kStageSize + kMaxGroupBytes];
};

// Encodes items starting at positions below `end` (an item may run past it). Every position
// hashed has at least 4 readable bytes, and with kWide at least kTail (so lengths can be
// computed 24 bytes at a time); without it, lengths are compared byte by byte to the end.
template <bool kWide>
void Encoder::parse(size_t end) {
  const uint8_t* const p = p_;
  const size_t n = n_;
  // Tables are used through `this` (one base register for all of them); scalars are locals.
  auto& head4 = head4_;
  auto& head3 = head3_;
  auto& prev = prev_;
  auto& stage = stage_;
  size_t i = i_;
  size_t o = o_;
  size_t flagAt = flagAt_;
  unsigned flags = flags_;
  unsigned mask = mask_;
  uint32_t lastDist = lastDist_;

  auto hashable = [&](size_t k) { return kWide || n - k >= 4; };
  auto insertValue = [&](size_t k, uint32_t v) {  // v: the 4 bytes at k
    uint32_t h = hash4(v);
    prev[k & (N - 1)] = head4[h];
    head4[h] = static_cast<uint16_t>(k);
    head3[hash3(v)] = static_cast<uint16_t>(k);
  };
  auto insert = [&](size_t k) { insertValue(k, load32(p + k)); };

  // Inserts k and returns the longest match there (len 0 if none of at least 3 bytes).
  auto find = [&](size_t k, int depth) -> Match {
    const uint8_t* cur = p + k;
    size_t left = n - k;
    uint32_t maxLen = kWide || left >= F ? F : static_cast<uint32_t>(left);
    uint32_t reach = k < kWindow ? static_cast<uint32_t>(k) : kWindow;  // farthest distance
    uint32_t k32 = static_cast<uint32_t>(k);
    auto lengthAt = [&](uint32_t dist) -> uint32_t {
      const uint8_t* c = cur - dist;
      if constexpr (kWide) {
        return matchLen(c, cur);
      } else {
        uint32_t l = 0;
        while (l < maxLen && c[l] == cur[l]) ++l;
        return l;
      }
    };
    uint32_t v = load32(cur);
    uint32_t h3 = hash3(v);
    uint32_t h4 = hash4(v);
    uint16_t c = head4[h4];
    uint32_t d3 = static_cast<uint16_t>(k32 - head3[h3]);
    // Insert k first: the walk starts from the old chain head, so it never sees k itself.
    prev[k & (N - 1)] = c;
    head4[h4] = static_cast<uint16_t>(k);
    head3[h3] = static_cast<uint16_t>(k);
    // The newest occurrence of the first 3 bytes is the nearest candidate of any match: if
    // it is out of the window or differs (a hash collision), there is (almost surely) none.
    if (d3 - 1 >= reach || ((load32(cur - d3) ^ v) & 0xffffff) != 0) return {0, 0};
    // Candidates are ranked by (length << 16 | distance), so keeping the best is one max()
    // (a conditional move) rather than a mispredicted branch.
    uint32_t best = lengthAt(d3) << 16 | d3;
    const uint32_t enough = maxLen << 16;
    if (best >= enough) return {best >> 16, best & 0xffff};
    // The previous match's distance: code repeats its offsets.
    if (lastDist <= reach) {
      best = std::max(best, lengthAt(lastDist) << 16 | lastDist);
      if (best >= enough) return {best >> 16, best & 0xffff};
    }
    // When the d3 candidate matches 4+ bytes it also heads the chain: skip it (branch-free).
    uint16_t afterHead = prev[c & (N - 1)];
    c = static_cast<uint16_t>(k32 - c) == d3 ? afterHead : c;
    for (; depth > 0; --depth) {
      uint32_t dist = static_cast<uint16_t>(k32 - c);
      if (dist - 1 >= reach) break;  // outside the window (or no entry): the chain ends
      best = std::max(best, lengthAt(dist) << 16 | dist);
      if (best >= enough) break;
      c = prev[c & (N - 1)];
    }
    return {best >> 16, best & 0xffff};
  };

  auto nextItem = [&] {
    mask <<= 1;
    if (mask == 0x100) {
      stage[flagAt] = static_cast<uint8_t>(flags);
      if (o >= kStageSize) {
        result_.insert(result_.end(), stage, stage + o);
        o = 0;
      }
      flagAt = o++;
      flags = 0;
      mask = 1;
    }
  };
  auto literal = [&](size_t k) {
    flags |= mask;
    stage[o++] = p[k];
    nextItem();
  };
  // Emits the match at k and inserts the positions it covers from `from` on.
  auto match = [&](size_t k, Match m, size_t from) {
    uint32_t pos = static_cast<uint32_t>((kInitialR + k - m.dist) & (N - 1));
    stage[o] = static_cast<uint8_t>(pos);
    stage[o + 1] = static_cast<uint8_t>(((pos >> 4) & 0xf0) | (m.len - kMinMatch));
    o += 2;
    lastDist = m.dist;
    nextItem();
    size_t e = k + m.len;
    if constexpr (kWide) {
      // Two positions per 8-byte load (kWide leaves at least kTail readable bytes).
      for (; from + 1 < e; from += 2) {
        uint64_t w = load64(p + from);
        insertValue(from, static_cast<uint32_t>(w));
        insertValue(from + 1, static_cast<uint32_t>(w >> 8));
      }
    }
    for (; from < e; ++from)
      if (hashable(from)) insert(from);
  };

  while (i < end) {
    if (!hashable(i)) {
      literal(i++);
      continue;
    }
    Match cur = find(i, kDepth);
    // Lazy evaluation (as zlib's deflate_slow): while the match at i+1 is longer than a short
    // match at i, emit i as a literal and move on.
    for (;;) {
      if (cur.len < kMinMatch) {
        literal(i++);
        break;
      }
      if (cur.len >= kLazyBelow || i + 1 >= end || !hashable(i + 1)) {
        match(i, cur, i + 1);
        i += cur.len;
        break;
      }
      Match next = find(i + 1, kLazyDepth);
      if (next.len <= cur.len) {
        match(i, cur, i + 2);
        i += cur.len;
        break;
      }
      literal(i++);
      cur = next;
    }
  }

  i_ = i;
  o_ = o;
  flagAt_ = flagAt;
  flags_ = flags;
  mask_ = mask;
  lastDist_ = lastDist;
}

}  // namespace

std::vector<uint8_t> lzssEncode(Bytes src) {
  if (src.empty()) return {};
  auto enc = std::make_unique<Encoder>(src);
  return enc->run();
}

}  // namespace kextkit::compress
