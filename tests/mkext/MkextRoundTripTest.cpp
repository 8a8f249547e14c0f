// mkext writer -> reader round trips, determinism, and an independent check of the v2 layout.
#include <catch2/catch.hpp>
#include <zlib.h>

#include <cstring>

#include "TestPaths.h"
#include "kextkit/compress/Lzss.h"
#include "kextkit/mkext/MkextArchive.h"
#include "kextkit/mkext/MkextFormat.h"
#include "kextkit/mkext/MkextWriter.h"
#include "kextkit/plist/IOKitXml.h"
#include "kextkit/support/Endian.h"

using namespace kextkit;
using namespace kextkit::mkext;

namespace {

constexpr int32_t kX86_64 = 0x01000007;
constexpr int32_t kSubAll = 3;

plist::Value infoDict(const std::string& id, const std::string& version, const std::string& exe) {
  plist::Dict d;
  d.set("CFBundleIdentifier", plist::Value(id));
  d.set("CFBundleVersion", plist::Value(version));
  d.set("CFBundlePackageType", plist::Value("KEXT"));
  if (!exe.empty()) d.set("CFBundleExecutable", plist::Value(exe));
  plist::Dict libs;
  libs.set("com.apple.kpi.libkern", plist::Value("10.0"));
  d.set("OSBundleLibraries", plist::Value(std::move(libs)));
  d.set("IOProbeScore", plist::Value::integer(1000, 32));
  d.set("Flag", plist::Value(true));
  d.set("Blob", plist::Value(plist::Data{1, 2, 3, 0, 255}));
  return plist::Value(std::move(d));
}

std::vector<PackKext> sampleKexts() {
  std::vector<PackKext> v;
  PackKext a;  // compressible executable
  a.info = infoDict("org.test.A", "1.0", "A");
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "mov rax, [rbp-" + std::to_string(i % 64) + "]\n";
  a.executable = std::vector<uint8_t>(text.begin(), text.end());
  a.bundlePath = "/System/Library/Extensions/A.kext";
  a.executableRelativePath = "Contents/MacOS/A";
  a.rawInfoPlist = "<plist><dict><key>CFBundleIdentifier</key><string>org.test.A</string>"
                   "<key>CFBundleVersion</key><string>1.0</string><key>CFBundleExecutable</key>"
                   "<string>A</string></dict></plist>";
  v.push_back(a);
  PackKext b;  // incompressible executable: stored raw
  b.info = infoDict("org.test.B", "2.1b3", "B");
  b.executable = testkit::randomBytes(5000, 7);
  b.bundlePath = "/System/Library/Extensions/A.kext/Contents/PlugIns/B.kext";
  b.executableRelativePath = "Contents/MacOS/B";
  v.push_back(b);
  PackKext c;  // codeless
  c.info = infoDict("org.test.C", "3", "");
  c.bundlePath = "/Library/Extensions/C.kext";
  v.push_back(c);
  return v;
}

}  // namespace

TEST_CASE("mkext2 round trip keeps executables, plists and bundle paths") {
  auto kexts = sampleKexts();
  auto bytes = writeMkextSlice(MkextVersion::V2, kX86_64, kSubAll, kexts);
  REQUIRE(bytes);
  auto s = readMkextSlice(io::Bytes(*bytes));
  REQUIRE(s);
  CHECK(s->version == MkextVersion::V2);
  CHECK(s->cputype == kX86_64);
  CHECK(s->cpusubtype == kSubAll);
  REQUIRE(s->kexts.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    INFO("kext " << i);
    CHECK(s->kexts[i].info == kexts[i].info);  // _MKEXT* keys removed again
    CHECK(s->kexts[i].bundlePath == kexts[i].bundlePath);
    CHECK(s->kexts[i].executableRelativePath == kexts[i].executableRelativePath);
    CHECK(s->kexts[i].executable == kexts[i].executable);
  }
  CHECK(s->kexts[1].bundleVersion() == "2.1b3");
  CHECK(s->kexts[0].executableName() == "A");
  CHECK(s->kexts[2].executableOffset == 0);
}

TEST_CASE("mkext1 round trip stores the original Info.plist bytes") {
  auto kexts = sampleKexts();
  auto bytes = writeMkextSlice(MkextVersion::V1, kX86_64, kSubAll, kexts);
  REQUIRE(bytes);
  // kext_tools 426 layout: 32-byte header, numkexts+1 slots, data after them.
  CHECK(loadBE32(bytes->data() + 16) == MKEXT_VERS_1);
  CHECK(loadBE32(bytes->data() + 32) == 32 + 32 * 4);  // kext[0].plist.offset
  for (size_t i = 32 + 32 * 3; i < 32 + 32 * 4; ++i) CHECK((*bytes)[i] == 0);  // the spare slot
  auto s = readMkextSlice(io::Bytes(*bytes));
  REQUIRE(s);
  REQUIRE(s->kexts.size() == 3);
  CHECK(s->kexts[0].rawInfoPlist == kexts[0].rawInfoPlist);
  CHECK(s->kexts[0].bundleId() == "org.test.A");
  CHECK(s->kexts[1].info == kexts[1].info);  // written as standard XML, read back equal
  CHECK(s->kexts[0].executable == kexts[0].executable);
  CHECK(s->kexts[1].executable == kexts[1].executable);
  CHECK_FALSE(s->kexts[2].executable.has_value());
  // The compressible executable went through LZSS; the random one was stored.
  CHECK(loadBE32(bytes->data() + 32 + 16 + 4) != 0);       // kext[0].module.compsize
  CHECK(loadBE32(bytes->data() + 32 + 32 + 16 + 4) == 0);  // kext[1].module.compsize
}

TEST_CASE("output does not depend on the thread count") {
  std::vector<PackKext> many;
  for (int i = 0; i < 40; ++i) {
    PackKext k;
    k.info = infoDict("org.test.k" + std::to_string(i), "1.0." + std::to_string(i), "k");
    auto exe = testkit::randomBytes(1000 + 97 * i, i + 1);
    for (size_t j = 0; j < exe.size(); j += 3) exe[j] = 0;  // partly compressible
    k.executable = exe;
    k.bundlePath = "/L/k" + std::to_string(i) + ".kext";
    many.push_back(std::move(k));
  }
  for (MkextVersion v : {MkextVersion::V1, MkextVersion::V2}) {
    auto one = writeMkextSlice(v, kX86_64, kSubAll, many, {1});
    auto two = writeMkextSlice(v, kX86_64, kSubAll, many, {2});
    auto eight = writeMkextSlice(v, kX86_64, kSubAll, many, {8});
    REQUIRE(one);
    REQUIRE(two);
    REQUIRE(eight);
    CHECK(*one == *two);
    CHECK(*one == *eight);
  }
}

TEST_CASE("mkext2 output satisfies an independent reading of apple-formats §2") {
  // This check uses zlib and raw byte offsets directly, not kextkit's reader.
  auto kexts = sampleKexts();
  auto out = writeMkextSlice(MkextVersion::V2, kX86_64, kSubAll, kexts);
  REQUIRE(out);
  const std::vector<uint8_t>& m = *out;
  REQUIRE(m.size() >= 44);
  CHECK(std::memcmp(m.data(), "MKXTMOSX", 8) == 0);
  CHECK(loadBE32(&m[8]) == m.size());
  CHECK(loadBE32(&m[12]) == ::adler32(1, m.data() + 16, static_cast<uInt>(m.size() - 16)));
  CHECK(loadBE32(&m[16]) == 0x02002001u);
  CHECK(loadBE32(&m[20]) == 3u);
  CHECK(static_cast<int32_t>(loadBE32(&m[24])) == kX86_64);
  uint32_t plistOff = loadBE32(&m[32]), plistComp = loadBE32(&m[36]), plistFull = loadBE32(&m[40]);
  REQUIRE(plistOff + (plistComp ? plistComp : plistFull) == m.size());  // plist is last, no padding
  std::vector<uint8_t> xml(plistFull);
  if (plistComp) {
    uLongf len = plistFull;
    REQUIRE(::uncompress(xml.data(), &len, &m[plistOff], plistComp) == Z_OK);
    CHECK(len == plistFull);
    CHECK(plistComp < plistFull);
  } else {
    std::memcpy(xml.data(), &m[plistOff], plistFull);
  }
  REQUIRE(xml.back() == 0);  // NUL-terminated, NUL counted in plist_full_size
  std::string text(reinterpret_cast<const char*>(xml.data()), xml.size() - 1);
  CHECK(text.rfind("<dict><key>_MKEXTInfoDictionaries</key><array>", 0) == 0);  // IOCFSerialize: no header
  auto top = plist::parseIOKitXml(text);
  REQUIRE(top);
  const plist::Array* infos = top->get("_MKEXTInfoDictionaries")->asArray();
  REQUIRE(infos);
  REQUIRE(infos->size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    const plist::Value& d = (*infos)[i];
    CHECK(*d.get("_MKEXTBundlePath")->asString() == kexts[i].bundlePath);
    const plist::Value* exe = d.get("_MKEXTExecutable");
    if (!kexts[i].executable) {
      CHECK(exe == nullptr);
      continue;
    }
    REQUIRE(exe);
    CHECK(exe->asInteger()->width == 32);
    uint32_t off = static_cast<uint32_t>(exe->asInteger()->bits);
    uint32_t comp = loadBE32(&m[off]), full = loadBE32(&m[off + 4]);
    CHECK(full == kexts[i].executable->size());
    std::vector<uint8_t> data(full);
    if (comp) {
      CHECK(comp < full);  // compressed only when smaller
      uLongf len = full;
      REQUIRE(::uncompress(data.data(), &len, &m[off + 8], comp) == Z_OK);
      CHECK(m[off + 8] == 0x78);  // zlib wrapper
    } else {
      std::memcpy(data.data(), &m[off + 8], full);
      uLongf bound = ::compressBound(full);
      std::vector<uint8_t> z(bound);
      REQUIRE(::compress2(z.data(), &bound, data.data(), full, 6) == Z_OK);
      CHECK(bound >= full);  // stored only when zlib would not shrink it
    }
    CHECK(data == *kexts[i].executable);
    CHECK(*d.get("_MKEXTExecutableRelativePath")->asString() == kexts[i].executableRelativePath);
  }
}

TEST_CASE("writer refuses CPU_TYPE_ANY for mkext2 and oversize ppc archives") {
  auto any = writeMkextSlice(MkextVersion::V2, -1, -1, sampleKexts());
  REQUIRE_FALSE(any);
  CHECK(any.error().describe() == "cputype: mkext2 archives must name one CPU type, not CPU_TYPE_ANY");
  PackKext big;
  big.info = infoDict("org.test.big", "1", "big");
  big.executable = testkit::randomBytes(17 << 20, 3);
  auto ppc = writeMkextSlice(MkextVersion::V1, 18, 0, std::vector<PackKext>{big});
  REQUIRE_FALSE(ppc);
  CHECK(ppc.error().code == ErrorCode::LimitExceeded);
  CHECK(ppc.error().describe().find("over Open Firmware's 16 MiB limit") != std::string::npos);
}

TEST_CASE("mkext1 refuses an empty executable, which it could not tell from none; mkext2 keeps it") {
  PackKext empty;
  empty.info = infoDict("org.test.empty", "1", "empty");
  empty.bundlePath = "/S/L/E/Empty.kext";
  empty.executable = std::vector<uint8_t>{};
  empty.executableRelativePath = "Contents/MacOS/empty";
  auto v1 = writeMkextSlice(MkextVersion::V1, 7, 3, std::vector<PackKext>{empty});
  REQUIRE_FALSE(v1);
  CHECK(v1.error().describe() ==
        "/S/L/E/Empty.kext: the executable is empty, and an mkext1 module of size 0 reads back as no executable");

  auto v2 = writeMkextSlice(MkextVersion::V2, 7, 3, std::vector<PackKext>{empty});
  REQUIRE(v2);
  auto back = readMkextSlice(io::Bytes(*v2));
  REQUIRE(back);
  REQUIRE(back->kexts.size() == 1);
  REQUIRE(back->kexts[0].executable);
  CHECK(back->kexts[0].executable->empty());
}
