// The codec registry: ids, names and a round trip through every registered codec.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "CompressTestData.h"
#include "kextkit/compress/Codec.h"

using namespace kextkit;
using namespace kextkit::compress;

TEST_CASE("the registry lists lzss, zlib and lzvn under their ids") {
  auto all = allCodecs();
  REQUIRE(all.size() == 3);
  struct Expect {
    CodecId id;
    std::string name;
  };
  const Expect expected[] = {{CodecId::Lzss, "lzss"}, {CodecId::Zlib, "zlib"}, {CodecId::Lzvn, "lzvn"}};
  for (size_t k = 0; k < 3; ++k) {
    INFO("codec " << expected[k].name);
    CHECK(all[k].id == expected[k].id);
    CHECK(all[k].name == expected[k].name);
    CHECK(&codec(expected[k].id) == &all[k]);
    CHECK(all[k].decode != nullptr);
    CHECK(all[k].encode != nullptr);
  }
}

TEST_CASE("every registered codec round-trips and enforces the size contract") {
  using testdata::Kind;
  for (const Codec& c : allCodecs()) {
    for (Kind kind : {Kind::Random, Kind::Zeros, Kind::Text, Kind::Binary}) {
      for (size_t n : {size_t{0}, size_t{1}, size_t{5000}, size_t{300000}}) {
        INFO(c.name << ", " << testdata::kindName(kind) << " input of " << n << " bytes");
        std::vector<uint8_t> data = testdata::makeInput(kind, n, n + 5);
        std::vector<uint8_t> packed = c.encode(data);
        auto back = c.decode(packed, data.size(), kDefaultMaxDecodedSize);
        REQUIRE(back);
        CHECK(*back == data);
        // One byte more than the stream holds is never accepted, nor a size over the limit.
        auto more = c.decode(packed, data.size() + 1, kDefaultMaxDecodedSize);
        CHECK_FALSE(more);
        auto over = c.decode(packed, data.size() + 1, data.size());
        REQUIRE_FALSE(over);
        CHECK(over.error().code == ErrorCode::LimitExceeded);
      }
    }
  }
}
