// Adler-32: known values, and agreement with a textbook implementation and with zlib.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <string>
#include <vector>

#include "TestPaths.h"
#include "kextkit/compress/Adler32.h"

using namespace kextkit;
using namespace kextkit::compress;

namespace {

// The definition, one byte at a time (RFC 1950 §8.2), reducing every byte.
uint32_t referenceAdler32(const std::vector<uint8_t>& data, uint32_t init = 1) {
  uint32_t s1 = init & 0xffff;
  uint32_t s2 = init >> 16;
  for (uint8_t b : data) {
    s1 = (s1 + b) % 65521;
    s2 = (s2 + s1) % 65521;
  }
  return (s2 << 16) | s1;
}

io::Bytes bytesOf(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("adler32 known values") {
  struct Case {
    std::string input;
    uint32_t expected;
  };
  const Case cases[] = {
      {"", 0x00000001},
      {"a", 0x00620062},
      {"abc", 0x024d0127},
      {"Wikipedia", 0x11e60398},
      {"message digest", 0x29750586},
      {"abcdefghijklmnopqrstuvwxyz", 0x90860b20},
  };
  for (const Case& c : cases) {
    INFO("input \"" << c.input << "\"");
    CHECK(adler32(bytesOf(c.input)) == c.expected);
  }
}

TEST_CASE("adler32 equals the textbook definition and zlib at many lengths") {
  // Lengths around every internal boundary: 16-byte chunks, the 64-byte SIMD threshold,
  // zlib's NMAX (5552) and the 1 MiB SIMD block.
  const size_t lengths[] = {0,    1,    15,   16,   17,   63,    64,    65,    255,
                            256,  1000, 5551, 5552, 5553, 11104, 11105, 65536, 100003,
                            (1u << 20) - 1, 1u << 20, (1u << 20) + 17, 3u << 20};
  for (size_t n : lengths) {
    std::vector<uint8_t> data = testkit::randomBytes(n, n + 7);
    INFO("length " << n);
    uint32_t ours = adler32(data);
    CHECK(ours == referenceAdler32(data));
    CHECK(ours == ::adler32(1, data.data(), static_cast<uInt>(data.size())));
  }
}

TEST_CASE("adler32 worst case for overflow: all 0xff") {
  for (size_t n : {size_t{5552}, size_t{5553}, size_t{1} << 20, (size_t{1} << 20) + 5552}) {
    std::vector<uint8_t> data(n, 0xff);
    INFO("length " << n);
    CHECK(adler32(data) == referenceAdler32(data));
  }
}

TEST_CASE("adler32 continues from a previous value like zlib") {
  std::vector<uint8_t> data = testkit::randomBytes(20000, 99);
  for (size_t split : {size_t{0}, size_t{1}, size_t{63}, size_t{5552}, size_t{12345}, size_t{20000}}) {
    INFO("split at " << split);
    io::Bytes all(data);
    uint32_t first = adler32(all.first(split));
    CHECK(adler32(all.subspan(split), first) == adler32(all));
  }
  // Arbitrary (even unreduced) starting values behave as in zlib.
  for (uint32_t init : {0u, 0xffffffffu, 0xfff0fff0u, 0x12345678u}) {
    for (size_t n : {size_t{1}, size_t{10}, size_t{100}, size_t{6000}}) {
      std::vector<uint8_t> part(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
      INFO("init " << init << " length " << n);
      CHECK(adler32(part, init) == ::adler32(init, part.data(), static_cast<uInt>(n)));
    }
  }
}
