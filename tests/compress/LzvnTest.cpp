// LZVN codec tests: hand-built streams for every opcode class, a differential check against
// a byte-by-byte model decoder, round trips, and every decoder diagnostic with its exact text.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "TestPaths.h"
#include "kextkit/compress/Codec.h"
#include "kextkit/compress/Lzvn.h"
#include "kextkit/compress/LzvnFormat.h"

using namespace kextkit;
using namespace kextkit::compress;
using Buf = std::vector<uint8_t>;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

const Buf kEos = {0x06, 0, 0, 0, 0, 0, 0, 0};

Buf cat(std::initializer_list<Buf> parts) {
  Buf out;
  for (const Buf& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Buf text(const std::string& s) { return Buf(s.begin(), s.end()); }

Buf repeat(const std::string& s, size_t times) {
  Buf out;
  for (size_t i = 0; i < times; ++i) out.insert(out.end(), s.begin(), s.end());
  return out;
}

// A literal-only stream for n bytes of `data` (lrg_l pieces, then sml_l).
Buf literalOps(const Buf& data) {
  Buf out;
  size_t p = 0;
  while (p < data.size()) {
    size_t n = std::min<size_t>(data.size() - p, 271);
    if (n >= 16) {
      out.push_back(0xe0);
      out.push_back(static_cast<uint8_t>(n - 16));
    } else {
      out.push_back(static_cast<uint8_t>(0xe0 | n));
    }
    out.insert(out.end(), data.begin() + p, data.begin() + p + n);
    p += n;
  }
  return out;
}

std::string describeDecode(const Buf& stream, uint64_t expected, uint64_t maxSize = kDefaultMaxDecodedSize) {
  auto r = lzvnDecode(stream, expected, maxSize);
  REQUIRE_FALSE(r.ok());
  return r.error().describe();
}

Buf decodeOk(const Buf& stream, uint64_t expected) {
  auto r = lzvnDecode(stream, expected);
  if (!r) FAIL(r.error().describe());
  return *r;
}

// The model decoder: apple-containers.md §1.4 read literally, one byte at a time, with no
// fast path. nullopt on any error.
std::optional<Buf> modelDecode(const Buf& s) {
  Buf out;
  size_t i = 0, dPrev = 0;
  for (;;) {
    if (i >= s.size()) return std::nullopt;
    const uint8_t op = s[i];
    const auto c = lzvn::classify(op);
    size_t len = 1, L = 0, M = 0, D = dPrev;
    auto need = [&](size_t n) { return i + n <= s.size(); };
    switch (c) {
      case lzvn::OpClass::sml_d:
        if (!need(2)) return std::nullopt;
        len = 2, L = op >> 6, M = ((op >> 3) & 7) + 3, D = ((op & 7u) << 8) | s[i + 1];
        break;
      case lzvn::OpClass::med_d: {
        if (!need(3)) return std::nullopt;
        size_t w = s[i + 1] | s[i + 2] << 8;
        len = 3, L = (op >> 3) & 3, M = (((op & 7u) << 2) | (w & 3)) + 3, D = w >> 2;
        break;
      }
      case lzvn::OpClass::lrg_d:
        if (!need(3)) return std::nullopt;
        len = 3, L = op >> 6, M = ((op >> 3) & 7) + 3, D = s[i + 1] | s[i + 2] << 8;
        break;
      case lzvn::OpClass::pre_d: L = op >> 6, M = ((op >> 3) & 7) + 3; break;
      case lzvn::OpClass::sml_l: L = op & 15; break;
      case lzvn::OpClass::lrg_l:
        if (!need(2)) return std::nullopt;
        len = 2, L = s[i + 1] + 16u;
        break;
      case lzvn::OpClass::sml_m: M = op & 15; break;
      case lzvn::OpClass::lrg_m:
        if (!need(2)) return std::nullopt;
        len = 2, M = s[i + 1] + 16u;
        break;
      case lzvn::OpClass::nop: ++i; continue;
      case lzvn::OpClass::eos: return need(8) ? std::optional<Buf>(out) : std::nullopt;
      case lzvn::OpClass::udef: return std::nullopt;
    }
    i += len;
    if (!need(L)) return std::nullopt;
    out.insert(out.end(), s.begin() + i, s.begin() + i + L);
    i += L;
    if (M == 0) continue;
    if (D == 0 || D > out.size()) return std::nullopt;
    for (size_t k = 0; k < M; ++k) out.push_back(out[out.size() - D]);
    dPrev = D;
  }
}

// Random valid streams that use every opcode class, with distances from 1 (overlapping
// copies) to 65535, so both the fast and the careful decode loops see each of them.
Buf randomStream(uint64_t seed, size_t instructions) {
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  auto rnd = [&](uint32_t n) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return static_cast<uint32_t>((x >> 11) % n);
  };
  Buf s;
  size_t produced = 0, dPrev = 0;
  auto lits = [&](size_t n) {
    for (size_t k = 0; k < n; ++k) s.push_back(static_cast<uint8_t>(rnd(256)));
    produced += n;
  };
  auto pickD = [&](size_t maxD) -> size_t {
    size_t lim = std::min(maxD, produced);
    switch (rnd(3)) {
      case 0: return 1 + rnd(static_cast<uint32_t>(std::min<size_t>(lim, 8)));
      case 1: return 1 + rnd(static_cast<uint32_t>(std::min<size_t>(lim, 40)));
      default: return 1 + rnd(static_cast<uint32_t>(lim));
    }
  };
  s = {0xe0, 4};  // lrg_l, L = 20: history for the first matches
  lits(20);
  for (size_t n = 0; n < instructions; ++n) {
    uint32_t kind = rnd(10);
    if (dPrev == 0 && (kind == 3 || (kind >= 6 && kind <= 8))) kind = 2;  // no previous distance yet
    switch (kind) {
      case 0: {  // sml_d
        size_t L = rnd(4), M = 3 + rnd(static_cast<uint32_t>(8 - 2 * L));
        size_t D = 0;
        s.push_back(0);  // patched below, after the literal count is known
        size_t at = s.size() - 1;
        s.push_back(0);
        lits(L);
        D = pickD(1535);
        s[at] = static_cast<uint8_t>(L << 6 | (M - 3) << 3 | D >> 8);
        s[at + 1] = static_cast<uint8_t>(D);
        produced += M, dPrev = D;
        break;
      }
      case 1: {  // med_d
        size_t L = rnd(4), M = 3 + rnd(32);
        size_t at = s.size();
        s.insert(s.end(), {0, 0, 0});
        lits(L);
        size_t D = pickD(16383);
        size_t w = D << 2 | ((M - 3) & 3);
        s[at] = static_cast<uint8_t>(0xa0 | L << 3 | (M - 3) >> 2);
        s[at + 1] = static_cast<uint8_t>(w), s[at + 2] = static_cast<uint8_t>(w >> 8);
        produced += M, dPrev = D;
        break;
      }
      case 2: {  // lrg_d
        size_t L = rnd(4), M = 3 + rnd(static_cast<uint32_t>(8 - 2 * L));
        size_t at = s.size();
        s.insert(s.end(), {0, 0, 0});
        lits(L);
        size_t D = pickD(65535);
        s[at] = static_cast<uint8_t>(L << 6 | (M - 3) << 3 | 7);
        s[at + 1] = static_cast<uint8_t>(D), s[at + 2] = static_cast<uint8_t>(D >> 8);
        produced += M, dPrev = D;
        break;
      }
      case 3: {  // pre_d
        size_t L = 1 + rnd(3), M = 3 + rnd(static_cast<uint32_t>(8 - 2 * L));
        s.push_back(static_cast<uint8_t>(L << 6 | (M - 3) << 3 | 6));
        lits(L);
        produced += M;
        break;
      }
      case 4:  // sml_l
      {
        size_t L = 1 + rnd(15);
        s.push_back(static_cast<uint8_t>(0xe0 | L));
        lits(L);
        break;
      }
      case 5: {  // lrg_l
        size_t L = 16 + rnd(256);
        s.push_back(0xe0), s.push_back(static_cast<uint8_t>(L - 16));
        lits(L);
        break;
      }
      case 6: case 7: {  // sml_m
        size_t M = 1 + rnd(15);
        s.push_back(static_cast<uint8_t>(0xf0 | M));
        produced += M;
        break;
      }
      case 8: {  // lrg_m
        size_t M = 16 + rnd(256);
        s.push_back(0xf0), s.push_back(static_cast<uint8_t>(M - 16));
        produced += M;
        break;
      }
      default:  // nop
        s.push_back(rnd(2) ? 0x0e : 0x16);
        break;
    }
  }
  s.insert(s.end(), kEos.begin(), kEos.end());
  return s;
}

// Compressible data that looks like code: random bytes mixed with copies from 1 to 70000
// bytes back (some beyond LZVN's reach).
Buf binaryLike(size_t n, uint64_t seed) {
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 7;
  auto next = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x >> 16;
  };
  Buf out;
  out.reserve(n);
  while (out.size() < n) {
    const uint64_t k = next();
    if (out.size() > 16 && (k & 3) != 0) {
      const size_t span = (k & 0x80) ? 70000 : (k & 0x40) ? 1500 : 40;
      const size_t d = 1 + next() % std::min(span, out.size());
      const size_t len = 3 + next() % 20;
      for (size_t i = 0; i < len && out.size() < n; ++i) out.push_back(out[out.size() - d]);
    } else {
      for (int i = 0; i < 4 && out.size() < n; ++i) out.push_back(static_cast<uint8_t>(next()));
    }
  }
  return out;
}

Buf textLike(size_t n) {
  static const char* words[] = {"kernel", "extension", "IOKit", "personality", "bundle", "the ",
                                "CFBundleIdentifier", "com.apple.", "\n", "<key>", "</key>", " "};
  Buf out;
  uint64_t x = 12345;
  while (out.size() < n) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const char* w = words[x % 12];
    for (const char* c = w; *c && out.size() < n; ++c) out.push_back(static_cast<uint8_t>(*c));
  }
  return out;
}

void roundTrip(const Buf& data) {
  Buf enc = lzvnEncode(data);
  REQUIRE(enc.size() >= 8);
  REQUIRE(Buf(enc.end() - 8, enc.end()) == kEos);
  REQUIRE(enc.size() <= data.size() + data.size() / 4 + 16);
  auto dec = lzvnDecode(enc, data.size());
  if (!dec) FAIL(dec.error().describe());
  REQUIRE(dec->size() == data.size());
  REQUIRE(*dec == data);
}

}  // namespace

TEST_CASE("lzvn: every opcode class decodes to the bytes the spec gives", "[lzvn]") {
  struct Case {
    const char* name;
    Buf stream;  // without the end-of-stream opcode
    Buf expected;
  };
  const Buf b300 = testkit::randomBytes(300, 7);
  const Buf b5000 = testkit::randomBytes(5000, 8);
  const Buf b20000 = testkit::randomBytes(20000, 9);
  const std::vector<Case> cases = {
      {"sml_l", {0xe3, 'a', 'b', 'c'}, text("abc")},
      {"lrg_l (L = 20)", cat({{0xe0, 4}, text("0123456789abcdefghij")}), text("0123456789abcdefghij")},
      {"lrg_l (L = 271)", literalOps(b300), b300},
      // sml_d 10 001 000 + 0x02: L = 2, M = 4, D = 2
      {"sml_d", {0x88, 0x02, 'a', 'b'}, text("ababab")},
      // sml_d 00 000 001 + 0x2c: L = 0, M = 3, D = 0x12c = 300 (high distance bits in the opcode)
      {"sml_d D = 300", cat({literalOps(b300), {0x01, 0x2c}}),
       cat({b300, Buf(b300.begin(), b300.begin() + 3)})},
      // sml_d 00 111 101 + 0xff: L = 0, M = 10, D = 1535 (largest)
      {"sml_d D = 1535", cat({literalOps(b5000), {0x3d, 0xff}}),
       cat({b5000, Buf(b5000.end() - 1535, b5000.end() - 1525)})},
      // med_d 101 01 000 + LE16(1 << 2 | 2): L = 1, M = 5, D = 1
      {"med_d", {0xa8, 0x06, 0x00, 'x'}, text("xxxxxx")},
      // med_d 101 00 111 + LE16(4000 << 2 | 3): L = 0, M = 34, D = 4000
      {"med_d M = 34", cat({literalOps(b5000), {0xa7, uint8_t((4000 << 2 | 3) & 0xff), uint8_t((4000 << 2 | 3) >> 8)}}),
       cat({b5000, Buf(b5000.begin() + 1000, b5000.begin() + 1034)})},
      // lrg_d 11 000 111 + LE16(3): L = 3, M = 3, D = 3
      {"lrg_d", {0xc7, 0x03, 0x00, 'x', 'y', 'z'}, text("xyzxyz")},
      // lrg_d 00 111 111 + LE16(20000): L = 0, M = 10, D = 20000
      {"lrg_d D = 20000", cat({literalOps(b20000), {0x3f, 0x20, 0x4e}}),
       cat({b20000, Buf(b20000.begin(), b20000.begin() + 10)})},
      // sml_d (D = 2) then pre_d 01 000 110: L = 1, M = 3 at D = 2
      {"pre_d", {0x88, 0x02, 'a', 'b', 0x46, 'z'}, text("abababzbz" "b")},
      // sml_d (D = 3) then sml_m 1111 0101: M = 5 at D = 3 (no +3 bias)
      {"sml_m", {0xc0, 0x03, 'a', 'b', 'c', 0xf5}, text("abcabc" "abcab")},
      // sml_d (D = 1) then lrg_m 0xf0 + 0x04: M = 20 at D = 1
      {"lrg_m", {0x40, 0x01, 'q', 0xf0, 0x04}, Buf(1 + 3 + 20, 'q')},
      {"nop 0x0e and 0x16", {0x0e, 0xe1, 'a', 0x16, 0x0e}, text("a")},
      {"empty stream", {}, {}},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Buf stream = cat({c.stream, kEos});
      CHECK(decodeOk(stream, c.expected.size()) == c.expected);
      CHECK(modelDecode(stream) == std::optional<Buf>(c.expected));
    }
  }
}

TEST_CASE("lzvn: overlapping copies repeat bytes forward, not memmove", "[lzvn]") {
  struct Case {
    const char* name;
    Buf stream;
    Buf expected;
  };
  const std::vector<Case> cases = {
      // sml_d 01 101 000 + 0x01: L = 1, M = 8, D = 1
      {"D = 1, M = 8", {0x68, 0x01, 'a'}, Buf(9, 'a')},
      // then lrg_m 271 at D = 1
      {"D = 1, M = 271", {0x68, 0x01, 'a', 0xf0, 0xff}, Buf(9 + 271, 'a')},
      // sml_d 10 011 000 + 0x02: L = 2, M = 6, D = 2
      {"D = 2 < M = 6", {0x98, 0x02, 'a', 'b'}, text("abababab")},
      // med_d L = 3, M = 34, D = 3
      {"D = 3 < M = 34", {0xbf, uint8_t(3 << 2 | 3), 0x00, 'x', 'y', 'z'},
       [] { Buf b; for (int i = 0; i < 37; ++i) b.push_back("xyz"[i % 3]); return b; }()},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Buf stream = cat({c.stream, kEos});
      CHECK(decodeOk(stream, c.expected.size()) == c.expected);
      CHECK(modelDecode(stream) == std::optional<Buf>(c.expected));
    }
  }
  SECTION("every distance 1..40 with long matches, through the fast path") {
    for (size_t d = 1; d <= 40; ++d) {
      Buf seed = testkit::randomBytes(d, d);
      Buf stream = cat({literalOps(seed), {0x07, uint8_t(d), 0x00}});  // lrg_d M = 3 sets D_prev
      for (int i = 0; i < 8; ++i) stream.insert(stream.end(), {0xf0, 0xff});  // lrg_m 271
      stream.insert(stream.end(), 400, 0x0e);  // nops: keep 320+ source bytes ahead
      stream.insert(stream.end(), kEos.begin(), kEos.end());
      Buf expected = seed;
      for (size_t i = 0; i < 3 + 8 * 271; ++i) expected.push_back(expected[expected.size() - d]);
      CHECK(decodeOk(stream, expected.size()) == expected);
    }
  }
}

TEST_CASE("lzvn: the previous distance survives literal-only opcodes", "[lzvn]") {
  // sml_d (D = 2), sml_l 'k', lrg_l 16 bytes, nop, then sml_m 3 and pre_d L = 1: both at D = 2.
  Buf lit16 = text("ABCDEFGHIJKLMNOP");
  Buf stream = cat({{0x88, 0x02, 'a', 'b', 0xe1, 'k', 0xe0, 0x00}, lit16, {0x0e, 0xf3, 0x46, 'z'}, kEos});
  Buf expected = text("ababab");
  expected.push_back('k');
  expected.insert(expected.end(), lit16.begin(), lit16.end());
  for (int i = 0; i < 3; ++i) expected.push_back(expected[expected.size() - 2]);
  expected.push_back('z');
  for (int i = 0; i < 3; ++i) expected.push_back(expected[expected.size() - 2]);
  CHECK(decodeOk(stream, expected.size()) == expected);
  CHECK(modelDecode(stream) == std::optional<Buf>(expected));
}

TEST_CASE("lzvn: the 7 bytes after 0x06 are not checked, bytes after the stream are ignored", "[lzvn]") {
  Buf stream = {0xe1, 'a', 0x06, 1, 2, 3, 4, 5, 6, 7, 0xde, 0xad};
  CHECK(decodeOk(stream, 1) == text("a"));
  auto r = lzvnDecodeInto(std::span<uint8_t>(), 0, Buf{0x06, 0, 0, 0, 0, 0, 0, 0, 0xff});
  REQUIRE(r.ok());
  CHECK(r->dstWritten == 0);
  CHECK(r->srcConsumed == 8);
}

TEST_CASE("lzvn: random valid streams decode as the model decoder says", "[lzvn]") {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const size_t n = seed % 3 == 0 ? 5 : seed % 3 == 1 ? 60 : 2000;
    Buf stream = randomStream(seed, n);
    auto model = modelDecode(stream);
    REQUIRE(model.has_value());
    INFO("seed " << seed);
    CHECK(decodeOk(stream, model->size()) == *model);
  }
}

TEST_CASE("lzvnDecodeInto: history before dstPos, previous distance reset per call", "[lzvn]") {
  Buf dst(15, 0);
  std::memcpy(dst.data(), "hello", 5);
  // sml_m at the start has no previous distance even though dst holds earlier output.
  auto bad = lzvnDecodeInto(dst, 5, cat({{0xf3}, kEos}), 0x100);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().describe() ==
        "at offset 0x100: lzvn sml_m: opcode 0xf3 uses match distance 0 (no previous distance yet)");
  // sml_d 00 010 000 + 0x05: M = 5 at D = 5 reaches into the earlier output.
  auto r = lzvnDecodeInto(dst, 5, cat({{0x10, 0x05, 0xf5}, kEos}));
  REQUIRE(r.ok());
  CHECK(r->dstWritten == 10);
  CHECK(r->srcConsumed == 11);
  CHECK(std::string(dst.begin(), dst.end()) == "hellohellohello");

  auto past = lzvnDecodeInto(dst, 16, kEos);
  REQUIRE_FALSE(past.ok());
  CHECK(past.error().code == ErrorCode::InvalidArgument);
  CHECK(past.error().describe() == "lzvn: output position 16 is past the 15-byte output");
}

TEST_CASE("lzvn: every malformed input gets its exact diagnostic", "[lzvn]") {
  struct Case {
    const char* name;
    Buf stream;
    uint64_t expected;
    ErrorCode code;
    const char* message;
  };
  Buf lit400 = literalOps(testkit::randomBytes(400, 3));  // 404 bytes: later errors run on the fast path
  const std::vector<Case> cases = {
      {"undefined opcode", {0x1e}, 1, ErrorCode::Malformed, "at offset 0x0: lzvn opcode: undefined opcode 0x1e"},
      {"undefined opcode after a literal", cat({{0xe1, 'a', 0x72}, kEos}), 1, ErrorCode::Malformed,
       "at offset 0x2: lzvn opcode: undefined opcode 0x72"},
      {"undefined opcode on the fast path", cat({lit400, {0xd5}, Buf(400, 0), kEos}), 5000, ErrorCode::Malformed,
       "at offset 0x194: lzvn opcode: undefined opcode 0xd5"},
      {"D = 0 at the start (sml_m first)", cat({{0xf1}, kEos}), 1, ErrorCode::Malformed,
       "at offset 0x0: lzvn sml_m: opcode 0xf1 uses match distance 0 (no previous distance yet)"},
      {"D = 0 at the start (lrg_m first)", cat({{0xf0, 0x00}, kEos}), 16, ErrorCode::Malformed,
       "at offset 0x0: lzvn lrg_m: opcode 0xf0 uses match distance 0 (no previous distance yet)"},
      {"D = 0 (pre_d before any distance)", cat({{0x46, 'a'}, kEos}), 4, ErrorCode::Malformed,
       "at offset 0x0: lzvn pre_d: opcode 0x46 uses match distance 0 (no previous distance yet)"},
      {"D = 0 written in sml_d", cat({{0xe1, 'a', 0x00, 0x00}, kEos}), 4, ErrorCode::Malformed,
       "at offset 0x2: lzvn sml_d: opcode 0x00 uses match distance 0"},
      {"D beyond the output", cat({{0xe1, 'a', 0x01, 0x05}, kEos}), 4, ErrorCode::Malformed,
       "at offset 0x2: lzvn sml_d: opcode 0x01: match distance 261 reaches before the start of the "
       "output (1 byte produced)"},
      {"D beyond the output, counted after the literal", cat({{0x47, 0x02, 0x00, 'a'}, kEos}), 4,
       ErrorCode::Malformed,
       "at offset 0x0: lzvn lrg_d: opcode 0x47: match distance 2 reaches before the start of the "
       "output (1 byte produced)"},
      {"D beyond the output on the fast path", cat({lit400, {0x07, 0x60, 0xea}, Buf(400, 0), kEos}), 5000,
       ErrorCode::Malformed,
       "at offset 0x194: lzvn lrg_d: opcode 0x07: match distance 60000 reaches before the start of the "
       "output (400 bytes produced)"},
      {"truncated opcode (med_d)", {0xa0, 0x00}, 3, ErrorCode::Truncated,
       "at offset 0x0: lzvn med_d: opcode 0xa0 needs 3 bytes, found 2"},
      {"truncated opcode (lrg_l)", {0xe1, 'a', 0xe0}, 17, ErrorCode::Truncated,
       "at offset 0x2: lzvn lrg_l: opcode 0xe0 needs 2 bytes, found 1"},
      {"truncated literal", {0xe5, 'a', 'b'}, 5, ErrorCode::Truncated,
       "at offset 0x0: lzvn sml_l: opcode 0xe5 needs 5 literal bytes, found 2"},
      {"truncated literal of a match opcode", {0xe1, 'a', 0xc7, 0x01, 0x00, 'x'}, 7, ErrorCode::Truncated,
       "at offset 0x2: lzvn lrg_d: opcode 0xc7 needs 3 literal bytes, found 1"},
      {"missing end-of-stream", {0xe1, 'a'}, 1, ErrorCode::Truncated,
       "at offset 0x2: lzvn eos: stream ends after 1 byte of output without the end-of-stream opcode"},
      {"truncated end-of-stream", {0xe1, 'a', 0x06, 0, 0}, 1, ErrorCode::Truncated,
       "at offset 0x2: lzvn eos: opcode 0x06 needs 8 bytes, found 3"},
      {"literal overflows the output", cat({{0xe5, 'a', 'b', 'c', 'd', 'e'}, kEos}), 3, ErrorCode::DstTooSmall,
       "at offset 0x0: lzvn sml_l: opcode 0xe5: a literal of 5 bytes at output offset 0 exceeds the 3-byte "
       "output"},
      {"match overflows the output", cat({{0xe1, 'a', 0x08, 0x01}, kEos}), 3, ErrorCode::DstTooSmall,
       "at offset 0x2: lzvn sml_d: opcode 0x08: a match of 4 bytes at output offset 1 exceeds the 3-byte "
       "output"},
      {"output full after many instructions", cat({lit400, {0x07, 0x01, 0x00, 0xf0, 0xff}, kEos}), 500,
       ErrorCode::DstTooSmall,
       "at offset 0x197: lzvn lrg_m: opcode 0xf0: a match of 271 bytes at output offset 403 exceeds the "
       "500-byte output"},
      {"early end-of-stream", cat({{0xe1, 'a'}, kEos}), 5, ErrorCode::Truncated,
       "at offset 0x2: lzvn eos: stream ended after 1 byte, expected 5"},
      {"expected size beyond what the stream can hold", kEos, 5000, ErrorCode::Truncated,
       "lzvn: a stream of 8 bytes decodes to at most 1088 bytes, expected 5000"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      auto r = lzvnDecode(c.stream, c.expected);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == c.code);
      CHECK(r.error().describe() == c.message);
    }
  }
  SECTION("limit exceeded, checked before anything else") {
    auto r = lzvnDecode(kEos, 5000, 4096);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::LimitExceeded);
    CHECK(r.error().describe() == "lzvn: expected size 5000 exceeds the limit of 4096 bytes");
    CHECK(describeDecode({}, UINT64_MAX) == "lzvn: expected size 18446744073709551615 exceeds the limit of "
                                            "2147483648 bytes");
  }
}

TEST_CASE("lzvn: truncating a valid stream anywhere fails cleanly", "[lzvn]") {
  Buf data = binaryLike(3000, 11);
  Buf enc = lzvnEncode(data);
  for (size_t n = 0; n < enc.size(); ++n) {
    auto r = lzvnDecode(Bytes(enc.data(), n), data.size());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::Truncated);
  }
}

TEST_CASE("lzvn: round trips", "[lzvn]") {
  SECTION("small sizes, every kind of data") {
    for (size_t n = 0; n <= 300; ++n) {
      INFO("size " << n);
      roundTrip(testkit::randomBytes(n, n + 1));
      roundTrip(Buf(n, 0));
      roundTrip(textLike(n));
      roundTrip(binaryLike(n, n + 5));
    }
  }
  SECTION("larger inputs") {
    // Over 8 MiB, the encoder works in 4 MiB segments on several threads.
    const size_t big = kSanitized ? (9u << 20) + 12345 : (50u << 20);
    for (size_t n : {size_t{4096}, size_t{65535}, size_t{65536}, size_t{65537}, size_t{1} << 20, big}) {
      INFO("size " << n);
      roundTrip(testkit::randomBytes(n, n));
      roundTrip(Buf(n, 0));
      roundTrip(textLike(n));
      roundTrip(binaryLike(n, n));
    }
  }
  SECTION("runs, periodic patterns and long matches at every distance class") {
    roundTrip(repeat("a", 100000));
    roundTrip(repeat("ab", 50000));
    roundTrip(repeat("abcdefg", 30000));
    for (size_t period : {size_t{5}, size_t{17}, size_t{1535}, size_t{1536}, size_t{16383}, size_t{16384},
                          size_t{65535}, size_t{65536}, size_t{70000}}) {
      INFO("period " << period);
      Buf unit = testkit::randomBytes(period, period);
      Buf data;
      for (int i = 0; i < 4; ++i) data.insert(data.end(), unit.begin(), unit.end());
      roundTrip(data);
    }
  }
}

TEST_CASE("lzvn: encoder output", "[lzvn]") {
  SECTION("empty input is just the end-of-stream opcode") { CHECK(lzvnEncode({}) == kEos); }
  SECTION("short inputs are one literal") {
    CHECK(lzvnEncode(text("abc")) == cat({{0xe3, 'a', 'b', 'c'}, kEos}));
  }
  SECTION("zeros shrink to a few opcodes per 271 bytes") {
    Buf enc = lzvnEncode(Buf(1 << 20, 0));
    CHECK(enc.size() < (1 << 20) / 100);
  }
  SECTION("the stream is well formed for the model decoder too") {
    Buf data = binaryLike(200000, 99);
    auto model = modelDecode(lzvnEncode(data));
    REQUIRE(model.has_value());
    CHECK(*model == data);
  }
  SECTION("segmented (multi-threaded) encoding is deterministic and matches reach across segments") {
    // 10 MiB: three 4 MiB segments. The data repeats a 50000-byte block, so every segment
    // after the first can be coded almost entirely with matches into the previous segment.
    Buf block = testkit::randomBytes(50000, 77);
    Buf data;
    while (data.size() < (10u << 20)) data.insert(data.end(), block.begin(), block.end());
    Buf a = lzvnEncode(data);
    CHECK(a == lzvnEncode(data));
    CHECK(a.size() < 50000 + data.size() / 100);
    auto dec = lzvnDecode(a, data.size());
    REQUIRE(dec.ok());
    CHECK(*dec == data);
  }
  SECTION("the registry's lzvn codec is this one") {
    const Codec& c = codec(CodecId::Lzvn);
    CHECK(c.name == "lzvn");
    Buf data = textLike(5000);
    Buf enc = c.encode(data);
    CHECK(enc == lzvnEncode(data));
    auto dec = c.decode(enc, data.size(), kDefaultMaxDecodedSize);
    REQUIRE(dec.ok());
    CHECK(*dec == data);
  }
}

TEST_CASE("lzvn: round trips real kext executables from the corpus", "[lzvn][corpus]") {
  KK_REQUIRE_CORPUS(corpus);
  namespace fs = std::filesystem;
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(corpus + "/10.9-subset")) {
    if (!e.is_regular_file() || e.path().parent_path().filename() != "MacOS") continue;
    Buf data = testkit::readBytes(e.path().string());
    INFO(e.path().string());
    roundTrip(data);
    ++files;
  }
  CHECK(files > 10);
}
