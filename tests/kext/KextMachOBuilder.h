// Test-only builder of small Mach-O files with sections and a symbol table (kext executables,
// pseudo-kext symbol sets, deliberately malformed symbol tables).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kextkit/macho/MachOFormat.h"
#include "kextkit/macho/SymbolsFormat.h"
#include "kextkit/support/Endian.h"

namespace kextkit::testkit {

/// One section; all sections go into one segment named after the first section's segment.
struct TestSection {
  std::string segname = "__DATA";
  std::string sectname = "__data";
  uint64_t addr = 0;
  std::vector<uint8_t> data;           ///< file bytes (ignored for zero-fill sections)
  uint32_t flags = 0;                  ///< S_ZEROFILL etc.
  std::optional<uint64_t> size;        ///< override of the section size (default data.size())
  std::optional<uint32_t> offset;      ///< override of the file offset
};

/// One nlist entry. The name goes into the string table unless `strx` overrides its index.
struct TestSymbol {
  std::string name;
  uint8_t type = macho::N_SECT | macho::N_EXT;
  uint8_t sect = 1;
  uint16_t desc = 0;
  uint64_t value = 0;
  std::optional<uint32_t> strx;  ///< n_strx override
  std::string indirect;          ///< N_INDR: name whose string-table index becomes n_value
};

/// A section (helper that keeps call sites short and warning-free).
inline TestSection section(std::string seg, std::string sect, uint64_t addr, std::vector<uint8_t> data,
                           uint32_t flags = 0, std::optional<uint64_t> size = std::nullopt) {
  TestSection s;
  s.segname = std::move(seg);
  s.sectname = std::move(sect);
  s.addr = addr;
  s.data = std::move(data);
  s.flags = flags;
  s.size = size;
  return s;
}

/// A symbol; `indirect` names the target of an N_INDR symbol.
inline TestSymbol symbol(std::string name, uint8_t type, uint8_t sect, uint64_t value, std::string indirect = {}) {
  TestSymbol s;
  s.name = std::move(name);
  s.type = type;
  s.sect = sect;
  s.value = value;
  s.indirect = std::move(indirect);
  return s;
}

/// LC_DYSYMTAB ranges to emit.
struct TestDysymtab {
  uint32_t ilocalsym = 0, nlocalsym = 0, iextdefsym = 0, nextdefsym = 0, iundefsym = 0, nundefsym = 0;
};

/// Builds a thin Mach-O: header, one segment with `sections`, LC_SYMTAB (and LC_DYSYMTAB), then
/// the section bytes, the nlist array and the string table, each 8-aligned.
struct SymbolMachO {
  bool is64 = true;
  Endian endian = Endian::Little;
  int32_t cputype = macho::CPU_TYPE_X86_64;
  int32_t cpusubtype = macho::CPU_SUBTYPE_X86_64_ALL;
  uint32_t filetype = macho::MH_KEXT_BUNDLE;
  std::vector<TestSection> sections;
  std::vector<TestSymbol> symbols;
  bool withSymtab = true;
  std::optional<TestDysymtab> dysymtab;
  std::optional<uint32_t> symoff, nsyms, stroff, strsize;  ///< LC_SYMTAB overrides
  std::vector<uint8_t> trailing;                           ///< extra bytes at the end

  std::vector<uint8_t> build() const {
    using namespace macho;
    const uint64_t hdr = is64 ? 32 : 28;
    const uint64_t segSize = (is64 ? 72 : 56) + sections.size() * (is64 ? 80 : 68);
    uint64_t cmds = segSize + (withSymtab ? 24 : 0) + (dysymtab ? 80 : 0);
    auto align8 = [](uint64_t v) { return (v + 7) & ~uint64_t{7}; };
    uint64_t pos = align8(hdr + cmds);
    std::vector<uint64_t> sectOffsets;
    uint64_t vmEnd = 0;
    for (const auto& s : sections) {
      sectOffsets.push_back(pos);
      if ((s.flags & SECTION_TYPE) != S_ZEROFILL) pos = align8(pos + s.data.size());
      vmEnd = std::max(vmEnd, s.addr + s.size.value_or(s.data.size()));
    }
    // String table: index 0 is the empty name.
    std::vector<uint8_t> strtab{0};
    auto intern = [&](const std::string& n) {
      uint32_t at = static_cast<uint32_t>(strtab.size());
      strtab.insert(strtab.end(), n.begin(), n.end());
      strtab.push_back(0);
      return at;
    };
    std::vector<uint32_t> strx, indirectStrx;
    for (const auto& sym : symbols) {
      strx.push_back(sym.strx ? *sym.strx : (sym.name.empty() ? 0 : intern(sym.name)));
      indirectStrx.push_back(sym.indirect.empty() ? 0 : intern(sym.indirect));
    }
    const uint64_t symPos = pos;
    const uint64_t entsize = is64 ? 16 : 12;
    pos = align8(pos + symbols.size() * entsize);
    const uint64_t strPos = pos;
    pos += strtab.size();

    std::vector<uint8_t> out(pos, 0);
    auto put32 = [&](uint64_t at, uint32_t v) { store<uint32_t>(out.data() + at, v, endian); };
    auto put64 = [&](uint64_t at, uint64_t v) { store<uint64_t>(out.data() + at, v, endian); };
    auto putName = [&](uint64_t at, const std::string& n) {
      for (size_t i = 0; i < 16 && i < n.size(); ++i) out[at + i] = static_cast<uint8_t>(n[i]);
    };
    put32(0, is64 ? MH_MAGIC_64 : MH_MAGIC);
    put32(4, static_cast<uint32_t>(cputype));
    put32(8, static_cast<uint32_t>(cpusubtype));
    put32(12, filetype);
    put32(16, 1u + (withSymtab ? 1u : 0u) + (dysymtab ? 1u : 0u));
    put32(20, static_cast<uint32_t>(cmds));
    uint64_t c = hdr;
    // Segment command.
    put32(c, is64 ? LC_SEGMENT_64 : LC_SEGMENT);
    put32(c + 4, static_cast<uint32_t>(segSize));
    putName(c + 8, sections.empty() ? std::string("__TEXT") : sections[0].segname);
    uint64_t fileoff = sections.empty() ? 0 : sectOffsets[0];
    uint64_t filesize = sections.empty() ? 0 : symPos - fileoff;
    if (is64) {
      put64(c + 24, 0);
      put64(c + 32, vmEnd);
      put64(c + 40, fileoff);
      put64(c + 48, filesize);
      put32(c + 56, 7);
      put32(c + 60, 7);
      put32(c + 64, static_cast<uint32_t>(sections.size()));
    } else {
      put32(c + 24, 0);
      put32(c + 28, static_cast<uint32_t>(vmEnd));
      put32(c + 32, static_cast<uint32_t>(fileoff));
      put32(c + 36, static_cast<uint32_t>(filesize));
      put32(c + 40, 7);
      put32(c + 44, 7);
      put32(c + 48, static_cast<uint32_t>(sections.size()));
    }
    uint64_t sh = c + (is64 ? 72 : 56);
    for (size_t i = 0; i < sections.size(); ++i) {
      const auto& s = sections[i];
      putName(sh, s.sectname);
      putName(sh + 16, s.segname);
      const uint64_t size = s.size.value_or(s.data.size());
      const uint32_t off = s.offset.value_or(
          (s.flags & SECTION_TYPE) == S_ZEROFILL ? 0u : static_cast<uint32_t>(sectOffsets[i]));
      if (is64) {
        put64(sh + 32, s.addr);
        put64(sh + 40, size);
        put32(sh + 48, off);
        put32(sh + 64, s.flags);
        sh += 80;
      } else {
        put32(sh + 32, static_cast<uint32_t>(s.addr));
        put32(sh + 36, static_cast<uint32_t>(size));
        put32(sh + 40, off);
        put32(sh + 56, s.flags);
        sh += 68;
      }
      if ((s.flags & SECTION_TYPE) != S_ZEROFILL)
        std::copy(s.data.begin(), s.data.end(), out.begin() + static_cast<long>(sectOffsets[i]));
    }
    c += segSize;
    if (withSymtab) {
      put32(c, LC_SYMTAB);
      put32(c + 4, 24);
      put32(c + 8, symoff.value_or(static_cast<uint32_t>(symPos)));
      put32(c + 12, nsyms.value_or(static_cast<uint32_t>(symbols.size())));
      put32(c + 16, stroff.value_or(static_cast<uint32_t>(strPos)));
      put32(c + 20, strsize.value_or(static_cast<uint32_t>(strtab.size())));
      c += 24;
    }
    if (dysymtab) {
      put32(c, LC_DYSYMTAB);
      put32(c + 4, 80);
      put32(c + 8, dysymtab->ilocalsym);
      put32(c + 12, dysymtab->nlocalsym);
      put32(c + 16, dysymtab->iextdefsym);
      put32(c + 20, dysymtab->nextdefsym);
      put32(c + 24, dysymtab->iundefsym);
      put32(c + 28, dysymtab->nundefsym);
      c += 80;
    }
    for (size_t i = 0; i < symbols.size(); ++i) {
      const auto& sym = symbols[i];
      const uint64_t e = symPos + i * entsize;
      put32(e, strx[i]);
      out[e + 4] = sym.type;
      out[e + 5] = sym.sect;
      store<uint16_t>(out.data() + e + 6, sym.desc, endian);
      const uint64_t value = sym.indirect.empty() ? sym.value : indirectStrx[i];
      if (is64)
        put64(e + 8, value);
      else
        put32(e + 8, static_cast<uint32_t>(value));
    }
    std::copy(strtab.begin(), strtab.end(), out.begin() + static_cast<long>(strPos));
    out.insert(out.end(), trailing.begin(), trailing.end());
    return out;
  }
};

}  // namespace kextkit::testkit
