// Apple/Okumura LZSS decoder (apple-formats.md §1.2). The encoder is in LzssEncoder.cpp.
#include "kextkit/compress/Lzss.h"

#include <cstring>
#include <string>

#include "kextkit/compress/LzssFormat.h"
#include "kextkit/support/Format.h"

namespace kextkit::compress {

namespace {

using namespace lzss;

std::string plural(uint64_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// How Apple's decoder (ring `text_buf`, write index r) maps onto a flat output buffer: the
// byte written at output index o lands in ring slot (4078 + o) & 4095, so a match naming ring
// slot `pos` while output index o is next copies from o - d, with
//   d = ((r - pos - 1) & 4095) + 1  in 1..4096,  r = (4078 + o) & 4095,
// byte by byte (overlapping copies repeat a pattern), d staying fixed for the whole match.
// When o - d < 0 the slot has not been written yet and still holds its initial value: ' ' for
// slots 0..4077 and (Apple: undefined, kextkit: 0) for 4078..4095. Slot (4078 + o - d) & 4095
// is below 4078 exactly when o - d >= -4078.
inline uint32_t matchDistance(uint64_t o, uint32_t pos) {
  uint32_t r = static_cast<uint32_t>((kInitialR + o) & (N - 1));
  return ((r - pos - 1) & (N - 1)) + 1;
}

// Most output one source byte can produce: a 2-byte match copies up to 18 bytes.
constexpr uint64_t kMaxExpansion = F / 2;

inline uint8_t initialRingByte(int64_t before) {  // before = o - d, in [-4096, -1]
  return before >= -static_cast<int64_t>(kInitialR) ? kInitialFill : 0;
}

// Fast loop bounds, per flag group: at most kMaxGroupBytes source bytes; the group's items
// start at most 7 * 18 output bytes in and each writes 24 bytes (the surplus is overwritten
// by later items), so kFastRoom output bytes.
constexpr size_t kFastRoom = 7 * F + 24;
constexpr size_t kFastIn = kMaxGroupBytes;

// Decodes whole flag groups while a group fits (n - s >= kFastIn, size - o >= kFastRoom)
// and o >= N, which means every match source o - d (d <= 4096) is already in the output,
// so the initial ring never has to be consulted. No per-item bounds checks, and no
// data-dependent branch for the literal/match choice (mispredicting it would cost more than
// all the work). A separate function with few live values, so that nothing is spilled.
[[gnu::noinline]] void fastGroups(const uint8_t* in, size_t n, uint8_t* out, size_t size,
                                  size_t& sRef, size_t& oRef) {
  size_t s = sRef;
  size_t o = oRef;
  while (n - s >= kFastIn && size - o >= kFastRoom) {
    unsigned f = in[s++];
    auto item = [&](unsigned bit) {
      uint32_t b0 = in[s];
      uint32_t b1 = in[s + 1];
      // lit: all-ones for a literal, zero for a match; selects with masks, not branches.
      uint32_t lit = 0u - bit;
      // The distance of ring slot pos from output index o (see matchDistance).
      uint32_t d = ((static_cast<uint32_t>(o) + (kInitialR - 1) - (b0 | ((b1 & 0xf0) << 4))) &
                    (N - 1)) + 1;
      uint32_t len = (((b1 & 0x0f) + kMinMatch) & ~lit) | bit;
      uint8_t* dst = out + o;
      const uint8_t* from = dst - d;  // for a literal, d is meaningless but from is in bounds
      if (__builtin_expect(((d - 8) >> 31) & ~lit, 0)) {
        // A match less than 8 bytes back repeats a short pattern: copy byte by byte.
        for (uint32_t k = 0; k < len; ++k) dst[k] = from[k];
      } else {
        // Copy 24 bytes; each 8-byte word only reads bytes written before it, so overlap is
        // fine. A literal then replaces the first byte (the rest is overwritten later).
        uint64_t w0;
        uint64_t w1;
        uint64_t w2;
        std::memcpy(&w0, from, 8);
        w0 ^= (w0 ^ b0) & (lit & 0xff);
        std::memcpy(dst, &w0, 8);
        std::memcpy(&w1, from + 8, 8);
        std::memcpy(dst + 8, &w1, 8);
        std::memcpy(&w2, from + 16, 8);
        std::memcpy(dst + 16, &w2, 8);
      }
      o += len;
      s += 2 - bit;
    };
    item(f & 1);
    item((f >> 1) & 1);
    item((f >> 2) & 1);
    item((f >> 3) & 1);
    item((f >> 4) & 1);
    item((f >> 5) & 1);
    item((f >> 6) & 1);
    item(f >> 7);
  }
  sRef = s;
  oRef = o;
}

Error excessError(Bytes src, size_t s, unsigned flags, unsigned bitsLeft, uint64_t expected) {
  // Output is complete but source bytes remain. If they form at least one more whole item,
  // the stream really produces more than `expected`; otherwise they are just trailing bytes.
  size_t item = s;
  if (bitsLeft == 0) {  // at a group boundary: the next byte would be a flag byte
    flags = src[s];
    item = s + 1;
  }
  size_t avail = src.size() - item;
  size_t need = (flags & 1) ? 1 : 2;
  if (avail >= need)
    return Error(ErrorCode::DstTooSmall,
                 "the stream continues after the expected " + plural(expected, "output byte"),
                 "lzss", item);
  return malformed(plural(src.size() - s, "byte") + " of trailing data after the expected " +
                       plural(expected, "output byte"),
                   "lzss", s);
}

}  // namespace

Expected<std::vector<uint8_t>> lzssDecode(Bytes src, uint64_t expectedSize, uint64_t maxSize) {
  if (expectedSize > maxSize)
    return Error(ErrorCode::LimitExceeded,
                 "expected size " + std::to_string(expectedSize) + " exceeds the limit " +
                     std::to_string(maxSize),
                 "lzss");
  // Every source byte yields at most 9 output bytes (a 2-byte match makes 18), so a larger
  // claim cannot be met: refuse it before allocating what the claim asks for.
  if (expectedSize > kMaxExpansion * src.size())
    return truncated("a stream of " + plural(src.size(), "byte") + " decodes to at most " +
                         std::to_string(kMaxExpansion * src.size()) + " (9 per input byte), " +
                         std::to_string(expectedSize) + " expected",
                     "lzss", src.size());
  std::vector<uint8_t> result(static_cast<size_t>(expectedSize));

  // Decoder state and its invariant: `s` indexes the next source byte and `o` the next output
  // byte, with s <= n and o <= size at all times. The careful path checks n - s before every
  // source read and size - o before every write. The fast path checks once per flag group
  // that n - s >= kFastIn and size - o >= kFastRoom, which bound everything the group can
  // read and write (see below). `flags`/`bitsLeft` are the unread bits of the current flag
  // group (bitsLeft == 0 at a group boundary).
  const uint8_t* in = src.data();
  const size_t n = src.size();
  uint8_t* out = result.data();
  const size_t size = result.size();
  size_t s = 0;
  size_t o = 0;
  unsigned flags = 0;
  unsigned bitsLeft = 0;

  while (o < size) {
    // Fast path (see fastGroups), once the output holds a full ring.
    if (o >= N && n - s >= kFastIn && size - o >= kFastRoom) {
      fastGroups(in, n, out, size, s, o);
      continue;
    }

    // Careful path: one group with every check (start of output, end of input or output).
    if (s == n)
      return truncated("the stream ends after " + std::to_string(o) + " of " +
                           plural(size, "output byte") + "; a flag byte was expected",
                       "lzss", s);
    size_t flagAt = s;
    flags = in[s++];
    for (bitsLeft = 8; bitsLeft > 0 && o < size; --bitsLeft, flags >>= 1) {
      if (s == n)
        return truncated("the stream ends after " + std::to_string(o) + " of " +
                             plural(size, "output byte") + "; the flag byte at " + hex(flagAt) +
                             " announces " + ((flags & 1) ? "a literal" : "a match"),
                         "lzss", s);
      if (flags & 1) {
        out[o++] = in[s++];
        continue;
      }
      if (n - s < 2)
        return truncated("the match at " + hex(s) + " is missing its second byte (after " +
                             std::to_string(o) + " of " + plural(size, "output byte") + ")",
                         "lzss", s + 1);
      uint32_t b0 = in[s];
      uint32_t b1 = in[s + 1];
      uint32_t pos = b0 | ((b1 & 0xf0) << 4);
      uint32_t len = (b1 & 0x0f) + kMinMatch;
      if (len > size - o)
        return Error(ErrorCode::DstTooSmall,
                     "a match of " + std::to_string(len) + " bytes at output offset " +
                         std::to_string(o) + " goes past the expected " +
                         plural(size, "output byte"),
                     "lzss", s);
      s += 2;
      uint32_t d = matchDistance(o, pos);
      for (uint32_t k = 0; k < len; ++k, ++o) {
        int64_t before = static_cast<int64_t>(o) - d;
        out[o] = before >= 0 ? out[before] : initialRingByte(before);
      }
    }
  }

  // Output complete. The encoder writes nothing after the last item (only unused flag bits
  // pad the last group), so any source byte left over is an error, unlike Apple's decoder,
  // which silently stops when the destination is full.
  if (s < n) return excessError(src, s, flags, bitsLeft, size);
  return result;
}

}  // namespace kextkit::compress
