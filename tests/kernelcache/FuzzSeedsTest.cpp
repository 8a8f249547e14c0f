// The seed corpora of fuzz_macho_open, fuzz_comp and fuzz_prelink_info are generated here from
// the library's own writers (KEXTKIT_REGEN_SEEDS=1 rewrites them); without the variable the
// test checks that every generated seed is still valid input for its target's parser.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "CacheFixtures.h"
#include "kextkit/kernelcache/CompContainer.h"
#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/kernelcache/PrelinkInfo.h"
#include "kextkit/macho/MachOImage.h"
#include "kextkit/macho/MachOWriter.h"

using namespace kextkit;
using namespace kextkit::testkit;

namespace {

std::string corpusDirOf(const std::string& target) {
  return testdataDir() + "/../tests/fuzz/corpus/" + target;
}

std::vector<uint8_t> tinyImage(bool is64, Endian e, macho::Arch arch, uint32_t filetype) {
  macho::MachOSpec s;
  s.is64 = is64;
  s.endian = e;
  s.arch = arch;
  s.filetype = filetype;
  s.pageSize = 16;
  macho::SegmentSpec text;
  text.name = "__TEXT";
  text.vmaddr = 0x1000;
  text.containsHeader = true;
  macho::SectionSpec code;
  code.sectname = "__text";
  code.data.assign(24, 0xc3);
  code.align = 2;
  text.sections.push_back(code);
  s.commands.push_back(text);
  macho::SegmentSpec data;
  data.name = "__DATA";
  data.followsPrevious = true;
  macho::SectionSpec d;
  d.sectname = "__data";
  d.data.assign(8, 0x5a);
  data.sections.push_back(d);
  macho::SectionSpec bss;
  bss.sectname = "__bss";
  bss.flags = 1;
  bss.zeroFillSize = 32;
  data.sections.push_back(bss);
  s.commands.push_back(data);
  macho::SegmentSpec le;
  le.name = "__LINKEDIT";
  le.followsPrevious = true;
  le.data.assign(16, 0);
  s.commands.push_back(le);
  s.commands.push_back(macho::RawCommandSpec{macho::LC_UUID, std::vector<uint8_t>(16, 0x11)});
  s.commands.push_back(macho::RawCommandSpec{macho::LC_SYMTAB, std::vector<uint8_t>(16, 0)});
  s.commands.push_back(macho::RawCommandSpec{macho::LC_DYSYMTAB, std::vector<uint8_t>(72, 0)});
  auto b = macho::writeMachO(s);
  REQUIRE(b);
  return *b;
}

std::vector<uint8_t> tinyFileset() {
  auto member = tinyImage(true, Endian::Little, {macho::CPU_TYPE_ARM64, 0}, macho::MH_KEXT_BUNDLE);
  macho::MachOSpec s;
  s.arch = {macho::CPU_TYPE_ARM64, 0};
  s.filetype = macho::MH_FILESET;
  s.pageSize = 16;
  macho::SegmentSpec text;
  text.name = "__TEXT";
  text.vmaddr = 0xfffffff007004000;
  text.containsHeader = true;
  s.commands.push_back(text);
  macho::SegmentSpec region;
  region.name = "__REGION0";
  region.followsPrevious = true;
  region.data = member;
  s.commands.push_back(region);
  s.commands.push_back(macho::FilesetEntrySpec{"com.example.kext", 0, 0});
  auto l = macho::layoutMachO(s);
  REQUIRE(l);
  auto shifted = macho::shiftFileOffsets(member, l->segments[1].fileoff);
  REQUIRE(shifted);
  std::get<macho::SegmentSpec>(s.commands[1]).data = *shifted;
  s.commands[2] = macho::FilesetEntrySpec{"com.example.kext", l->segments[1].vmaddr, l->segments[1].fileoff};
  auto b = macho::writeMachO(s);
  REQUIRE(b);
  return *b;
}

struct Seed {
  std::string target, name;
  std::vector<uint8_t> bytes;
};

std::vector<uint8_t> text(const std::string& s) { return {s.begin(), s.end()}; }

std::vector<Seed> seeds() {
  std::vector<Seed> out;
  const auto x64 = tinyImage(true, Endian::Little, {macho::CPU_TYPE_X86_64, 3}, macho::MH_EXECUTE);
  out.push_back({"fuzz_macho_open", "x86_64-execute", x64});
  out.push_back({"fuzz_macho_open", "ppc-be-32", tinyImage(false, Endian::Big, {macho::CPU_TYPE_POWERPC, 0}, macho::MH_EXECUTE)});
  out.push_back({"fuzz_macho_open", "arm64-fileset", tinyFileset()});

  auto lzss = kernelcache::compressComp(x64, kernelcache::Compression::Lzss, 1);
  auto lzvn = kernelcache::compressComp(x64, kernelcache::Compression::Lzvn, 0);
  REQUIRE(lzss);
  REQUIRE(lzvn);
  out.push_back({"fuzz_comp", "complzss", *lzss});
  out.push_back({"fuzz_comp", "complzvn", *lzvn});
  std::vector<uint8_t> rt{0x01};
  rt.insert(rt.end(), x64.begin(), x64.begin() + 200);
  out.push_back({"fuzz_comp", "roundtrip-lzvn", rt});

  // The kext fuzz_prelink_info's kernel places at 0xffffff8000400000 is 0xc0 bytes long.
  const std::string kext =
      "<dict><key>CFBundleIdentifier</key><string ID=\"0\">com.example.a</string>"
      "<key>CFBundleVersion</key><string>1.0</string><key>OSBundleCompatibleVersion</key><string>1.0</string>"
      "<key>_PrelinkExecutableLoadAddr</key><integer size=\"64\">0xffffff7f80000000</integer>"
      "<key>_PrelinkExecutableSourceAddr</key><integer size=\"64\">0xffffff8000400000</integer>"
      "<key>_PrelinkExecutableSize</key><integer size=\"64\">0xc0</integer>"
      "<key>_PrelinkKmodInfo</key><integer size=\"64\">0xffffff7f80000020</integer>"
      "<key>_PrelinkBundlePath</key><string>/Library/Extensions/A.kext</string></dict>";
  const std::string user =
      "<dict><key>CFBundleIdentifier</key><string>com.example.b</string><key>CFBundleVersion</key>"
      "<string>2.0</string><key>OSBundleLibraries</key><dict><key>com.example.a</key><string>1.0</string>"
      "<key>com.apple.kpi.bsd</key><string>8.0</string></dict><key>OSKernelResource</key><false/></dict>";
  out.push_back({"fuzz_prelink_info", "two-kexts",
                 text("<dict><key>_PrelinkInfoDictionary</key><array>" + kext + user + "</array></dict>")});
  out.push_back({"fuzz_prelink_info", "merged-index",
                 text("<dict><key>_PrelinkInfoDictionary</key><array><dict><key>CFBundleIdentifier</key><string>x"
                      "</string><key>ModuleIndex</key><integer>0</integer><key>_PrelinkInterfaceUUID</key><data>"
                      "AAECAwQFBgcICQoLDA0ODw==</data></dict></array></dict>")});
  // The split sample's whole prelink info (IOCFSerialize output with IDs).
  auto sample = readBytes(testdataDir() + "/kernelcache/sample.kc");
  auto kc = kernelcache::Kernelcache::open(sample);
  REQUIRE(kc);
  auto info = kc->image().subspan(kc->prelinkInfoOffset(), kc->prelinkInfoSize());
  out.push_back({"fuzz_prelink_info", "sample-split", std::vector<uint8_t>(info.begin(), info.end())});
  return out;
}

}  // namespace

TEST_CASE("fuzz seed corpora are generated by the library and still valid") {
  const bool regen = std::getenv("KEXTKIT_REGEN_SEEDS") && std::string(std::getenv("KEXTKIT_REGEN_SEEDS")) == "1";
  for (const Seed& s : seeds()) {
    DYNAMIC_SECTION(s.target << "/" << s.name) {
      const std::string path = corpusDirOf(s.target) + "/" + s.name;
      if (regen) {
        std::filesystem::create_directories(corpusDirOf(s.target));
        writeBytes(path, s.bytes);
      }
      const std::vector<uint8_t> have = readBytes(path);
      if (s.target == "fuzz_comp" && s.name.rfind("comp", 0) == 0) {
        // Compressed seeds hold the same image (encoders may improve; their bytes may change).
        auto a = kernelcache::decompressComp(have);
        auto b = kernelcache::decompressComp(s.bytes);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(*a == *b);
      } else {
        CHECK(have == s.bytes);
      }
      if (s.target == "fuzz_macho_open") CHECK(macho::MachOImage::open(s.bytes));
      if (s.target == "fuzz_prelink_info")
        CHECK(kernelcache::parsePrelinkInfo(std::string_view(reinterpret_cast<const char*>(s.bytes.data()), s.bytes.size())));
    }
  }
}
