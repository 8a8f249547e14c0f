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

  // Fast loop bounds, per flag group: the group's items start at most 7 * 18 output bytes
  // in, and each item copies 24 bytes (the surplus is overwritten by later items), so
  // kFastRoom output bytes; a literal copies its 24 bytes from the source, starting at most
  // 1 + 7 * 2 bytes into the group, so kFastIn source bytes.
  constexpr size_t kFastRoom = 7 * F + 24;
  constexpr size_t kFastIn = 1 + 7 * 2 + 24;

  while (o < size) {
    // Fast path: whole groups, no per-item bounds checks and no data-dependent branch for the
    // literal/match choice (mispredicting it would cost more than all the work). o >= N
    // means every match source o - d (d <= 4096) is already in the output, so the initial
    // ring never has to be consulted.
    if (o >= N && n - s >= kFastIn && size - o >= kFastRoom) {
      unsigned f = in[s++];
      for (int b = 0; b < 8; ++b, f >>= 1) {
        uint32_t b0 = in[s];
        uint32_t b1 = in[s + 1];
        // All-ones for a literal, zero for a match; selects with masks, not branches.
        uint32_t lit = 0u - (f & 1);
        uint32_t d = matchDistance(o, b0 | ((b1 & 0xf0) << 4));
        uint32_t len = (((b1 & 0x0f) + kMinMatch) & ~lit) | (1 & lit);
        uint8_t* dst = out + o;
        uintptr_t fromMatch = reinterpret_cast<uintptr_t>(dst - d);
        uintptr_t fromLit = reinterpret_cast<uintptr_t>(in + s);
        const uint8_t* from = reinterpret_cast<const uint8_t*>(
            fromMatch ^ ((fromMatch ^ fromLit) & static_cast<uintptr_t>(static_cast<int32_t>(lit))));
        if (__builtin_expect(((d - 8) >> 31) & ~lit, 0)) {
          // A match less than 8 bytes back repeats a short pattern: copy byte by byte.
          for (uint32_t k = 0; k < len; ++k) dst[k] = from[k];
        } else {
          // Each 8-byte word only reads bytes written before it, so overlap is fine.
          uint64_t w;
          std::memcpy(&w, from, 8);
          std::memcpy(dst, &w, 8);
          std::memcpy(&w, from + 8, 8);
          std::memcpy(dst + 8, &w, 8);
          std::memcpy(&w, from + 16, 8);
          std::memcpy(dst + 16, &w, 8);
        }
        o += len;
        s += 2 + lit;  // lit is -1 for a literal
      }
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
