// LZVN opcode classes and field limits, named as in Apple's lzvn_decode_base.c jump table
// (apple-containers.md §1.2-§1.3).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace kextkit::compress::lzvn {

/// Opcode classes, by the first byte of an instruction (LL = literal count, MMM = match
/// length field, D = distance bits; MSB first).
enum class OpClass : uint8_t {
  sml_d,  ///< LL MMM DDD (DDD 0..5) + 1 byte: L 0..3, M 3..10, D 0..1535
  med_d,  ///< 101 LL MMM + LE16: L 0..3, M 3..34, D 0..16383
  lrg_d,  ///< LL MMM 111 + LE16: L 0..3, M 3..10, D 0..65535
  pre_d,  ///< LL MMM 110 (LL != 0): L 1..3, M 3..10, D = previous distance
  sml_l,  ///< 1110 LLLL (LLLL != 0): L 1..15
  lrg_l,  ///< 1110 0000 + n: L = n + 16 (16..271)
  sml_m,  ///< 1111 MMMM (MMMM != 0): M 1..15 at the previous distance
  lrg_m,  ///< 1111 0000 + n: M = n + 16 (16..271) at the previous distance
  eos,    ///< 0x06 + 7 bytes: end of stream
  nop,    ///< 0x0e, 0x16: no operation
  udef,   ///< 0x1e 0x26 0x2e 0x36 0x3e 0x70-0x7f 0xd0-0xdf: undefined
};

/// The class of an instruction's first byte.
constexpr OpClass classify(uint8_t b) {
  if (b == 0x06) return OpClass::eos;
  if (b == 0x0e || b == 0x16) return OpClass::nop;
  if (b >= 0xf0) return b == 0xf0 ? OpClass::lrg_m : OpClass::sml_m;
  if (b >= 0xe0) return b == 0xe0 ? OpClass::lrg_l : OpClass::sml_l;
  if (b >= 0xd0) return OpClass::udef;
  if (b >= 0xa0 && b <= 0xbf) return OpClass::med_d;
  if (b >= 0x70 && b <= 0x7f) return OpClass::udef;
  switch (b & 7) {
    case 7: return OpClass::lrg_d;
    case 6: return (b >> 6) == 0 ? OpClass::udef : OpClass::pre_d;
    default: return OpClass::sml_d;
  }
}

/// Apple's label for a class ("sml_d", ...), used in error fields.
constexpr std::string_view className(OpClass c) {
  constexpr std::array<std::string_view, 11> kNames = {
      "sml_d", "med_d", "lrg_d", "pre_d", "sml_l", "lrg_l", "sml_m", "lrg_m", "eos", "nop", "udef"};
  return kNames[static_cast<uint8_t>(c)];
}

constexpr uint8_t kEosOpcode = 0x06;     ///< first byte of the 8-byte end-of-stream instruction
constexpr uint32_t kEosSize = 8;         ///< bytes 06 00 00 00 00 00 00 00 (LE64 value 6)
constexpr uint8_t kNopOpcode = 0x0e;     ///< one of the two nop bytes (the other is 0x16)
constexpr uint8_t kSmlLBase = 0xe0;      ///< sml_l = 0xe0 | L, lrg_l = 0xe0 then L - 16
constexpr uint8_t kSmlMBase = 0xf0;      ///< sml_m = 0xf0 | M, lrg_m = 0xf0 then M - 16
constexpr uint8_t kMedDBase = 0xa0;      ///< med_d = 0xa0 | L << 3 | (M - 3) >> 2

constexpr uint32_t kMaxSmlDDistance = 1535;   ///< sml_d: 3 distance bits (0..5) + 1 byte
constexpr uint32_t kMaxMedDDistance = 16383;  ///< med_d: 14 distance bits
constexpr uint32_t kMaxLrgDDistance = 65535;  ///< lrg_d: 16 distance bits
constexpr uint32_t kMaxMedDMatch = 34;        ///< med_d: 5 match bits + 3
constexpr uint32_t kMaxSmlLLiteral = 15;      ///< sml_l: 4 bits
constexpr uint32_t kMaxLrgLLiteral = 271;     ///< lrg_l: 1 byte + 16
constexpr uint32_t kMaxSmlMMatch = 15;        ///< sml_m: 4 bits, no bias
constexpr uint32_t kMaxLrgMMatch = 271;       ///< lrg_m: 1 byte + 16

}  // namespace kextkit::compress::lzvn
