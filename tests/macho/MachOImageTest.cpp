// MachOImage: the full load-command walk. Valid files decode completely; every diagnostic has
// a tiny input (a valid image from the writer with one field patched) and its exact message.
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>

#include "TestPaths.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/MachOImage.h"
#include "kextkit/macho/MachOWriter.h"
#include "kextkit/support/Format.h"

using namespace kextkit;
using namespace kextkit::macho;

namespace {

constexpr uint32_t kZeroFill = 0x1;

SectionSpec sect(std::string name, std::vector<uint8_t> data, uint32_t align = 2, uint32_t flags = 0) {
  SectionSpec s;
  s.sectname = std::move(name);
  s.data = std::move(data);
  s.align = align;
  s.flags = flags;
  return s;
}

/// A small valid x86_64 image: __TEXT (header, __text), __DATA (__data, __bss), __LINKEDIT
/// holding a 2-entry symbol table and strings, LC_UUID, LC_SYMTAB, LC_DYSYMTAB,
/// LC_FUNCTION_STARTS. Command offsets: 0 @0x20, 1 @0xb8, 2 @0x1a0, 3 @0x1e8, 4 @0x200,
/// 5 @0x218, 6 @0x268.
MachOSpec baseSpec() {
  MachOSpec s;
  s.arch = {CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL};
  s.filetype = MH_KEXT_BUNDLE;
  SegmentSpec text;
  text.name = "__TEXT";
  text.vmaddr = 0;
  text.containsHeader = true;
  text.sections.push_back(sect("__text", std::vector<uint8_t>(16, 0xc3), 4, 0x80000400));
  s.commands.push_back(text);
  SegmentSpec data;
  data.name = "__DATA";
  data.followsPrevious = true;
  data.sections.push_back(sect("__data", std::vector<uint8_t>(16, 0x11), 3));
  SectionSpec bss;
  bss.sectname = "__bss";
  bss.flags = kZeroFill;
  bss.zeroFillSize = 0x20;
  bss.align = 3;
  data.sections.push_back(bss);
  s.commands.push_back(data);
  SegmentSpec le;
  le.name = "__LINKEDIT";
  le.followsPrevious = true;
  le.data = std::vector<uint8_t>(64, 0);
  s.commands.push_back(le);
  s.commands.push_back(RawCommandSpec{LC_UUID, std::vector<uint8_t>(16, 0xab)});
  s.commands.push_back(RawCommandSpec{LC_SYMTAB, std::vector<uint8_t>(16, 0)});
  s.commands.push_back(RawCommandSpec{LC_DYSYMTAB, std::vector<uint8_t>(72, 0)});
  s.commands.push_back(RawCommandSpec{LC_FUNCTION_STARTS, std::vector<uint8_t>(8, 0)});
  return s;
}

std::vector<uint8_t> baseImage() {
  auto b = writeMachO(baseSpec());
  REQUIRE(b);
  return *b;
}

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) { store<uint32_t>(&b[at], v, Endian::Little); }
void put64(std::vector<uint8_t>& b, size_t at, uint64_t v) { store<uint64_t>(&b[at], v, Endian::Little); }

std::string describeOpen(const std::vector<uint8_t>& b) {
  auto img = MachOImage::open(b);
  if (img) return "ok";
  return img.error().describe();
}

}  // namespace

TEST_CASE("MachOImage: a writer image decodes completely") {
  std::vector<uint8_t> b = baseImage();
  auto img = MachOImage::open(b);
  REQUIRE(img);
  REQUIRE(img->segments().size() == 3);
  const Segment& text = img->segments()[0];
  CHECK(text.name == "__TEXT");
  CHECK(text.fileoff == 0);
  CHECK(text.vmaddr == 0);
  CHECK(text.vmsize == 0x1000);
  REQUIRE(text.sections.size() == 1);
  CHECK(text.sections[0].number == 1);
  CHECK(text.sections[0].sectname == "__text");
  CHECK(text.sections[0].segname == "__TEXT");
  CHECK(text.sections[0].offset == 0x280);  // after the 0x260 bytes of commands, 16-aligned
  CHECK(text.sections[0].addr == 0x280);
  const Segment& data = img->segments()[1];
  CHECK(data.fileoff == 0x1000);
  CHECK(data.vmaddr == 0x1000);
  REQUIRE(data.sections.size() == 2);
  CHECK(data.sections[1].number == 3);
  CHECK(data.sections[1].isZeroFill());
  CHECK(data.sections[1].addr == 0x1010);
  CHECK(data.filesize == 0x10);
  CHECK(img->segments()[2].fileoff == 0x2000);
  CHECK(img->uuid());
  CHECK(img->symtab());
  CHECK(img->hasDysymtab());
  CHECK(img->filesetEntries().empty());
  CHECK(img->findSection("__DATA", "__data") == &data.sections[0]);
  CHECK(img->findSegment("__LINKEDIT") == &img->segments()[2]);
  CHECK(img->findSection("__DATA", "__nope") == nullptr);

  auto bytes = img->sectionData(data.sections[0]);
  REQUIRE(bytes);
  CHECK(bytes->size() == 16);
  CHECK((*bytes)[0] == 0x11);
  auto bss = img->sectionData(data.sections[1]);
  REQUIRE(bss);
  CHECK(bss->empty());

  // Address translation through the segments.
  auto off = img->fileOffsetOf(0x1004, 8);
  REQUIRE(off);
  CHECK(*off == 0x1004);
  auto at = img->bytesAt(0x280, 2);
  REQUIRE(at);
  CHECK((*at)[0] == 0xc3);
  CHECK(img->fileOffsetOf(0x1010, 4).error().describe() ==
        "address 0x1010: address range [0x1010, 0x1014) of segment __DATA has no file bytes (filesize 0x10)");
  CHECK(img->fileOffsetOf(0x9000, 4).error().describe() ==
        "address 0x9000: address range [0x9000, 0x9004) is not inside any segment");
  CHECK(img->fileOffsetOf(~uint64_t{0}, 4).error().describe() ==
        "address 0xffffffffffffffff: address range [0xffffffffffffffff, overflow) overflows");
}

TEST_CASE("MachOImage: every diagnostic, with its exact message") {
  struct Case {
    const char* what;
    std::function<void(std::vector<uint8_t>&)> patch;
    const char* message;
  };
  // Command offsets in baseImage(): 0 @0x20 (__TEXT), 1 @0xb8 (__DATA: sections at 0x100 and
  // 0x150), 2 @0x1a0 (__LINKEDIT), 3 @0x1e8 (LC_UUID), 4 @0x200 (LC_SYMTAB), 5 @0x218
  // (LC_DYSYMTAB), 6 @0x268 (LC_FUNCTION_STARTS). The file is 0x2040 bytes.
  const Case cases[] = {
      {"segment cmdsize does not match nsects", [](auto& b) { put32(b, 0xb8 + 64, 1); },
       "at offset 0xf8: load command 1 (LC_SEGMENT_64): cmdsize 0xe8 does not match nsects 1 (0x48 + 1 * 0x50 = 0x98)"},
      {"filesize > vmsize", [](auto& b) { put64(b, 0xb8 + 48, 0x2000); },
       "at offset 0xe0: load command 1 (LC_SEGMENT_64): filesize 0x2000 is greater than vmsize 0x1000"},
      {"vmaddr + vmsize overflows", [](auto& b) { put64(b, 0xb8 + 24, ~uint64_t{0} - 0x10); },
       "at offset 0xd0: load command 1 (LC_SEGMENT_64): vmaddr 0xffffffffffffffef + vmsize 0x1000 overflows"},
      {"segment past the end", [](auto& b) { put64(b, 0x1a0 + 40, 0x2030); },
       "at offset 0x1c8: load command 2 (LC_SEGMENT_64): fileoff 0x2030 + filesize 0x40: segment [0x2030, 0x2070) "
       "extends past the end of the file (size 0x2040)"},
      {"section past the end of the file", [](auto& b) { put32(b, 0x100 + 48, 0x2038); },
       "at offset 0x130: load command 1 (LC_SEGMENT_64) section 0 (__DATA,__data): offset 0x2038 + size 0x10 extends "
       "past the end of the file (size 0x2040)"},
      {"section outside its segment's file range", [](auto& b) { put32(b, 0x100 + 48, 0x1ff0); },
       "at offset 0x130: load command 1 (LC_SEGMENT_64) section 0 (__DATA,__data): file range [0x1ff0, 0x2000) is "
       "outside the segment's file range [0x1000, 0x1010)"},
      {"section address outside its segment", [](auto& b) { put64(b, 0x100 + 32, 0x800); },
       "at offset 0x120: load command 1 (LC_SEGMENT_64) section 0 (__DATA,__data): addr 0x800 + size 0x10 is outside "
       "the segment's address range [0x1000, 0x2000)"},
      {"relocations past the end", [](auto& b) { put32(b, 0x100 + 56, 0x2000); put32(b, 0x100 + 60, 9); },
       "at offset 0x138: load command 1 (LC_SEGMENT_64) section 0 (__DATA,__data): relocation entries (reloff "
       "0x2000, nreloc 9) [0x2000, 0x2048) extend past the end of the file (size 0x2040)"},
      {"overlapping segments", [](auto& b) { put64(b, 0x1a0 + 40, 0x1008); put64(b, 0x1a0 + 48, 0x10); },
       "at offset 0x1c8: load command 2 (LC_SEGMENT_64): file range [0x1008, 0x1018) overlaps load command 1 "
       "(LC_SEGMENT_64) (__DATA) [0x1000, 0x1010)"},
      {"a segment over the load commands", [](auto& b) { put64(b, 0x1a0 + 40, 0x100); },
       "at offset 0x1c8: load command 2 (LC_SEGMENT_64): file range [0x100, 0x140) overlaps the Mach-O header and "
       "load commands [0x0, 0x278)"},
      {"symbol table past the end", [](auto& b) { put32(b, 0x200 + 8, 0x2000); put32(b, 0x200 + 12, 5); },
       "at offset 0x208: load command 4 (LC_SYMTAB): symbol table (symoff 0x2000, nsyms 5) [0x2000, 0x2050) extends "
       "past the end of the file (size 0x2040)"},
      {"string table past the end", [](auto& b) { put32(b, 0x200 + 16, 0x2000); put32(b, 0x200 + 20, 0x41); },
       "at offset 0x210: load command 4 (LC_SYMTAB): string table (stroff 0x2000, strsize 0x41) [0x2000, 0x2041) "
       "extends past the end of the file (size 0x2040)"},
      {"indirect symbol table past the end", [](auto& b) { put32(b, 0x218 + 56, 0x2038); put32(b, 0x218 + 60, 3); },
       "at offset 0x250: load command 5 (LC_DYSYMTAB): indirect symbol table (indirectsymoff 0x2038, nindirectsyms 3) "
       "[0x2038, 0x2044) extends past the end of the file (size 0x2040)"},
      {"local relocations past the end", [](auto& b) { put32(b, 0x218 + 72, 0x2040); put32(b, 0x218 + 76, 1); },
       "at offset 0x260: load command 5 (LC_DYSYMTAB): local relocations (locreloff 0x2040, nlocrel 1) [0x2040, "
       "0x2048) extends past the end of the file (size 0x2040)"},
      {"linkedit data past the end", [](auto& b) { put32(b, 0x268 + 8, 0x2030); put32(b, 0x268 + 12, 0x11); },
       "at offset 0x270: load command 6 (LC_FUNCTION_STARTS): data (dataoff 0x2030, datasize 17) [0x2030, 0x2041) "
       "extends past the end of the file (size 0x2040)"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      std::vector<uint8_t> b = baseImage();
      c.patch(b);
      CHECK(describeOpen(b) == c.message);
    }
  }
}

TEST_CASE("MachOImage: repeated singleton commands") {
  MachOSpec s = baseSpec();
  SECTION("LC_FUNCTION_STARTS twice") {
    s.commands.push_back(RawCommandSpec{LC_FUNCTION_STARTS, std::vector<uint8_t>(8, 0)});
    auto b = writeMachO(s);
    REQUIRE(b);
    CHECK(describeOpen(*b) ==
          "at offset 0x278: load command 7 (LC_FUNCTION_STARTS): is a second LC_FUNCTION_STARTS (the first is load "
          "command 6)");
  }
  SECTION("LC_DYLD_INFO after LC_DYLD_INFO_ONLY count as one kind") {
    s.commands.push_back(RawCommandSpec{LC_DYLD_INFO_ONLY, std::vector<uint8_t>(40, 0)});
    s.commands.push_back(RawCommandSpec{LC_DYLD_INFO, std::vector<uint8_t>(40, 0)});
    auto b = writeMachO(s);
    REQUIRE(b);
    CHECK(describeOpen(*b) ==
          "at offset 0x2a8: load command 8 (LC_DYLD_INFO): is a second LC_DYLD_INFO (the first is load command 7)");
  }
  SECTION("LC_MAIN twice") {
    s.commands.push_back(RawCommandSpec{LC_MAIN, std::vector<uint8_t>(16, 0)});
    s.commands.push_back(RawCommandSpec{LC_MAIN, std::vector<uint8_t>(16, 0)});
    auto b = writeMachO(s);
    REQUIRE(b);
    CHECK(describeOpen(*b) == "at offset 0x290: load command 8 (LC_MAIN): is a second LC_MAIN (the first is load command 7)");
  }
  SECTION("two LC_BUILD_VERSION are allowed (not a singleton), unknown commands kept raw") {
    s.commands.push_back(RawCommandSpec{LC_BUILD_VERSION, std::vector<uint8_t>(16, 0)});
    s.commands.push_back(RawCommandSpec{LC_BUILD_VERSION, std::vector<uint8_t>(16, 0)});
    s.commands.push_back(RawCommandSpec{0x7777, {1, 2, 3}});
    auto b = writeMachO(s);
    REQUIRE(b);
    auto img = MachOImage::open(*b);
    REQUIRE(img);
    const LoadCommand& raw = img->loadCommands().back();
    CHECK(raw.cmd == 0x7777);
    CHECK(raw.cmdsize == 16);
    CHECK(raw.raw[8] == 1);
    CHECK(raw.raw[10] == 3);
    CHECK(raw.raw[11] == 0);
  }
}

TEST_CASE("MachOImage: LC_FILESET_ENTRY decoding and diagnostics") {
  // A collection: __TEXT with the header, one region holding a member Mach-O, two entries.
  auto member = writeMachO(baseSpec());
  REQUIRE(member);
  MachOSpec kc;
  kc.arch = {CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL};
  kc.filetype = MH_FILESET;
  SegmentSpec text;
  text.name = "__TEXT";
  text.vmaddr = 0xffffff8000100000;
  text.containsHeader = true;
  kc.commands.push_back(text);
  SegmentSpec region;
  region.name = "__REGION0";
  region.followsPrevious = true;
  region.data = *member;
  kc.commands.push_back(region);
  kc.commands.push_back(FilesetEntrySpec{"com.apple.kernel", 0xffffff8000101000, 0x1000});
  kc.commands.push_back(FilesetEntrySpec{"org.example.other", 0xffffff8000101000, 0x1000});
  auto laid = layoutMachO(kc);
  REQUIRE(laid);
  CHECK(laid->segments[1].fileoff == 0x1000);
  auto b = writeMachO(kc);
  REQUIRE(b);
  // Entries: command 2 @0xb0 (cmdsize 0x38), command 3 @0xe8 (cmdsize 0x38); the file is 0x3040 bytes.
  auto img = MachOImage::open(*b);
  REQUIRE(img);
  REQUIRE(img->filesetEntries().size() == 2);
  CHECK(img->filesetEntries()[0].entryId == "com.apple.kernel");
  CHECK(img->filesetEntries()[0].fileoff == 0x1000);
  CHECK(img->filesetEntries()[0].vmaddr == 0xffffff8000101000);
  CHECK(img->filesetEntries()[1].commandIndex == 3);
  auto m = MachOImage::openAt(*b, 0x1000);
  REQUIRE(m);
  CHECK(m->headerOffset() == 0x1000);
  CHECK(m->header().filetype == MH_KEXT_BUNDLE);

  struct Case {
    const char* what;
    std::function<void(std::vector<uint8_t>&)> patch;
    const char* message;
  };
  const Case cases[] = {
      {"id offset inside the fixed part", [](auto& v) { put32(v, 0xb0 + 24, 0x10); },
       "at offset 0xc8: load command 2 (LC_FILESET_ENTRY): entry_id.offset 0x10 is not inside the command's string "
       "area [0x20, 0x38)"},
      {"id offset past cmdsize", [](auto& v) { put32(v, 0xb0 + 24, 0x38); },
       "at offset 0xc8: load command 2 (LC_FILESET_ENTRY): entry_id.offset 0x38 is not inside the command's string "
       "area [0x20, 0x38)"},
      {"id without NUL", [](auto& v) { std::fill(v.begin() + 0xb0 + 32, v.begin() + 0xb0 + 0x38, 'x'); },
       "at offset 0xd0: load command 2 (LC_FILESET_ENTRY): entry id is not NUL-terminated inside cmdsize 0x38"},
      {"empty id", [](auto& v) { v[0xb0 + 32] = 0; }, "at offset 0xd0: load command 2 (LC_FILESET_ENTRY): entry id is empty"},
      {"member header past the end", [](auto& v) { put64(v, 0xb0 + 16, 0x3038); },
       "at offset 0xc0: load command 2 (LC_FILESET_ENTRY): fileoff 0x3038: the member's mach_header extends past the "
       "end of the file (size 0x3040)"},
      {"repeated id", [](auto& v) { std::copy_n("com.apple.kernel", 17, v.begin() + 0xe8 + 32); },
       "at offset 0x108: load command 3 (LC_FILESET_ENTRY): entry id \"com.apple.kernel\" repeats load command 2"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      std::vector<uint8_t> v = *b;
      c.patch(v);
      CHECK(describeOpen(v) == c.message);
    }
  }
  CHECK(MachOImage::openAt(*b, 0x3041).error().describe() ==
        "at offset 0x3041: mach_header: Mach-O header offset 0x3041 is past the end of the file (size 0x3040)");
}

TEST_CASE("MachOImage: 32-bit and big-endian images") {
  MachOSpec s;
  s.is64 = false;
  s.endian = Endian::Big;
  s.arch = {CPU_TYPE_POWERPC, 0};
  s.filetype = MH_EXECUTE;
  SegmentSpec text;
  text.name = "__TEXT";
  text.vmaddr = 0x2000;
  text.containsHeader = true;
  text.sections.push_back(sect("__text", {1, 2, 3, 4}, 2));
  s.commands.push_back(text);
  auto b = writeMachO(s);
  REQUIRE(b);
  CHECK((*b)[0] == 0xfe);  // MH_MAGIC in big-endian byte order
  auto img = MachOImage::open(*b);
  REQUIRE(img);
  CHECK_FALSE(img->is64());
  CHECK(img->endian() == Endian::Big);
  REQUIRE(img->segments().size() == 1);
  CHECK(img->segments()[0].vmaddr == 0x2000);
  CHECK(img->segments()[0].sections[0].offset == 0x98);  // 28 + 56 + 68, already 4-aligned
}

TEST_CASE("MachOImage: every corpus Mach-O slice opens") {
  KK_REQUIRE_CORPUS(corpus);
  size_t opened = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(corpus + "/kexts")) {
    if (!e.is_regular_file() || e.path().string().find("/MacOS/") == std::string::npos) continue;
    auto m = io::MappedFile::open(e.path().string());
    REQUIRE(m);
    auto slices = listSlices(m->bytes());
    if (!slices) continue;
    for (const auto& s : *slices) {
      if (!MachOFile::open(s.data, s.offset)) continue;  // broken headers are MachOFile's business
      auto img = MachOImage::open(s.data, s.offset);
      INFO(e.path().string());
      CHECK(img);
      if (img) ++opened;
    }
  }
  CHECK(opened > 300);
}

TEST_CASE("MachOImage: the malformed corpus kernelcaches are refused with clear errors") {
  KK_REQUIRE_CORPUS(corpus);
  auto fileset = io::MappedFile::open(corpus + "/kernelcache/malformed/rizin-testbins__CVE-2022-0419.MH_FILESET");
  REQUIRE(fileset);
  CHECK(describeOpen(std::vector<uint8_t>(fileset->bytes().begin(), fileset->bytes().end())) ==
        "at offset 0x14: mach_header_64.sizeofcmds: load commands [0x20, 0xf70470) extend past the end of the Mach-O "
        "(0x4f)");
  auto oob = io::MappedFile::open(corpus + "/kernelcache/malformed/radare2-testbins__xnu-kernelcache-oobread");
  REQUIRE(oob);
  CHECK(describeOpen(std::vector<uint8_t>(oob->bytes().begin(), oob->bytes().end())) ==
        "at offset 0x10a0: load command 12 (LC_SEGMENT_64): nsects 268435457 needs cmdsize 0x500000098 but cmdsize is "
        "0x98");
}
