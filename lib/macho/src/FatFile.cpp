// Fat header parsing and validation, slice listing and selection.
#include "kextkit/macho/FatFile.h"

#include <algorithm>

#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Format.h"

namespace kextkit::macho {

namespace {

// The first four bytes read big-endian, or 0 when the file is shorter.
uint32_t firstWordBE(Bytes file) {
  io::ByteReader r(file, 0, Endian::Big);
  auto m = r.u32("magic");
  return m ? *m : 0;
}

bool isThinMagicBE(uint32_t m) {
  return m == MH_MAGIC || m == MH_CIGAM || m == MH_MAGIC_64 || m == MH_CIGAM_64;
}

std::string sliceLabel(uint32_t index, Arch arch) {
  return "fat_arch[" + std::to_string(index) + "] (" + describeArch(arch) + ")";
}

std::string range(uint64_t begin, uint64_t size) {
  auto end = checkedAdd(begin, size);
  return "[" + hex(begin) + ", " + (end ? hex(*end) : std::string("overflow")) + ")";
}

}  // namespace

bool isFat(Bytes file) {
  uint32_t m = firstWordBE(file);
  return (m == FAT_MAGIC || m == FAT_CIGAM || m == FAT_MAGIC_64 || m == FAT_CIGAM_64);
}

Expected<std::vector<FatSlice>> parseFat(Bytes file) {
  io::ByteReader r(file, 0, Endian::Big);
  KK_ASSIGN(uint32_t magic, r.u32be("fat_header.magic"));
  bool is64 = false;
  switch (magic) {
    case FAT_MAGIC: break;
    case FAT_MAGIC_64: is64 = true; break;
    case FAT_CIGAM: r.setEndian(Endian::Little); break;
    case FAT_CIGAM_64: r.setEndian(Endian::Little); is64 = true; break;
    default:
      return malformed(hex(magic) + " is not FAT_MAGIC (0xcafebabe) or FAT_MAGIC_64 (0xcafebabf)",
                       "fat_header.magic", 0);
  }
  KK_ASSIGN(uint32_t nfat, r.u32("fat_header.nfat_arch"));
  if (nfat == 0)
    return malformed("is 0; a fat file has at least one architecture", "fat_header.nfat_arch", 4);
  if (nfat > kMaxFatArchs)
    return Error(ErrorCode::LimitExceeded,
                 std::to_string(nfat) + " is more than the limit of " + std::to_string(kMaxFatArchs),
                 "fat_header.nfat_arch", 4);
  const uint64_t entrySize = is64 ? sizeof(fat_arch_64) : sizeof(fat_arch);
  const uint64_t tableEnd = sizeof(fat_header) + entrySize * nfat;  // <= 8 + 32*64, no overflow
  if (tableEnd > file.size())
    return truncated(std::to_string(nfat) + " entries of " + std::to_string(entrySize) + " bytes end at " +
                         hex(tableEnd) + ", past the end of the file (" + hex(file.size()) + ")",
                     "fat_arch table", sizeof(fat_header));

  std::vector<FatSlice> slices;
  slices.reserve(nfat);  // bounded by kMaxFatArchs
  for (uint32_t i = 0; i < nfat; ++i) {
    FatSlice s;
    s.index = i;
    KK_ASSIGN(uint32_t cputype, r.u32("fat_arch.cputype"));
    KK_ASSIGN(uint32_t cpusubtype, r.u32("fat_arch.cpusubtype"));
    s.arch = Arch{static_cast<cpu_type_t>(cputype), static_cast<cpu_subtype_t>(cpusubtype)};
    uint64_t offsetField = r.offset();
    if (is64) {
      KK_ASSIGN(s.offset, r.u64("fat_arch_64.offset"));
    } else {
      KK_ASSIGN(uint32_t off, r.u32("fat_arch.offset"));
      s.offset = off;
    }
    uint64_t sizeField = r.offset();
    if (is64) {
      KK_ASSIGN(s.size, r.u64("fat_arch_64.size"));
    } else {
      KK_ASSIGN(uint32_t size, r.u32("fat_arch.size"));
      s.size = size;
    }
    uint64_t alignField = r.offset();
    KK_ASSIGN(s.align, r.u32("fat_arch.align"));
    if (is64) KK_TRY(r.u32("fat_arch_64.reserved"));

    const std::string label = sliceLabel(i, s.arch);
    if (s.size == 0) return malformed("size is 0", label, sizeField);
    if (s.align > MAXSECTALIGN)
      return malformed("align 2^" + std::to_string(s.align) + " is more than the maximum 2^" +
                           std::to_string(MAXSECTALIGN),
                       label, alignField);
    if (s.offset < tableEnd)
      return malformed("offset " + hex(s.offset) + " overlaps the fat header and arch table, which end at " +
                           hex(tableEnd),
                       label, offsetField);
    if (!rangeFits(s.offset, s.size, file.size()))
      return truncated("slice " + range(s.offset, s.size) + " extends past the end of the file (" +
                           hex(file.size()) + ")",
                       label, offsetField);
    if (s.offset % (uint64_t{1} << s.align) != 0)
      return malformed("offset " + hex(s.offset) + " is not aligned to 2^" + std::to_string(s.align), label,
                       offsetField);
    s.data = file.subspan(static_cast<size_t>(s.offset), static_cast<size_t>(s.size));
    slices.push_back(s);
  }

  for (size_t i = 0; i < slices.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (slices[i].arch.cputype == slices[j].arch.cputype &&
          maskedSubtype(slices[i].arch.cpusubtype) == maskedSubtype(slices[j].arch.cpusubtype))
        return malformed("same architecture as fat_arch[" + std::to_string(j) + "]",
                         sliceLabel(slices[i].index, slices[i].arch), sizeof(fat_header) + entrySize * i);

  std::vector<const FatSlice*> byOffset;
  for (const auto& s : slices) byOffset.push_back(&s);
  std::sort(byOffset.begin(), byOffset.end(), [](const FatSlice* a, const FatSlice* b) {
    return a->offset != b->offset ? a->offset < b->offset : a->index < b->index;
  });
  for (size_t k = 1; k < byOffset.size(); ++k) {
    const FatSlice& prev = *byOffset[k - 1];
    const FatSlice& cur = *byOffset[k];
    if (cur.offset < prev.offset + prev.size) {  // both ranges are inside the file: no overflow
      const FatSlice& later = cur.index > prev.index ? cur : prev;
      const FatSlice& earlier = cur.index > prev.index ? prev : cur;
      return malformed("slice " + range(later.offset, later.size) + " overlaps fat_arch[" +
                           std::to_string(earlier.index) + "] slice " + range(earlier.offset, earlier.size),
                       sliceLabel(later.index, later.arch), sizeof(fat_header) + entrySize * later.index);
    }
  }
  return slices;
}

Expected<std::vector<FatSlice>> listSlices(Bytes file) {
  if (isFat(file)) return parseFat(file);
  io::ByteReader r(file, 0, Endian::Big);
  KK_ASSIGN(uint32_t magic, r.u32be("mach_header.magic"));
  if (!isThinMagicBE(magic))
    return malformed(hex(magic) + " is neither a fat nor a Mach-O magic", "magic", 0);
  // MH_MAGIC* read big-endian means a big-endian file; MH_CIGAM* means little-endian.
  KK_TRY(io::ByteReader(file).peek(sizeof(mach_header), "mach_header"));
  r.setEndian(magic == MH_MAGIC || magic == MH_MAGIC_64 ? Endian::Big : Endian::Little);
  KK_ASSIGN(uint32_t cputype, r.u32("mach_header.cputype"));
  KK_ASSIGN(uint32_t cpusubtype, r.u32("mach_header.cpusubtype"));
  FatSlice s;
  s.arch = Arch{static_cast<cpu_type_t>(cputype), static_cast<cpu_subtype_t>(cpusubtype)};
  s.size = file.size();
  s.data = file;
  return std::vector<FatSlice>{s};
}

Expected<FatSlice> selectSlice(Bytes file, Arch wanted) {
  KK_ASSIGN(std::vector<FatSlice> slices, listSlices(file));
  for (const auto& s : slices)
    if (archMatches(s.arch, wanted)) return s;
  // Fallback like NXFindBestFatArch: a specific subtype runs code built for the ALL subtype,
  // except arm64e, whose pointer-authentication ABI differs from plain arm64.
  bool specific = wanted.cputype != CPU_TYPE_ANY && wanted.cpusubtype != CPU_SUBTYPE_MULTIPLE;
  bool arm64e = wanted.cputype == CPU_TYPE_ARM64 && maskedSubtype(wanted.cpusubtype) == CPU_SUBTYPE_ARM64E;
  if (auto all = allSubtype(wanted.cputype); specific && !arm64e && all) {
    for (const auto& s : slices)
      if (s.arch.cputype == wanted.cputype && maskedSubtype(s.arch.cpusubtype) == *all) return s;
  }
  std::string have;
  for (const auto& s : slices) have += (have.empty() ? "" : ", ") + describeArch(s.arch);
  return Error(ErrorCode::NotFound, "no " + describeArch(wanted) + " slice (the file has " + have + ")");
}

Expected<Bytes> selectArch(Bytes file, Arch wanted) {
  KK_ASSIGN(FatSlice s, selectSlice(file, wanted));
  return s.data;
}

}  // namespace kextkit::macho
