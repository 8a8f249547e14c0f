// Malformed mkext archives: one input per diagnostic, each with its exact message.
#include <catch2/catch.hpp>

#include "TestPaths.h"
#include "kextkit/compress/Adler32.h"
#include "kextkit/compress/Zlib.h"
#include "kextkit/mkext/MkextArchive.h"
#include "kextkit/mkext/MkextWriter.h"
#include "kextkit/support/Endian.h"

using namespace kextkit;
using namespace kextkit::mkext;

namespace {

constexpr int32_t kX86_64 = 0x01000007;

std::vector<uint8_t> validV2(size_t exeSize = 64) {
  PackKext k;
  plist::Dict d;
  d.set("CFBundleIdentifier", plist::Value("org.test.A"));
  d.set("CFBundleVersion", plist::Value("1.0"));
  d.set("CFBundleExecutable", plist::Value("A"));
  k.info = plist::Value(std::move(d));
  k.executable = testkit::randomBytes(exeSize, 5);  // incompressible: stored raw at offset 44
  k.bundlePath = "/S/L/E/A.kext";
  k.executableRelativePath = "Contents/MacOS/A";
  return *writeMkextSlice(MkextVersion::V2, kX86_64, 3, std::vector<PackKext>{k});
}

void resign(std::vector<uint8_t>& m) {
  storeBE32(m.data() + 12, compress::adler32(io::Bytes(m).subspan(16)));
}

/// Replaces the archive plist with `xml` (stored raw, NUL added), fixing sizes and checksum.
std::vector<uint8_t> withPlist(const std::string& xml) {
  std::vector<uint8_t> m = validV2();
  uint32_t off = loadBE32(m.data() + 32);
  m.resize(off);
  m.insert(m.end(), xml.begin(), xml.end());
  m.push_back(0);
  storeBE32(m.data() + 36, 0);
  storeBE32(m.data() + 40, static_cast<uint32_t>(xml.size() + 1));
  storeBE32(m.data() + 8, static_cast<uint32_t>(m.size()));
  resign(m);
  return m;
}

std::string describe(const std::vector<uint8_t>& m) {
  auto r = readMkext(io::Bytes(m));
  REQUIRE_FALSE(r);
  return r.error().describe();
}

}  // namespace

TEST_CASE("header diagnostics") {
  std::vector<uint8_t> m = validV2();

  SECTION("too short") {
    m.resize(20);
    CHECK(describe(m) == "at offset 0x0: mkext_header: needs 32 bytes, only 20 remain");
  }
  SECTION("wrong magic") {
    m[0] = 'X';
    CHECK(describe(m) == "at offset 0x0: magic: expected 'MKXT' (0x4d4b5854), found 'XKXT' (0x584b5854)");
  }
  SECTION("wrong signature") {
    m[7] = 'Y';
    CHECK(describe(m) == "at offset 0x4: signature: expected 'MOSX' (0x4d4f5358), found 'MOSY' (0x4d4f5359)");
  }
  SECTION("length does not match") {
    storeBE32(m.data() + 8, static_cast<uint32_t>(m.size() + 1));
    CHECK(describe(m) == "at offset 0x8: length: header length " + std::to_string(m.size() + 1) +
                             " does not match the " + std::to_string(m.size()) + "-byte archive");
  }
  SECTION("unknown version") {
    storeBE32(m.data() + 16, 0x02008000);
    resign(m);
    CHECK(describe(m) == "at offset 0x10: version: version 0x2008000 is neither mkext1 (0x1008000) nor mkext2 (0x2002001)");
  }
  SECTION("bad adler32") {
    m.back() ^= 1;
    auto r = readMkext(io::Bytes(m));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::ChecksumMismatch);
    CHECK(r.error().describe().rfind("at offset 0xc: adler32: header says 0x", 0) == 0);
  }
  SECTION("mkext2 with CPU_TYPE_ANY") {
    storeBE32(m.data() + 24, 0xffffffff);
    resign(m);
    CHECK(describe(m) == "at offset 0x18: cputype: mkext2 archives must name one CPU type, found CPU_TYPE_ANY");
  }
  SECTION("numkexts disagrees with the plist") {
    storeBE32(m.data() + 20, 2);
    resign(m);
    CHECK(describe(m) == "at offset 0x14: numkexts: header says 2 kexts, the plist lists 1");
  }
}

TEST_CASE("plist diagnostics") {
  std::vector<uint8_t> m = validV2();
  SECTION("plist out of bounds") {
    storeBE32(m.data() + 32, static_cast<uint32_t>(m.size() - 2));
    resign(m);
    CHECK(describe(m).rfind("at offset 0x", 0) == 0);
    CHECK(describe(m).find(": plist: range [") != std::string::npos);
  }
  SECTION("plist offset inside the header") {
    storeBE32(m.data() + 32, 8);
    resign(m);
    CHECK(describe(m) == "at offset 0x20: plist_offset: plist_offset 0x8 lies inside the 44-byte header");
  }
  SECTION("plist full size over the limit") {
    storeBE32(m.data() + 40, 0xfffffff0);
    storeBE32(m.data() + 36, 10);  // claims compression so the stored range stays in bounds
    resign(m);
    CHECK(describe(m) == "at offset 0x28: plist_full_size: full size 4294967280 exceeds the limit of 536870912 bytes");
  }
  SECTION("plist is not a dict") {
    CHECK(describe(withPlist("<array></array>")) == "at offset 0x74: plist: archive plist is a array, expected a dict");
  }
  SECTION("plist lacks _MKEXTInfoDictionaries") {
    CHECK(describe(withPlist("<dict><key>x</key><true/></dict>")) ==
          "at offset 0x74: plist: archive plist has no _MKEXTInfoDictionaries array");
  }
  SECTION("info dictionary is not a dict") {
    auto bad = withPlist("<dict><key>_MKEXTInfoDictionaries</key><array><string>x</string></array></dict>");
    storeBE32(bad.data() + 20, 1);
    resign(bad);
    CHECK(describe(bad) == "at offset 0x74: kext[0]: info dictionary is a string, expected a dict");
  }
  SECTION("plist does not parse") {
    std::string d = describe(withPlist("<dict><key>_MKEXTInfoDictionaries</key><array><real>1</real></array></dict>"));
    CHECK(d.rfind("at offset 0x74: plist: ", 0) == 0);
  }
}

TEST_CASE("entry diagnostics") {
  std::vector<uint8_t> m = validV2();
  // The single executable entry sits right after the header, at 44.
  SECTION("_MKEXTExecutable outside the entries area") {
    auto bad = withPlist(
        "<dict><key>_MKEXTInfoDictionaries</key><array><dict><key>_MKEXTExecutable</key>"
        "<integer size=\"32\">0x10</integer></dict></array></dict>");
    CHECK(describe(bad) == "at offset 0x74: kext[0]: _MKEXTExecutable 0x10 is outside the file entries area [0x2c, 0x74)");
  }
  SECTION("_MKEXTExecutable is not an integer") {
    auto bad = withPlist(
        "<dict><key>_MKEXTInfoDictionaries</key><array><dict><key>_MKEXTExecutable</key>"
        "<string>44</string></dict></array></dict>");
    CHECK(describe(bad) == "at offset 0x74: kext[0]: _MKEXTExecutable is not an integer");
  }
  SECTION("stored entry larger than the archive") {
    storeBE32(m.data() + 44 + 4, 0x10000);
    resign(m);
    CHECK(describe(m) == "at offset 0x34: kext[0].data: needs 65536 bytes, only 64 remain");
  }
  SECTION("entry full size claims gigabytes") {
    storeBE32(m.data() + 44, 16);
    storeBE32(m.data() + 44 + 4, 0xc0000000);
    resign(m);
    CHECK(describe(m) == "at offset 0x30: kext[0].full_size: full size 3221225472 exceeds the limit of 536870912 bytes");
  }
  SECTION("compressed size that lies") {
    // Replace the stored entry by a zlib stream of the same data but claim one byte more.
    std::vector<uint8_t> data(m.begin() + 52, m.begin() + 52 + 64);
    auto z = compress::zlibEncode(io::Bytes(data));
    std::vector<uint8_t> e(8);
    storeBE32(e.data(), static_cast<uint32_t>(z.size()));
    storeBE32(e.data() + 4, 65);
    e.insert(e.end(), z.begin(), z.end());
    std::vector<uint8_t> rebuilt(m.begin(), m.begin() + 44);
    rebuilt.insert(rebuilt.end(), e.begin(), e.end());
    uint32_t oldPlist = loadBE32(m.data() + 32);
    uint32_t newPlist = static_cast<uint32_t>(rebuilt.size());
    rebuilt.insert(rebuilt.end(), m.begin() + oldPlist, m.end());
    storeBE32(rebuilt.data() + 32, newPlist);
    storeBE32(rebuilt.data() + 8, static_cast<uint32_t>(rebuilt.size()));
    resign(rebuilt);
    std::string d = describe(rebuilt);
    CHECK(d.rfind("at offset 0x", 0) == 0);
    CHECK(d.find("kext[0].executable") != std::string::npos);
  }
}

TEST_CASE("every truncation of an archive is an error, never a crash") {
  std::vector<uint8_t> m = validV2(300);
  for (size_t n = 0; n < m.size(); ++n) {
    std::vector<uint8_t> t(m.begin(), m.begin() + static_cast<long>(n));
    auto r = readMkext(io::Bytes(t));
    CHECK_FALSE(r);
  }
  // And with the length field and checksum fixed up to match, still an error.
  for (size_t n = 32; n < m.size(); n += 7) {
    std::vector<uint8_t> t(m.begin(), m.begin() + static_cast<long>(n));
    storeBE32(t.data() + 8, static_cast<uint32_t>(n));
    resign(t);
    CHECK_FALSE(readMkext(io::Bytes(t)));
  }
}

TEST_CASE("mkext1 entry diagnostics") {
  PackKext k;
  plist::Dict d;
  d.set("CFBundleIdentifier", plist::Value("org.test.A"));
  d.set("CFBundleVersion", plist::Value("1.0"));
  k.info = plist::Value(std::move(d));
  k.rawInfoPlist = "<dict><key>CFBundleIdentifier</key><string>org.test.A</string></dict>";
  k.executable = std::vector<uint8_t>(4096, 'A');  // LZSS-compressed
  auto m = *writeMkextSlice(MkextVersion::V1, kX86_64, 3, std::vector<PackKext>{k});
  SECTION("numkexts larger than the table") {
    storeBE32(m.data() + 20, 1000);
    resign(m);
    CHECK(describe(m) == "at offset 0x14: numkexts: numkexts 1000 needs a 32000-byte table, but only " +
                             std::to_string(m.size() - 32) + " bytes follow the header");
  }
  SECTION("module outside the archive") {
    storeBE32(m.data() + 48, 0xfffffff0);
    resign(m);
    CHECK(describe(m).find("kext[0].module: range [0xfffffff0") != std::string::npos);
  }
  SECTION("realsize over the limit") {
    storeBE32(m.data() + 48 + 8, 0xf0000000);
    resign(m);
    CHECK(describe(m) == "at offset 0x38: kext[0].module.realsize: full size 4026531840 exceeds the limit of 536870912 bytes");
  }
  SECTION("LZSS stream shorter than realsize") {
    storeBE32(m.data() + 48 + 8, 5000);
    resign(m);
    std::string d = describe(m);
    CHECK(d.find("kext[0].module") != std::string::npos);
    CHECK(readMkext(io::Bytes(m)).error().code == ErrorCode::Truncated);
  }
}
