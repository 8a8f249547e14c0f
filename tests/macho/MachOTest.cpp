// Arch table, fat parsing and thinning, thin headers and load commands: every diagnostic with
// its exact message, plus every Mach-O of the real-world corpus.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "MachOBuilder.h"
#include "TestPaths.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/macho/Arch.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/MachOFile.h"

using namespace kextkit;
using namespace kextkit::macho;
using kextkit::testkit::buildFat;
using kextkit::testkit::TestCommand;
using kextkit::testkit::TestFatArch;
using kextkit::testkit::TestMachO;

namespace {

Bytes bytesOf(const std::vector<uint8_t>& v) { return Bytes(v.data(), v.size()); }

const std::vector<uint8_t> kUuid = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                    0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};

TestCommand unknownCommand(size_t bodySize) { return TestCommand{0x77, std::vector<uint8_t>(bodySize, 0), {}}; }


}  // namespace

TEST_CASE("arch table maps names to cputype/cpusubtype and back") {
  struct Row {
    const char* name;
    cpu_type_t cputype;
    cpu_subtype_t cpusubtype;
  };
  const Row rows[] = {
      {"any", -1, -1},
      {"i386", 7, 3},
      {"x86_64", 0x01000007, 3},
      {"x86_64h", 0x01000007, 8},
      {"ppc", 18, 0},
      {"ppc64", 0x01000012, 0},
      {"arm", 12, 0},
      {"armv6", 12, 6},
      {"armv7", 12, 9},
      {"armv7s", 12, 11},
      {"arm64", 0x0100000c, 0},
      {"arm64e", 0x0100000c, 2},
      {"arm64_32", 0x0200000c, 1},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto a = archFromName(row.name);
    REQUIRE(a);
    CHECK(a->cputype == row.cputype);
    CHECK(a->cpusubtype == row.cpusubtype);
    CHECK(archName(*a) == std::optional<std::string_view>(row.name));
  }
  CHECK_FALSE(archFromName("X86_64"));
  CHECK_FALSE(archFromName("sparc64"));
  // Capability bits are ignored when naming: arm64e as stored in files is 0x80000002.
  CHECK(archName({CPU_TYPE_ARM64, static_cast<cpu_subtype_t>(0x80000002)}) == std::optional<std::string_view>("arm64e"));
  CHECK(archName({CPU_TYPE_X86_64, static_cast<cpu_subtype_t>(0x80000003)}) == std::optional<std::string_view>("x86_64"));
  CHECK_FALSE(archName({0x77, 0}));
  CHECK(describeArch({0x77, 5}) == "cputype 0x77 cpusubtype 0x5");
  CHECK(describeArch({CPU_TYPE_ARM, 9}) == "armv7");
}

TEST_CASE("generic arch names are the cputype's CPU_SUBTYPE_MULTIPLE names") {
  const std::pair<cpu_type_t, const char*> rows[] = {
      {CPU_TYPE_I386, "i386"}, {CPU_TYPE_X86_64, "x86_64"}, {CPU_TYPE_POWERPC, "ppc"},
      {CPU_TYPE_POWERPC64, "ppc64"}, {CPU_TYPE_ARM, "arm"}, {CPU_TYPE_ARM64, "arm64"},
      {CPU_TYPE_ARM64_32, "arm64_32"},
  };
  for (auto [type, name] : rows) CHECK(genericArchName(type) == std::optional<std::string_view>(name));
  CHECK_FALSE(genericArchName(CPU_TYPE_SPARC));
}

TEST_CASE("archMatches masks capability bits and honours the wildcards") {
  const Arch x86_64{CPU_TYPE_X86_64, 3}, x86_64h{CPU_TYPE_X86_64, 8}, i386{CPU_TYPE_I386, 3};
  const Arch arm64{CPU_TYPE_ARM64, 0}, arm64e{CPU_TYPE_ARM64, 2};
  const Arch arm64eCaps{CPU_TYPE_ARM64, static_cast<cpu_subtype_t>(0x80000002)};
  struct Row {
    Arch slice, wanted;
    bool match;
  };
  const Row rows[] = {
      {x86_64, x86_64, true},
      {x86_64, x86_64h, false},
      {x86_64h, x86_64, false},
      {x86_64, i386, false},
      {arm64eCaps, arm64e, true},
      {arm64e, arm64eCaps, true},
      {arm64, arm64e, false},
      {arm64eCaps, arm64, false},
      {arm64eCaps, Arch{CPU_TYPE_ARM64, CPU_SUBTYPE_MULTIPLE}, true},
      {i386, Arch{CPU_TYPE_ANY, CPU_SUBTYPE_MULTIPLE}, true},
  };
  for (const auto& r : rows) CHECK(archMatches(r.slice, r.wanted) == r.match);
}

TEST_CASE("thin headers parse in both widths and both byte orders") {
  struct Row {
    bool is64;
    Endian endian;
    int32_t cputype;
    int32_t cpusubtype;
    uint32_t magicAsReadLE;
  };
  const Row rows[] = {
      {true, Endian::Little, CPU_TYPE_X86_64, 3, MH_MAGIC_64},
      {false, Endian::Little, CPU_TYPE_I386, 3, MH_MAGIC},
      {false, Endian::Big, CPU_TYPE_POWERPC, 0, MH_CIGAM},
      {true, Endian::Big, CPU_TYPE_POWERPC64, 0, MH_CIGAM_64},
  };
  for (const auto& row : rows) {
    TestMachO m;
    m.is64 = row.is64;
    m.endian = row.endian;
    m.cputype = row.cputype;
    m.cpusubtype = row.cpusubtype;
    m.filetype = MH_OBJECT;
    m.flags = 0x2000;
    m.commands = {m.segment("__TEXT", 2), TestMachO::uuid(kUuid)};
    auto bytes = m.build();
    auto h = parseMachOHeader(bytesOf(bytes));
    REQUIRE(h);
    CHECK(h->magic == row.magicAsReadLE);
    CHECK(h->is64 == row.is64);
    CHECK(h->endian == row.endian);
    CHECK(h->arch == Arch{row.cputype, row.cpusubtype});
    CHECK(h->filetype == MH_OBJECT);
    CHECK(h->ncmds == 2);
    CHECK(h->flags == 0x2000);
    const uint32_t segSize = row.is64 ? 72 + 2 * 80 : 56 + 2 * 68;
    CHECK(h->sizeofcmds == segSize + 24);

    auto f = MachOFile::open(bytesOf(bytes));
    REQUIRE(f);
    REQUIRE(f->loadCommands().size() == 2);
    const auto& seg = f->loadCommands()[0];
    CHECK(seg.cmd == (row.is64 ? LC_SEGMENT_64 : LC_SEGMENT));
    CHECK(seg.cmdsize == segSize);
    CHECK(seg.offset == h->headerSize());
    CHECK(seg.raw.size() == segSize);
    CHECK(f->loadCommands()[1].offset == h->headerSize() + segSize);
    REQUIRE(f->uuid());
    CHECK(formatUuid(*f->uuid()) == "01234567-89AB-CDEF-FEDC-BA9876543210");
    REQUIRE(f->findCommand(LC_UUID));
    CHECK(f->findCommand(LC_UUID)->index == 1);
    CHECK(f->findCommand(LC_SYMTAB) == nullptr);
    auto rd = f->reader(seg);
    REQUIRE(rd.skip(8));
    CHECK(*rd.fixedString(16, "segname") == "__TEXT");
  }
}

TEST_CASE("thin header and load command diagnostics") {
  auto withCommands = [](std::vector<TestCommand> cmds) {
    TestMachO m;
    m.commands = std::move(cmds);
    return m;
  };
  struct Row {
    const char* what;
    std::vector<uint8_t> bytes;
    ErrorCode code;
    const char* message;
  };
  std::vector<Row> rows;
  rows.push_back({"empty", {}, ErrorCode::Truncated, "at offset 0x0: mach_header.magic: needs 4 bytes, only 0 remain"});
  rows.push_back({"two bytes", {0xcf, 0xfa}, ErrorCode::Truncated,
                  "at offset 0x0: mach_header.magic: needs 4 bytes, only 2 remain"});
  rows.push_back({"ELF", {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}, ErrorCode::Malformed,
                  "at offset 0x0: mach_header.magic: 0x7f454c46 is not a Mach-O magic (MH_MAGIC, MH_CIGAM, "
                  "MH_MAGIC_64 or MH_CIGAM_64)"});
  rows.push_back({"fat", {0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 1}, ErrorCode::Malformed,
                  "at offset 0x0: mach_header.magic: 0xcafebabe is a fat (universal) header, not a thin Mach-O; "
                  "select a slice first"});
  {
    auto b = TestMachO().build();
    b.resize(20);
    rows.push_back({"truncated 64-bit header", b, ErrorCode::Truncated,
                    "at offset 0x0: mach_header_64: needs 32 bytes, only 20 remain"});
    TestMachO m32;
    m32.is64 = false;
    auto c = m32.build();
    c.resize(27);
    rows.push_back({"truncated 32-bit header", c, ErrorCode::Truncated,
                    "at offset 0x0: mach_header: needs 28 bytes, only 27 remain"});
  }
  {
    TestMachO m;
    m.sizeofcmds = 0x100;
    rows.push_back({"sizeofcmds past EOF", m.build(), ErrorCode::Truncated,
                    "at offset 0x14: mach_header_64.sizeofcmds: load commands [0x20, 0x120) extend past the end "
                    "of the Mach-O (0x20)"});
  }
  {
    auto m = withCommands({TestMachO::uuid(kUuid)});
    m.ncmds = 5;
    rows.push_back({"ncmds does not fit in sizeofcmds", m.build(), ErrorCode::Malformed,
                    "at offset 0x10: mach_header_64.ncmds: ncmds 5 needs at least 0x28 bytes of load commands but "
                    "sizeofcmds is 0x18"});
  }
  {
    auto m = withCommands({TestMachO::uuid(kUuid)});
    m.ncmds = 2;
    m.sizeofcmds = 0x18;
    rows.push_back({"commands run out before ncmds", m.build(), ErrorCode::Truncated,
                    "at offset 0x38: load command 1: needs 8 bytes for cmd and cmdsize, only 0 remain in "
                    "sizeofcmds"});
  }
  {
    TestCommand c = TestMachO::uuid(kUuid);
    c.cmdsize = 0;
    rows.push_back({"cmdsize 0", withCommands({c}).build(), ErrorCode::Malformed,
                    "at offset 0x20: load command 0 (LC_UUID): cmdsize 0x0 is smaller than a load_command (0x8)"});
  }
  rows.push_back({"cmdsize not a multiple of 8", withCommands({unknownCommand(4)}).build(), ErrorCode::Malformed,
                  "at offset 0x20: load command 0 (cmd 0x77): cmdsize 0xc is not a multiple of 8"});
  {
    TestMachO m;
    m.is64 = false;
    m.cputype = CPU_TYPE_I386;
    m.commands = {unknownCommand(2)};
    rows.push_back({"32-bit cmdsize not a multiple of 4", m.build(), ErrorCode::Malformed,
                    "at offset 0x1c: load command 0 (cmd 0x77): cmdsize 0xa is not a multiple of 4"});
  }
  {
    TestCommand c = TestMachO::uuid(kUuid);
    c.cmdsize = 0x30;
    rows.push_back({"cmdsize past sizeofcmds", withCommands({c}).build(), ErrorCode::Truncated,
                    "at offset 0x20: load command 0 (LC_UUID): cmdsize 0x30 extends past the end of the load "
                    "commands (0x38)"});
  }
  rows.push_back({"segment smaller than its structure",
                  withCommands({unknownCommand(0), unknownCommand(0), unknownCommand(0),
                                TestCommand{LC_SEGMENT_64, std::vector<uint8_t>(8, 0), {}}})
                      .build(),
                  ErrorCode::Malformed,
                  "at offset 0x38: load command 3 (LC_SEGMENT_64): cmdsize 0x10 is smaller than the command's "
                  "structure (0x48)"});
  rows.push_back({"LC_UUID of the wrong size",
                  withCommands({TestCommand{LC_UUID, std::vector<uint8_t>(24, 0), {}}}).build(), ErrorCode::Malformed,
                  "at offset 0x20: load command 0 (LC_UUID): cmdsize 0x20 is not the size of the command's "
                  "structure (0x18)"});
  {
    TestMachO m;
    TestCommand seg = m.segment("__TEXT", 2);
    seg.body.resize(seg.body.size() - 80);  // room for one section, nsects still says 2
    m.commands = {seg};
    rows.push_back({"nsects larger than cmdsize", m.build(), ErrorCode::Malformed,
                    "at offset 0x20: load command 0 (LC_SEGMENT_64): nsects 2 needs cmdsize 0xe8 but cmdsize is "
                    "0x98"});
  }
  {
    TestMachO m;
    m.is64 = false;
    m.endian = Endian::Big;
    m.cputype = CPU_TYPE_POWERPC;
    m.cpusubtype = 0;
    TestCommand seg = m.segment("__TEXT", 1);
    seg.body.resize(seg.body.size() - 68);
    m.commands = {seg};
    rows.push_back({"big-endian 32-bit nsects larger than cmdsize", m.build(), ErrorCode::Malformed,
                    "at offset 0x1c: load command 0 (LC_SEGMENT): nsects 1 needs cmdsize 0x7c but cmdsize is 0x38"});
  }
  rows.push_back({"two LC_UUIDs", withCommands({TestMachO::uuid(kUuid), TestMachO::uuid(kUuid)}).build(),
                  ErrorCode::Malformed,
                  "at offset 0x38: load command 1 (LC_UUID): is a second LC_UUID (the first is load command 0)"});
  rows.push_back({"two LC_SYMTABs",
                  withCommands({TestCommand{LC_SYMTAB, std::vector<uint8_t>(16, 0), {}}, unknownCommand(0),
                                TestCommand{LC_SYMTAB, std::vector<uint8_t>(16, 0), {}}})
                      .build(),
                  ErrorCode::Malformed,
                  "at offset 0x40: load command 2 (LC_SYMTAB): is a second LC_SYMTAB (the first is load command 0)"});

  rows.push_back({"two LC_DYSYMTABs",
                  withCommands({TestCommand{LC_DYSYMTAB, std::vector<uint8_t>(72, 0), {}},
                                TestCommand{LC_DYSYMTAB, std::vector<uint8_t>(72, 0), {}}})
                      .build(),
                  ErrorCode::Malformed,
                  "at offset 0x70: load command 1 (LC_DYSYMTAB): is a second LC_DYSYMTAB (the first is load command "
                  "0)"});

  for (const auto& row : rows) {
    INFO(row.what);
    auto f = MachOFile::open(bytesOf(row.bytes));
    REQUIRE_FALSE(f);
    CHECK(f.error().code == row.code);
    CHECK(f.error().describe() == row.message);
    // findUuid walks the same checks.
    auto u = findUuid(bytesOf(row.bytes));
    REQUIRE_FALSE(u);
    CHECK(u.error().describe() == row.message);
  }
}

TEST_CASE("errors inside a fat slice carry absolute file offsets") {
  TestCommand c = TestMachO::uuid(kUuid);
  c.cmdsize = 0;
  TestMachO m;
  m.commands = {c};
  auto f = MachOFile::open(bytesOf(m.build()), 0x4000);
  REQUIRE_FALSE(f);
  CHECK(f.error().describe() ==
        "at offset 0x4020: load command 0 (LC_UUID): cmdsize 0x0 is smaller than a load_command (0x8)");
}

TEST_CASE("findUuid returns nullopt for a Mach-O without LC_UUID") {
  TestMachO m;
  m.commands = {m.segment("__TEXT", 0)};
  auto bytes = m.build();
  auto u = findUuid(bytesOf(bytes));
  REQUIRE(u);
  CHECK_FALSE(*u);
  m.commands.push_back(TestMachO::uuid(kUuid));
  bytes = m.build();
  u = findUuid(bytesOf(bytes));
  REQUIRE(u);
  REQUIRE(*u);
  CHECK(formatUuid(**u) == "01234567-89AB-CDEF-FEDC-BA9876543210");
}

TEST_CASE("64-bit core files may have 4-aligned LC_THREADs (the kernel writes them)") {
  TestMachO m;
  m.filetype = MH_CORE;
  m.commands = {TestCommand{LC_THREAD, std::vector<uint8_t>(4, 0), {}}};
  auto core = m.build();
  auto f = MachOFile::open(bytesOf(core));
  REQUIRE(f);
  CHECK(f->loadCommands().at(0).cmdsize == 12);
  m.filetype = MH_KEXT_BUNDLE;
  auto kext = m.build();
  auto g = MachOFile::open(bytesOf(kext));
  REQUIRE_FALSE(g);
  CHECK(g.error().describe() == "at offset 0x20: load command 0 (LC_THREAD): cmdsize 0xc is not a multiple of 8");
}

TEST_CASE("cmdsize may leave slack at the end of sizeofcmds") {
  TestMachO m;
  m.commands = {TestMachO::uuid(kUuid), unknownCommand(8)};
  m.ncmds = 1;  // the second command's bytes are unused slack
  auto bytes = m.build();
  auto f = MachOFile::open(bytesOf(bytes));
  REQUIRE(f);
  CHECK(f->loadCommands().size() == 1);
}

namespace {
TestMachO thin(cpu_type_t type, cpu_subtype_t sub, uint32_t filetype, uint8_t uuidTag) {
  TestMachO m;
  m.is64 = (type & CPU_ARCH_ABI64) != 0;
  m.endian = type == CPU_TYPE_POWERPC ? Endian::Big : Endian::Little;
  m.cputype = type;
  m.cpusubtype = sub;
  m.filetype = filetype;
  auto u = kUuid;
  u[15] = uuidTag;
  m.commands = {TestMachO::uuid(u)};
  return m;
}
}  // namespace

TEST_CASE("fat files parse in every byte order and width, and thin to each arch") {
  auto x86 = thin(CPU_TYPE_X86_64, 3, MH_KEXT_BUNDLE, 1).build();
  auto i386 = thin(CPU_TYPE_I386, 3, MH_OBJECT, 2).build();
  auto ppc = thin(CPU_TYPE_POWERPC, 0, MH_OBJECT, 3).build();
  const std::vector<TestFatArch> archs = {
      {CPU_TYPE_X86_64, 3, x86, {}, {}, 0}, {CPU_TYPE_I386, 3, i386, {}, {}, 0}, {CPU_TYPE_POWERPC, 0, ppc, {}, {}, 0}};
  struct Row {
    bool fat64;
    Endian endian;
    uint64_t alignTo;
  };
  const Row rows[] = {{false, Endian::Big, 1}, {true, Endian::Big, 1}, {false, Endian::Little, 1},
                      {true, Endian::Little, 1}, {false, Endian::Big, 4096}};
  for (const auto& row : rows) {
    auto a = archs;
    if (row.alignTo == 4096)
      for (auto& x : a) x.align = 12;
    auto file = buildFat(a, row.fat64, row.endian, row.alignTo);
    INFO("fat64 " << row.fat64 << " little " << (row.endian == Endian::Little) << " align " << row.alignTo);
    CHECK(isFat(bytesOf(file)));
    auto slices = parseFat(bytesOf(file));
    REQUIRE(slices);
    REQUIRE(slices->size() == 3);
    uint64_t expectOffset = row.fat64 ? 8 + 3 * 32 : 8 + 3 * 20;
    if (row.alignTo == 4096) expectOffset = 4096;
    CHECK((*slices)[0].offset == expectOffset);
    CHECK((*slices)[0].size == x86.size());
    CHECK((*slices)[1].arch == Arch{CPU_TYPE_I386, 3});
    CHECK((*slices)[2].index == 2);
    for (const auto& s : *slices) {
      auto m = MachOFile::open(s.data, s.offset);
      REQUIRE(m);
      CHECK(m->arch() == s.arch);
    }
    for (const char* name : {"x86_64", "i386", "ppc"}) {
      auto slice = selectArch(bytesOf(file), *archFromName(name));
      REQUIRE(slice);
      auto m = MachOFile::open(*slice);
      REQUIRE(m);
      CHECK(archName(m->arch()) == std::optional<std::string_view>(name));
    }
    auto s = selectSlice(bytesOf(file), *archFromName("ppc"));
    REQUIRE(s);
    CHECK(s->index == 2);
    CHECK(s->data.data() == file.data() + s->offset);
    auto missing = selectArch(bytesOf(file), *archFromName("arm64"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::NotFound);
    CHECK(missing.error().describe() == "no arm64 slice (the file has x86_64, i386, ppc)");
  }
}

TEST_CASE("slice selection: capability bits, ALL fallback, arm64e strictness, thin input") {
  auto x86 = thin(CPU_TYPE_X86_64, 3, MH_KEXT_BUNDLE, 1).build();
  auto arm64e = thin(CPU_TYPE_ARM64, static_cast<cpu_subtype_t>(0x80000002), MH_KEXT_BUNDLE, 2).build();
  auto arm64 = thin(CPU_TYPE_ARM64, 0, MH_KEXT_BUNDLE, 3).build();
  auto fat = buildFat({{CPU_TYPE_X86_64, 3, x86, {}, {}, 0},
                       {CPU_TYPE_ARM64, static_cast<cpu_subtype_t>(0x80000002), arm64e, {}, {}, 0}});
  auto pick = [&](const std::vector<uint8_t>& file, const char* name) -> std::string {
    auto s = selectSlice(bytesOf(file), *archFromName(name));
    if (!s) return s.error().describe();
    return std::string(*archName(s->arch)) + "@" + std::to_string(s->offset);
  };
  CHECK(pick(fat, "arm64e") == "arm64e@" + std::to_string(48 + x86.size()));
  CHECK(pick(fat, "x86_64h") == "x86_64@48");  // Haswell runs generic x86_64
  CHECK(pick(fat, "arm64") == "no arm64 slice (the file has x86_64, arm64e)");
  CHECK(pick(fat, "any") == "x86_64@48");
  auto fatArm64 = buildFat({{CPU_TYPE_ARM64, 0, arm64, {}, {}, 0}});
  CHECK(pick(fatArm64, "arm64e") == "no arm64e slice (the file has arm64)");

  CHECK(pick(x86, "x86_64") == "x86_64@0");
  CHECK(pick(x86, "i386") == "no i386 slice (the file has x86_64)");
  CHECK(pick(arm64e, "arm64e") == "arm64e@0");
  auto whole = selectArch(bytesOf(x86), *archFromName("x86_64"));
  REQUIRE(whole);
  CHECK(whole->data() == x86.data());
  CHECK(whole->size() == x86.size());

  auto notMachO = selectArch(bytesOf(std::vector<uint8_t>{'M', 'K', 'X', 'T', 0, 0, 0, 0}), *archFromName("i386"));
  REQUIRE_FALSE(notMachO);
  CHECK(notMachO.error().describe() == "at offset 0x0: magic: 0x4d4b5854 is neither a fat nor a Mach-O magic");
  auto shortThin = listSlices(bytesOf(std::vector<uint8_t>{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1, 3, 0, 0, 0}));
  REQUIRE_FALSE(shortThin);
  CHECK(shortThin.error().describe() == "at offset 0x0: mach_header: needs 28 bytes, only 12 remain");
}

TEST_CASE("fat diagnostics") {
  const std::vector<uint8_t> blob(32, 0xaa);
  const std::vector<uint8_t> blob64(64, 0xbb);
  struct Row {
    const char* what;
    std::vector<uint8_t> bytes;
    ErrorCode code;
    const char* message;
  };
  std::vector<Row> rows;
  rows.push_back({"empty", {}, ErrorCode::Truncated, "at offset 0x0: fat_header.magic: needs 4 bytes, only 0 remain"});
  rows.push_back({"truncated nfat_arch", {0xca, 0xfe, 0xba, 0xbe, 0}, ErrorCode::Truncated,
                  "at offset 0x4: fat_header.nfat_arch: needs 4 bytes, only 1 remain"});
  rows.push_back({"not fat", {0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1}, ErrorCode::Malformed,
                  "at offset 0x0: fat_header.magic: 0xcffaedfe is not FAT_MAGIC (0xcafebabe) or FAT_MAGIC_64 "
                  "(0xcafebabf)"});
  rows.push_back({"no archs", {0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0}, ErrorCode::Malformed,
                  "at offset 0x4: fat_header.nfat_arch: is 0; a fat file has at least one architecture"});
  {
    auto b = buildFat({{CPU_TYPE_X86_64, 3, blob, {}, {}, 0}}, false, Endian::Big, 1, 65);
    rows.push_back({"too many archs", b, ErrorCode::LimitExceeded,
                    "at offset 0x4: fat_header.nfat_arch: 65 is more than the limit of 64"});
  }
  {
    auto b = buildFat({{CPU_TYPE_X86_64, 3, std::vector<uint8_t>(16, 0), {}, {}, 0}}, false, Endian::Big, 1, 3);
    rows.push_back({"arch table past EOF", b, ErrorCode::Truncated,
                    "at offset 0x8: fat_arch table: 3 entries of 20 bytes end at 0x44, past the end of the file "
                    "(0x2c)"});
  }
  rows.push_back({"slice past EOF", buildFat({{CPU_TYPE_X86_64, 3, blob, {}, 0x100, 0}}), ErrorCode::Truncated,
                  "at offset 0x10: fat_arch[0] (x86_64): slice [0x1c, 0x11c) extends past the end of the file "
                  "(0x3c)"});
  rows.push_back({"64-bit slice offset overflows", buildFat({{CPU_TYPE_ARM64, 0, blob, 0xffffffffffffff00ull, 0x200, 0}}, true),
                  ErrorCode::Truncated,
                  "at offset 0x10: fat_arch[0] (arm64): slice [0xffffffffffffff00, overflow) extends past the end "
                  "of the file (0x48)"});
  rows.push_back({"empty slice", buildFat({{CPU_TYPE_X86_64, 3, blob, {}, 0, 0}}), ErrorCode::Malformed,
                  "at offset 0x14: fat_arch[0] (x86_64): size is 0"});
  rows.push_back({"slice over the header", buildFat({{CPU_TYPE_X86_64, 3, blob, 8, {}, 0}}), ErrorCode::Malformed,
                  "at offset 0x10: fat_arch[0] (x86_64): offset 0x8 overlaps the fat header and arch table, which "
                  "end at 0x1c"});
  rows.push_back({"align too large", buildFat({{CPU_TYPE_X86_64, 3, blob, {}, {}, 16}}), ErrorCode::Malformed,
                  "at offset 0x18: fat_arch[0] (x86_64): align 2^16 is more than the maximum 2^15"});
  rows.push_back({"misaligned slice", buildFat({{CPU_TYPE_X86_64, 3, blob, {}, {}, 12}}), ErrorCode::Malformed,
                  "at offset 0x10: fat_arch[0] (x86_64): offset 0x1c is not aligned to 2^12"});
  rows.push_back({"overlapping slices",
                  buildFat({{CPU_TYPE_X86_64, 3, blob64, {}, {}, 0}, {CPU_TYPE_I386, 3, blob, 0x40, {}, 0}}),
                  ErrorCode::Malformed,
                  "at offset 0x1c: fat_arch[1] (i386): slice [0x40, 0x60) overlaps fat_arch[0] slice [0x30, 0x70)"});
  rows.push_back({"overlap found regardless of table order",
                  buildFat({{CPU_TYPE_X86_64, 3, blob, 0x60, {}, 0}, {CPU_TYPE_I386, 3, blob64, 0x30, {}, 0}}),
                  ErrorCode::Malformed,
                  "at offset 0x1c: fat_arch[1] (i386): slice [0x30, 0x70) overlaps fat_arch[0] slice [0x60, 0x80)"});
  rows.push_back({"duplicate arch",
                  buildFat({{CPU_TYPE_X86_64, 3, blob, {}, {}, 0}, {CPU_TYPE_X86_64, 3, blob, {}, {}, 0}}),
                  ErrorCode::Malformed, "at offset 0x1c: fat_arch[1] (x86_64): same architecture as fat_arch[0]"});
  rows.push_back({"duplicate arch up to capability bits",
                  buildFat({{CPU_TYPE_ARM64, 2, blob, {}, {}, 0},
                            {CPU_TYPE_ARM64, static_cast<cpu_subtype_t>(0x80000002), blob, {}, {}, 0}}),
                  ErrorCode::Malformed, "at offset 0x1c: fat_arch[1] (arm64e): same architecture as fat_arch[0]"});
  for (const auto& row : rows) {
    INFO(row.what);
    auto r = parseFat(bytesOf(row.bytes));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == row.code);
    CHECK(r.error().describe() == row.message);
  }

  // Different subtypes of one cputype are distinct architectures.
  auto ok = parseFat(bytesOf(buildFat({{CPU_TYPE_X86_64, 3, blob, {}, {}, 0}, {CPU_TYPE_X86_64, 8, blob, {}, {}, 0}})));
  REQUIRE(ok);
  CHECK(ok->size() == 2);
}

// ------------------------------------------------------------------------------------------
// Real-world corpus: every Mach-O and fat file listed in MANIFEST.tsv.

namespace {

struct ManifestRow {
  std::string path;
  std::string what;  // "MachO x86_64:MH_KEXT_BUNDLE" or "FAT[x86_64:MH_KEXT_BUNDLE, i386:MH_OBJECT]"
};

std::vector<ManifestRow> machoRows(const std::string& corpus) {
  std::ifstream f(corpus + "/MANIFEST.tsv");
  std::vector<ManifestRow> rows;
  std::string line;
  std::getline(f, line);
  while (std::getline(f, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, '\t')) cols.push_back(c);
    if (cols.size() < 7) continue;
    std::string what = cols[6].substr(0, cols[6].find(" | "));
    if (what.rfind("MachO ", 0) == 0 || what.rfind("FAT[", 0) == 0) rows.push_back({cols[0], what});
  }
  return rows;
}

// "x86_64:MH_KEXT_BUNDLE" -> matches this Mach-O? The manifest names 32-bit ARM generically.
bool sameArchAndType(const MachOFile& m, const std::string& archType) {
  auto colon = archType.find(':');
  std::string arch = archType.substr(0, colon), type = archType.substr(colon + 1);
  bool archOk = archName(m.arch()) == std::optional<std::string_view>(arch) ||
                genericArchName(m.arch().cputype) == std::optional<std::string_view>(arch);
  return archOk && fileTypeName(m.filetype()) == std::optional<std::string_view>(type);
}

}  // namespace

TEST_CASE("corpus: every Mach-O parses and every fat file thins to each listed arch") {
  KK_REQUIRE_CORPUS(corpus);
  auto rows = machoRows(corpus);
  REQUIRE(rows.size() > 400);
  size_t thinCount = 0, fatCount = 0, slicesOpened = 0, malformedSeen = 0, withUuid = 0;
  for (const auto& row : rows) {
    INFO(row.path << " : " << row.what);
    auto file = io::MappedFile::open(corpus + "/" + row.path);
    REQUIRE(file);
    const bool expectBroken = row.path.rfind("kernelcache/malformed/", 0) == 0;
    if (row.what.rfind("MachO ", 0) == 0) {
      auto m = MachOFile::open(file->bytes());
      if (expectBroken) {
        // Fuzzed reproducers: a clean error (or a valid header); never a crash.
        if (!m) ++malformedSeen;
        continue;
      }
      REQUIRE(m);
      CHECK(sameArchAndType(*m, row.what.substr(6)));
      if (m->uuid()) ++withUuid;
      ++thinCount;
      continue;
    }
    ++fatCount;
    auto slices = parseFat(file->bytes());
    REQUIRE(slices);
    std::string inner = row.what.substr(4, row.what.size() - 5);  // between "FAT[" and "]"
    std::vector<std::string> listed;
    for (size_t pos = 0; pos <= inner.size();) {
      size_t comma = inner.find(", ", pos);
      listed.push_back(inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
      if (comma == std::string::npos) break;
      pos = comma + 2;
    }
    REQUIRE(slices->size() == listed.size());
    for (size_t i = 0; i < listed.size(); ++i) {
      const auto& s = (*slices)[i];
      if (listed[i].find("MKXT") != std::string::npos) {  // fat mkext: slices are not Mach-O
        REQUIRE(s.data.size() >= 4);
        CHECK(std::string(reinterpret_cast<const char*>(s.data.data()), 4) == "MKXT");
        continue;
      }
      auto m = MachOFile::open(s.data, s.offset);
      REQUIRE(m);
      CHECK(m->arch() == s.arch);
      CHECK(sameArchAndType(*m, listed[i]));
      // Thinning by the listed name selects exactly this slice.
      auto want = archFromName(listed[i].substr(0, listed[i].find(':')));
      REQUIRE(want);
      auto thinned = selectSlice(file->bytes(), *want);
      REQUIRE(thinned);
      CHECK(thinned->index == s.index);
      ++slicesOpened;
    }
  }
  WARN("corpus Mach-O: " << thinCount << " thin files, " << fatCount << " fat files, " << slicesOpened
                         << " fat slices opened, " << withUuid << " thin files with LC_UUID, " << malformedSeen
                         << " malformed reproducers rejected cleanly");
  CHECK(thinCount > 300);
  CHECK(fatCount > 70);
}
