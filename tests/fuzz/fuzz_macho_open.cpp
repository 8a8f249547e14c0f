// Property: MachOImage::open (the full load-command walk) never crashes on arbitrary bytes,
// and on success every range it reports lies inside the input: segment file ranges, section
// data, address translations, fileset members (opened with openAt); the identity rewrite of
// the load commands reproduces them byte for byte; taking a fileset member out never crashes.
// Any violation calls __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "kextkit/macho/MachOImage.h"
#include "kextkit/macho/MachOWriter.h"

using namespace kextkit;
using namespace kextkit::macho;

namespace {

void requireInside(Bytes inner, Bytes outer) {
  if (inner.empty()) return;
  std::less_equal<const uint8_t*> le;
  if (!le(outer.data(), inner.data()) || !le(inner.data() + inner.size(), outer.data() + outer.size()))
    __builtin_trap();
}

void check(const MachOImage& img, Bytes in) {
  for (const Segment& s : img.segments()) {
    auto d = img.segmentData(s);
    if (!d) __builtin_trap();  // ranges were checked at open
    requireInside(*d, in);
    for (const Section& sec : s.sections) {
      auto b = img.sectionData(sec);
      if (!b) __builtin_trap();
      requireInside(*b, in);
    }
    if (s.filesize > 0) {
      auto at = img.bytesAt(s.vmaddr, s.filesize);
      if (at) requireInside(*at, in);
    }
  }
  auto same = remapLoadCommands(img, [](uint64_t off, uint64_t) { return std::optional<uint64_t>(off); });
  if (!same) __builtin_trap();
  const size_t len = static_cast<size_t>(img.header().headerSize() + img.header().sizeofcmds);
  if (same->size() != len) __builtin_trap();
  for (size_t i = 0; i < len; ++i)
    if ((*same)[i] != in[static_cast<size_t>(img.headerOffset()) + i]) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  auto img = MachOImage::open(in);
  if (!img) return 0;
  check(*img, in);
  for (const FilesetEntry& e : img->filesetEntries()) {
    auto m = MachOImage::openAt(in, e.fileoff);
    if (!m) continue;
    if (m->headerOffset() != e.fileoff) __builtin_trap();
    check(*m, in);
    (void)extractFilesetMember(*m, size);  // a member whose tables overlap others may not reopen
  }
  return 0;
}
