// The thin Mach-O writer (layout rules, errors) and file-offset rewriting (shift into a
// collection, take a member out again, pack scattered members).
#include <catch2/catch.hpp>

#include "TestPaths.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/MachOImage.h"
#include "kextkit/macho/MachOWriter.h"

using namespace kextkit;
using namespace kextkit::macho;

namespace {

SegmentSpec seg(std::string name, uint64_t vmaddr, bool header = false) {
  SegmentSpec s;
  s.name = std::move(name);
  s.vmaddr = vmaddr;
  s.containsHeader = header;
  return s;
}

SectionSpec sect(std::string name, size_t n, uint8_t fill, uint32_t align) {
  SectionSpec s;
  s.sectname = std::move(name);
  s.data.assign(n, fill);
  s.align = align;
  return s;
}

MachOSpec spec64() {
  MachOSpec s;
  s.arch = {CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL};
  s.filetype = MH_EXECUTE;
  return s;
}

std::vector<uint8_t> readAll(const std::string& path) { return testkit::readBytes(path); }

}  // namespace

TEST_CASE("writer layout: header segment, alignment, zero fill, vm addresses") {
  MachOSpec s = spec64();
  SegmentSpec text = seg("__TEXT", 0x100000000, true);
  text.sections.push_back(sect("__text", 5, 0x90, 4));
  text.sections.push_back(sect("__const", 3, 0x01, 3));
  s.commands.push_back(text);
  SegmentSpec data = seg("__DATA", 0);
  data.followsPrevious = true;
  data.sections.push_back(sect("__data", 0x1001, 0x22, 0));
  SectionSpec bss;
  bss.sectname = "__bss";
  bss.flags = 0x1;
  bss.zeroFillSize = 0x100;
  bss.align = 4;
  data.sections.push_back(bss);
  s.commands.push_back(data);
  s.commands.push_back(RawCommandSpec{LC_UUID, std::vector<uint8_t>(16, 7)});
  MachOLayout L;
  auto bytes = writeMachO(s, &L);
  REQUIRE(bytes);
  CHECK(L.headerSize == 32);
  CHECK(L.cmdsizes == std::vector<uint32_t>{0xe8, 0xe8, 0x18});
  CHECK(L.sizeofcmds == 0x1e8);
  REQUIRE(L.segments.size() == 2);
  CHECK(L.segments[0].fileoff == 0);
  CHECK(L.segments[0].sections[0].offset == 0x210);  // 0x208 rounded to 16
  CHECK(L.segments[0].sections[1].offset == 0x218);  // 0x215 rounded to 8
  CHECK(L.segments[0].sections[1].addr == 0x100000218);
  CHECK(L.segments[0].filesize == 0x21b);
  CHECK(L.segments[0].vmsize == 0x1000);
  CHECK(L.segments[1].fileoff == 0x1000);
  CHECK(L.segments[1].vmaddr == 0x100001000);
  CHECK(L.segments[1].filesize == 0x1001);
  CHECK(L.segments[1].sections[1].offset == 0);
  CHECK(L.segments[1].sections[1].addr == 0x100002010);  // after the file bytes, 16-aligned
  CHECK(L.segments[1].vmsize == 0x2000);
  CHECK(L.fileSize == 0x2001);
  CHECK(bytes->size() == 0x2001);

  auto img = MachOImage::open(*bytes);
  REQUIRE(img);
  CHECK(img->header().ncmds == 3);
  CHECK(img->header().filetype == MH_EXECUTE);
  CHECK(img->segments()[1].sections[1].isZeroFill());
  CHECK(img->segments()[1].sections[1].size == 0x100);
  auto data0 = img->sectionData(img->segments()[1].sections[0]);
  REQUIRE(data0);
  CHECK(data0->size() == 0x1001);
  CHECK((*data0)[0x1000] == 0x22);
  CHECK((*bytes)[0x20f] == 0);  // gaps are zero
}

TEST_CASE("writer errors") {
  struct Case {
    const char* what;
    std::function<void(MachOSpec&)> change;
    ErrorCode code;
    const char* message;
  };
  const Case cases[] = {
      {"header segment not first",
       [](MachOSpec& s) {
         s.commands.push_back(seg("__A", 0));
         s.commands.push_back(seg("__TEXT", 0, true));
       },
       ErrorCode::InvalidArgument, "segment __TEXT: only the first segment can contain the header and load commands"},
      {"sections and data",
       [](MachOSpec& s) {
         SegmentSpec x = seg("__X", 0);
         x.data = {1};
         x.sections.push_back(sect("__y", 1, 0, 0));
         s.commands.push_back(x);
       },
       ErrorCode::InvalidArgument, "segment __X: a segment has either sections or raw data, not both"},
      {"file section after zero fill",
       [](MachOSpec& s) {
         SegmentSpec x = seg("__X", 0);
         SectionSpec z;
         z.sectname = "__bss";
         z.flags = 1;
         z.zeroFillSize = 8;
         x.sections.push_back(z);
         x.sections.push_back(sect("__data", 1, 0, 0));
         s.commands.push_back(x);
       },
       ErrorCode::InvalidArgument, "segment __X section __data: a section with file bytes follows a zero-fill section"},
      {"zero fill with data",
       [](MachOSpec& s) {
         SegmentSpec x = seg("__X", 0);
         SectionSpec z = sect("__bss", 4, 0, 0);
         z.flags = 1;
         x.sections.push_back(z);
         s.commands.push_back(x);
       },
       ErrorCode::InvalidArgument, "segment __X section __bss: a zero-fill section cannot have file bytes"},
      {"alignment too large",
       [](MachOSpec& s) {
         SegmentSpec x = seg("__X", 0);
         x.sections.push_back(sect("__a", 1, 0, 16));
         s.commands.push_back(x);
       },
       ErrorCode::InvalidArgument, "segment __X section __a: alignment 2^16 is above 2^15"},
      {"vmsize too small",
       [](MachOSpec& s) {
         SegmentSpec x = seg("__X", 0);
         x.data.assign(0x20, 1);
         x.vmsize = 0x10;
         s.commands.push_back(x);
       },
       ErrorCode::InvalidArgument, "segment __X: vmsize 0x10 is smaller than the contents (0x20)"},
      {"first segment follows nothing",
       [](MachOSpec& s) {
         SegmentSpec x = seg("__X", 0);
         x.followsPrevious = true;
         s.commands.push_back(x);
       },
       ErrorCode::InvalidArgument, "segment __X: the first segment cannot follow a previous one"},
      {"32-bit overflow",
       [](MachOSpec& s) {
         s.is64 = false;
         s.commands.push_back(seg("__X", 0x100000000));
       },
       ErrorCode::LimitExceeded, "segment __X: a segment value does not fit a 32-bit Mach-O"},
      {"page size",
       [](MachOSpec& s) { s.pageSize = 0x1800; },
       ErrorCode::InvalidArgument, "pageSize: page size 0x1800 is not a power of two"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      MachOSpec s = spec64();
      c.change(s);
      auto r = writeMachO(s);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == c.code);
      CHECK(r.error().describe() == c.message);
    }
  }
}

TEST_CASE("shiftFileOffsets and extractFilesetMember are inverses on real kexts") {
  const std::string kexts = testkit::testdataDir() + "/kexts";
  for (const char* rel : {"Sample.kext/Contents/MacOS/Sample", "Legacy.kext/Contents/MacOS/Legacy",
                          "Family.kext/Contents/PlugIns/Child.kext/Contents/MacOS/Child"}) {
    DYNAMIC_SECTION(rel) {
      std::vector<uint8_t> file = readAll(kexts + "/" + rel);
      auto thin = selectArch(file, {CPU_TYPE_X86_64, CPU_SUBTYPE_MULTIPLE});
      REQUIRE(thin);
      std::vector<uint8_t> original(thin->begin(), thin->end());
      const uint64_t at = 0x5000;
      auto shifted = shiftFileOffsets(original, at);
      REQUIRE(shifted);
      CHECK(shifted->size() == original.size());
      // Placed at 0x5000 in a bigger buffer, it opens in place with absolute offsets.
      std::vector<uint8_t> collection(at, 0xee);
      collection.insert(collection.end(), shifted->begin(), shifted->end());
      collection.resize(collection.size() + 0x300, 0xee);
      auto member = MachOImage::openAt(collection, at);
      REQUIRE(member);
      auto orig = MachOImage::open(original);
      REQUIRE(orig);
      REQUIRE(member->segments().size() == orig->segments().size());
      for (size_t i = 0; i < orig->segments().size(); ++i)
        if (orig->segments()[i].filesize > 0) CHECK(member->segments()[i].fileoff == orig->segments()[i].fileoff + at);
      auto back = extractFilesetMember(*member, collection.size() - 0x300);
      REQUIRE(back);
      CHECK(*back == original);
    }
  }
}

TEST_CASE("extractFilesetMember packs a member whose segments are spread through the file") {
  // A member with __TEXT at 0x1000 and __DATA at 0x8000 (another member sits between).
  MachOSpec m = spec64();
  m.filetype = MH_KEXT_BUNDLE;
  SegmentSpec text = seg("__TEXT", 0, true);
  text.sections.push_back(sect("__text", 0x40, 0xc3, 4));
  m.commands.push_back(text);
  SegmentSpec data = seg("__DATA", 0x1000);
  data.sections.push_back(sect("__data", 0x30, 0x5a, 3));
  m.commands.push_back(data);
  auto thin = writeMachO(m);
  REQUIRE(thin);
  auto img = MachOImage::open(*thin);
  REQUIRE(img);
  // Move __DATA's bytes to 0x8000 (relative to the collection) and __TEXT to 0x1000.
  auto map = [](uint64_t off, uint64_t) -> std::optional<uint64_t> { return off < 0x1000 ? off + 0x1000 : off + 0x7000; };
  auto cmds = remapLoadCommands(*img, map);
  REQUIRE(cmds);
  std::vector<uint8_t> kc(0x9000, 0xee);
  std::copy(thin->begin(), thin->begin() + 0x1000, kc.begin() + 0x1000);
  std::copy(thin->begin() + 0x1000, thin->end(), kc.begin() + 0x8000);
  std::copy(cmds->begin(), cmds->end(), kc.begin() + 0x1000);
  auto member = MachOImage::openAt(kc, 0x1000);
  REQUIRE(member);
  CHECK(member->segments()[1].fileoff == 0x8000);
  auto packed = extractFilesetMember(*member, 0x2000);
  REQUIRE(packed);
  CHECK(*packed == *thin);  // packing page-aligned segments gives the original layout back
  auto packedImg = MachOImage::open(*packed);
  REQUIRE(packedImg);
  auto d = packedImg->sectionData(packedImg->segments()[1].sections[0]);
  REQUIRE(d);
  CHECK((*d)[0] == 0x5a);
}

TEST_CASE("remapLoadCommands: a refused range names the command and field") {
  std::vector<uint8_t> file = readAll(testkit::testdataDir() + "/kexts/Sample.kext/Contents/MacOS/Sample");
  auto img = MachOImage::open(file);
  REQUIRE(img);
  auto r = remapLoadCommands(*img, [](uint64_t off, uint64_t) -> std::optional<uint64_t> {
    if (off >= 0x2000) return std::nullopt;
    return off;
  });
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Malformed);
  CHECK(r.error().describe() ==
        "at offset 0x308: load command 2 (LC_SEGMENT_64): fileoff range 0x2000 + 0x118 cannot be placed in the output");
  auto big = remapLoadCommands(*img, [](uint64_t off, uint64_t) -> std::optional<uint64_t> { return off + (uint64_t{1} << 32); });
  REQUIRE_FALSE(big);
  CHECK(big.error().code == ErrorCode::LimitExceeded);
  CHECK(big.error().describe() ==
        "at offset 0x98: load command 0 (LC_SEGMENT_64): new section offset 0x100000428 does not fit its field");
}
