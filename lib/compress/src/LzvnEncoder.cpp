// LZVN encoder (apple-containers.md §1.7): the reference encoder's match finder (2^14 rows of
// 4 positions, previous-distance candidate), opcode-cost scores and one-step lazy parse,
// written for speed. It departs from the reference in: fewer positions inserted inside long
// matches, only candidates with 4 equal bytes evaluated when there are some, the pending match
// not re-evaluated on the lazy step, the final pending match emitted, match-only copies at the
// previous distance sent as sml_m/lrg_m pieces, and inputs over 8 MiB split into segments
// encoded in parallel. Together these keep the ratio at the reference's (measured on the first
// 30 MB of an x86-64 libLLVM: 2.5972 against 2.5963 for a literal port of the reference).
#include "kextkit/compress/Lzvn.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <system_error>
#include <thread>

#include "kextkit/compress/LzvnFormat.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace kextkit::compress {

namespace {

constexpr size_t kHashBits = 14;
constexpr size_t kHashRows = size_t{1} << kHashBits;
constexpr size_t kMaxDistance = lzvn::kMaxLrgDDistance;  // 65535
// No match starts in the last kTailMargin bytes, so every 4- and 8-byte load stays inside the
// input (the reference stops at the same place).
constexpr size_t kTailMargin = 8;
// With no match found and this many literals waiting, flush (reference: 400).
constexpr size_t kMaxLiteralBacklog = 400;
// Positions are kept in the table as 32-bit offsets from a base that moves forward before they
// could overflow (only inputs over 2 GiB ever rebase).
constexpr size_t kRebaseSpan = size_t{1} << 31;
// Inputs over 2 segments are encoded as fixed 4 MiB segments, several at a time on up to
// kMaxThreads threads. A segment's matches may reach into the 64 KiB before it (its hash table
// is primed with them) but not past its end, and it starts with no previous distance, so the
// segments' instructions simply concatenate. Costs about 0.01 % of ratio on x86-64 code.
constexpr size_t kSegmentSize = size_t{4} << 20;
constexpr size_t kMaxThreads = 8;

// Output bound for n input bytes: literals cost at most 1 extra byte per 4 (sml_l) plus one for
// a final short run, a match never costs more than its length; plus slack.
constexpr size_t segmentBound(size_t n) { return n + n / 4 + 16; }

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

inline size_t hashOf(uint32_t v) {
  // Low 3 bytes times (1 + 2^6 + 2^12), bits 12..25 (reference hash3i).
  return ((v & 0xffffff) * (1u + (1u << 6) + (1u << 12)) >> 12) & (kHashRows - 1);
}

/// One hash row: the 4 newest positions (minus the base) with that hash and the 4 bytes at
/// each, newest first.
struct alignas(32) Row {
  uint32_t pos[4];
  uint32_t val[4];
};

/// Pushes (pos, v) at the front of `row`, dropping its oldest entry; returns the row before.
inline Row push(Row& row, uint32_t pos, uint32_t v) {
  Row old;
#if defined(__SSE2__)
  const __m128i p = _mm_load_si128(reinterpret_cast<const __m128i*>(row.pos));
  const __m128i w = _mm_load_si128(reinterpret_cast<const __m128i*>(row.val));
  _mm_store_si128(reinterpret_cast<__m128i*>(row.pos),
                  _mm_or_si128(_mm_slli_si128(p, 4), _mm_cvtsi32_si128(static_cast<int>(pos))));
  _mm_store_si128(reinterpret_cast<__m128i*>(row.val),
                  _mm_or_si128(_mm_slli_si128(w, 4), _mm_cvtsi32_si128(static_cast<int>(v))));
  _mm_store_si128(reinterpret_cast<__m128i*>(old.pos), p);
  _mm_store_si128(reinterpret_cast<__m128i*>(old.val), w);
#else
  old = row;
  for (int k = 3; k > 0; --k) {
    row.pos[k] = old.pos[k - 1];
    row.val[k] = old.val[k - 1];
  }
  row.pos[0] = pos;
  row.val[0] = v;
#endif
  return old;
}

/// A match [begin, end) copied from dist bytes back; end == 0 means none.
struct Match {
  size_t begin = 0;
  size_t end = 0;
  size_t dist = 0;
  ptrdiff_t score = 0;  // length minus opcode cost (reference "K")
};

// Keeps the better of `best` and `m` in `best` (reference rule: higher score, or equal score
// and an end more than one byte further; earlier candidates win other ties). Written as
// selects: which candidate wins is data-dependent and mispredicts as a branch.
inline void keepBetter(Match& best, const Match& m) {
  const bool take = (m.score > best.score) | ((m.score == best.score) & (m.end > best.end + 1));
  const size_t mask = size_t{0} - static_cast<size_t>(take);
  best.begin ^= (best.begin ^ m.begin) & mask;
  best.end ^= (best.end ^ m.end) & mask;
  best.dist ^= (best.dist ^ m.dist) & mask;
  best.score ^= (best.score ^ m.score) & static_cast<ptrdiff_t>(mask);
}

/// Writes instructions. Stores go through a plain local pointer so that the compiler can keep
/// the parse state in registers.
class Emitter {
 public:
  Emitter(const uint8_t* src, uint8_t* q) : src_(src), q_(q) {}
  uint8_t* out() const { return q_; }

  // Literal runs: lrg_l pieces of up to 271, then sml_l for the rest (reference emit_literal).
  void literals(size_t from, size_t n) {
    while (n > lzvn::kMaxSmlLLiteral) {
      size_t x = std::min<size_t>(n, lzvn::kMaxLrgLLiteral);
      q_[0] = lzvn::kSmlLBase;
      q_[1] = static_cast<uint8_t>(x - 16);
      std::memcpy(q_ + 2, src_ + from, x);
      q_ += 2 + x;
      from += x;
      n -= x;
    }
    if (n > 0) {
      *q_++ = static_cast<uint8_t>(lzvn::kSmlLBase | n);
      std::memcpy(q_, src_ + from, n);
      q_ += n;
    }
  }

  // Match-only pieces at the previous distance: lrg_m up to 271, then one sml_m.
  void matchTail(size_t m) {
    while (m > lzvn::kMaxSmlMMatch) {
      size_t x = std::min<size_t>(m, lzvn::kMaxLrgMMatch);
      q_[0] = lzvn::kSmlMBase;
      q_[1] = static_cast<uint8_t>(x - 16);
      q_ += 2;
      m -= x;
    }
    if (m > 0) *q_++ = static_cast<uint8_t>(lzvn::kSmlMBase | m);
  }

  // The literals [literal, begin) and the match (begin, len, dist); opcode choice of §1.7,
  // except that a match-only copy at the previous distance is always sml_m/lrg_m pieces.
  void match(size_t literal, size_t begin, size_t len, size_t dist, size_t dPrev) {
    size_t lit = begin - literal;
    if (lit > 3) {
      literals(literal, lit);
      literal = begin;
      lit = 0;
    }
    if (dist == dPrev && lit == 0) {
      matchTail(len);
      return;
    }
    size_t x = std::min(len, 10 - 2 * lit);  // what the 3-bit M field holds next to L = lit
    len -= x;
    x -= 3;
    if (dist == dPrev) {  // pre_d: LL MMM 110
      *q_++ = static_cast<uint8_t>(lit << 6 | x << 3 | 6);
    } else if (dist <= lzvn::kMaxSmlDDistance) {  // sml_d: LL MMM DDD + low byte of D
      q_[0] = static_cast<uint8_t>(lit << 6 | x << 3 | dist >> 8);
      q_[1] = static_cast<uint8_t>(dist);
      q_ += 2;
    } else if (dist > lzvn::kMaxMedDDistance || len == 0 || x + 3 + len > lzvn::kMaxMedDMatch) {
      q_[0] = static_cast<uint8_t>(lit << 6 | x << 3 | 7);  // lrg_d: LL MMM 111 + LE16 D
      q_[1] = static_cast<uint8_t>(dist);
      q_[2] = static_cast<uint8_t>(dist >> 8);
      q_ += 3;
    } else {  // med_d: 101 LL MMM + LE16(D << 2 | low 2 bits of M - 3); takes all of M
      x += len;
      len = 0;
      const size_t w = dist << 2 | (x & 3);
      q_[0] = static_cast<uint8_t>(lzvn::kMedDBase | lit << 3 | x >> 2);
      q_[1] = static_cast<uint8_t>(w);
      q_[2] = static_cast<uint8_t>(w >> 8);
      q_ += 3;
    }
    for (size_t i = 0; i < lit; ++i) q_[i] = src_[literal + i];
    q_ += lit;
    matchTail(len);
  }

 private:
  const uint8_t* src_;
  uint8_t* q_;
};

/// The match finder and parser over src[begin, end). Matches may reach back before `begin`
/// (into earlier segments of the same input) but never past `end`.
class Encoder {
 public:
  /// `table` is scratch space of kHashRows rows; the output at q must have room for
  /// segmentBound(end - begin) bytes.
  Encoder(const uint8_t* src, size_t begin, size_t end, Row* table, uint8_t* q)
      : src_(src), begin_(begin), size_(end), table_(table), emit_(src, q) {
    state_.literal = begin;
  }

  /// Encodes the range (without the end-of-stream opcode) and returns the end of the output.
  uint8_t* run() {
    if (size_ - begin_ > kTailMargin) scan();
    emit_.literals(state_.literal, size_ - state_.literal);
    return emit_.out();
  }

 private:
  // Points every entry at `start` (the reference starts at the buffer start) with its value.
  void resetTable(size_t start) {
    Row r;
    const uint32_t v = load32(src_ + start);
    for (int k = 0; k < 4; ++k) {
      r.pos[k] = static_cast<uint32_t>(start - base_);
      r.val[k] = v;
    }
    std::fill(table_, table_ + kHashRows, r);
  }

  // Moves the base forward to newBase; entries that would fall before it (out of match range
  // anyway) point at newBase instead.
  void rebase(size_t newBase) {
    const uint32_t shift = static_cast<uint32_t>(newBase - base_);
    const uint32_t v = load32(src_ + newBase);
    for (size_t i = 0; i < kHashRows; ++i) {
      Row& r = table_[i];
      for (int k = 0; k < 4; ++k) {
        if (r.pos[k] < shift) {
          r.pos[k] = 0;
          r.val[k] = v;
        } else {
          r.pos[k] -= shift;
        }
      }
    }
    base_ = newBase;
  }

  // The parse state. scanRange keeps it (and the emitter) in locals: stores through the
  // output pointer could alias members and force reloads on every position.
  struct State {
    size_t literal = 0;  // start of the literal run not yet emitted
    size_t dPrev = 0;    // distance of the last emitted match
    Match pending;       // the one-step lazy parse's match waiting for the next one
  };

  void scan() {
    // The table starts at the first position a match could reach (the reference: position 0
    // for the whole input), then takes every position before `begin` as history.
    const size_t warm = begin_ > kMaxDistance + 1 ? begin_ - (kMaxDistance + 1) : 0;
    base_ = warm;
    resetTable(warm);
    for (size_t p = warm; p < begin_; ++p) {
      const uint32_t v = load32(src_ + p);
      push(table_[hashOf(v)], static_cast<uint32_t>(p - base_), v);
    }
    const size_t scanEnd = size_ - kTailMargin;
    size_t p = begin_;
    while (p < scanEnd) {
      if (p - base_ >= kRebaseSpan) rebase(p - kMaxDistance - 1);
      p = scanRange(p, std::min(scanEnd, base_ + kRebaseSpan));
    }
    // The reference drops a match still pending here; emitting it is valid and shorter.
    if (state_.pending.end != 0) emitMatch(emit_, state_, state_.pending);
  }

  static void emitMatch(Emitter& em, State& st, const Match& m) {
    em.match(st.literal, m.begin, m.end - m.begin, m.dist, st.dPrev);
    st.dPrev = m.dist;
    st.literal = m.end;
  }

  // The end of the match at p, `dist` back, whose first 3 bytes are known equal. Mostly
  // branch-free: one 8-byte comparison settles all matches shorter than 8.
  size_t forwardEnd(size_t p, size_t dist) const {
    const uint64_t x = load64(src_ + p) ^ load64(src_ + p - dist);
    if (x != 0) [[likely]]
      return p + static_cast<size_t>(__builtin_ctzll(x) >> 3);
    size_t end = p + 8;
    while (end + 8 <= size_) {
      const uint64_t y = load64(src_ + end) ^ load64(src_ + end - dist);
      if (y != 0) return end + static_cast<size_t>(__builtin_ctzll(y) >> 3);
      end += 8;
    }
    while (end < size_ && src_[end] == src_[end - dist]) ++end;
    return end;
  }

  // How far the match at p, `dist` back, extends backward over the litRun bytes before p that
  // are not yet emitted (never before the start of the input). One 8-byte comparison settles
  // runs of up to 8 bytes.
  size_t backwardLength(size_t p, size_t dist, size_t litRun) const {
    const size_t limit = std::min(litRun, p - dist);
    if (limit == 0) return 0;
    size_t back = 0;
    if (p - dist >= 8) {
      const uint64_t x = load64(src_ + p - 8) ^ load64(src_ + p - dist - 8);
      back = x != 0 ? static_cast<size_t>(__builtin_clzll(x) >> 3) : 8;
      if (back < 8 || limit <= 8) return std::min(back, limit);
    }
    while (back < limit && src_[p - back - 1] == src_[p - dist - back - 1]) ++back;
    return back;
  }

  // The match at p, `dist` back, with its first 3 bytes known equal, extended forward and
  // backward over the literal run not yet emitted; `cost` is its opcode cost.
  Match extend(size_t p, size_t dist, size_t litRun, ptrdiff_t cost) const {
    Match m;
    m.end = forwardEnd(p, dist);
    m.begin = litRun == 0 ? p : p - backwardLength(p, dist, litRun);
    m.dist = dist;
    m.score = static_cast<ptrdiff_t>(m.end - m.begin) - cost;
    return m;
  }

  // Scans [p, end): inserts every position, searches those not inside an emitted match.
  size_t scanRange(size_t p, size_t end) {
    const uint8_t* const src = src_;
    Row* const table = table_;
    const size_t base = base_;
    State st = state_;
    Emitter em = emit_;
    for (; p < end; ++p) {
      if (p < st.literal) {
        // Inside an emitted match: insert only.
        // Inside an emitted match of more than 8 bytes, only its first 4, every other one of
        // the middle and its last 4 positions go in: the rows are only 4 deep, and the
        // positions of a long match mostly push out older entries that find other matches
        // later. (Measured on x86-64 code: slightly better ratio than inserting all, and faster.)
        const size_t stop = std::min(st.literal, end);
        auto insert = [&](size_t at) {
          const uint32_t v = load32(src + at);
          push(table[hashOf(v)], static_cast<uint32_t>(at - base), v);
        };
        if (stop - p > 8) {
          for (const size_t head = p + 4; p < head; ++p) insert(p);
          for (; p + 4 < stop; p += 2) insert(p);
          p = stop - 4;
        }
        for (; p < stop; ++p) insert(p);
        if (p == end) break;
      }
      const uint32_t v = load32(src + p);
      const Row e = push(table[hashOf(v)], static_cast<uint32_t>(p - base), v);
      // Candidates: 3 equal low bytes and 1 <= distance <= 65535.
      unsigned candidates = 0;  // bit k: entry k qualifies
#if defined(__SSE2__)
      // Distances are < 2^31, so signed 32-bit compares work.
      const __m128i pos = _mm_load_si128(reinterpret_cast<const __m128i*>(e.pos));
      const __m128i val = _mm_load_si128(reinterpret_cast<const __m128i*>(e.val));
      const __m128i eq = _mm_cmpeq_epi32(_mm_and_si128(val, _mm_set1_epi32(0xffffff)),
                                         _mm_set1_epi32(static_cast<int>(v & 0xffffff)));
      const __m128i distM1 = _mm_sub_epi32(_mm_set1_epi32(static_cast<int>(p - base - 1)), pos);
      const __m128i inRange = _mm_and_si128(_mm_cmpgt_epi32(distM1, _mm_set1_epi32(-1)),
                                            _mm_cmpgt_epi32(_mm_set1_epi32(kMaxDistance), distM1));
      candidates = static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_and_si128(eq, inRange))));
#else
      for (int k = 0; k < 4; ++k) {
        const size_t cand = base + e.pos[k];
        if (((e.val[k] ^ v) & 0xffffff) == 0 && cand < p && p - cand <= kMaxDistance) candidates |= 1u << k;
      }
#endif
      if (p == 0) continue;  // nothing before it to match
#if defined(__SSE2__)
      {
        // Candidates whose 4 bytes all match nearly always beat those with only 3: when there
        // are some, skip the others.
        const __m128i eq4 = _mm_cmpeq_epi32(val, _mm_set1_epi32(static_cast<int>(v)));
        const unsigned full = candidates & static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(eq4)));
        const unsigned useFull = 0u - static_cast<unsigned>(full != 0);  // a select: branches mispredict here
        candidates = (full & useFull) | (candidates & ~useFull);
      }
#endif
      // On the lazy step, a candidate at the pending match's distance is the pending match
      // again (same end; its backward extension stops where the pending one's did), so it can
      // only tie, and the pending match wins ties: it is not evaluated, only noted.
      bool pendingAgain = false;
      const size_t litRun = p - st.literal;
      Match best;
      auto consider = [&](size_t dist) {
        if (dist == st.pending.dist) {
          pendingAgain = true;
          return;
        }
        keepBetter(best, extend(p, dist, litRun, dist < 0x600 ? 2 : 3));
      };
      while (candidates != 0) {
        const unsigned k = static_cast<unsigned>(__builtin_ctz(candidates));
        candidates &= candidates - 1;
        consider(p - (base + e.pos[k]));
      }
      if (st.dPrev != 0) {
        const uint32_t x = load32(src + p - st.dPrev) ^ v;
        if ((x & 0xffffff) == 0) {
          if (st.dPrev == st.pending.dist)
            pendingAgain = true;
          else
            keepBetter(best, extend(p, st.dPrev, litRun, 1));  // pre_d / sml_m: 1-byte opcode
        }
      }
      if (best.end == 0 && pendingAgain) {  // as the reference: the tie goes to the pending match
        emitMatch(em, st, st.pending);
        st.pending = Match{};
        continue;
      }

      if (best.end == 0) {
        if (p - st.literal >= kMaxLiteralBacklog) {
          if (st.pending.end != 0) {
            emitMatch(em, st, st.pending);
            st.pending = Match{};
          } else {
            em.literals(st.literal, lzvn::kMaxLrgLLiteral);
            st.literal += lzvn::kMaxLrgLLiteral;
          }
        }
      } else if (st.pending.end == 0) {
        st.pending = best;  // one-step lazy parse: wait for the next match before emitting
      } else if (st.pending.end <= best.begin) {
        emitMatch(em, st, st.pending);
        st.pending = best;
      } else {
        emitMatch(em, st, best.score > st.pending.score ? best : st.pending);
        st.pending = Match{};
      }
    }
    state_ = st;
    emit_ = em;
    return p;
  }

  const uint8_t* src_;
  size_t begin_;
  size_t size_;  // the end of the range: no match extends past it
  Row* table_;
  Emitter emit_;
  size_t base_ = 0;
  State state_;
};

}  // namespace

std::vector<uint8_t> lzvnEncode(Bytes src) {
  const size_t n = src.size();
  const size_t segments = n <= 2 * kSegmentSize ? 1 : (n + kSegmentSize - 1) / kSegmentSize;
  std::vector<uint8_t> out;
  if (segments == 1) {
    out.resize(segmentBound(n) + lzvn::kEosSize);
    auto table = std::make_unique<Row[]>(kHashRows);
    uint8_t* end = Encoder(src.data(), 0, n, table.get(), out.data()).run();
    out.resize(static_cast<size_t>(end - out.data()));
  } else {
    // Segments are independent but for the input bytes before them, so workers take them in
    // any order; the output does not depend on how many threads there are.
    std::vector<std::vector<uint8_t>> parts(segments);
    std::atomic<size_t> next{0};
    auto work = [&] {
      auto table = std::make_unique<Row[]>(kHashRows);
      for (size_t i; (i = next.fetch_add(1)) < segments;) {
        const size_t begin = i * kSegmentSize, end = std::min(n, begin + kSegmentSize);
        std::vector<uint8_t>& part = parts[i];
        part.resize(segmentBound(end - begin));
        uint8_t* stop = Encoder(src.data(), begin, end, table.get(), part.data()).run();
        part.resize(static_cast<size_t>(stop - part.data()));
      }
    };
    const size_t threads = std::min<size_t>({std::max(1u, std::thread::hardware_concurrency()), segments, kMaxThreads});
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) {
      try {
        pool.emplace_back(work);
      } catch (const std::system_error&) {
        break;  // no more threads: the ones we have (at least this one) do the rest
      }
    }
    work();
    for (std::thread& t : pool) t.join();
    size_t total = lzvn::kEosSize;
    for (const auto& part : parts) total += part.size();
    out.reserve(total);
    for (auto& part : parts) {
      out.insert(out.end(), part.begin(), part.end());
      std::vector<uint8_t>().swap(part);
    }
  }
  const uint8_t eos[lzvn::kEosSize] = {lzvn::kEosOpcode, 0, 0, 0, 0, 0, 0, 0};
  out.insert(out.end(), eos, eos + sizeof eos);
  return out;
}

}  // namespace kextkit::compress
