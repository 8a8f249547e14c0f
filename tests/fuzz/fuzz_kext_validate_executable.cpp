// Property: the executable checks of kext validation (arch selection, Mach-O, symbol table,
// _kmod_info lookup and the kmod_info name/version read) never crash or read outside the input
// on arbitrary bytes; a file they accept for an arch defines _kmod_info in a section whose
// bytes lie inside the input. Any violation calls __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <functional>

#include "kextkit/kext/KextValidation.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/Symbols.h"

using namespace kextkit;
using namespace kextkit::kext;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  io::Bytes in(data, size);
  for (macho::cpu_type_t cputype : {macho::CPU_TYPE_X86_64, macho::CPU_TYPE_I386}) {
    ValidationOptions o;
    o.arch = macho::Arch{cputype, macho::CPU_SUBTYPE_X86_ALL};
    ValidationResult r;
    r.valid = true;
    r.hasInfoDictionary = true;
    r.facts.identifier = "org.fuzz";
    r.facts.warnForMismatchedKmodInfo = true;
    validateExecutable(in, "fuzz", o, r);
    if (!r.valid) continue;
    // Accepted (or the arch is absent): when the arch is present, _kmod_info is in a section.
    auto slice = macho::selectSlice(in, o.arch);
    if (!slice) continue;
    auto file = macho::MachOFile::open(slice->data, slice->offset);
    if (!file) __builtin_trap();
    auto table = macho::SymbolTable::read(*file);
    if (!table) __builtin_trap();
    const macho::Symbol* k = table->find("_kmod_info");
    if (!k || !k->isInSection()) __builtin_trap();
    auto sections = macho::readSections(*file);
    if (!sections || k->sect == 0 || k->sect > sections->size()) __builtin_trap();
    auto bytes = macho::sectionBytesAt(*file, (*sections)[k->sect - 1], k->value, 1);
    if (!bytes) __builtin_trap();
    std::less_equal<const uint8_t*> le;
    if (!le(data, bytes->data()) || !le(bytes->data() + bytes->size(), data + size)) __builtin_trap();
  }
  return 0;
}
