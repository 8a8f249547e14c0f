// Property: on arbitrary bytes, fat parsing, slice listing/selection, thin header parsing and
// the load-command walk never crash, and every span they return (fat slices, thinned files,
// load command bytes) lies inside the input; a parsed header's load commands lie inside
// [headerSize, headerSize + sizeofcmds). Any violation calls __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <functional>

#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/MachOFile.h"

using namespace kextkit;
using namespace kextkit::macho;

namespace {

void requireInside(Bytes inner, Bytes outer) {
  if (inner.empty()) return;
  std::less_equal<const uint8_t*> le;
  if (!le(outer.data(), inner.data()) || !le(inner.data() + inner.size(), outer.data() + outer.size()))
    __builtin_trap();
}

void checkThin(Bytes data, uint64_t base, Bytes whole) {
  auto file = MachOFile::open(data, base);
  if (!file) return;
  const MachOHeader& h = file->header();
  if (h.headerSize() + h.sizeofcmds > data.size()) __builtin_trap();
  uint64_t expectedOffset = h.headerSize();
  for (const auto& lc : file->loadCommands()) {
    requireInside(lc.raw, data);
    requireInside(lc.raw, whole);
    if (lc.raw.size() != lc.cmdsize || lc.cmdsize < 8) __builtin_trap();
    if (lc.offset != expectedOffset) __builtin_trap();
    if (lc.raw.data() != data.data() + lc.offset) __builtin_trap();
    expectedOffset += lc.cmdsize;
    if (expectedOffset > h.headerSize() + h.sizeofcmds) __builtin_trap();
  }
  if (file->loadCommands().size() != h.ncmds) __builtin_trap();
  auto uuid = findUuid(data, base);
  if (!uuid || uuid->has_value() != file->uuid().has_value()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  if (auto slices = listSlices(in)) {
    for (const auto& s : *slices) {
      requireInside(s.data, in);
      if (s.data.size() != s.size) __builtin_trap();
      if (s.data.data() != data + s.offset) __builtin_trap();
      checkThin(s.data, s.offset, in);
    }
  }
  for (const char* name : {"x86_64", "arm64e", "i386", "any"}) {
    if (auto thin = selectArch(in, *archFromName(name))) requireInside(*thin, in);
  }
  checkThin(in, 0, in);
  return 0;
}
