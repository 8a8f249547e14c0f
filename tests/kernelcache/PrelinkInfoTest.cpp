// Prelink info modelling and library resolution, pointer untagging, kmod_info parsing.
#include <catch2/catch.hpp>

#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/kernelcache/KernelcacheFormat.h"
#include "kextkit/kernelcache/PrelinkInfo.h"
#include "kextkit/support/Endian.h"

using namespace kextkit;
using namespace kextkit::kernelcache;

namespace {

std::string kext(const std::string& id, const std::string& version, const std::string& compat,
                 const std::string& libs, const std::string& extra = "") {
  std::string s = "<dict><key>CFBundleIdentifier</key><string>" + id + "</string><key>CFBundleVersion</key><string>" +
                  version + "</string>";
  if (!compat.empty()) s += "<key>OSBundleCompatibleVersion</key><string>" + compat + "</string>";
  if (!libs.empty()) s += "<key>OSBundleLibraries</key><dict>" + libs + "</dict>";
  return s + extra + "</dict>";
}

std::string lib(const std::string& id, const std::string& v) { return "<key>" + id + "</key><string>" + v + "</string>"; }

PrelinkInfo parse(const std::string& entriesXml, const PrelinkInfoOptions& o = {}) {
  auto p = parsePrelinkInfo("<dict><key>_PrelinkInfoDictionary</key><array>" + entriesXml + "</array></dict>", 0, o);
  REQUIRE(p);
  return std::move(p).value();
}

}  // namespace

TEST_CASE("libraries resolve to a compatible version, else to the identifier") {
  PrelinkInfo p = parse(kext("com.lib", "1.0", "1.0", "") +           // 0: too old for 2.0
                        kext("com.lib", "3.0", "2.0", "") +           // 1: compatible with 2.0
                        kext("com.user", "1.0", "", lib("com.lib", "2.0") + lib("com.none", "1.0")) +  // 2
                        kext("com.old", "1.0", "", lib("com.lib", "9.0")) +    // 3: nothing compatible
                        kext("com.self", "1.0", "1.0", lib("com.self", "1.0")));  // 4: names itself
  REQUIRE(p.kexts.size() == 5);
  const auto& user = p.kexts[2];
  REQUIRE(user.libraries.size() == 2);
  CHECK(user.libraries[0].identifier == "com.lib");
  CHECK(user.libraries[0].resolved == size_t{1});
  CHECK(user.libraries[1].identifier == "com.none");
  CHECK_FALSE(user.libraries[1].resolved);
  CHECK(p.kexts[3].libraries[0].resolved == size_t{0});  // the first kext with the identifier
  CHECK_FALSE(p.kexts[4].libraries[0].resolved);
}

TEST_CASE("arch-specific OSBundleLibraries win for the kernel's arch") {
  const std::string libs = lib("com.a", "1.0");
  const std::string x86 = "<key>OSBundleLibraries_x86_64</key><dict>" + lib("com.b", "1.0") + "</dict>";
  const std::string xml = kext("com.a", "1.0", "1.0", "") + kext("com.b", "1.0", "1.0", "") +
                          kext("com.c", "1.0", "", libs, x86);
  PrelinkInfoOptions x;
  x.cputype = macho::CPU_TYPE_X86_64;
  CHECK(parse(xml, x).kexts[2].libraries[0].identifier == "com.b");
  PrelinkInfoOptions a;
  a.cputype = macho::CPU_TYPE_ARM64;
  CHECK(parse(xml, a).kexts[2].libraries[0].identifier == "com.a");
}

TEST_CASE("entry fields, hasExecutable and infoPlist") {
  PrelinkInfo p = parse(
      kext("com.code", "1.0", "", "",
           "<key>_PrelinkExecutableLoadAddr</key><integer size=\"64\">0xffffff7f80001000</integer>"
           "<key>_PrelinkExecutableSourceAddr</key><integer size=\"64\">0xffffff8000401000</integer>"
           "<key>_PrelinkExecutableSize</key><integer size=\"64\">0x2000</integer>"
           "<key>_PrelinkKmodInfo</key><integer size=\"64\">0xffffff7f80002010</integer>"
           "<key>_PrelinkBundlePath</key><string>/S/L/E/Code.kext</string>"
           "<key>_PrelinkExecutableRelativePath</key><string>Contents/MacOS/Code</string>"
           "<key>CFBundleExecutable</key><string>Code</string>") +
      kext("com.codeless", "1.0", "", "",
           "<key>_PrelinkExecutableLoadAddr</key><integer size=\"64\">0x7fffffffffffffff</integer>") +
      kext("com.kpi", "1.0", "", "",
           "<key>OSKernelResource</key><true/><key>OSBundleIsInterface</key><true/>"
           "<key>_PrelinkInterfaceUUID</key><data>AAECAwQFBgcICQoLDA0ODw==</data>") +
      kext("com.merged", "1.0", "", "", "<key>ModuleIndex</key><integer>4</integer>"));
  const PrelinkEntry& code = p.kexts[0];
  CHECK(code.hasExecutable());
  CHECK(code.loadAddress == uint64_t{0xffffff7f80001000});
  CHECK(code.sourceAddress == uint64_t{0xffffff8000401000});
  CHECK(code.executableSize == uint64_t{0x2000});
  CHECK(code.kmodInfoAddress == uint64_t{0xffffff7f80002010});
  CHECK(code.bundlePath == "/S/L/E/Code.kext");
  CHECK(code.executableRelativePath == "Contents/MacOS/Code");
  CHECK(code.executableName == "Code");
  plist::Value info = code.infoPlist();
  CHECK(info.get("_PrelinkBundlePath") == nullptr);
  CHECK(info.get("_PrelinkExecutableSize") == nullptr);
  REQUIRE(info.get("CFBundleExecutable"));
  CHECK(code.info.get("_PrelinkBundlePath"));
  CHECK_FALSE(p.kexts[1].hasExecutable());
  CHECK(p.kexts[2].kernelResource);
  CHECK(p.kexts[2].isInterface);
  REQUIRE(p.kexts[2].interfaceUuid);
  CHECK(p.kexts[2].interfaceUuid->size() == 16);
  CHECK(p.kexts[3].hasExecutable());
  CHECK(p.kexts[3].moduleIndex == uint64_t{4});
}

TEST_CASE("prelink info limits") {
  PrelinkInfoOptions o;
  o.maxKexts = 1;
  auto p = parsePrelinkInfo("<dict><key>_PrelinkInfoDictionary</key><array><dict/><dict/></array></dict>", 0x500, o);
  REQUIRE_FALSE(p);
  CHECK(p.error().describe() == "at offset 0x500: _PrelinkInfoDictionary: 2 kexts exceed the limit of 1");
  // IDREF bombs are stopped by the dialect parser's materialization limit.
  std::string bomb = "<dict><key>_PrelinkInfoDictionary</key><array ID=\"0\"><string>" + std::string(4096, 'x') +
                     "</string></array><key>b</key><array ID=\"1\">";
  for (int i = 0; i < 64; ++i) bomb += "<array IDREF=\"0\"/>";
  bomb += "</array>";
  std::string more;
  for (int level = 2; level < 30; ++level) {
    more += "<key>k" + std::to_string(level) + "</key><array ID=\"" + std::to_string(level) + "\">";
    for (int i = 0; i < 8; ++i) more += "<array IDREF=\"" + std::to_string(level - 1) + "\"/>";
    more += "</array>";
  }
  auto b = parsePrelinkInfo(bomb + more + "</dict>");
  REQUIRE_FALSE(b);
  CHECK(b.error().code == ErrorCode::LimitExceeded);
}

TEST_CASE("threaded pointers (apple-containers.md §5.3)") {
  CHECK(untagKernelPointer(0x0017FFF007004000ull, 0) == 0xFFFFFFF007004000ull);  // BAZ's example
  CHECK(untagKernelPointer(0xfffffff007004000ull, 0) == 0xfffffff007004000ull);  // untagged
  CHECK(untagKernelPointer(0x8000000000001234ull, 0xfffffff007004000ull) == 0xfffffff007005234ull);  // auth
  const uint64_t addr = 0xfffffff0070abcd0ull;
  CHECK(untagKernelPointer(((addr >> 56) << 43) | (addr & ((uint64_t{1} << 43) - 1)), 0) == addr);
}

TEST_CASE("kmod_info layouts (apple-formats.md §3.4)") {
  std::vector<uint8_t> b64(KmodInfo64Layout::total, 0);
  storeLE32(&b64[KmodInfo64Layout::info_version], 1);
  std::copy_n("com.x", 5, b64.begin() + KmodInfo64Layout::name);
  std::copy_n("1.2", 3, b64.begin() + KmodInfo64Layout::version);
  storeLE64(&b64[KmodInfo64Layout::address], 0xffffff7f80001000);
  storeLE64(&b64[KmodInfo64Layout::size], 0x3000);
  storeLE64(&b64[KmodInfo64Layout::hdr_size], 0x1000);
  storeLE64(&b64[KmodInfo64Layout::start], 0x11);
  storeLE64(&b64[KmodInfo64Layout::stop], 0x22);
  auto k = parseKmodInfo(b64, true, Endian::Little, 0x99);
  REQUIRE(k);
  CHECK(k->address == 0x99);
  CHECK(k->infoVersion == 1);
  CHECK(k->name == "com.x");
  CHECK(k->version == "1.2");
  CHECK(k->kmodAddress == 0xffffff7f80001000);
  CHECK(k->size == 0x3000);
  CHECK(k->hdrSize == 0x1000);
  CHECK(k->start == 0x11);
  CHECK(k->stop == 0x22);

  std::vector<uint8_t> b32(KmodInfo32Layout::total, 0);
  std::copy_n("com.y", 5, b32.begin() + KmodInfo32Layout::name);
  store<uint32_t>(&b32[KmodInfo32Layout::hdr_size], 0x1000, Endian::Big);
  store<uint32_t>(&b32[KmodInfo32Layout::size], 0x5000, Endian::Big);
  auto k32 = parseKmodInfo(b32, false, Endian::Big, 0);
  REQUIRE(k32);
  CHECK(k32->name == "com.y");
  CHECK(k32->hdrSize == 0x1000);
  CHECK(k32->size == 0x5000);
  CHECK(parseKmodInfo(io::Bytes(b32).first(100), false, Endian::Big, 0).error().describe() ==
        "at offset 0x0: kmod_info: needs 168 bytes, only 100 remain");

  PrelinkedKext pk;
  pk.size = 0x3000;
  CHECK(pk.wired() == 0x3000);
  pk.kmodInfo = *k;
  CHECK(pk.wired() == 0x2000);
  pk.kmodInfo->hdrSize = 0x4000;  // larger than the kext: ignored
  CHECK(pk.wired() == 0x3000);
}
