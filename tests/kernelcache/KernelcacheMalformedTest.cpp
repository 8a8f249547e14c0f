// Malformed kernelcaches: every Kernelcache::open() diagnostic on a tiny input with its exact
// message; truncated and bit-flipped caches never crash; the corpus's malformed files.
#include <catch2/catch.hpp>

#include "CacheFixtures.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/macho/MachOWriter.h"
#include "kextkit/support/Endian.h"

using namespace kextkit;
using namespace kextkit::kernelcache;
using namespace kextkit::testkit;

namespace {

macho::SectionSpec sect(std::string name, std::vector<uint8_t> data, uint32_t align = 0) {
  macho::SectionSpec s;
  s.sectname = std::move(name);
  s.data = std::move(data);
  s.align = align;
  return s;
}

std::vector<uint8_t> bytesOf(const std::string& s, bool nul = true) {
  std::vector<uint8_t> v(s.begin(), s.end());
  if (nul) v.push_back(0);
  return v;
}

/// A tiny x86_64 kernel: __TEXT (header, 16 bytes of code) at 0xffffff8000200000,
/// __PRELINK_TEXT at 0xffffff8000400000 holding `ptext`, __PRELINK_INFO with `info` sections.
std::vector<uint8_t> kernel(std::vector<macho::SectionSpec> info, std::vector<uint8_t> ptext = {},
                            uint32_t filetype = macho::MH_EXECUTE) {
  macho::MachOSpec s;
  s.arch = {macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_X86_64_ALL};
  s.filetype = filetype;
  macho::SegmentSpec text;
  text.name = "__TEXT";
  text.vmaddr = 0xffffff8000200000;
  text.containsHeader = true;
  text.sections.push_back(sect("__text", std::vector<uint8_t>(16, 0xc3), 4));
  s.commands.push_back(text);
  if (!ptext.empty()) {
    macho::SegmentSpec p;
    p.name = "__PRELINK_TEXT";
    p.vmaddr = 0xffffff8000400000;
    p.sections.push_back(sect("__text", std::move(ptext), 12));
    s.commands.push_back(p);
  }
  if (!info.empty()) {
    macho::SegmentSpec p;
    p.name = "__PRELINK_INFO";
    p.vmaddr = 0xffffff8000600000;
    p.sections = std::move(info);
    s.commands.push_back(p);
  }
  auto b = macho::writeMachO(s);
  REQUIRE(b);
  return *b;
}

std::vector<uint8_t> withInfo(const std::string& xml, std::vector<uint8_t> ptext = {}) {
  return kernel({sect("__info", bytesOf(xml))}, std::move(ptext));
}

std::string openMessage(const std::vector<uint8_t>& file, const OpenOptions& o = {}) {
  auto kc = Kernelcache::open(file, o);
  return kc ? "ok" : kc.error().describe();
}

std::string entries(const std::string& body) {
  return "<dict><key>_PrelinkInfoDictionary</key><array>" + body + "</array></dict>";
}

}  // namespace

TEST_CASE("kernelcache open: every diagnostic on a tiny kernel") {
  // __PRELINK_INFO,__info lands at file offset 0x1000 in these kernels (after __TEXT's page),
  // or at 0x4000 after a __PRELINK_TEXT holding the Sample executable.
  const std::vector<uint8_t> exe = readBytes(testdataDir() + "/kexts/Sample.kext/Contents/MacOS/Sample");
  struct Case {
    const char* what;
    std::vector<uint8_t> file;
    const char* message;
  };
  const std::string foo = "<key>CFBundleIdentifier</key><string>com.foo</string>";
  const Case cases[] = {
      {"not a prelinked kernel", kernel({}),
       "at offset 0x0: __PRELINK_INFO: the kernel has no __PRELINK_INFO,__info section: not a prelinked kernel"},
      {"info is not XML", withInfo("<dict><key>a</key><integer>1</dict>"),
       "at offset 0x101c: __PRELINK_INFO,__info: a: expected </integer>, found </dict> near line 1"},
      {"top is an array", withInfo("<array></array>"),
       "at offset 0x1000: __PRELINK_INFO,__info: expected a dict at the top, found array"},
      {"no _PrelinkInfoDictionary", withInfo("<dict></dict>"),
       "at offset 0x1000: __PRELINK_INFO,__info: the prelink info has no _PrelinkInfoDictionary key"},
      {"_PrelinkInfoDictionary not an array", withInfo("<dict><key>_PrelinkInfoDictionary</key><dict></dict></dict>"),
       "at offset 0x1000: _PrelinkInfoDictionary: expected an array, found dict"},
      {"entry not a dict", withInfo(entries("<dict></dict><string>x</string>")),
       "at offset 0x1000: _PrelinkInfoDictionary[1]: expected a dict, found string"},
      {"identifier not a string", withInfo(entries("<dict><key>CFBundleIdentifier</key><true/></dict>")),
       "at offset 0x1000: kext 0: CFBundleIdentifier: expected a string, found bool"},
      {"load address not an integer",
       withInfo(entries("<dict>" + foo + "<key>_PrelinkExecutableLoadAddr</key><string>0x1</string></dict>")),
       "at offset 0x1000: kext 0 (com.foo): _PrelinkExecutableLoadAddr: expected an integer, found string"},
      {"interface UUID not data",
       withInfo(entries("<dict>" + foo + "<key>_PrelinkInterfaceUUID</key><integer>1</integer></dict>")),
       "at offset 0x1000: kext 0 (com.foo): _PrelinkInterfaceUUID: expected data, found integer"},
      {"OSKernelResource not a bool",
       withInfo(entries("<dict>" + foo + "<key>OSKernelResource</key><string>yes</string></dict>")),
       "at offset 0x1000: kext 0 (com.foo): OSKernelResource: expected a bool, found string"},
      {"libraries not a dict", withInfo(entries("<dict>" + foo + "<key>OSBundleLibraries</key><array/></dict>")),
       "at offset 0x1000: kext 0 (com.foo): OSBundleLibraries: expected a dict, found array"},
      {"library version not a string",
       withInfo(entries("<dict>" + foo + "<key>OSBundleLibraries</key><dict><key>com.bar</key><integer>1</integer></dict></dict>")),
       "at offset 0x1000: kext 0 (com.foo): OSBundleLibraries.com.bar: expected a string, found integer"},
      {"source address outside every segment",
       withInfo(entries("<dict>" + foo +
                        "<key>_PrelinkExecutableLoadAddr</key><integer size=\"64\">0xffffff7f80000000</integer>"
                        "<key>_PrelinkExecutableSourceAddr</key><integer size=\"64\">0xffffff8000900000</integer>"
                        "<key>_PrelinkExecutableSize</key><integer size=\"64\">0x2118</integer></dict>")),
       "at offset 0x1000: kext 0 (com.foo): _PrelinkExecutableSourceAddr 0xffffff8000900000 and "
       "_PrelinkExecutableSize 0x2118: address range [0xffffff8000900000, 0xffffff8000902118) is not inside any "
       "segment"},
      {"source range longer than the segment's file bytes",
       withInfo(entries("<dict>" + foo +
                        "<key>_PrelinkExecutableLoadAddr</key><integer size=\"64\">0xffffff7f80000000</integer>"
                        "<key>_PrelinkExecutableSourceAddr</key><integer size=\"64\">0xffffff8000400000</integer>"
                        "<key>_PrelinkExecutableSize</key><integer size=\"64\">0x3000</integer></dict>"),
                exe),
       "at offset 0x4000: kext 0 (com.foo): _PrelinkExecutableSourceAddr 0xffffff8000400000 and "
       "_PrelinkExecutableSize 0x3000: address range [0xffffff8000400000, 0xffffff8000403000) of segment "
       "__PRELINK_TEXT has no file bytes (filesize 0x2118)"},
      {"no Mach-O at the source address",
       withInfo(entries("<dict>" + foo +
                        "<key>_PrelinkExecutableLoadAddr</key><integer size=\"64\">0xffffff7f80000000</integer>"
                        "<key>_PrelinkExecutableSourceAddr</key><integer size=\"64\">0xffffff8000400100</integer>"
                        "<key>_PrelinkExecutableSize</key><integer size=\"64\">0x100</integer></dict>"),
                exe),
       "at offset 0x1100: kext 0 (com.foo): mach_header.magic: 0x6000000 is not a Mach-O magic (MH_MAGIC, MH_CIGAM, "
       "MH_MAGIC_64 or MH_CIGAM_64)"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) { CHECK(openMessage(c.file) == c.message); }
  }
}

TEST_CASE("kernelcache open: merged-layout diagnostics") {
  const std::string info = entries(
      "<dict><key>CFBundleIdentifier</key><string>com.foo</string><key>ModuleIndex</key><integer>3</integer></dict>");
  auto ptrs = [](std::initializer_list<uint64_t> v) {
    std::vector<uint8_t> out;
    for (uint64_t p : v) {
      uint8_t b[8];
      storeLE64(b, p);
      out.insert(out.end(), b, b + 8);
    }
    return out;
  };
  SECTION("__kmod_start without its N+1 entries") {
    auto k = kernel({sect("__info", bytesOf(info)), sect("__kmod_info", ptrs({0}), 3),
                     sect("__kmod_start", ptrs({0}), 3)});
    CHECK(openMessage(k) ==
          "at offset 0x10b8: __PRELINK_INFO,__kmod_start: __kmod_start holds 1 pointers; a __kmod_info of 1 needs 2");
  }
  SECTION("no __kmod_start") {
    auto k = kernel({sect("__info", bytesOf(info)), sect("__kmod_info", ptrs({0}), 3)});
    CHECK(openMessage(k) == "__PRELINK_INFO: a merged kernelcache has __kmod_info but no __kmod_start section");
  }
  SECTION("ModuleIndex beyond __kmod_info") {
    auto k = kernel({sect("__info", bytesOf(info)), sect("__kmod_info", ptrs({0}), 3),
                     sect("__kmod_start", ptrs({0xffffff8000200000, 0xffffff8000200010}), 3)});
    CHECK(openMessage(k) ==
          "at offset 0x1000: kext 0 (com.foo): ModuleIndex: ModuleIndex 3 is beyond the 1 entries of __kmod_info");
  }
  SECTION("a kext that ends before it starts") {
    const std::string i0 = entries(
        "<dict><key>CFBundleIdentifier</key><string>com.foo</string><key>ModuleIndex</key><integer>0</integer></dict>");
    auto k = kernel({sect("__info", bytesOf(i0)), sect("__kmod_info", ptrs({0}), 3),
                     sect("__kmod_start", ptrs({0xffffff8000200010, 0xffffff8000200000}), 3)});
    CHECK(openMessage(k) ==
          "kext 0 (com.foo): __PRELINK_INFO,__kmod_start: __kmod_start[1] 0xffffff8000200000 is below __kmod_start[0] "
          "0xffffff8000200010");
  }
  SECTION("an unreadable kmod_info is not an error") {
    const std::string i0 = entries(
        "<dict><key>CFBundleIdentifier</key><string>com.foo</string><key>ModuleIndex</key><integer>0</integer></dict>");
    auto k = kernel({sect("__info", bytesOf(i0)), sect("__kmod_info", ptrs({0x1234}), 3),
                     sect("__kmod_start", ptrs({0xffffff8000200000, 0xffffff8000200010}), 3)});
    auto kc = Kernelcache::open(k);
    REQUIRE(kc);
    CHECK(kc->layout() == Layout::Merged);
    CHECK(kc->kexts()[0].address == 0xffffff8000200000);
    CHECK(kc->kexts()[0].size == 0x10);
    CHECK_FALSE(kc->kexts()[0].kmodInfo);
  }
}

TEST_CASE("kernelcache open: container diagnostics") {
  std::vector<uint8_t> sample = readBytes(testdataDir() + "/kernelcache/sample.kc");
  CHECK(openMessage(std::vector<uint8_t>{'a', 'b'}) == "at offset 0x0: magic: needs 4 bytes, only 2 remain");
  CHECK(openMessage(bytesOf("hello world", false)) ==
        "at offset 0x0: magic: expected a fat header, a 'comp' prelinked kernel header or a Mach-O, found 'hell' "
        "(0x68656c6c)");
  OpenOptions arm;
  arm.arch = macho::Arch{macho::CPU_TYPE_ARM64, macho::CPU_SUBTYPE_MULTIPLE};
  CHECK(openMessage(sample, arm) == "no arm64 slice (the file has: x86_64)");
  // A 'comp' payload that decodes, then a Mach-O that does not open: offsets are in the image.
  std::vector<uint8_t> junk(0x400, 0x41);
  auto c = compressComp(junk, Compression::Lzvn, 0);
  REQUIRE(c);
  CHECK(openMessage(*c) ==
        "at offset 0x0: decompressed image: mach_header.magic: 0x41414141 is not a Mach-O magic (MH_MAGIC, MH_CIGAM, "
        "MH_MAGIC_64 or MH_CIGAM_64)");
}

TEST_CASE("truncated caches: every length fails cleanly") {
  for (const char* name : {"sample.kc", "sample-fileset.kc", "sample-merged.kc"}) {
    DYNAMIC_SECTION(name) {
      std::vector<uint8_t> file = readBytes(testdataDir() + "/kernelcache/" + name);
      REQUIRE(Kernelcache::open(file));
      for (size_t n = 0; n < file.size(); ++n) {
        std::vector<uint8_t> cut(file.begin(), file.begin() + static_cast<long>(n));
        auto kc = Kernelcache::open(cut);
        if (kc) FAIL("a " << n << "-byte prefix opened");
        CHECK_FALSE(kc.error().describe().empty());
      }
    }
  }
}

TEST_CASE("bit-flipped caches: errors or valid listings, never a crash") {
  // Compressed samples, with the checksum checked (flips in the payload are caught) and
  // without (they reach the Mach-O and plist parsers).
  for (const char* name : {"sample.kc", "sample-fileset.kc", "sample-merged.kc"}) {
    for (bool verify : {true, false}) {
      DYNAMIC_SECTION(name << (verify ? " verified" : " unverified")) {
        std::vector<uint8_t> file = readBytes(testdataDir() + "/kernelcache/" + name);
        OpenOptions o;
        o.verifyChecksum = verify;
        size_t failed = 0;
        for (size_t i = 0; i < file.size(); i += 3) {
          std::vector<uint8_t> f = file;
          f[i] ^= static_cast<uint8_t>(1u << (i % 8));
          auto kc = Kernelcache::open(f, o);
          if (!kc) {
            ++failed;
            CHECK_FALSE(kc.error().message.empty());
          } else {
            for (const auto& k : kc->kexts()) (void)kc->extractExecutable(k);
          }
        }
        CHECK(failed > 0);
      }
    }
  }
  // Uncompressed images: flips anywhere in the Mach-O and the prelink info.
  for (Layout layout : {Layout::Split, Layout::Fileset, Layout::Merged}) {
    DYNAMIC_SECTION("uncompressed " << layoutName(layout)) {
      std::vector<uint8_t> image = build(testdataKexts(), buildOptions(layout)).image;
      size_t failed = 0, opened = 0;
      for (size_t i = 0; i < image.size(); i += 31) {
        std::vector<uint8_t> f = image;
        f[i] ^= 0xff;
        auto kc = Kernelcache::open(f);
        if (!kc) {
          ++failed;
          continue;
        }
        ++opened;
        for (const auto& k : kc->kexts()) (void)kc->extractExecutable(k);
      }
      CHECK(failed > 0);
      CHECK(opened > 0);
    }
  }
}

TEST_CASE("the corpus's malformed kernelcaches give clear errors") {
  KK_REQUIRE_CORPUS(corpus);
  auto open = [&](const std::string& name) {
    auto m = io::MappedFile::open(corpus + "/kernelcache/malformed/" + name);
    REQUIRE(m);
    auto kc = Kernelcache::open(m->bytes());
    REQUIRE_FALSE(kc);
    return kc.error().describe();
  };
  CHECK(open("rizin-testbins__CVE-2022-0419.MH_FILESET") ==
        "at offset 0x14: mach_header_64.sizeofcmds: load commands [0x20, 0xf70470) extend past the end of the Mach-O "
        "(0x4f)");
  CHECK(open("radare2-testbins__xnu-kernelcache-oobread") ==
        "at offset 0x10a0: load command 12 (LC_SEGMENT_64): nsects 268435457 needs cmdsize 0x500000098 but cmdsize is "
        "0x98");
}
