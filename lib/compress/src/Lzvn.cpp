// LZVN decoder (apple-containers.md §1.4-§1.6): one-shot lzvnDecode and lzvnDecodeInto.
#include "kextkit/compress/Lzvn.h"

#include <array>
#include <cstring>
#include <string>

#include "kextkit/compress/LzvnFormat.h"
#include "kextkit/support/Format.h"

namespace kextkit::compress {

namespace {

using lzvn::OpClass;

constexpr std::array<OpClass, 256> kClassOf = [] {
  std::array<OpClass, 256> t{};
  for (int i = 0; i < 256; ++i) t[i] = lzvn::classify(static_cast<uint8_t>(i));
  return t;
}();

// Branch-free description of each first byte for the fast path. With w = the two bytes after
// the opcode (LE16): M = len + (w & lenMask),
// D = (distHigh | (w & distMask) >> distShift) | (D_prev & prevMask). Opcodes that use D_prev
// have no distance bits; literal-only opcodes take D = D_prev with M = 0, so "D_prev = D" after
// every instruction leaves D_prev unchanged for them. lrg_l (L = 16 + byte 1) is the one
// opcode whose L is not in the table.
struct FastOp {
  uint8_t opLen;      // opcode bytes; 0 for eos, nop and udef (handled by the careful loop)
  uint8_t srcAdv;     // opLen + lit: source bytes the instruction takes (lrg_l: + byte 1)
  uint8_t lit;        // L (lrg_l: its bias 16)
  uint8_t len;        // M, or its bias (med_d, lrg_m)
  uint8_t lenMask;    // med_d: M += w & 3; lrg_m: M += byte 1
  uint8_t distShift;  // med_d: D = w >> 2
  uint16_t distMask;  // bits of w that hold D
  uint32_t distHigh;  // sml_d: the 3 distance bits of the first byte, << 8
  uint32_t prevMask;  // all ones: D = D_prev (pre_d, sml_m, lrg_m, literal-only)
};

constexpr FastOp fastOp(uint8_t opLen, uint8_t lit, uint8_t len, uint8_t lenMask, uint8_t distShift,
                        uint16_t distMask, uint32_t distHigh, uint32_t prevMask) {
  return {opLen, uint8_t(opLen + lit), lit, len, lenMask, distShift, distMask, distHigh, prevMask};
}

constexpr std::array<FastOp, 256> kFastOp = [] {
  std::array<FastOp, 256> t{};
  for (int i = 0; i < 256; ++i) {
    const uint8_t b = static_cast<uint8_t>(i);
    const uint8_t ll = b >> 6, mmm = ((b >> 3) & 7) + 3;
    switch (lzvn::classify(b)) {
      case OpClass::sml_d: t[i] = fastOp(2, ll, mmm, 0, 0, 0xff, uint32_t(b & 7) << 8, 0); break;
      case OpClass::med_d:
        t[i] = fastOp(3, (b >> 3) & 3, uint8_t(((b & 7) << 2) + 3), 3, 2, 0xffff, 0, 0);
        break;
      case OpClass::lrg_d: t[i] = fastOp(3, ll, mmm, 0, 0, 0xffff, 0, 0); break;
      case OpClass::pre_d: t[i] = fastOp(1, ll, mmm, 0, 0, 0, 0, ~0u); break;
      case OpClass::sml_l: t[i] = fastOp(1, b & 15, 0, 0, 0, 0, 0, ~0u); break;
      case OpClass::lrg_l: t[i] = fastOp(2, 16, 0, 0, 0, 0, 0, ~0u); break;
      case OpClass::sml_m: t[i] = fastOp(1, 0, b & 15, 0, 0, 0, 0, ~0u); break;
      case OpClass::lrg_m: t[i] = fastOp(2, 0, 16, 0xff, 0, 0, 0, ~0u); break;
      case OpClass::eos:
      case OpClass::nop:
      case OpClass::udef: t[i] = FastOp{}; break;
    }
  }
  return t;
}();

// FastOp::srcAdv by itself: the loop's critical path is s -> first byte -> advance -> s, and
// a byte array indexed by the first byte is one load away.
constexpr std::array<uint8_t, 256> kSrcAdv = [] {
  std::array<uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[i] = kFastOp[i].srcAdv;
  return t;
}();

// When at least kMargin bytes of source and of output remain before an instruction, that
// instruction cannot run out of either (the largest one reads 2 + 271 source bytes, or writes
// 271 output bytes), so it is decoded with wide copies that may write up to 15 bytes past its
// logical end (later instructions overwrite them) and read up to 15 past its literal. Closer to
// either end every length is checked and copies go byte by byte.
constexpr size_t kMargin = 320;

inline void copy16(uint8_t* d, const uint8_t* s) { std::memcpy(d, s, 16); }
inline void copy8(uint8_t* d, const uint8_t* s) { std::memcpy(d, s, 8); }

std::string opcodeText(uint8_t op) {
  std::string h = hex(op);
  if (h.size() == 3) h.insert(2, "0");  // "0x6" -> "0x06"
  return "opcode " + h;
}

std::string bytesText(uint64_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

std::string fieldOf(uint8_t op) { return "lzvn " + std::string(lzvn::className(kClassOf[op])); }

[[gnu::cold, gnu::noinline]] Error undefinedOpcode(uint8_t op, uint64_t at) {
  return malformed("undefined " + opcodeText(op), "lzvn opcode", at);
}

[[gnu::cold, gnu::noinline]] Error truncatedOpcode(uint8_t op, size_t need, size_t have, uint64_t at) {
  return truncated(opcodeText(op) + " needs " + bytesText(need) + ", found " + std::to_string(have),
                   fieldOf(op), at);
}

[[gnu::cold, gnu::noinline]] Error truncatedLiteral(uint8_t op, size_t literal, size_t have, uint64_t at) {
  return truncated(opcodeText(op) + " needs " + std::to_string(literal) + " literal " +
                       (literal == 1 ? "byte" : "bytes") + ", found " + std::to_string(have),
                   fieldOf(op), at);
}

[[gnu::cold, gnu::noinline]] Error outputFull(uint8_t op, bool literal, size_t n, size_t outPos,
                                              size_t outSize, uint64_t at) {
  return Error(ErrorCode::DstTooSmall,
               opcodeText(op) + ": a " + (literal ? "literal" : "match") + " of " + bytesText(n) +
                   " at output offset " + std::to_string(outPos) + " exceeds the " +
                   std::to_string(outSize) + "-byte output",
               fieldOf(op), at);
}

[[gnu::cold, gnu::noinline]] Error badDistance(uint8_t op, size_t distance, size_t produced, uint64_t at) {
  OpClass c = kClassOf[op];
  bool previous = c == OpClass::pre_d || c == OpClass::sml_m || c == OpClass::lrg_m;
  if (distance == 0)
    return malformed(opcodeText(op) + " uses match distance 0" +
                         (previous ? " (no previous distance yet)" : ""),
                     fieldOf(op), at);
  return malformed(opcodeText(op) + ": match distance " + std::to_string(distance) +
                       " reaches before the start of the output (" + bytesText(produced) +
                       " produced)",
                   fieldOf(op), at);
}

}  // namespace

Expected<LzvnDecoded> lzvnDecodeInto(std::span<uint8_t> dst, size_t dstPos, Bytes src, uint64_t srcBase) {
  if (dstPos > dst.size())
    return Error(ErrorCode::InvalidArgument,
                 "output position " + std::to_string(dstPos) + " is past the " +
                     std::to_string(dst.size()) + "-byte output",
                 "lzvn");

  // Decoder state and its invariant: srcBegin <= s <= srcEnd and dstBegin <= d <= dstEnd hold
  // at the top of every instruction. Before n bytes are read at s (or written at d) the
  // decoder has checked n <= srcEnd - s (n <= dstEnd - d), either directly or, on the fast
  // path, through the kMargin bound on both remainders; a match source d - D is used only after
  // checking 1 <= D <= d - dstBegin. dPrev is the last distance that passed that check (0 at
  // the start of the stream), so it always lies within the output as well.
  uint8_t* const dstBegin = dst.data();
  uint8_t* const dstStart = dstBegin + dstPos;
  uint8_t* const dstEnd = dstBegin + dst.size();
  const uint8_t* const srcBegin = src.data();
  const uint8_t* const srcEnd = srcBegin + src.size();
  const uint8_t* s = srcBegin;
  uint8_t* d = dstStart;
  size_t dPrev = 0;

  // Fast loop (see kMargin): one table lookup per instruction, no length checks.
  while (static_cast<size_t>(srcEnd - s) >= kMargin && static_cast<size_t>(dstEnd - d) >= kMargin) {
    const uint8_t op = s[0];
    const FastOp& f = kFastOp[op];
    if (f.opLen == 0) [[unlikely]] {
      if (kClassOf[op] != OpClass::nop) break;  // eos and udef: the careful loop reports them
      ++s;
      continue;
    }
    const size_t w = s[1] | static_cast<size_t>(s[2]) << 8;
    const uint8_t* const opStart = s;
    const uint8_t* const literal = s + f.opLen;
    // The next instruction's position depends only on the table (a short dependency chain:
    // it bounds the loop's speed); lrg_l adds its length byte.
    s += kSrcAdv[op];
    size_t L = f.lit;
    if (op == lzvn::kSmlLBase) [[unlikely]] {
      L += w & 0xff;
      s += w & 0xff;
    }
    const size_t M = f.len + (w & f.lenMask);
    const size_t D = (f.distHigh | (w & f.distMask) >> f.distShift) | (dPrev & f.prevMask);
    copy16(d, literal);
    if (L > 16) [[unlikely]]
      for (size_t i = 16; i < L; i += 16) copy16(d + i, literal + i);
    d += L;
    // Literal-only opcodes (M == 0) fall through the copy below harmlessly (it writes only
    // inside the margin, past the logical end), which saves a hard-to-predict branch; only a
    // stream that starts with literals has no distance to copy from yet.
    if (D - 1 >= static_cast<size_t>(d - dstBegin)) [[unlikely]] {  // D == 0 wraps around
      if (M != 0)
        return badDistance(op, D, static_cast<size_t>(d - dstBegin), srcBase + (opStart - srcBegin));
    } else if (D >= 16) [[likely]] {
      // Each 16-byte block reads only bytes written before it, so this equals the
      // byte-by-byte forward copy.
      const uint8_t* from = d - D;
      copy16(d, from);
      if (M > 16) [[unlikely]]
        for (size_t i = 16; i < M; i += 16) copy16(d + i, from + i);
    } else {
      const uint8_t* from = d - D;
      if (D >= 8) {
        for (size_t i = 0; i < M; i += 8) copy8(d + i, from + i);
      } else if (D == 1) {
        std::memset(d, d[-1], M);
      } else {
        for (size_t i = 0; i < M; ++i) d[i] = from[i];
      }
    }
    d += M;
    dPrev = D;
  }

  // Careful loop: every length checked, byte-wise copies; also reports eos and udef.
  for (;;) {
    const size_t srcLeft = static_cast<size_t>(srcEnd - s);
    const size_t dstLeft = static_cast<size_t>(dstEnd - d);
    if (srcLeft == 0)
      return truncated("stream ends after " + bytesText(static_cast<size_t>(d - dstStart)) +
                           " of output without the end-of-stream opcode",
                       "lzvn eos", srcBase + src.size());
    const uint8_t op = s[0];
    size_t opLen = 1, L = 0, M = 0, D = dPrev;
    switch (kClassOf[op]) {
      case OpClass::sml_d:
        opLen = 2;
        if (opLen > srcLeft) return truncatedOpcode(op, opLen, srcLeft, srcBase + (s - srcBegin));
        L = op >> 6;
        M = ((op >> 3) & 7) + 3;
        D = (static_cast<size_t>(op & 7) << 8) | s[1];
        break;
      case OpClass::med_d: {
        opLen = 3;
        if (opLen > srcLeft) return truncatedOpcode(op, opLen, srcLeft, srcBase + (s - srcBegin));
        const size_t w = s[1] | static_cast<size_t>(s[2]) << 8;
        L = (op >> 3) & 3;
        M = ((static_cast<size_t>(op & 7) << 2) | (w & 3)) + 3;
        D = w >> 2;
        break;
      }
      case OpClass::lrg_d:
        opLen = 3;
        if (opLen > srcLeft) return truncatedOpcode(op, opLen, srcLeft, srcBase + (s - srcBegin));
        L = op >> 6;
        M = ((op >> 3) & 7) + 3;
        D = s[1] | static_cast<size_t>(s[2]) << 8;
        break;
      case OpClass::pre_d:
        L = op >> 6;
        M = ((op >> 3) & 7) + 3;
        break;
      case OpClass::sml_l:
        L = op & 15;
        break;
      case OpClass::lrg_l:
        opLen = 2;
        if (opLen > srcLeft) return truncatedOpcode(op, opLen, srcLeft, srcBase + (s - srcBegin));
        L = static_cast<size_t>(s[1]) + 16;
        break;
      case OpClass::sml_m:
        M = op & 15;
        break;
      case OpClass::lrg_m:
        opLen = 2;
        if (opLen > srcLeft) return truncatedOpcode(op, opLen, srcLeft, srcBase + (s - srcBegin));
        M = static_cast<size_t>(s[1]) + 16;
        break;
      case OpClass::nop:
        ++s;
        continue;
      case OpClass::eos:
        if (lzvn::kEosSize > srcLeft)
          return truncatedOpcode(op, lzvn::kEosSize, srcLeft, srcBase + (s - srcBegin));
        // Apple's decoder ignores the 7 bytes after 0x06; so do we (writers emit zeros).
        s += lzvn::kEosSize;
        return LzvnDecoded{static_cast<size_t>(d - dstStart), static_cast<size_t>(s - srcBegin)};
      case OpClass::udef:
        return undefinedOpcode(op, srcBase + (s - srcBegin));
    }

    const uint8_t* const opStart = s;
    s += opLen;
    if (L != 0) {
      if (L > srcLeft - opLen)
        return truncatedLiteral(op, L, srcLeft - opLen, srcBase + (opStart - srcBegin));
      if (L > dstLeft)
        return outputFull(op, true, L, static_cast<size_t>(d - dstBegin), dst.size(),
                          srcBase + (opStart - srcBegin));
      for (size_t i = 0; i < L; ++i) d[i] = s[i];
      d += L;
      s += L;
    }
    if (M == 0) continue;
    if (D == 0 || D > static_cast<size_t>(d - dstBegin))
      return badDistance(op, D, static_cast<size_t>(d - dstBegin), srcBase + (opStart - srcBegin));
    dPrev = D;
    if (M > static_cast<size_t>(dstEnd - d))
      return outputFull(op, false, M, static_cast<size_t>(d - dstBegin), dst.size(),
                        srcBase + (opStart - srcBegin));
    const uint8_t* from = d - D;
    for (size_t i = 0; i < M; ++i) d[i] = from[i];
    d += M;
  }
}

Expected<std::vector<uint8_t>> lzvnDecode(Bytes src, uint64_t expectedSize, uint64_t maxSize) {
  if (expectedSize > maxSize)
    return Error(ErrorCode::LimitExceeded,
                 "expected size " + std::to_string(expectedSize) + " exceeds the limit of " +
                     std::to_string(maxSize) + " bytes",
                 "lzvn");
  if (expectedSize > lzvnMaxDecodedSize(src.size()))
    return truncated("a stream of " + bytesText(src.size()) + " decodes to at most " +
                         bytesText(lzvnMaxDecodedSize(src.size())) + ", expected " +
                         std::to_string(expectedSize),
                     "lzvn");
  std::vector<uint8_t> out(static_cast<size_t>(expectedSize));
  KK_ASSIGN(LzvnDecoded r, lzvnDecodeInto(out, 0, src));
  if (r.dstWritten != expectedSize)
    return truncated("stream ended after " + bytesText(r.dstWritten) + ", expected " +
                         std::to_string(expectedSize),
                     "lzvn eos", r.srcConsumed - lzvn::kEosSize);
  return out;
}

}  // namespace kextkit::compress
