// Section headers and the LC_SYMTAB/LC_DYSYMTAB symbol table.
#include "kextkit/macho/Symbols.h"

#include <algorithm>
#include <cstring>

#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Format.h"

namespace kextkit::macho {

bool SectionInfo::isZeroFill() const {
  const uint32_t t = flags & SECTION_TYPE;
  return t == S_ZEROFILL || t == S_GB_ZEROFILL || t == S_THREAD_LOCAL_ZEROFILL;
}

namespace {

std::string sectionLabel(const SectionInfo& s) { return "section " + s.segname + "," + s.sectname; }

// Reads the section headers of one LC_SEGMENT(_64). parseLoadCommands() checked that cmdsize
// holds nsects headers; the reader keeps every read bounded regardless.
Status readSegmentSections(const MachOFile& file, const LoadCommand& lc, std::vector<SectionInfo>& out) {
  const bool seg64 = lc.cmd == LC_SEGMENT_64;
  io::ByteReader r = file.reader(lc);
  const std::string label = loadCommandLabel(lc.index, lc.cmd);
  KK_TRY(r.seek(seg64 ? 64 : 48, label + " nsects"));
  KK_ASSIGN(uint32_t nsects, r.u32(label + " nsects"));
  KK_TRY(r.seek(seg64 ? sizeof(segment_command_64) : sizeof(segment_command), label));
  const uint64_t headerSize = seg64 ? sizeof(section_64) : sizeof(section);
  if (uint64_t{nsects} * headerSize > r.remaining())
    return truncated("nsects " + std::to_string(nsects) + " section headers do not fit in cmdsize " + hex(lc.cmdsize),
                     label, r.offset());
  for (uint32_t i = 0; i < nsects; ++i) {
    SectionInfo s;
    s.headerOffset = r.offset();
    KK_ASSIGN(s.sectname, r.fixedString(16, "sectname"));
    KK_ASSIGN(s.segname, r.fixedString(16, "segname"));
    if (seg64) {
      KK_ASSIGN(s.addr, r.u64("addr"));
      KK_ASSIGN(s.size, r.u64("size"));
    } else {
      KK_ASSIGN(uint32_t addr, r.u32("addr"));
      KK_ASSIGN(uint32_t size, r.u32("size"));
      s.addr = addr;
      s.size = size;
    }
    KK_ASSIGN(s.offset, r.u32("offset"));
    KK_ASSIGN(s.align, r.u32("align"));
    KK_TRY(r.skip(8, "reloff/nreloc"));
    KK_ASSIGN(s.flags, r.u32("flags"));
    KK_TRY(r.skip(seg64 ? 12 : 8, "reserved"));
    s.number = static_cast<uint32_t>(out.size() + 1);
    out.push_back(std::move(s));
  }
  return {};
}

}  // namespace

Expected<std::vector<SectionInfo>> readSections(const MachOFile& file) {
  std::vector<SectionInfo> out;
  for (const LoadCommand& lc : file.loadCommands())
    if (lc.cmd == LC_SEGMENT || lc.cmd == LC_SEGMENT_64) KK_TRY(readSegmentSections(file, lc, out));
  return out;
}

Expected<io::Bytes> sectionBytesAt(const MachOFile& file, const SectionInfo& s, uint64_t addr, uint64_t size) {
  const std::string label = sectionLabel(s);
  const bool inside = addr >= s.addr && addr - s.addr <= s.size && size <= s.size - (addr - s.addr);
  if (!inside) {
    auto end = checkedAdd(addr, size);
    auto sectEnd = checkedAdd(s.addr, s.size);
    return malformed("address range [" + hex(addr) + ", " + (end ? hex(*end) : std::string("overflow")) +
                         ") is outside the section [" + hex(s.addr) + ", " +
                         (sectEnd ? hex(*sectEnd) : std::string("overflow")) + ")",
                     label, s.headerOffset);
  }
  if (s.isZeroFill())
    return malformed("is zero-fill: it has no bytes in the file", label, s.headerOffset);
  io::ByteReader whole(file.bytes(), file.fileOffset(), file.endian());
  return whole.slice(uint64_t{s.offset} + (addr - s.addr), size, label);
}

namespace {

struct StringTable {
  io::Bytes bytes;
  uint64_t absOffset = 0;  // absolute file offset of bytes[0]

  // The NUL-terminated name at `strx`, or an error naming `field` at `fieldOffset`.
  Expected<std::string_view> at(uint64_t strx, const std::string& field, uint64_t fieldOffset,
                                const char* what) const {
    if (strx == 0) return std::string_view();
    if (strx >= bytes.size())
      return malformed(std::string(what) + " " + hex(strx) + " is outside the string table (strsize " +
                           hex(bytes.size()) + ")",
                       field, fieldOffset);
    const uint8_t* start = bytes.data() + strx;
    const void* nul = std::memchr(start, 0, bytes.size() - strx);
    if (!nul)
      return malformed("the name at " + std::string(what) + " " + hex(strx) +
                           " runs past the end of the string table (no NUL before " +
                           hex(absOffset + bytes.size()) + ")",
                       field, fieldOffset);
    return std::string_view(reinterpret_cast<const char*>(start),
                            static_cast<size_t>(static_cast<const uint8_t*>(nul) - start));
  }
};

Status readDysymtab(const MachOFile& file, uint32_t nsyms, std::optional<DysymtabRanges>& out) {
  const LoadCommand* lc = file.findCommand(LC_DYSYMTAB);
  if (!lc) return {};
  io::ByteReader r = file.reader(*lc);
  const uint64_t abs = file.fileOffset() + lc->offset;
  KK_TRY(r.skip(sizeof(load_command), "LC_DYSYMTAB"));
  DysymtabRanges d;
  KK_ASSIGN(d.ilocalsym, r.u32("LC_DYSYMTAB.ilocalsym"));
  KK_ASSIGN(d.nlocalsym, r.u32("LC_DYSYMTAB.nlocalsym"));
  KK_ASSIGN(d.iextdefsym, r.u32("LC_DYSYMTAB.iextdefsym"));
  KK_ASSIGN(d.nextdefsym, r.u32("LC_DYSYMTAB.nextdefsym"));
  KK_ASSIGN(d.iundefsym, r.u32("LC_DYSYMTAB.iundefsym"));
  KK_ASSIGN(d.nundefsym, r.u32("LC_DYSYMTAB.nundefsym"));
  struct Range {
    const char* first;
    const char* count;
    uint32_t i, n;
    uint64_t fieldOffset;
  };
  const Range ranges[] = {{"ilocalsym", "nlocalsym", d.ilocalsym, d.nlocalsym, abs + 12},
                          {"iextdefsym", "nextdefsym", d.iextdefsym, d.nextdefsym, abs + 20},
                          {"iundefsym", "nundefsym", d.iundefsym, d.nundefsym, abs + 28}};
  for (const Range& rg : ranges)
    if (uint64_t{rg.i} + rg.n > nsyms)
      return malformed(std::string(rg.first) + " + " + rg.count + " (" + std::to_string(rg.i) + " + " +
                           std::to_string(rg.n) + ") exceeds nsyms (" + std::to_string(nsyms) + ")",
                       std::string("LC_DYSYMTAB.") + rg.count, rg.fieldOffset);
  out = d;
  return {};
}

}  // namespace

Expected<SymbolTable> SymbolTable::read(const MachOFile& file, const SymbolTableOptions& options) {
  SymbolTable t;
  const LoadCommand* lc = file.findCommand(LC_SYMTAB);
  if (!lc) {
    KK_TRY(readDysymtab(file, 0, t.dysymtab_));
    return t;
  }
  t.present_ = true;
  const uint64_t abs = file.fileOffset() + lc->offset;
  io::ByteReader r = file.reader(*lc);
  KK_TRY(r.skip(sizeof(load_command), "LC_SYMTAB"));
  KK_ASSIGN(uint32_t symoff, r.u32("LC_SYMTAB.symoff"));
  KK_ASSIGN(uint32_t nsyms, r.u32("LC_SYMTAB.nsyms"));
  KK_ASSIGN(uint32_t stroff, r.u32("LC_SYMTAB.stroff"));
  KK_ASSIGN(uint32_t strsize, r.u32("LC_SYMTAB.strsize"));

  if (nsyms > options.maxSymbols)
    return Error(ErrorCode::LimitExceeded,
                 "nsyms " + std::to_string(nsyms) + " exceeds the limit of " + std::to_string(options.maxSymbols),
                 "LC_SYMTAB.nsyms", abs + 12);

  const io::Bytes data = file.bytes();
  const uint64_t base = file.fileOffset();
  const bool is64 = file.is64();
  const uint64_t entsize = is64 ? sizeof(nlist_64) : sizeof(nlist);
  const uint64_t symBytes = uint64_t{nsyms} * entsize;  // < 2^36: cannot overflow
  if (!rangeFits(symoff, symBytes, data.size()))
    return truncated("symbol table [" + hex(base + symoff) + ", " + hex(base + symoff + symBytes) +
                         ") extends past the end of the Mach-O (" + hex(base + data.size()) + ")",
                     "LC_SYMTAB.symoff", abs + 8);
  if (!rangeFits(stroff, strsize, data.size()))
    return truncated("string table [" + hex(base + stroff) + ", " + hex(base + uint64_t{stroff} + strsize) +
                         ") extends past the end of the Mach-O (" + hex(base + data.size()) + ")",
                     "LC_SYMTAB.stroff", abs + 16);
  StringTable strings{data.subspan(stroff, strsize), base + stroff};

  KK_ASSIGN(std::vector<SectionInfo> sections, readSections(file));
  const uint64_t nsects = sections.size();

  // nsyms is bounded by the file size (the range check above), so this reserve is too.
  t.symbols_.reserve(nsyms);
  io::ByteReader sr(data.subspan(symoff, static_cast<size_t>(symBytes)), base + symoff, file.endian());
  const char* structName = is64 ? "nlist_64" : "nlist";
  auto label = [&](uint32_t i) { return "symbol " + std::to_string(i) + " (" + structName + ")"; };
  for (uint32_t i = 0; i < nsyms; ++i) {
    const uint64_t entryOffset = sr.offset();
    Symbol s;
    s.index = i;
    KK_ASSIGN(uint32_t strx, sr.u32("n_strx"));
    KK_ASSIGN(s.type, sr.u8("n_type"));
    KK_ASSIGN(s.sect, sr.u8("n_sect"));
    KK_ASSIGN(s.desc, sr.u16("n_desc"));
    if (is64) {
      KK_ASSIGN(s.value, sr.u64("n_value"));
    } else {
      KK_ASSIGN(uint32_t v, sr.u32("n_value"));
      s.value = v;
    }
    auto name = strings.at(strx, label(i), entryOffset, "n_strx");
    if (!name) return std::move(name).error();
    s.name = *name;
    if (s.isIndirect()) {
      auto target = strings.at(s.value, label(i), entryOffset, "N_INDR n_value");
      if (!target) return std::move(target).error();
      s.indirectName = *target;
    }
    if (s.isInSection() && (s.sect == NO_SECT || s.sect > nsects))
      return malformed("n_sect " + std::to_string(s.sect) + " of N_SECT symbol \"" + std::string(s.name) +
                           "\" is not a section of the file (it has " + std::to_string(nsects) + " sections)",
                       label(i), entryOffset);
    t.symbols_.push_back(s);
  }
  KK_TRY(readDysymtab(file, nsyms, t.dysymtab_));

  for (const Symbol& s : t.symbols_)
    if (!s.isStab()) t.byName_.push_back(s.index);
  std::sort(t.byName_.begin(), t.byName_.end(), [&](uint32_t a, uint32_t b) {
    const Symbol& x = t.symbols_[a];
    const Symbol& y = t.symbols_[b];
    return x.name != y.name ? x.name < y.name : a < b;
  });
  return t;
}

std::vector<const Symbol*> SymbolTable::findAll(std::string_view name) const {
  auto lo = std::lower_bound(byName_.begin(), byName_.end(), name,
                             [&](uint32_t i, std::string_view n) { return symbols_[i].name < n; });
  std::vector<const Symbol*> out;
  for (auto it = lo; it != byName_.end() && symbols_[*it].name == name; ++it) out.push_back(&symbols_[*it]);
  return out;
}

const Symbol* SymbolTable::find(std::string_view name) const {
  const Symbol* undefined = nullptr;
  auto lo = std::lower_bound(byName_.begin(), byName_.end(), name,
                             [&](uint32_t i, std::string_view n) { return symbols_[i].name < n; });
  for (auto it = lo; it != byName_.end() && symbols_[*it].name == name; ++it) {
    const Symbol& s = symbols_[*it];
    if (!s.isUndefined()) return &s;
    if (!undefined) undefined = &s;
  }
  return undefined;
}

}  // namespace kextkit::macho
