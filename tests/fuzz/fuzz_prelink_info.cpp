// Property: prelink info parsing never crashes on arbitrary text, and what it returns is
// consistent: every resolved library index names another kext of the list; and a kernel
// whose __PRELINK_INFO,__info holds the text (with a real kext in __PRELINK_TEXT at a known
// address) either fails to open with an error or opens with every kext's executable range
// inside the image. Violations call __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/kernelcache/PrelinkInfo.h"
#include "kextkit/macho/MachOWriter.h"

using namespace kextkit;
using namespace kextkit::kernelcache;

namespace {

/// A 64-bit kernel: __TEXT, __PRELINK_TEXT at 0xffffff8000400000 (a minimal Mach-O at its
/// start), __PRELINK_INFO,__info = text. Page size 16 keeps it small.
std::vector<uint8_t> kernelWith(std::string_view text) {
  macho::MachOSpec inner;
  inner.arch = {macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_X86_64_ALL};
  inner.filetype = macho::MH_KEXT_BUNDLE;
  inner.pageSize = 16;
  macho::SegmentSpec it;
  it.name = "__TEXT";
  it.containsHeader = true;
  it.data.assign(64, 0xc3);
  inner.commands.push_back(it);
  inner.commands.push_back(macho::RawCommandSpec{macho::LC_UUID, std::vector<uint8_t>(16, 0x42)});
  auto kext = macho::writeMachO(inner);
  if (!kext) __builtin_trap();

  macho::MachOSpec s;
  s.arch = inner.arch;
  s.pageSize = 16;
  macho::SegmentSpec t;
  t.name = "__TEXT";
  t.vmaddr = 0xffffff8000200000;
  t.containsHeader = true;
  s.commands.push_back(t);
  macho::SegmentSpec p;
  p.name = "__PRELINK_TEXT";
  p.vmaddr = 0xffffff8000400000;
  p.data = *kext;
  s.commands.push_back(p);
  macho::SegmentSpec i;
  i.name = "__PRELINK_INFO";
  i.vmaddr = 0xffffff8000600000;
  macho::SectionSpec info;
  info.sectname = "__info";
  info.data.assign(text.begin(), text.end());
  i.sections.push_back(info);
  s.commands.push_back(i);
  auto out = macho::writeMachO(s);
  if (!out) __builtin_trap();
  return *out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto info = parsePrelinkInfo(text)) {
    for (const PrelinkEntry& e : info->kexts)
      for (const LibraryRef& l : e.libraries)
        if (l.resolved && (*l.resolved >= info->kexts.size() || *l.resolved == e.index)) __builtin_trap();
  }
  if (size > (256u << 10)) return 0;
  std::vector<uint8_t> image = kernelWith(text);
  auto kc = Kernelcache::open(image);
  if (!kc) return 0;
  for (const PrelinkedKext& k : kc->kexts()) {
    if (!k.executableBytes.empty()) {
      std::less_equal<const uint8_t*> le;
      if (!le(image.data(), k.executableBytes.data()) ||
          !le(k.executableBytes.data() + k.executableBytes.size(), image.data() + image.size()))
        __builtin_trap();
    }
    for (size_t j : k.linkedAgainst())
      if (j >= kc->kexts().size()) __builtin_trap();
    (void)kc->extractExecutable(k);
  }
  return 0;
}
