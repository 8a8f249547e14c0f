// Sections and symbol tables: both widths and byte orders, lookups, N_INDR, LC_DYSYMTAB,
// every malformed-table diagnostic with its exact message, and the real kexts of the corpus.
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>

#include "../kext/KextMachOBuilder.h"
#include "TestPaths.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/Symbols.h"

using namespace kextkit;
using namespace kextkit::macho;
using kextkit::testkit::SymbolMachO;
namespace fs = std::filesystem;

namespace {

SymbolMachO sample(bool is64, Endian endian) {
  SymbolMachO m;
  m.is64 = is64;
  m.endian = endian;
  if (!is64) {
    m.cputype = endian == Endian::Big ? CPU_TYPE_POWERPC : CPU_TYPE_I386;
    m.cpusubtype = endian == Endian::Big ? CPU_SUBTYPE_POWERPC_ALL : CPU_SUBTYPE_I386_ALL;
    m.filetype = MH_OBJECT;
  }
  m.sections = {testkit::section("__TEXT", "__text", 0x0, std::vector<uint8_t>(16, 0x90)),
                testkit::section("__DATA", "__data", 0x100, {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}),
                testkit::section("__DATA", "__bss", 0x200, {}, S_ZEROFILL, 0x40)};
  m.symbols = {
      testkit::symbol("_local", N_SECT, 1, 0x4),
      testkit::symbol("_kmod_info", N_SECT | N_EXT, 2, 0x102),
      testkit::symbol("_IOLog", N_UNDF | N_EXT, NO_SECT, 0),
      testkit::symbol("_alias", N_INDR | N_EXT, NO_SECT, 0, "_real"),
      testkit::symbol("foo.c", 0x64 /* N_SO */, 0, 0),
      testkit::symbol("_IOLog", N_SECT | N_EXT, 1, 0x8),
      testkit::symbol("", N_SECT, 1, 0),
  };
  return m;
}

// Opens the Mach-O and reads its symbol table; the error text of whichever step failed.
std::string readError(const std::vector<uint8_t>& bytes, const SymbolTableOptions& o = {}) {
  auto f = MachOFile::open(bytes);
  if (!f) return "open: " + f.error().describe();
  auto t = SymbolTable::read(*f, o);
  return t ? std::string("ok") : t.error().describe();
}

}  // namespace

TEST_CASE("symbol tables read in both widths and byte orders") {
  struct Row {
    bool is64;
    Endian endian;
  };
  for (const Row& row : {Row{true, Endian::Little}, Row{true, Endian::Big}, Row{false, Endian::Little},
                         Row{false, Endian::Big}}) {
    CAPTURE(row.is64, row.endian == Endian::Big);
    std::vector<uint8_t> bytes = sample(row.is64, row.endian).build();
    auto f = MachOFile::open(bytes);
    REQUIRE(f);
    auto sections = readSections(*f);
    REQUIRE(sections);
    REQUIRE(sections->size() == 3);
    CHECK((*sections)[1].number == 2);
    CHECK((*sections)[1].segname == "__DATA");
    CHECK((*sections)[1].sectname == "__data");
    CHECK((*sections)[1].addr == 0x100);
    CHECK((*sections)[1].size == 8);
    CHECK((*sections)[2].isZeroFill());
    CHECK_FALSE((*sections)[1].isZeroFill());

    auto t = SymbolTable::read(*f);
    REQUIRE(t);
    CHECK(t->present());
    REQUIRE(t->symbols().size() == 7);
    const Symbol& kmod = t->symbols()[1];
    CHECK(kmod.name == "_kmod_info");
    CHECK(kmod.isInSection());
    CHECK(kmod.isExternal());
    CHECK(kmod.sect == 2);
    CHECK(kmod.value == 0x102);
    CHECK(t->symbols()[0].isInSection());
    CHECK_FALSE(t->symbols()[0].isExternal());
    CHECK(t->symbols()[2].isUndefined());
    CHECK(t->symbols()[3].isIndirect());
    CHECK(t->symbols()[3].indirectName == "_real");
    CHECK(t->symbols()[4].isStab());
    CHECK_FALSE(t->symbols()[4].isUndefined());
    CHECK(t->symbols()[6].name.empty());

    // Lookups skip stabs and prefer a defined symbol over an undefined one of the same name.
    REQUIRE(t->find("_kmod_info"));
    CHECK(t->find("_kmod_info")->index == 1);
    REQUIRE(t->find("_IOLog"));
    CHECK(t->find("_IOLog")->index == 5);
    CHECK(t->findAll("_IOLog").size() == 2);
    CHECK(t->find("foo.c") == nullptr);
    CHECK(t->find("_missing") == nullptr);
    CHECK(t->find("_real") == nullptr);

    // The bytes at _kmod_info's address, through its section.
    auto at = sectionBytesAt(*f, (*sections)[1], kmod.value, 3);
    REQUIRE(at);
    CHECK(std::string(at->begin(), at->end()) == "cde");
  }
}

TEST_CASE("a Mach-O without LC_SYMTAB has an empty, absent table") {
  SymbolMachO m = sample(true, Endian::Little);
  m.withSymtab = false;
  std::vector<uint8_t> bytes = m.build();
  auto f = MachOFile::open(bytes);
  REQUIRE(f);
  auto t = SymbolTable::read(*f);
  REQUIRE(t);
  CHECK_FALSE(t->present());
  CHECK(t->symbols().empty());
  CHECK(t->find("_kmod_info") == nullptr);
}

TEST_CASE("LC_DYSYMTAB ranges are read and checked against nsyms") {
  SymbolMachO m = sample(true, Endian::Little);
  m.dysymtab = testkit::TestDysymtab{0, 1, 1, 1, 2, 5};
  std::vector<uint8_t> bytes = m.build();
  auto f = MachOFile::open(bytes);
  REQUIRE(f);
  auto t = SymbolTable::read(*f);
  REQUIRE(t);
  REQUIRE(t->dysymtab());
  CHECK(t->dysymtab()->iundefsym == 2);
  CHECK(t->dysymtab()->nundefsym == 5);
}

TEST_CASE("malformed symbol tables and section lookups: exact diagnostics") {
  // Layout of sample(true, Little): header 0x20, segment 0x20..0x158 (3 section headers at 0x68,
  // 0xb8, 0x108), LC_SYMTAB at 0x158 (LC_DYSYMTAB at 0x170 when present), section data at 0x170
  // and 0x180, nlist_64 array at 0x188, string table at 0x1f8 (0x34 bytes), end 0x22c.
  struct Row {
    const char* name;
    std::function<void(SymbolMachO&)> edit;
    SymbolTableOptions options;
    std::string message;
  };
  const std::vector<Row> rows = {
      {"nsyms above the limit", [](SymbolMachO&) {}, SymbolTableOptions{6},
       "at offset 0x164: LC_SYMTAB.nsyms: nsyms 7 exceeds the limit of 6"},
      {"nlist array past the end", [](SymbolMachO& m) { m.nsyms = 100; }, {},
       "at offset 0x160: LC_SYMTAB.symoff: symbol table [0x188, 0x7c8) extends past the end of the Mach-O "
       "(0x22c)"},
      {"huge symoff", [](SymbolMachO& m) { m.symoff = 0xfffffff0; }, {},
       "at offset 0x160: LC_SYMTAB.symoff: symbol table [0xfffffff0, 0x100000060) extends past the end of the "
       "Mach-O (0x22c)"},
      {"string table past the end", [](SymbolMachO& m) { m.strsize = 0x1000; }, {},
       "at offset 0x168: LC_SYMTAB.stroff: string table [0x1f8, 0x11f8) extends past the end of the Mach-O "
       "(0x22c)"},
      {"n_strx outside the string table",
       [](SymbolMachO& m) { m.symbols[2].strx = 0x500; }, {},
       "at offset 0x1a8: symbol 2 (nlist_64): n_strx 0x500 is outside the string table (strsize 0x2d)"},
      {"name without a NUL",
       [](SymbolMachO& m) {
         m.strsize = 0x33;  // cuts the NUL of the last name, the second "_IOLog" at 0x2d
       },
       {},
       "at offset 0x1d8: symbol 5 (nlist_64): the name at n_strx 0x2d runs past the end of the string "
       "table (no NUL before 0x22b)"},
      {"N_INDR target outside the string table",
       [](SymbolMachO& m) {
         m.symbols[3].indirect.clear();
         m.symbols[3].value = 0x9999;
       },
       {},
       "at offset 0x1b8: symbol 3 (nlist_64): N_INDR n_value 0x9999 is outside the string table (strsize 0x2e)"},
      {"N_SECT symbol in section 0",
       [](SymbolMachO& m) { m.symbols[0].sect = 0; }, {},
       "at offset 0x188: symbol 0 (nlist_64): n_sect 0 of N_SECT symbol \"_local\" is not a section of the file "
       "(it has 3 sections)"},
      {"N_SECT symbol past the last section",
       [](SymbolMachO& m) { m.symbols[1].sect = 4; }, {},
       "at offset 0x198: symbol 1 (nlist_64): n_sect 4 of N_SECT symbol \"_kmod_info\" is not a section of the "
       "file (it has 3 sections)"},
      {"LC_DYSYMTAB local range", [](SymbolMachO& m) { m.dysymtab = testkit::TestDysymtab{5, 3, 0, 0, 0, 0}; }, {},
       "at offset 0x17c: LC_DYSYMTAB.nlocalsym: ilocalsym + nlocalsym (5 + 3) exceeds nsyms (7)"},
      {"LC_DYSYMTAB extdef range",
       [](SymbolMachO& m) { m.dysymtab = testkit::TestDysymtab{0, 0, 0xffffffff, 2, 0, 0}; }, {},
       "at offset 0x184: LC_DYSYMTAB.nextdefsym: iextdefsym + nextdefsym (4294967295 + 2) exceeds nsyms (7)"},
      {"LC_DYSYMTAB undef range", [](SymbolMachO& m) { m.dysymtab = testkit::TestDysymtab{0, 0, 0, 0, 7, 1}; }, {},
       "at offset 0x18c: LC_DYSYMTAB.nundefsym: iundefsym + nundefsym (7 + 1) exceeds nsyms (7)"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    SymbolMachO m = sample(true, Endian::Little);
    row.edit(m);
    CHECK(readError(m.build(), row.options) == row.message);
  }
}

TEST_CASE("sectionBytesAt: ranges outside the section, zero-fill, truncated files") {
  SymbolMachO m = sample(true, Endian::Little);
  m.sections[1].size = 0x1000;  // claims more bytes than the file has
  std::vector<uint8_t> bytes = m.build();
  auto f = MachOFile::open(bytes, 0x4000);  // as if it were a fat slice at 0x4000
  REQUIRE(f);
  auto sections = readSections(*f);
  REQUIRE(sections);
  const SectionInfo& data = (*sections)[1];
  const SectionInfo& bss = (*sections)[2];

  auto before = sectionBytesAt(*f, data, 0xff, 2);
  REQUIRE_FALSE(before);
  CHECK(before.error().describe() ==
        "at offset 0x40b8: section __DATA,__data: address range [0xff, 0x101) is outside the section "
        "[0x100, 0x1100)");
  auto past = sectionBytesAt(*f, data, 0x10ff, 2);
  REQUIRE_FALSE(past);
  CHECK(past.error().describe() ==
        "at offset 0x40b8: section __DATA,__data: address range [0x10ff, 0x1101) is outside the section "
        "[0x100, 0x1100)");
  auto overflow = sectionBytesAt(*f, data, 0x100, ~uint64_t{0});
  REQUIRE_FALSE(overflow);
  CHECK(overflow.error().describe() ==
        "at offset 0x40b8: section __DATA,__data: address range [0x100, overflow) is outside the section "
        "[0x100, 0x1100)");
  auto zero = sectionBytesAt(*f, bss, 0x200, 4);
  REQUIRE_FALSE(zero);
  CHECK(zero.error().describe() == "at offset 0x4108: section __DATA,__bss: is zero-fill: it has no bytes in the file");
  auto truncatedRead = sectionBytesAt(*f, data, 0x800, 0x10);
  REQUIRE_FALSE(truncatedRead);
  CHECK(truncatedRead.error().describe() ==
        "at offset 0x4880: section __DATA,__data: range [0x4880, 0x4890) extends past the end (0x422c)");
}

TEST_CASE("corpus kext executables: symbol tables read, _kmod_info found in a section") {
  KK_REQUIRE_CORPUS(corpus);
  size_t files = 0, slices = 0, withKmod = 0, pseudo = 0;
  for (const auto& e : fs::recursive_directory_iterator(corpus)) {
    if (!e.is_regular_file()) continue;
    const std::string parent = e.path().parent_path().filename().string();
    const bool inMacOS = parent == "MacOS";
    const bool flatPseudo = e.path().parent_path().string().find("System.kext/PlugIns/") != std::string::npos &&
                            e.path().filename() != "Info.plist" && e.path().filename() != "version.plist";
    if (!inMacOS && !flatPseudo) continue;
    auto file = io::MappedFile::open(e.path().string());
    REQUIRE(file);
    auto list = listSlices(file->bytes());
    if (!list) continue;  // not a Mach-O (scripts in MacOS/)
    ++files;
    for (const FatSlice& s : *list) {
      auto m = MachOFile::open(s.data, s.offset);
      if (!m) continue;  // header problems are the MachOFile tests' business
      ++slices;
      auto t = SymbolTable::read(*m);
      CAPTURE(e.path().string(), describeArch(s.arch));
      REQUIRE(t);
      if (const Symbol* k = t->find("_kmod_info"); k && k->isInSection()) ++withKmod;
      if (flatPseudo) {
        ++pseudo;
        for (const Symbol& sym : t->symbols())
          if (!sym.isStab()) CHECK((sym.isUndefined() || sym.isIndirect()));
      }
    }
  }
  CHECK(files > 300);
  CHECK(withKmod > 300);
  CHECK(pseudo >= 7);
  WARN("corpus: " << files << " executables, " << slices << " slices, " << withKmod << " with _kmod_info, "
                  << pseudo << " pseudo-kext slices");
}

TEST_CASE("10.9 BSDKernel pseudo-kext: 827 undefined and 6 indirect symbols") {
  KK_REQUIRE_CORPUS(corpus);
  auto file = io::MappedFile::open(corpus + "/10.9-subset/System.kext/PlugIns/BSDKernel.kext/BSDKernel");
  REQUIRE(file);
  auto m = MachOFile::open(file->bytes());
  REQUIRE(m);
  auto t = SymbolTable::read(*m);
  REQUIRE(t);
  size_t undef = 0, indr = 0;
  for (const Symbol& s : t->symbols()) {
    undef += s.isUndefined();
    indr += s.isIndirect();
  }
  CHECK(t->symbols().size() == 833);
  CHECK(undef == 827);
  CHECK(indr == 6);
  const Symbol* cksum = t->find("_in_cksum");
  REQUIRE(cksum);
  CHECK(cksum->indirectName == "_inet_cksum_simple");
}
