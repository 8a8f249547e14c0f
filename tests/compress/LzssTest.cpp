// LZSS codec: hand-built streams with exact output, a differential check against a textbook
// ring-buffer decoder, round trips, and every decoder diagnostic with its exact text.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

#include "CompressTestData.h"
#include "TestPaths.h"
#include "kextkit/compress/Lzss.h"
#include "kextkit/compress/LzssFormat.h"

using namespace kextkit;
using namespace kextkit::compress;
using Buf = std::vector<uint8_t>;

namespace {

Buf text(const std::string& s) { return Buf(s.begin(), s.end()); }

// The two bytes of a match naming ring position `pos` (absolute, 0..4095) and length 3..18.
std::array<uint8_t, 2> matchBytes(uint32_t pos, uint32_t len) {
  return {static_cast<uint8_t>(pos & 0xff),
          static_cast<uint8_t>(((pos >> 4) & 0xf0) | (len - lzss::kMinMatch))};
}

// Apple's decoder as the reference describes it: a 4096-byte ring of 4078 spaces and 18
// zeros, r = 4078, LSB-first flags; it stops when the source runs out or `limit` bytes are
// out. Deliberately simple, one byte at a time.
Buf referenceDecode(const Buf& src, size_t limit) {
  std::array<uint8_t, 4096> ring{};
  for (size_t k = 0; k < 4078; ++k) ring[k] = ' ';
  size_t r = 4078;
  Buf out;
  size_t s = 0;
  unsigned flags = 0;
  for (;;) {
    flags >>= 1;
    if ((flags & 0x100) == 0) {
      if (s >= src.size()) break;
      flags = src[s++] | 0xff00u;
    }
    if (flags & 1) {
      if (s >= src.size()) break;
      uint8_t c = src[s++];
      out.push_back(c);
      if (out.size() >= limit) break;
      ring[r] = c;
      r = (r + 1) & 4095;
    } else {
      if (s + 1 >= src.size()) break;
      uint32_t pos = src[s] | ((src[s + 1] & 0xf0u) << 4);
      uint32_t len = (src[s + 1] & 0x0fu) + 3;
      s += 2;
      bool full = false;
      for (uint32_t k = 0; k < len && !full; ++k) {
        uint8_t c = ring[(pos + k) & 4095];
        out.push_back(c);
        full = out.size() >= limit;
        ring[r] = c;
        r = (r + 1) & 4095;
      }
      if (full) break;
    }
  }
  return out;
}

// A random but valid stream producing exactly `size` bytes: literals and matches at random
// ring positions (so also into the initial spaces and zeros, and at distance 4096).
Buf randomStream(size_t size, uint64_t seed, unsigned matchPercent) {
  uint64_t x = seed | 1;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  Buf out;
  size_t produced = 0;
  while (produced < size) {
    size_t flagAt = out.size();
    out.push_back(0);
    uint8_t flags = 0;
    for (int b = 0; b < 8 && produced < size; ++b) {
      uint64_t v = next();
      size_t left = size - produced;
      if (v % 100 >= matchPercent || left < 3) {
        flags |= static_cast<uint8_t>(1u << b);
        out.push_back(static_cast<uint8_t>(v >> 8));
        ++produced;
      } else {
        uint32_t len = 3 + static_cast<uint32_t>((v >> 8) % 16);
        if (len > left) len = static_cast<uint32_t>(left);
        uint32_t pos;
        // Mostly near the write position (realistic, overlapping), sometimes anywhere.
        uint32_t r = static_cast<uint32_t>((4078 + produced) & 4095);
        if ((v >> 16) % 4 == 0)
          pos = static_cast<uint32_t>(v >> 24) & 4095;
        else
          pos = (r - 1 - static_cast<uint32_t>((v >> 24) % 40)) & 4095;
        auto m = matchBytes(pos, len);
        out.insert(out.end(), m.begin(), m.end());
        produced += len;
      }
    }
    out[flagAt] = flags;
  }
  return out;
}

}  // namespace

TEST_CASE("LZSS hand-built streams decode to known bytes") {
  struct Case {
    const char* name;
    Buf src;
    Buf expected;
  };
  auto m = [](uint32_t pos, uint32_t len) {
    auto b = matchBytes(pos, len);
    return Buf(b.begin(), b.end());
  };
  auto cat = [](std::initializer_list<Buf> parts) {
    Buf out;
    for (const Buf& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
  };
  const Case cases[] = {
      {"empty", {}, {}},
      {"three literals, padding bits of the last group unused", text("\x07" "abc"), text("abc")},
      {"literals then a match into the initial spaces",
       cat({text("\x03" "ab"), m(0, 5)}), text("ab     ")},
      {"a match into the initial spaces before any output", cat({Buf{0x00}, m(100, 18)}),
       Buf(18, ' ')},
      {"a match into the undefined tail of the ring reads zeros", cat({Buf{0x00}, m(4090, 4)}),
       Buf(4, 0)},
      {"a match wrapping from the zeros to the spaces", cat({Buf{0x00}, m(4094, 4)}),
       Buf{0, 0, ' ', ' '}},
      // Slot 4078 is written (with the first copied space) before the match reads it.
      {"a match reaching the slots it is writing", cat({Buf{0x00}, m(4075, 6)}), Buf(6, ' ')},
      {"an overlapping match repeats the last byte", cat({text("\x01" "x"), m(4078, 18)}),
       Buf(19, 'x')},
      {"an overlapping match repeats a pattern",
       cat({text("\x03" "ab"), m(4078, 7)}), text("ababababa")},
      {"a full group then a partial one",
       cat({text("\xff" "01234567"), Buf{0x00}, m(4078 + 2, 4)}), text("012345672345")},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto r = lzssDecode(c.src, c.expected.size());
    REQUIRE(r);
    CHECK(*r == c.expected);
    CHECK(referenceDecode(c.src, c.expected.size()) == c.expected);
  }
}

TEST_CASE("LZSS ring positions wrap: a match 4096 bytes back reads the slot being written") {
  // 4096 literals fill the ring once; a match naming the current write slot r (= 4078 after
  // 4096 bytes) copies the bytes written 4096 earlier, as Apple's decoder does.
  Buf data = testkit::randomBytes(4096, 5);
  Buf src;
  for (size_t g = 0; g < 4096 / 8; ++g) {
    src.push_back(0xff);
    src.insert(src.end(), data.begin() + static_cast<std::ptrdiff_t>(g * 8),
               data.begin() + static_cast<std::ptrdiff_t>(g * 8 + 8));
  }
  src.push_back(0x00);
  auto mb = matchBytes(4078, 18);
  src.insert(src.end(), mb.begin(), mb.end());
  Buf expected = data;
  expected.insert(expected.end(), data.begin(), data.begin() + 18);
  auto r = lzssDecode(src, expected.size());
  REQUIRE(r);
  CHECK(*r == expected);
  CHECK(referenceDecode(src, expected.size()) == expected);
}

TEST_CASE("LZSS decoder agrees with the textbook ring decoder on random valid streams") {
  // Sizes below, around and well above the 4096-byte boundary where the fast path starts.
  for (size_t size : {size_t{1}, size_t{100}, size_t{4095}, size_t{4096}, size_t{4200},
                      size_t{20000}, size_t{300000}}) {
    for (unsigned matchPercent : {0u, 30u, 70u, 100u}) {
      for (uint64_t seed = 1; seed <= 3; ++seed) {
        Buf src = randomStream(size, seed * 1000 + size + matchPercent, matchPercent);
        INFO("size " << size << ", " << matchPercent << "% matches, seed " << seed);
        auto r = lzssDecode(src, size);
        REQUIRE(r);
        CHECK(*r == referenceDecode(src, size));
      }
    }
  }
}

TEST_CASE("LZSS round trips") {
  using testdata::Kind;
  std::vector<size_t> sizes = {0, 1, 2, 3, 4, 17, 18, 19, 40, 41, 100, 4077, 4078, 4079,
                               4095, 4096, 4097, 65535, 65536, 65537, 70000, 1u << 20};
  for (Kind kind : {Kind::Random, Kind::Zeros, Kind::Text, Kind::Binary}) {
    for (size_t n : sizes) {
      INFO(testdata::kindName(kind) << " input of " << n << " bytes");
      Buf data = testdata::makeInput(kind, n, n + 11);
      Buf packed = lzssEncode(data);
      CHECK(packed.size() <= n + (n + 7) / 8);  // at worst one flag byte per 8 literals
      auto back = lzssDecode(packed, data.size());
      REQUIRE(back);
      CHECK(*back == data);
      CHECK(referenceDecode(packed, data.size()) == data);  // Apple's decoder reads it too
    }
  }
}

TEST_CASE("LZSS round trip of a 50 MB image (smaller under sanitizers)") {
  // Positions are kept modulo 2^16 in the encoder: sizes far beyond that must still work.
  size_t n = testdata::kSanitized ? (6u << 20) : (50u << 20);
  Buf data = testdata::binaryBytes(n);
  // Vary it so that repeats of the executable are not all identical.
  Buf noise = testkit::randomBytes(n / 64, 77);
  for (size_t k = 0; k < noise.size(); ++k) data[k * 64 + (noise[k] & 63)] ^= noise[k];
  Buf packed = lzssEncode(data);
  CHECK(packed.size() < data.size());
  auto back = lzssDecode(packed, data.size());
  REQUIRE(back);
  CHECK(*back == data);
}

TEST_CASE("LZSS compresses typical inputs") {
  // Not a benchmark: guards against a broken match finder silently emitting literals.
  CHECK(lzssEncode(Buf(100000, 0)).size() < 100000 / 8);
  Buf txt = testdata::textBytes(100000, 9);
  CHECK(lzssEncode(txt).size() < txt.size() / 2);
}

TEST_CASE("LZSS decoder diagnostics") {
  struct Case {
    const char* name;
    Buf src;
    uint64_t expected;
    ErrorCode code;
    std::string message;
  };
  Buf fullGroup = text("\xff" "01234567");
  Buf fullGroupThenFlag = fullGroup;
  fullGroupThenFlag.push_back(0x00);
  Buf fullGroupThenItem = fullGroupThenFlag;
  fullGroupThenItem.back() = 0x01;
  fullGroupThenItem.push_back('8');
  const Case cases[] = {
      {"early end at a group boundary", fullGroup, 10, ErrorCode::Truncated,
       "at offset 0x9: lzss: the stream ends after 8 of 10 output bytes; a flag byte was "
       "expected"},
      {"empty stream", {}, 1, ErrorCode::Truncated,
       "at offset 0x0: lzss: a stream of 0 bytes decodes to at most 0 (9 per input byte), 1 "
       "expected"},
      {"more expected than any stream of that length makes", Buf{0x00, 0x00, 0x0f}, 28,
       ErrorCode::Truncated,
       "at offset 0x3: lzss: a stream of 3 bytes decodes to at most 27 (9 per input byte), 28 "
       "expected"},
      {"early end with one flag byte", Buf{0x00}, 1, ErrorCode::Truncated,
       "at offset 0x1: lzss: the stream ends after 0 of 1 output byte; the flag byte at 0x0 "
       "announces a match"},
      {"truncated flag group (a literal is missing)", text("\x03" "a"), 5, ErrorCode::Truncated,
       "at offset 0x2: lzss: the stream ends after 1 of 5 output bytes; the flag byte at 0x0 "
       "announces a literal"},
      {"truncated flag group (a match is missing)", text("\x01" "a"), 5, ErrorCode::Truncated,
       "at offset 0x2: lzss: the stream ends after 1 of 5 output bytes; the flag byte at 0x0 "
       "announces a match"},
      {"truncated match", Buf{0x00, 0x12}, 5, ErrorCode::Truncated,
       "at offset 0x2: lzss: the match at 0x1 is missing its second byte (after 0 of 5 output "
       "bytes)"},
      {"too much output: a match runs past the end", Buf{0x00, 0x00, 0x0f}, 5,
       ErrorCode::DstTooSmall,
       "at offset 0x1: lzss: a match of 18 bytes at output offset 0 goes past the expected 5 "
       "output bytes"},
      {"too much output: another literal follows", text("\x03" "ab"), 1, ErrorCode::DstTooSmall,
       "at offset 0x2: lzss: the stream continues after the expected 1 output byte"},
      {"too much output: another group follows", fullGroupThenItem, 8, ErrorCode::DstTooSmall,
       "at offset 0xa: lzss: the stream continues after the expected 8 output bytes"},
      {"too much output: nothing expected", text("\x01" "a"), 0, ErrorCode::DstTooSmall,
       "at offset 0x1: lzss: the stream continues after the expected 0 output bytes"},
      {"trailing data: half a match", Buf{0x01, 'a', 0x00}, 1, ErrorCode::Malformed,
       "at offset 0x2: lzss: 1 byte of trailing data after the expected 1 output byte"},
      {"trailing data: a lone flag byte", fullGroupThenFlag, 8, ErrorCode::Malformed,
       "at offset 0x9: lzss: 1 byte of trailing data after the expected 8 output bytes"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto r = lzssDecode(c.src, c.expected);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == c.code);
    CHECK(r.error().describe() == c.message);
  }
}

TEST_CASE("LZSS decoder diagnostics past the fast path") {
  // The same checks hold deep into a large output, where groups go through the fast loop.
  Buf data = testdata::binaryBytes(200000);
  Buf packed = lzssEncode(data);
  SECTION("stream cut in the middle") {
    Buf cut(packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(packed.size() / 2));
    auto r = lzssDecode(cut, data.size());
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::Truncated);
    CHECK(r.error().offset.value_or(0) >= cut.size() - 1);
  }
  SECTION("one byte less expected") {
    auto r = lzssDecode(packed, data.size() - 1);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::DstTooSmall);
  }
  SECTION("one byte more expected") {
    auto r = lzssDecode(packed, data.size() + 1);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::Truncated);
  }
}

TEST_CASE("LZSS decoder refuses impossible sizes before allocating") {
  auto r = lzssDecode(Buf{0xff}, 1ull << 40, 1u << 20);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::LimitExceeded);
  CHECK(r.error().describe() == "lzss: expected size 1099511627776 exceeds the limit 1048576");
  // Within the limit, but more than 9 bytes per stream byte: no 1 GiB buffer is made for it.
  auto big = lzssDecode(Buf{0x00, 0x00, 0x0f}, 1u << 30, 1u << 30);
  REQUIRE_FALSE(big);
  CHECK(big.error().describe() ==
        "at offset 0x3: lzss: a stream of 3 bytes decodes to at most 27 (9 per input byte), "
        "1073741824 expected");
  // Close to the bound: nine 18-byte matches in two groups (20 bytes) make 162 of 180 bytes.
  Buf maxed;
  for (int g = 0; g < 2; ++g) {
    maxed.push_back(0x00);
    for (int k = 0; k < (g == 0 ? 8 : 1); ++k) maxed.insert(maxed.end(), {0x00, 0x0f});
  }
  auto ok = lzssDecode(maxed, 162);
  REQUIRE(ok);
  CHECK(*ok == Buf(162, ' '));
}
