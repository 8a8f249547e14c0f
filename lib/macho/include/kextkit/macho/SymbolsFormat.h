// Symbol-table and section constants spelled as in Apple's <mach-o/nlist.h> and
// <mach-o/loader.h>. The nlist/nlist_64 structs themselves are in MachOFormat.h.
#pragma once

#include <cstdint>

namespace kextkit::macho {

// NOLINTBEGIN(readability-identifier-naming)

/// n_type masks (<mach-o/nlist.h>).
constexpr uint8_t N_STAB = 0xe0;  ///< any of these bits set: a symbolic-debugging entry
constexpr uint8_t N_PEXT = 0x10;  ///< private external symbol bit
constexpr uint8_t N_TYPE = 0x0e;  ///< mask for the type bits
constexpr uint8_t N_EXT = 0x01;   ///< external symbol bit

/// Values of n_type & N_TYPE.
constexpr uint8_t N_UNDF = 0x0;  ///< undefined (n_sect == NO_SECT); n_value != 0 means a common symbol
constexpr uint8_t N_ABS = 0x2;   ///< absolute (n_sect == NO_SECT)
constexpr uint8_t N_SECT = 0xe;  ///< defined in section number n_sect
constexpr uint8_t N_PBUD = 0xc;  ///< prebound undefined (defined in a dylib)
constexpr uint8_t N_INDR = 0xa;  ///< indirect: n_value is the string-table index of the symbol it stands for

/// n_sect value of symbols that are in no section.
constexpr uint8_t NO_SECT = 0;
/// Highest section number n_sect can hold.
constexpr uint8_t MAX_SECT = 255;

/// section.flags: the type is the low byte (SECTION_TYPE mask).
constexpr uint32_t SECTION_TYPE = 0x000000ff;
constexpr uint32_t S_REGULAR = 0x0;
constexpr uint32_t S_ZEROFILL = 0x1;             ///< zero-filled on demand: no file bytes
constexpr uint32_t S_GB_ZEROFILL = 0xc;          ///< zero-filled, > 4 GB possible: no file bytes
constexpr uint32_t S_THREAD_LOCAL_ZEROFILL = 0x12;  ///< thread-local zero fill: no file bytes

// NOLINTEND(readability-identifier-naming)

}  // namespace kextkit::macho
