// zlib codec: mkext2 encoder parameters, round trips, the compress-if-smaller rule, and every
// decoder diagnostic with its exact text.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <string>
#include <vector>

#include "CompressTestData.h"
#include "TestPaths.h"
#include "kextkit/compress/Zlib.h"

using namespace kextkit;
using namespace kextkit::compress;
using Buf = std::vector<uint8_t>;

namespace {

Buf text(const std::string& s) { return Buf(s.begin(), s.end()); }

std::string describeDecode(const Buf& src, uint64_t expected, uint64_t limit = kDefaultMaxDecodedSize) {
  auto r = zlibDecode(src, expected, limit);
  REQUIRE_FALSE(r);
  return r.error().describe();
}

}  // namespace

TEST_CASE("zlibEncode writes what IOKit's deflateInit2(6, 15, 8) writes") {
  Buf data = testdata::textBytes(100000, 3);
  Buf ours = zlibEncode(data);
  // The same stream from zlib directly, with the parameters of apple-formats.md §1.3.
  z_stream z{};
  REQUIRE(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  Buf ref(deflateBound(&z, data.size()));
  z.next_in = data.data();
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = ref.data();
  z.avail_out = static_cast<uInt>(ref.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  ref.resize(z.total_out);
  deflateEnd(&z);
  CHECK(ours == ref);
  REQUIRE(ours.size() >= 2);
  CHECK(ours[0] == 0x78);  // zlib wrapper, 32 KiB window
  CHECK(ours[1] == 0x9c);  // default level
}

TEST_CASE("zlib round trips") {
  using testdata::Kind;
  std::vector<size_t> sizes = {0, 1, 2, 17, 1000, 65536, 65537, 1u << 20};
  if (!testdata::kSanitized) sizes.push_back(8u << 20);
  for (Kind kind : {Kind::Random, Kind::Zeros, Kind::Text, Kind::Binary}) {
    for (size_t n : sizes) {
      INFO(testdata::kindName(kind) << " input of " << n << " bytes");
      Buf data = testdata::makeInput(kind, n, n + 1);
      Buf packed = zlibEncode(data);
      auto back = zlibDecode(packed, data.size());
      REQUIRE(back);
      CHECK(*back == data);
    }
  }
}

TEST_CASE("zlibCompressIfSmaller keeps compression only when it shrinks the data") {
  SECTION("compressible data") {
    Buf data = testdata::textBytes(5000, 1);
    auto packed = zlibCompressIfSmaller(data);
    REQUIRE(packed);
    CHECK(packed->size() < data.size());
    CHECK(*packed == zlibEncode(data));
    auto back = zlibDecode(*packed, data.size());
    REQUIRE(back);
    CHECK(*back == data);
  }
  SECTION("random data is stored raw") {
    CHECK_FALSE(zlibCompressIfSmaller(testkit::randomBytes(5000, 2)));
  }
  SECTION("tiny and empty inputs are stored raw") {
    CHECK_FALSE(zlibCompressIfSmaller(Buf{}));
    CHECK_FALSE(zlibCompressIfSmaller(text("abc")));
  }
}

TEST_CASE("zlib decoder diagnostics") {
  const Buf hello = zlibEncode(text("hello"));
  struct Case {
    const char* name;
    Buf src;
    uint64_t expected;
    ErrorCode code;
    std::string message;
  };
  Buf trailing = hello;
  trailing.insert(trailing.end(), {0, 0, 0});
  Buf badSum = hello;
  badSum.back() ^= 1;
  Buf corrupt = {0x78, 0x9c, 0xff, 0xff, 0xff, 0xff};  // block type 3 does not exist
  const Case cases[] = {
      {"header too short", {0x78}, 5, ErrorCode::Truncated,
       "at offset 0x0: zlib header: a zlib stream needs a 2-byte header, only 1 byte present"},
      {"empty input", {}, 0, ErrorCode::Truncated,
       "at offset 0x0: zlib header: a zlib stream needs a 2-byte header, only 0 bytes present"},
      {"not deflate", {0x79, 0x9c}, 5, ErrorCode::Malformed,
       "at offset 0x0: zlib header: expected CMF with method 8 (deflate) and a window of at most "
       "32 KiB (usually 0x78), found 0x79"},
      {"window too large", {0x88, 0x98}, 5, ErrorCode::Malformed,
       "at offset 0x0: zlib header: expected CMF with method 8 (deflate) and a window of at most "
       "32 KiB (usually 0x78), found 0x88"},
      {"corrupt header check", {0x78, 0x9d}, 5, ErrorCode::Malformed,
       "at offset 0x0: zlib header: CMF/FLG 0x789d is not a multiple of 31 (bad FCHECK)"},
      {"preset dictionary", {0x78, 0x20, 0, 0, 0, 0}, 5, ErrorCode::Unsupported,
       "at offset 0x1: zlib header: the stream needs a preset dictionary (FDICT set); mkext2 "
       "never uses one"},
      {"corrupt deflate data", corrupt, 5, ErrorCode::Malformed,
       "at offset 0x3: zlib: corrupt deflate data: invalid block type"},
      {"early end (input cut inside the stream)", Buf(hello.begin(), hello.begin() + 2), 5,
       ErrorCode::Truncated,
       "at offset 0x2: zlib: input ends inside the deflate stream after producing 0 of 5 "
       "expected bytes"},
      {"stream shorter than expected", hello, 6, ErrorCode::Truncated,
       "at offset 0xd: zlib: the stream ends after producing 5 of 6 expected bytes"},
      {"stream longer than expected", hello, 4, ErrorCode::DstTooSmall,
       "at offset 0xd: zlib: the stream produces more than the expected 4 bytes"},
      {"nothing expected", hello, 0, ErrorCode::DstTooSmall,
       "at offset 0x5: zlib: the stream produces more than the expected 0 bytes"},
      {"trailing data", trailing, 5, ErrorCode::Malformed,
       "at offset 0xd: zlib: 3 bytes of trailing data after the end of the zlib stream"},
      {"bad Adler-32 trailer", badSum, 5, ErrorCode::ChecksumMismatch,
       "at offset 0xd: zlib: the Adler-32 trailer does not match the inflated data"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto r = zlibDecode(c.src, c.expected);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == c.code);
    CHECK(r.error().describe() == c.message);
  }
}

TEST_CASE("zlib decoder refuses impossible sizes before allocating") {
  auto r = zlibDecode(zlibEncode(text("hello")), 1ull << 40, 1u << 20);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::LimitExceeded);
  CHECK(r.error().describe() == "zlib: expected size 1099511627776 exceeds the limit 1048576");
  // Within the limit, but more than deflate's 1032:1 can make from 13 bytes.
  CHECK(describeDecode(zlibEncode(text("hello")), 1u << 30, 1u << 30) ==
        "at offset 0xd: zlib: a stream of 13 bytes inflates to at most 13416 (1032 per input "
        "byte), 1073741824 expected");
  // The most compressible input still fits the bound.
  Buf zeros(10u << 20, 0);
  Buf packed = zlibEncode(zeros);
  CHECK(zeros.size() <= 1032 * packed.size());
  auto back = zlibDecode(packed, zeros.size());
  REQUIRE(back);
  CHECK(*back == zeros);
  // Even a limit-sized claim is refused cheaply when the stream is nonsense.
  CHECK(describeDecode(Buf{0x78, 0x9d}, 1u << 30, 1u << 30) ==
        "at offset 0x0: zlib header: CMF/FLG 0x789d is not a multiple of 31 (bad FCHECK)");
}
