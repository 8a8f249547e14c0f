// The LZSS encoder algorithm Apple ships (Okumura's binary-tree match finder, as used by
// kext_tools compression.c; apple-formats.md §1.2), written here only as a yardstick: the
// codecs benchmark prints its ratio and speed next to kextkit's encoder on the same input, so
// "our ratio is no worse than Apple's" is a measurement rather than a claim about a
// different file. Not used by the library.
//
// Each ring position is a node of a binary search tree keyed by the F bytes that start
// there; inserting the position at r walks the tree from the root for its first byte and
// keeps the longest match seen on the way (the first one found on ties). Deleting the node
// of the position about to be overwritten keeps the tree to the last N - F positions.
#include "ReferenceLzss.h"

#include <array>
#include <memory>

#include "kextkit/compress/LzssFormat.h"

namespace kextkit::bench {

namespace {

using namespace compress::lzss;

constexpr uint32_t kNil = N;  // "no node"; roots live at N + 1 + byte

class TreeEncoder {
 public:
  std::vector<uint8_t> encode(std::span<const uint8_t> in) {
    std::vector<uint8_t> out;
    out.reserve(in.size() / 2 + 64);
    ring_.fill(0);
    for (uint32_t i = 0; i < N - F; ++i) ring_[i] = kInitialFill;
    for (uint32_t i = N + 1; i <= N + 256; ++i) right_[i] = kNil;
    for (uint32_t i = 0; i < N; ++i) parent_[i] = kNil;

    size_t next = 0;  // next input byte to load into the ring
    uint32_t r = N - F, s = 0, len = 0;
    while (len < F && next < in.size()) ring_[r + len++] = in[next++];
    if (len == 0) return out;
    for (uint32_t i = 1; i <= F; ++i) insert(r - i);
    insert(r);

    std::array<uint8_t, kMaxGroupBytes> group{};
    uint32_t used = 1;
    uint8_t mask = 1;
    do {
      if (matchLength_ > len) matchLength_ = len;
      if (matchLength_ <= THRESHOLD) {
        matchLength_ = 1;
        group[0] |= mask;
        group[used++] = ring_[r];
      } else {
        group[used++] = static_cast<uint8_t>(matchPosition_);
        group[used++] = static_cast<uint8_t>(((matchPosition_ >> 4) & 0xF0) |
                                             (matchLength_ - kMinMatch));
      }
      mask = static_cast<uint8_t>(mask << 1);
      if (mask == 0) {
        out.insert(out.end(), group.begin(), group.begin() + used);
        group[0] = 0;
        used = 1;
        mask = 1;
      }
      uint32_t last = matchLength_, i = 0;
      for (; i < last && next < in.size(); ++i) {
        uint8_t c = in[next++];
        remove(s);
        ring_[s] = c;
        if (s < F - 1) ring_[s + N] = c;  // mirror so that reads at r + k need no wrap
        s = (s + 1) & (N - 1);
        r = (r + 1) & (N - 1);
        insert(r);
      }
      for (; i < last; ++i) {
        remove(s);
        s = (s + 1) & (N - 1);
        r = (r + 1) & (N - 1);
        if (--len != 0) insert(r);
      }
    } while (len > 0);
    if (used > 1) out.insert(out.end(), group.begin(), group.begin() + used);
    return out;
  }

 private:
  void insert(uint32_t r) {
    const uint8_t* key = &ring_[r];
    uint32_t p = N + 1 + key[0];
    int cmp = 1;
    left_[r] = right_[r] = kNil;
    matchLength_ = 0;
    for (;;) {
      uint32_t& child = cmp >= 0 ? right_[p] : left_[p];
      if (child == kNil) {
        child = r;
        parent_[r] = p;
        return;
      }
      p = child;
      uint32_t i = 1;
      for (; i < F; ++i) {
        cmp = key[i] - ring_[p + i];
        if (cmp != 0) break;
      }
      if (i > matchLength_) {
        matchPosition_ = p;
        matchLength_ = i;
        if (i >= F) break;
      }
    }
    // Full-length match: r replaces p in the tree.
    parent_[r] = parent_[p];
    left_[r] = left_[p];
    right_[r] = right_[p];
    parent_[left_[p]] = r;
    parent_[right_[p]] = r;
    if (right_[parent_[p]] == p) right_[parent_[p]] = r;
    else left_[parent_[p]] = r;
    parent_[p] = kNil;
  }

  void remove(uint32_t p) {
    if (parent_[p] == kNil) return;
    uint32_t q;
    if (right_[p] == kNil) {
      q = left_[p];
    } else if (left_[p] == kNil) {
      q = right_[p];
    } else {
      q = left_[p];
      if (right_[q] != kNil) {
        while (right_[q] != kNil) q = right_[q];
        right_[parent_[q]] = left_[q];
        parent_[left_[q]] = parent_[q];
        left_[q] = left_[p];
        parent_[left_[p]] = q;
      }
      right_[q] = right_[p];
      parent_[right_[p]] = q;
    }
    parent_[q] = parent_[p];
    if (right_[parent_[p]] == p) right_[parent_[p]] = q;
    else left_[parent_[p]] = q;
    parent_[p] = kNil;
  }

  std::array<uint8_t, N + F - 1> ring_{};
  std::array<uint32_t, N + 1> left_{};
  std::array<uint32_t, N + 257> right_{};
  std::array<uint32_t, N + 1> parent_{};
  uint32_t matchPosition_ = 0;
  uint32_t matchLength_ = 0;
};

}  // namespace

std::vector<uint8_t> referenceLzssEncode(std::span<const uint8_t> input) {
  auto encoder = std::make_unique<TreeEncoder>();
  return encoder->encode(input);
}

}  // namespace kextkit::bench
