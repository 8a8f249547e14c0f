// Sections and the LC_SYMTAB/LC_DYSYMTAB symbol table of a thin Mach-O, validated once when read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/macho/MachOFile.h"
#include "kextkit/macho/SymbolsFormat.h"

namespace kextkit::macho {

/// One section of an LC_SEGMENT or LC_SEGMENT_64, numbered as n_sect numbers them: from 1, in
/// load-command order, counting every section of every segment.
struct SectionInfo {
  uint32_t number = 0;      ///< 1-based section number (the n_sect of symbols defined in it)
  std::string segname;      ///< segment name from the section header, e.g. "__DATA"
  std::string sectname;     ///< e.g. "__data"
  uint64_t addr = 0;        ///< virtual address
  uint64_t size = 0;        ///< size in memory
  uint32_t offset = 0;      ///< file offset, relative to the start of the Mach-O (its slice)
  uint32_t align = 0;       ///< power-of-two exponent
  uint32_t flags = 0;       ///< type (SECTION_TYPE) and attributes
  uint64_t headerOffset = 0;///< absolute file offset of the section header, for messages
  /// True for zero-fill sections, whose bytes are not in the file.
  bool isZeroFill() const;
};

/// Every section of every segment, in load-command order. A file whose load commands were
/// validated by MachOFile::open has room for every header (nsects was checked against
/// cmdsize), so the only errors are those of reading the headers themselves.
Expected<std::vector<SectionInfo>> readSections(const MachOFile& file);

/// The file bytes backing [addr, addr + size) of `section`. Errors:
///  - Malformed: the range is not inside [section.addr, section.addr + section.size), or the
///    section is zero-fill (it has no file bytes);
///  - Truncated: the section's file range extends past the end of the Mach-O.
/// Offsets in errors are absolute file offsets (the Mach-O's fileOffset() included).
Expected<io::Bytes> sectionBytesAt(const MachOFile& file, const SectionInfo& section, uint64_t addr, uint64_t size);

/// One entry of the symbol table (nlist or nlist_64), with its name resolved.
struct Symbol {
  uint32_t index = 0;     ///< position in the symbol table
  std::string_view name;  ///< the name; "" when n_strx is 0. Points into the Mach-O bytes.
  uint8_t type = 0;       ///< n_type, raw
  uint8_t sect = 0;       ///< n_sect
  uint16_t desc = 0;      ///< n_desc
  uint64_t value = 0;     ///< n_value (zero-extended for nlist)
  /// For N_INDR symbols: the name n_value indexes, i.e. the symbol this one stands for.
  std::string_view indirectName;

  /// A debugging (stab) entry: any N_STAB bit set. Its other bits mean something else.
  bool isStab() const { return (type & N_STAB) != 0; }
  /// n_type & N_TYPE (meaningless for stabs).
  uint8_t kind() const { return type & N_TYPE; }
  /// N_EXT is set.
  bool isExternal() const { return (type & N_EXT) != 0; }
  /// N_PEXT is set (a private external: visible to the static linker only).
  bool isPrivateExternal() const { return (type & N_PEXT) != 0; }
  /// Not a stab and N_UNDF (common symbols, N_UNDF with a non-zero value, included).
  bool isUndefined() const { return !isStab() && kind() == N_UNDF; }
  /// Not a stab and N_SECT.
  bool isInSection() const { return !isStab() && kind() == N_SECT; }
  /// Not a stab and N_INDR.
  bool isIndirect() const { return !isStab() && kind() == N_INDR; }
};

/// LC_DYSYMTAB's partition of the symbol table into local, defined-external and undefined
/// symbols (each range validated to lie inside the table).
struct DysymtabRanges {
  uint32_t ilocalsym = 0, nlocalsym = 0;
  uint32_t iextdefsym = 0, nextdefsym = 0;
  uint32_t iundefsym = 0, nundefsym = 0;
};

/// Limits of SymbolTable::read.
struct SymbolTableOptions {
  /// nsyms above this fails with LimitExceeded (the largest kernels have ~30,000 symbols).
  uint32_t maxSymbols = uint32_t{1} << 24;
};

/// A validated symbol table. It does not own the Mach-O bytes: the span the MachOFile views
/// must outlive it (names are views into the string table).
class SymbolTable {
 public:
  /// Reads LC_SYMTAB (and LC_DYSYMTAB, if present) of `file`. A file without LC_SYMTAB yields
  /// an empty table whose present() is false. Checks, each with its own error naming the field
  /// ("LC_SYMTAB.symoff", "symbol 12 (nlist_64)", ...) and its absolute file offset:
  ///  - nsyms <= options.maxSymbols (LimitExceeded);
  ///  - the nlist array [symoff, symoff + nsyms * 12|16) and the string table
  ///    [stroff, stroff + strsize) lie inside the Mach-O (Truncated);
  ///  - every n_strx (and the n_value of N_INDR symbols) indexes the string table, and the name
  ///    there ends with a NUL inside it (Malformed); n_strx 0 is the empty name;
  ///  - every N_SECT symbol's n_sect names an existing section (Malformed);
  ///  - LC_DYSYMTAB's local, extdef and undef ranges lie inside [0, nsyms) (Malformed).
  /// Both byte orders and both nlist sizes are read; untrusted input only yields an error.
  static Expected<SymbolTable> read(const MachOFile& file, const SymbolTableOptions& options = {});

  /// True if the file has an LC_SYMTAB.
  bool present() const { return present_; }
  /// Every symbol, in table order.
  const std::vector<Symbol>& symbols() const { return symbols_; }
  /// The LC_DYSYMTAB ranges, if the file has one.
  const std::optional<DysymtabRanges>& dysymtab() const { return dysymtab_; }

  /// The non-stab symbol named `name`: the first one defined (not N_UNDF) if any, else the
  /// first undefined one; nullptr if none. O(log n).
  const Symbol* find(std::string_view name) const;
  /// Every non-stab symbol named `name`, in table order.
  std::vector<const Symbol*> findAll(std::string_view name) const;

 private:
  bool present_ = false;
  std::vector<Symbol> symbols_;
  std::vector<uint32_t> byName_;  ///< indices of non-stab symbols sorted by (name, index)
  std::optional<DysymtabRanges> dysymtab_;
};

}  // namespace kextkit::macho
