// Fat file writer (kext_tools layout: packed slices, align 0).
#include "kextkit/macho/FatWriter.h"

#include "kextkit/macho/FatFile.h"
#include "kextkit/support/Endian.h"

namespace kextkit::macho {

Expected<std::vector<uint8_t>> writeFat(std::span<const FatInput> slices) {
  if (slices.empty()) return Error(ErrorCode::InvalidArgument, "a fat file needs at least one slice");
  if (slices.size() > kMaxFatArchs)
    return Error(ErrorCode::LimitExceeded, "too many slices for one fat file");
  for (size_t i = 0; i < slices.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (slices[i].arch.cputype == slices[j].arch.cputype &&
          maskedSubtype(slices[i].arch.cpusubtype) == maskedSubtype(slices[j].arch.cpusubtype))
        return Error(ErrorCode::InvalidArgument, "two slices for " + describeArch(slices[i].arch));
  uint64_t offset = 8 + 20 * static_cast<uint64_t>(slices.size());
  uint64_t total = offset;
  for (const FatInput& s : slices) total += s.data.size();
  if (total > UINT32_MAX)
    return Error(ErrorCode::LimitExceeded,
                 "fat file would be " + std::to_string(total) + " bytes; fat_arch offsets are 32-bit");
  std::vector<uint8_t> out(offset);
  storeBE32(out.data(), FAT_MAGIC);
  storeBE32(out.data() + 4, static_cast<uint32_t>(slices.size()));
  for (size_t i = 0; i < slices.size(); ++i) {
    uint8_t* fa = out.data() + 8 + 20 * i;
    storeBE32(fa, static_cast<uint32_t>(slices[i].arch.cputype));
    storeBE32(fa + 4, static_cast<uint32_t>(slices[i].arch.cpusubtype));
    storeBE32(fa + 8, static_cast<uint32_t>(offset));
    storeBE32(fa + 12, static_cast<uint32_t>(slices[i].data.size()));
    storeBE32(fa + 16, 0);  // align: kext_tools writes 0
    offset += slices[i].data.size();
  }
  out.reserve(total);
  for (const FatInput& s : slices) out.insert(out.end(), s.data.begin(), s.data.end());
  return out;
}

}  // namespace kextkit::macho
