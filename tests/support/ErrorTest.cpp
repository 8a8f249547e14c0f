// Error rendering, Expected, checked math and endian helpers.
#include <catch2/catch.hpp>

#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Endian.h"
#include "kextkit/support/Error.h"
#include "kextkit/support/Format.h"

using namespace kextkit;

TEST_CASE("Error::describe names file, offset, field in a fixed order") {
  Error e = malformed("expected 'MKXT', found 'ABCD'", "magic", 0x1c);
  CHECK(e.describe() == "at offset 0x1c: magic: expected 'MKXT', found 'ABCD'");
  e.inFile("a.mkext");
  CHECK(e.describe() == "a.mkext: at offset 0x1c: magic: expected 'MKXT', found 'ABCD'");
  e.inFile("b.mkext");  // the first file named wins
  CHECK(e.file == "a.mkext");
  Error nested = std::move(Error(ErrorCode::Truncated, "short", "offset")).within("fat_arch[1]");
  CHECK(nested.describe() == "fat_arch[1].offset: short");
  CHECK(Error(ErrorCode::Io, "boom").describe() == "boom");
}

TEST_CASE("error codes have stable names") {
  CHECK(errorCodeName(ErrorCode::Truncated) == "truncated");
  CHECK(errorCodeName(ErrorCode::ChecksumMismatch) == "checksum-mismatch");
  CHECK(errorCodeName(ErrorCode::LimitExceeded) == "limit-exceeded");
  CHECK(static_cast<int>(ErrorCode::Io) == 7);
}

static Expected<int> half(int v) {
  if (v % 2) return malformed("odd", "v");
  return v / 2;
}

static Expected<int> quarter(int v) {
  KK_ASSIGN(int h, half(v));
  KK_ASSIGN(int q, half(h));
  return q;
}

TEST_CASE("Expected propagates the first error") {
  auto ok = quarter(8);
  REQUIRE(ok);
  CHECK(*ok == 2);
  auto bad = quarter(6);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::Malformed);
  CHECK(bad.error().message == "odd");
}

TEST_CASE("checked math rejects overflow") {
  CHECK(checkedAdd(UINT64_MAX, 1) == std::nullopt);
  CHECK(checkedAdd(1, 2) == 3u);
  CHECK(checkedMul(1ull << 32, 1ull << 32) == std::nullopt);
  CHECK(rangeFits(0, 10, 10));
  CHECK_FALSE(rangeFits(1, 10, 10));
  CHECK_FALSE(rangeFits(11, 0, 10));
  CHECK_FALSE(rangeFits(5, UINT64_MAX, 10));
  CHECK(alignUp(4097, 4096) == 8192u);
  CHECK(alignUp(UINT64_MAX, 4096) == std::nullopt);
}

TEST_CASE("endian loads and stores") {
  const uint8_t b[] = {0x4d, 0x4b, 0x58, 0x54, 1, 2, 3, 4};
  CHECK(loadBE32(b) == 0x4d4b5854u);
  CHECK(loadLE32(b) == 0x54584b4du);
  CHECK(loadBE64(b) == 0x4d4b585401020304ull);
  CHECK(loadLE16(b + 4) == 0x0201);
  uint8_t o[8] = {};
  storeBE32(o, 0xcafebabe);
  CHECK(o[0] == 0xca);
  CHECK(o[3] == 0xbe);
  storeLE64(o, 0x0102030405060708ull);
  CHECK(o[0] == 8);
  CHECK(o[7] == 1);
  CHECK(fourCC(0x4d4b5854) == "MKXT");
  CHECK(fourCC(0x00414243) == ".ABC");
  CHECK(hex(0) == "0x0");
}
