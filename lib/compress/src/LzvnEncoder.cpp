// LZVN encoder (apple-containers.md §1.7): the reference encoder's match finder and one-step
// lazy parse, written for speed, plus emission of the final pending match.
#include "kextkit/compress/Lzvn.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "kextkit/compress/LzvnFormat.h"

namespace kextkit::compress {

namespace {

constexpr size_t kHashBits = 14;
constexpr size_t kHashRows = size_t{1} << kHashBits;
constexpr size_t kMaxDistance = lzvn::kMaxLrgDDistance;  // 65535
// No match search in the last kTailMargin bytes: every 4-byte load stays inside the input.
constexpr size_t kTailMargin = 8;
// With no match found and this many literals waiting, flush (reference: 400).
constexpr size_t kMaxLiteralBacklog = 400;
// Positions are kept in the table as 32-bit offsets from `base`; the base moves forward before
// they could overflow (only inputs over 2 GiB ever rebase).
constexpr size_t kRebaseSpan = size_t{1} << 31;

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

inline uint32_t hashOf(uint32_t v) {
  // Low 3 bytes times (1 + 2^6 + 2^12), bits 12..25 (reference hash3i).
  return ((v & 0xffffff) * (1u + (1u << 6) + (1u << 12)) >> 12) & (kHashRows - 1);
}

inline size_t equalLowBytes(uint32_t x) {  // 0..4 equal bytes from the least significant end
  return x == 0 ? 4 : static_cast<size_t>(__builtin_ctz(x) >> 3);
}

/// A candidate match [begin, end) at distance d; len == 0 means none.
struct Match {
  size_t begin = 0;
  size_t end = 0;
  size_t len = 0;
  size_t dist = 0;
  ptrdiff_t score = 0;  // opcode-cost-adjusted length (reference "K")
};

/// One hash row: the 4 newest positions with that hash and their 4-byte values, newest first.
struct Row {
  uint32_t pos[4];
  uint32_t val[4];
};

class Encoder {
 public:
  Encoder(Bytes src, std::vector<uint8_t>& out) : src_(src.data()), size_(src.size()), out_(out) {}

  void run() {
    // Worst case: every 4 literals cost one sml_l byte, a match never costs more than its
    // length, plus the end-of-stream opcode and slack for 16-byte literal copies.
    out_.resize(size_ + size_ / 4 + 64);
    q_ = out_.data();
    if (size_ >= kTailMargin + 1) {
      table_ = std::make_unique<Row[]>(kHashRows);
      resetTable(0);
      scan();
      if (pending_.len != 0) emitMatch(pending_);  // the reference drops it; emitting is valid
    }
    emitLiterals(size_ - literal_);
    const uint8_t eos[lzvn::kEosSize] = {lzvn::kEosOpcode, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(q_, eos, sizeof eos);
    q_ += sizeof eos;
    out_.resize(static_cast<size_t>(q_ - out_.data()));
  }

 private:
  // Points every entry at `start` (the reference starts at the buffer start).
  void resetTable(size_t start) {
    base_ = start;
    Row r;
    uint32_t v = load32(src_ + start);
    for (int k = 0; k < 4; ++k) {
      r.pos[k] = 0;
      r.val[k] = v;
    }
    std::fill(table_.get(), table_.get() + kHashRows, r);
  }

  // Moves base_ forward to newBase; entries that would fall before it point at newBase
  // (they were out of match range anyway).
  void rebase(size_t newBase) {
    const uint32_t shift = static_cast<uint32_t>(newBase - base_);
    const uint32_t v = load32(src_ + newBase);
    for (size_t i = 0; i < kHashRows; ++i) {
      for (int k = 0; k < 4; ++k) {
        Row& r = table_[i];
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

  // Extends a match whose first n (3 or 4) bytes at cur and cand = cur - dist are known equal:
  // forward 4 bytes at a time while all 4 match and end + 4 < size (as the reference does),
  // backward over the pending literal run.
  Match extend(size_t cand, size_t cur, size_t n, size_t dist) const {
    size_t end = cur + n;
    if (n == 4) {
      // Same stopping rule as the reference's 4-byte steps, done 8 bytes at a time where possible.
      for (;;) {
        if (end + 8 < size_) {
          uint64_t x = load64(src_ + end) ^ load64(src_ + end - dist);
          if (x != 0) {
            size_t k = static_cast<size_t>(__builtin_ctzll(x) >> 3);
            end += k;  // k < 4: stops inside the first 4-byte step; else inside the second
            break;
          }
          end += 8;
        } else if (end + 4 < size_) {
          uint32_t x = load32(src_ + end) ^ load32(src_ + end - dist);
          end += equalLowBytes(x);
          if (x != 0) break;
        } else {
          break;
        }
      }
    }
    size_t begin = cur;
    while (cand > 0 && begin > literal_ && src_[begin - 1] == src_[cand - 1]) {
      --cand;
      --begin;
    }
    Match m;
    m.begin = begin;
    m.end = end;
    m.len = end - begin;
    m.dist = dist;
    m.score = static_cast<ptrdiff_t>(m.len) - (dist < 0x600 ? 2 : 3);
    return m;
  }

  static void consider(Match& best, const Match& m) {
    if (m.score > best.score || (m.score == best.score && m.end > best.end + 1)) best = m;
  }

  void scan() {
    const size_t scanEnd = size_ - kTailMargin;
    size_t p = 0;
    while (p < scanEnd) {
      if (p - base_ >= kRebaseSpan) rebase(p - kMaxDistance - 1);
      const size_t chunkEnd = std::min(scanEnd, base_ + kRebaseSpan);
      for (; p < chunkEnd; ++p) step(p);
    }
  }

  void step(size_t p) {
    const uint32_t v = load32(src_ + p);
    Row& row = table_[hashOf(v)];
    const Row e = row;
    row.pos[3] = e.pos[2];
    row.pos[2] = e.pos[1];
    row.pos[1] = e.pos[0];
    row.pos[0] = static_cast<uint32_t>(p - base_);
    row.val[3] = e.val[2];
    row.val[2] = e.val[1];
    row.val[1] = e.val[0];
    row.val[0] = v;
    if (p < literal_) return;  // inside an emitted match: table update only

    Match best;
    for (int k = 0; k < 4; ++k) {
      size_t n = equalLowBytes(e.val[k] ^ v);
      if (n < 3) continue;
      size_t cand = base_ + e.pos[k];
      if (cand >= p || p - cand > kMaxDistance) continue;
      consider(best, extend(cand, p, n, p - cand));
    }
    if (dPrev_ != 0) {
      size_t cand = p - dPrev_;
      size_t n = equalLowBytes(load32(src_ + cand) ^ v);
      if (n >= 3) {
        Match m = extend(cand, p, n, dPrev_);
        m.score = static_cast<ptrdiff_t>(m.len) - 1;  // pre_d / sml_m: 1-byte opcode
        consider(best, m);
      }
    }

    if (best.len == 0) {
      if (p - literal_ >= kMaxLiteralBacklog) {
        if (pending_.len != 0) {
          emitMatch(pending_);
          pending_ = Match{};
        } else {
          emitLiterals(lzvn::kMaxLrgLLiteral);
        }
      }
      return;
    }
    if (pending_.len == 0) {
      pending_ = best;
    } else if (pending_.end <= best.begin) {
      emitMatch(pending_);
      pending_ = best;
    } else {
      emitMatch(best.score > pending_.score ? best : pending_);
      pending_ = Match{};
    }
  }

  void putLiteralBytes(size_t n) {
    std::memcpy(q_, src_ + literal_, n);
    q_ += n;
    literal_ += n;
  }

  // Literal runs: lrg_l pieces of up to 271, then sml_l for the rest (reference emit_literal).
  void emitLiterals(size_t n) {
    while (n > lzvn::kMaxSmlLLiteral) {
      size_t x = std::min<size_t>(n, lzvn::kMaxLrgLLiteral);
      *q_++ = lzvn::kSmlLBase;
      *q_++ = static_cast<uint8_t>(x - 16);
      putLiteralBytes(x);
      n -= x;
    }
    if (n > 0) {
      *q_++ = static_cast<uint8_t>(lzvn::kSmlLBase | n);
      putLiteralBytes(n);
    }
  }

  // Match-only pieces at the previous distance: lrg_m up to 271, then one sml_m.
  void emitMatchTail(size_t m) {
    while (m > lzvn::kMaxSmlMMatch) {
      size_t x = std::min<size_t>(m, lzvn::kMaxLrgMMatch);
      *q_++ = lzvn::kSmlMBase;
      *q_++ = static_cast<uint8_t>(x - 16);
      m -= x;
    }
    if (m > 0) *q_++ = static_cast<uint8_t>(lzvn::kSmlMBase | m);
  }

  // Emits the literals before `m` and `m` itself (reference emit(), opcode choice of §1.7).
  void emitMatch(const Match& m) {
    size_t lit = m.begin - literal_;
    size_t len = m.len;
    const size_t dist = m.dist;
    if (lit > 3) {
      emitLiterals(lit);
      lit = 0;
    }
    if (dist == dPrev_ && lit == 0) {
      emitMatchTail(len);
    } else {
      size_t x = std::min(len, 10 - 2 * lit);  // what the 3-bit M field can hold with L = lit
      len -= x;
      x -= 3;
      if (dist == dPrev_) {  // pre_d: LL MMM 110
        *q_++ = static_cast<uint8_t>(lit << 6 | x << 3 | 6);
      } else if (dist <= lzvn::kMaxSmlDDistance) {  // sml_d: LL MMM DDD + byte
        *q_++ = static_cast<uint8_t>(lit << 6 | x << 3 | dist >> 8);
        *q_++ = static_cast<uint8_t>(dist);
      } else if (dist > lzvn::kMaxMedDDistance || len == 0 || x + 3 + len > lzvn::kMaxMedDMatch) {
        *q_++ = static_cast<uint8_t>(lit << 6 | x << 3 | 7);  // lrg_d: LL MMM 111 + LE16
        *q_++ = static_cast<uint8_t>(dist);
        *q_++ = static_cast<uint8_t>(dist >> 8);
      } else {  // med_d: 101 LL MMM + LE16(D << 2 | low 2 bits of M - 3); takes all of M
        x += len;
        len = 0;
        const uint32_t w = static_cast<uint32_t>(dist << 2 | (x & 3));
        *q_++ = static_cast<uint8_t>(lzvn::kMedDBase | lit << 3 | x >> 2);
        *q_++ = static_cast<uint8_t>(w);
        *q_++ = static_cast<uint8_t>(w >> 8);
      }
      putLiteralBytes(lit);
      emitMatchTail(len);
    }
    dPrev_ = dist;
    literal_ = m.end;
  }

  const uint8_t* src_;
  size_t size_;
  std::vector<uint8_t>& out_;
  uint8_t* q_ = nullptr;
  std::unique_ptr<Row[]> table_;
  size_t base_ = 0;
  size_t literal_ = 0;  // start of the literal run not yet emitted
  size_t dPrev_ = 0;    // distance of the last emitted match
  Match pending_;
};

}  // namespace

std::vector<uint8_t> lzvnEncode(Bytes src) {
  std::vector<uint8_t> out;
  Encoder(src, out).run();
  return out;
}

}  // namespace kextkit::compress
