// Bounded reader, mapped file, atomic output and output-directory confinement.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

#include "TestPaths.h"
#include "kextkit/io/AtomicFile.h"
#include "kextkit/io/ByteReader.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/io/OutputDir.h"

using namespace kextkit;
using namespace kextkit::io;
using kextkit::testkit::TempDir;

TEST_CASE("ByteReader reads in order and never past the end") {
  const uint8_t b[] = {0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2, 'a', 'b', 0, 'z'};
  ByteReader r(Bytes(b, sizeof b), 0x100);
  CHECK(*r.u32be("magic") == 0xcafebabeu);
  CHECK(*r.u32be("nfat_arch") == 2u);
  CHECK(r.offset() == 0x108);
  CHECK(*r.fixedString(4, "name") == "ab");
  CHECK(r.atEnd());
  auto e = r.u8("next");
  REQUIRE_FALSE(e);
  CHECK(e.error().code == ErrorCode::Truncated);
  CHECK(e.error().describe() == "at offset 0x10c: next: needs 1 bytes, only 0 remain");
}

TEST_CASE("ByteReader sub-ranges are checked with overflow-safe math") {
  const uint8_t b[16] = {};
  ByteReader r(Bytes(b, sizeof b), 0x40);
  auto ok = r.sub(4, 8, "slice");
  REQUIRE(ok);
  CHECK(ok->offset() == 0x44);
  CHECK(ok->size() == 8);
  auto past = r.sub(10, 8, "slice");
  REQUIRE_FALSE(past);
  CHECK(past.error().describe() == "at offset 0x4a: slice: range [0x4a, 0x52) extends past the end (0x50)");
  auto wrap = r.slice(8, UINT64_MAX, "huge");
  REQUIRE_FALSE(wrap);
  CHECK(wrap.error().code == ErrorCode::Truncated);
  CHECK_FALSE(r.seek(17));
  CHECK(r.seek(16));
  CHECK_FALSE(r.skip(1, "pad"));
}

TEST_CASE("ByteReader honours its byte order") {
  const uint8_t b[] = {1, 0, 0, 0};
  ByteReader le(Bytes(b, 4), 0, Endian::Little);
  ByteReader be(Bytes(b, 4), 0, Endian::Big);
  CHECK(*le.u32() == 1u);
  CHECK(*be.u32() == 0x01000000u);
}

TEST_CASE("MappedFile maps files, refuses directories, missing files and oversize") {
  TempDir t;
  testkit::writeText(t / "f", "hello");
  auto f = MappedFile::open(t / "f");
  REQUIRE(f);
  CHECK(f->size() == 5);
  CHECK(f->bytes()[4] == 'o');
  testkit::writeText(t / "empty", "");
  auto emptyFile = MappedFile::open(t / "empty");
  REQUIRE(emptyFile);
  CHECK(emptyFile->size() == 0);
  auto missing = MappedFile::open(t / "nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::NotFound);
  CHECK(missing.error().describe() == t / "nope" + ": cannot open: No such file or directory");
  auto dir = MappedFile::open(t.path());
  REQUIRE_FALSE(dir);
  CHECK(dir.error().code == ErrorCode::InvalidArgument);
  auto big = MappedFile::open(t / "f", 4);
  REQUIRE_FALSE(big);
  CHECK(big.error().code == ErrorCode::LimitExceeded);
}

TEST_CASE("AtomicFile writes whole files and leaves nothing on failure") {
  TempDir t;
  std::string out = t / "out.bin";
  {
    auto f = AtomicFile::create(out);
    REQUIRE(f);
    REQUIRE(f->write(std::string_view("0000data")));
    const uint8_t hdr[] = {'H', 'D', 'R', '!'};
    REQUIRE(f->writeAt(0, Bytes(hdr, 4)));
    CHECK_FALSE(std::filesystem::exists(out));  // not visible before commit
    REQUIRE(f->commit());
  }
  CHECK(testkit::readBytes(out) == std::vector<uint8_t>{'H', 'D', 'R', '!', 'd', 'a', 't', 'a'});

  // An abandoned file leaves neither the target nor a temp file.
  { auto f = AtomicFile::create(t / "abandoned"); REQUIRE(f); REQUIRE(f->write(std::string_view("x"))); }
  size_t entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(t.path())) ++entries;
  CHECK(entries == 1);

  // Existing files are refused unless overwriting is allowed.
  auto refused = writeFileAtomic(out, std::string_view("new"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::AlreadyExists);
  CHECK(refused.error().describe() == out + ": output exists; use -f to overwrite it");
  REQUIRE(writeFileAtomic(out, std::string_view("new"), Overwrite::Allow));
  CHECK(testkit::readBytes(out) == std::vector<uint8_t>{'n', 'e', 'w'});
  struct stat st {};
  REQUIRE(::stat(out.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == (0644u & ~static_cast<unsigned>(::umask(022))));
}

TEST_CASE("archive names cannot escape the output directory") {
  CHECK(sanitizeRelativePath("Foo.kext/Contents/Info.plist") == "Foo.kext/Contents/Info.plist");
  CHECK(sanitizeRelativePath("/System/Library/Extensions/Foo.kext") == "System/Library/Extensions/Foo.kext");
  CHECK(sanitizeRelativePath("../../etc/passwd") == "etc/passwd");
  CHECK(sanitizeRelativePath("a/./b/../c") == "a/b/c");
  CHECK(sanitizeRelativePath("..") == "");
  CHECK(sanitizeComponent("..") == "_");
  CHECK(sanitizeComponent("a/b") == "a_b");
  CHECK(sanitizeComponent(std::string_view("a\0b", 3)) == "a_b");

  TempDir t;
  auto d = OutputDir::open(t.path());
  REQUIRE(d);
  CHECK(d->pathFor("../x") == t / "x");
  REQUIRE(d->makeDirs("A.kext/Contents/MacOS"));
  CHECK(std::filesystem::is_directory(t / "A.kext/Contents/MacOS"));
  std::filesystem::create_directory_symlink("/tmp", t / "link");
  auto viaLink = d->makeDirs("link/evil");
  REQUIRE_FALSE(viaLink);
  CHECK(viaLink.error().code == ErrorCode::AlreadyExists);
  auto notDir = OutputDir::open(t / "missing");
  REQUIRE_FALSE(notDir);
  CHECK(notDir.error().code == ErrorCode::NotFound);
}
