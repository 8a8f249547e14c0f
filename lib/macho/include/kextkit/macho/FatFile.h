// Fat (universal) files: validated slice table, and thinning to one architecture.
#pragma once

#include <cstdint>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/macho/Arch.h"

namespace kextkit::macho {

using io::Bytes;

/// At most this many fat_arch entries are accepted. Real files have 1-4; Apple's own
/// writers never exceed a dozen. Bounds the slice table allocation.
constexpr uint32_t kMaxFatArchs = 64;

/// One slice of a fat file (or the whole of a thin one, see listSlices()).
struct FatSlice {
  uint32_t index = 0;   ///< position in the fat_arch table
  Arch arch;            ///< cputype/cpusubtype from the fat_arch (capability bits kept)
  uint64_t offset = 0;  ///< file offset of the slice
  uint64_t size = 0;    ///< slice length in bytes
  uint32_t align = 0;   ///< fat_arch.align (a power of two exponent)
  Bytes data;           ///< the slice bytes: always a sub-span of the input
};

/// True if `file` starts with FAT_MAGIC, FAT_CIGAM, FAT_MAGIC_64 or FAT_CIGAM_64.
bool isFat(Bytes file);

/// Parses and validates a fat header and its slice table. Checks, each with its own error
/// naming fat_arch[i] and the offset of the offending field:
///  - the file holds the 8-byte fat_header (Truncated) and the magic is a fat magic (Malformed);
///  - 1 <= nfat_arch <= kMaxFatArchs (Malformed for 0, LimitExceeded above);
///  - the fat_arch table fits in the file (Truncated);
///  - each slice is non-empty, starts after the table, lies inside the file (Truncated),
///    and its align is at most MAXSECTALIGN with the offset aligned to 2^align (Malformed);
///  - no two slices overlap and no two have the same cputype and masked subtype (Malformed).
/// Both byte orders and FAT_MAGIC_64 are accepted. Slices are returned in table order.
/// Untrusted input can only produce an error; every returned span lies inside `file`.
Expected<std::vector<FatSlice>> parseFat(Bytes file);

/// Every slice of a fat or thin file: parseFat() for fat input; for a thin Mach-O (any
/// MH_MAGIC* byte order, at least 28 bytes, cputype read from its header) a single slice
/// with index 0 and offset 0 covering the whole file. Anything else is Malformed.
/// Thin headers are not validated beyond their magic and cputype; use MachOFile for that.
Expected<std::vector<FatSlice>> listSlices(Bytes file);

/// Thins `file` to one architecture. Fat input: the first slice with an archMatches() match;
/// failing that, when `wanted` names a specific subtype, the slice with the cputype's ALL
/// subtype (an x86_64h or armv7s host runs generic code, like NXFindBestFatArch). arm64e
/// never falls back to arm64 (the pointer-authentication ABI differs). Thin input: the whole
/// file if its header arch matches by the same rules. NotFound if nothing matches; the
/// errors of parseFat()/listSlices() otherwise.
Expected<Bytes> selectArch(Bytes file, Arch wanted);

/// Like selectArch() but returns the chosen slice (with its offset in `file`).
Expected<FatSlice> selectSlice(Bytes file, Arch wanted);

}  // namespace kextkit::macho
