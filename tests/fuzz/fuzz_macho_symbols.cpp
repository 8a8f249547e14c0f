// Property: on arbitrary bytes, reading sections and the LC_SYMTAB/LC_DYSYMTAB symbol table
// never crashes or reads out of bounds; every symbol name (and N_INDR target) is a view into the
// input's string table, NUL-terminated there; every symbol is found again by name; every
// N_SECT symbol names an existing section; every span sectionBytesAt returns lies inside the
// input. Any violation calls __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <functional>

#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/Symbols.h"

using namespace kextkit;
using namespace kextkit::macho;

namespace {

void requireInside(const uint8_t* p, size_t n, const uint8_t* data, size_t size) {
  if (n == 0) return;
  std::less_equal<const uint8_t*> le;
  if (!le(data, p) || !le(p + n, data + size)) __builtin_trap();
}

void check(Bytes mach, uint64_t base, const uint8_t* data, size_t size) {
  auto file = MachOFile::open(mach, base);
  if (!file) return;
  auto sections = readSections(*file);
  auto table = SymbolTable::read(*file, SymbolTableOptions{1u << 16});
  if (!table) return;
  if (!sections) __builtin_trap();  // SymbolTable::read reads them too
  for (const Symbol& s : table->symbols()) {
    const auto* name = reinterpret_cast<const uint8_t*>(s.name.data());
    requireInside(name, s.name.size() + (s.name.empty() ? 0 : 1), data, size);
    if (!s.name.empty() && name[s.name.size()] != 0) __builtin_trap();
    if (s.isIndirect())
      requireInside(reinterpret_cast<const uint8_t*>(s.indirectName.data()), s.indirectName.size(), data, size);
    if (!s.isStab()) {
      const Symbol* again = table->find(s.name);
      if (!again || again->name != s.name) __builtin_trap();
    }
    if (s.isInSection()) {
      if (s.sect == 0 || s.sect > sections->size()) __builtin_trap();
      auto bytes = sectionBytesAt(*file, (*sections)[s.sect - 1], s.value, 4);
      if (bytes) requireInside(bytes->data(), bytes->size(), data, size);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  auto slices = listSlices(in);
  if (!slices) return 0;
  for (const FatSlice& s : *slices) check(s.data, s.offset, data, size);
  return 0;
}
