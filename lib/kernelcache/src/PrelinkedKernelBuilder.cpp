// Synthetic prelinked kernels in the split, fileset and merged layouts (see the header).
#include "kextkit/kernelcache/PrelinkedKernelBuilder.h"

#include <algorithm>
#include <filesystem>

#include "kextkit/io/MappedFile.h"
#include "kextkit/kernelcache/KernelcacheFormat.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/MachOWriter.h"
#include "kextkit/macho/Symbols.h"
#include "kextkit/plist/IOKitXml.h"
#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Format.h"

namespace kextkit::kernelcache {

namespace {

namespace fs = std::filesystem;
using macho::CommandSpec;
using macho::MachOSpec;
using macho::RawCommandSpec;
using macho::SectionSpec;
using macho::SegmentSpec;

constexpr uint64_t kX86KernelBase = 0xffffff8000200000ull;   // 10.x x86_64 __TEXT
constexpr uint64_t kI386KernelBase = 0x00100000ull;           // 10.5/10.6 i386 __TEXT
constexpr uint64_t kArmKernelBase = 0xfffffff007004000ull;   // iOS arm64 __TEXT
constexpr uint64_t kFilesetBase = 0xffffff8000100000ull;     // macOS 11 x86_64 KC __TEXT

const std::string* infoString(const plist::Value& info, std::string_view key) {
  const plist::Value* v = info.get(key);
  return v ? v->asString() : nullptr;
}

bool infoTrue(const plist::Value& info, std::string_view key) {
  const plist::Value* v = info.get(key);
  return v && v->asBool() && *v->asBool();
}

std::vector<uint8_t> fillerCode(size_t n) {
  // push rbp; mov rbp, rsp; xor eax, eax; pop rbp; ret; int3 x 7 (16 bytes), repeated.
  static const uint8_t pattern[16] = {0x55, 0x48, 0x89, 0xe5, 0x31, 0xc0, 0x5d, 0xc3,
                                      0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc};
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = pattern[i % 16];
  return out;
}

RawCommandSpec rawZeros(uint32_t cmd, size_t bodySize) { return RawCommandSpec{cmd, std::vector<uint8_t>(bodySize, 0)}; }

RawCommandSpec uuidCommand(const macho::Uuid& u) { return RawCommandSpec{macho::LC_UUID, std::vector<uint8_t>(u.begin(), u.end())}; }

/// One kext being placed.
struct Work {
  const BuilderKext* in = nullptr;  // nullptr for synthetic kernel resources
  plist::Value info;                // the info dict written to the cache (without _Prelink keys yet)
  BuiltKext out;
  bool placeCode = false;
  std::optional<uint64_t> kmodFileOffset;  // in the executable
  uint64_t kmodVmOffset = 0;               // _kmod_info address - the header's segment vmaddr
  uint64_t hdrSize = 0;                    // header + load commands, page-rounded
  uint64_t offset = 0;                     // where the code goes in its container region
};

/// Finds _kmod_info in an executable: its file offset and its address relative to the
/// segment holding the header.
void findKmodInfo(Work& w, const macho::MachOImage& img, uint64_t kmodLen) {
  auto table = macho::SymbolTable::read(img.macho());
  if (!table) return;
  const macho::Symbol* s = table->find("_kmod_info");
  if (!s || !s->isInSection()) return;
  auto off = img.fileOffsetOf(s->value, kmodLen);
  if (!off) return;
  uint64_t hv = 0;
  for (const auto& seg : img.segments())
    if (seg.fileoff == 0 && seg.filesize > 0) hv = seg.vmaddr;
  if (s->value < hv) return;
  w.kmodFileOffset = *off;
  w.kmodVmOffset = s->value - hv;
}

/// Fills kmod_info.address, size and hdr_size in `exe` as the kernel linker does.
void linkKmodInfo(Work& w, bool is64, Endian e) {
  if (!w.kmodFileOffset) return;
  uint8_t* p = w.out.executable.data() + *w.kmodFileOffset;
  const uint64_t size = w.out.size;
  if (is64) {
    store<uint64_t>(p + KmodInfo64Layout::address, w.out.loadAddress, e);
    store<uint64_t>(p + KmodInfo64Layout::size, size, e);
    store<uint64_t>(p + KmodInfo64Layout::hdr_size, w.hdrSize, e);
  } else {
    store<uint32_t>(p + KmodInfo32Layout::address, static_cast<uint32_t>(w.out.loadAddress), e);
    store<uint32_t>(p + KmodInfo32Layout::size, static_cast<uint32_t>(size), e);
    store<uint32_t>(p + KmodInfo32Layout::hdr_size, static_cast<uint32_t>(w.hdrSize), e);
  }
  w.out.kmodHdrSize = w.hdrSize;
}

plist::Value int64(uint64_t v) { return plist::Value::integer(v, 64); }

/// The info dictionary of one kext as it goes into _PrelinkInfoDictionary.
plist::Value prelinkDict(const Work& w, Layout layout, std::optional<uint64_t> moduleIndex) {
  plist::Value v = w.info;
  plist::Dict& d = *v.asDict();
  d.set(std::string(kPrelinkBundlePathKey), plist::Value(w.out.bundlePath));
  if (w.in && !w.in->executableRelativePath.empty())
    d.set(std::string(kPrelinkExecutableRelativePathKey), plist::Value(w.in->executableRelativePath));
  if (w.placeCode && layout != Layout::Merged) {
    d.set(std::string(kPrelinkExecutableLoadKey), int64(w.out.loadAddress));
    d.set(std::string(kPrelinkExecutableSourceKey), int64(w.out.sourceAddress));
    d.set(std::string(kPrelinkExecutableSizeKey), int64(w.out.size));
    d.set(std::string(kPrelinkKmodInfoKey), int64(w.out.kmodInfoAddress));
  } else if (!w.placeCode && layout == Layout::Fileset) {
    d.set(std::string(kPrelinkExecutableLoadKey), int64(kPrelinkCodelessLoadAddr));
  }
  if (!w.placeCode && w.out.uuid)
    d.set(std::string(kPrelinkInterfaceUUIDKey), plist::Value(plist::Data(w.out.uuid->begin(), w.out.uuid->end())));
  if (moduleIndex) d.set(std::string(kModuleIndexKey), plist::Value::integer(*moduleIndex, 64));
  return v;
}

Expected<std::vector<uint8_t>> prelinkXml(const std::vector<Work>& works, Layout layout) {
  plist::Array arr;
  uint64_t module = 0;
  for (const Work& w : works) {
    std::optional<uint64_t> mi;
    if (layout == Layout::Merged && w.placeCode) mi = module++;
    arr.push_back(prelinkDict(w, layout, mi));
  }
  plist::Dict top;
  top.set(std::string(kPrelinkInfoDictionaryKey), plist::Value(std::move(arr)));
  plist::WriteOptions wo;
  wo.emitIds = true;
  KK_ASSIGN(std::string text, plist::writeIOCFSerialize(plist::Value(std::move(top)), wo));
  return std::vector<uint8_t>(text.begin(), text.end());
}

SegmentSpec segment(std::string name, uint64_t vmaddr, std::vector<SectionSpec> sections, int32_t prot = 3) {
  SegmentSpec s;
  s.name = std::move(name);
  s.vmaddr = vmaddr;
  s.maxprot = prot;
  s.initprot = prot;
  s.sections = std::move(sections);
  return s;
}

SectionSpec section(std::string name, std::vector<uint8_t> data, uint32_t align, uint32_t flags = 0) {
  SectionSpec s;
  s.sectname = std::move(name);
  s.data = std::move(data);
  s.align = align;
  s.flags = flags;
  return s;
}

constexpr uint32_t kPureInstructions = 0x80000400;  // S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS

uint64_t alignTo(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// ---------------------------------------------------------------------------------------------

Expected<BuiltKernel> buildSplit(std::vector<Work>& works, const BuildOptions& o, MachOSpec spec, uint64_t page) {
  const bool x86 = o.arch.cputype == macho::CPU_TYPE_X86_64;
  const bool i386 = o.arch.cputype == macho::CPU_TYPE_I386;
  // The concatenated kexts, each page-rounded (IOK OSKextCreatePrelinkedKernel).
  uint64_t textSize = 0;
  std::vector<Work*> order;
  for (Work& w : works)
    if (w.placeCode) order.push_back(&w);
  if (o.reversePlacement) std::reverse(order.begin(), order.end());
  for (Work* w : order) {
    w->offset = textSize;
    textSize = alignTo(textSize + w->out.executable.size(), page);
  }
  auto build = [&](std::vector<uint8_t> prelinkText, std::vector<uint8_t> xml, uint64_t linkeditAddr,
                   uint64_t prelinkAddr) {
    MachOSpec s = spec;
    SegmentSpec text = segment("__TEXT", x86 ? kX86KernelBase : i386 ? kI386KernelBase : kArmKernelBase,
                               {section("__text", o.kernelText.empty() ? fillerCode(4096) : o.kernelText, 4,
                                        kPureInstructions)},
                               5);
    text.containsHeader = true;
    s.commands.push_back(text);
    SegmentSpec data = segment("__DATA", 0, {section("__data", std::vector<uint8_t>(0x200, 0x5a), 4)});
    data.followsPrevious = true;
    s.commands.push_back(data);
    s.commands.push_back(segment("__PRELINK_TEXT", prelinkAddr, {section("__text", std::move(prelinkText), 12)}, 7));
    SegmentSpec info = segment("__PRELINK_INFO", 0, {section("__info", std::move(xml), 0)});
    info.followsPrevious = true;
    s.commands.push_back(info);
    SegmentSpec le = segment("__LINKEDIT", linkeditAddr, {}, 1);
    le.data = std::vector<uint8_t>(8, 0);
    s.commands.push_back(le);
    s.commands.push_back(uuidCommand(o.kernelUuid));
    s.commands.push_back(rawZeros(macho::LC_SYMTAB, 16));
    s.commands.push_back(rawZeros(macho::LC_DYSYMTAB, 72));
    return s;
  };
  // Pass 1: sizes of __TEXT and __DATA give __LINKEDIT's address and the source base.
  KK_ASSIGN(macho::MachOLayout l1, macho::layoutMachO(build(std::vector<uint8_t>(textSize), {}, 0, 0)));
  const auto& t = l1.segments[0];
  const auto& d = l1.segments[1];
  const uint64_t linkeditAddr = d.vmaddr + d.vmsize;
  const uint64_t prelinkAddr = alignTo(linkeditAddr + l1.segments[4].vmsize, page);
  // x86_64 link base = round_page(__TEXT end) - 2 GiB; elsewhere kexts run where they sit.
  const uint64_t loadBase = x86 ? alignTo(t.vmaddr + t.vmsize, page) - (uint64_t{2} << 30) : prelinkAddr;

  std::vector<uint8_t> prelinkText(textSize, 0);
  for (Work& w : works) {
    if (!w.placeCode) continue;
    w.out.sourceAddress = prelinkAddr + w.offset;
    w.out.loadAddress = loadBase + w.offset;
    w.out.size = w.out.executable.size();
    if (w.kmodFileOffset) {
      w.out.kmodInfoAddress = w.out.loadAddress + w.kmodVmOffset;
      if (o.linkKmodInfo) linkKmodInfo(w, spec.is64, spec.endian);
    }
    std::copy(w.out.executable.begin(), w.out.executable.end(), prelinkText.begin() + static_cast<long>(w.offset));
  }
  KK_ASSIGN(std::vector<uint8_t> xml, prelinkXml(works, Layout::Split));
  BuiltKernel out;
  KK_ASSIGN(out.image, macho::writeMachO(build(std::move(prelinkText), std::move(xml), linkeditAddr, prelinkAddr)));
  out.prelinkTextAddress = prelinkAddr;
  return out;
}

Expected<BuiltKernel> buildFileset(std::vector<Work>& works, const BuildOptions& o, MachOSpec spec, uint64_t page) {
  (void)page;  // regions use the spec's page size
  const bool x86 = o.arch.cputype == macho::CPU_TYPE_X86_64;
  // The kernel member: a small MH_EXECUTE.
  auto kernelMember = [&](uint64_t vmaddr) {
    MachOSpec k = spec;
    k.filetype = macho::MH_EXECUTE;
    k.flags = macho::MH_NOUNDEFS | macho::MH_PIE;
    SegmentSpec text = segment("__TEXT", vmaddr,
                               {section("__text", o.kernelText.empty() ? fillerCode(4096) : o.kernelText, 4,
                                        kPureInstructions)},
                               5);
    text.containsHeader = true;
    k.commands.push_back(text);
    SegmentSpec data = segment("__DATA", 0, {section("__data", std::vector<uint8_t>(0x200, 0x5a), 4)});
    data.followsPrevious = true;
    k.commands.push_back(data);
    k.commands.push_back(uuidCommand(o.kernelUuid));
    return macho::writeMachO(k);
  };
  KK_ASSIGN(std::vector<uint8_t> kernel0, kernelMember(0));

  auto build = [&](const std::vector<std::vector<uint8_t>>& members, std::vector<uint8_t> xml,
                   const std::vector<macho::FilesetEntrySpec>& entries) {
    MachOSpec s = spec;
    s.filetype = macho::MH_FILESET;
    s.flags = macho::MH_NOUNDEFS | macho::MH_DYLDLINK | macho::MH_TWOLEVEL;
    SegmentSpec text = segment("__TEXT", x86 ? kFilesetBase : kArmKernelBase, {}, 1);
    text.containsHeader = true;
    s.commands.push_back(text);
    for (size_t i = 0; i < members.size(); ++i) {
      SegmentSpec r = segment("__REGION" + std::to_string(i), 0, {}, 7);
      r.followsPrevious = true;
      r.data = members[i];
      s.commands.push_back(r);
    }
    SegmentSpec info = segment("__PRELINK_INFO", 0, {section("__info", std::move(xml), 0)});
    info.followsPrevious = true;
    s.commands.push_back(info);
    SegmentSpec le = segment("__LINKEDIT", 0, {}, 1);
    le.followsPrevious = true;
    le.data = std::vector<uint8_t>(8, 0);
    s.commands.push_back(le);
    for (const auto& e : entries) s.commands.push_back(e);
    return s;
  };

  std::vector<Work*> code;
  for (Work& w : works)
    if (w.placeCode) code.push_back(&w);
  if (o.reversePlacement) std::reverse(code.begin(), code.end());
  std::vector<std::vector<uint8_t>> members{kernel0};
  std::vector<macho::FilesetEntrySpec> entries{{"com.apple.kernel", 0, 0}};
  for (Work* w : code) {
    members.push_back(w->out.executable);
    entries.push_back({w->out.identifier, 0, 0});
  }
  // Pass 1: where every region goes.
  KK_ASSIGN(macho::MachOLayout l1, macho::layoutMachO(build(members, {}, entries)));
  const auto region = [&](size_t i) -> const macho::SegmentLayout& { return l1.segments[1 + i]; };

  KK_ASSIGN(std::vector<uint8_t> kernel, kernelMember(region(0).vmaddr));
  KK_ASSIGN(members[0], macho::shiftFileOffsets(kernel, region(0).fileoff));
  entries[0] = {"com.apple.kernel", region(0).vmaddr, region(0).fileoff};
  for (size_t i = 0; i < code.size(); ++i) {
    Work& w = *code[i];
    const auto& r = region(i + 1);
    w.out.loadAddress = r.vmaddr;
    w.out.sourceAddress = r.vmaddr;
    w.out.size = w.out.executable.size();
    if (w.kmodFileOffset) {
      w.out.kmodInfoAddress = w.out.loadAddress + w.kmodVmOffset;
      if (o.linkKmodInfo) linkKmodInfo(w, true, spec.endian);
    }
    KK_ASSIGN(members[i + 1], macho::shiftFileOffsets(w.out.executable, r.fileoff));
    entries[i + 1] = {w.out.identifier, r.vmaddr, r.fileoff};
  }
  KK_ASSIGN(std::vector<uint8_t> xml, prelinkXml(works, Layout::Fileset));
  BuiltKernel out;
  KK_ASSIGN(out.image, macho::writeMachO(build(members, std::move(xml), entries)));
  return out;
}

Expected<BuiltKernel> buildMerged(std::vector<Work>& works, const BuildOptions& o, MachOSpec spec, uint64_t page) {
  (void)page;
  const Endian e = spec.endian;
  const uint64_t kmodLen = KmodInfo64Layout::total;
  std::vector<Work*> code;
  for (Work& w : works)
    if (w.placeCode) code.push_back(&w);
  const size_t n = code.size();
  // Code blobs (the executables, as opaque bytes) one after the other, 16-aligned.
  uint64_t codeSize = 0;
  for (Work* w : code) {
    w->offset = codeSize;
    codeSize = alignTo(codeSize + w->out.executable.size(), 16);
  }
  auto build = [&](std::vector<uint8_t> codeBytes, std::vector<uint8_t> kmods, std::vector<uint8_t> xml,
                   std::vector<uint8_t> infoPtrs, std::vector<uint8_t> startPtrs) {
    MachOSpec s = spec;
    SegmentSpec text = segment("__TEXT", kArmKernelBase,
                               {section("__text", o.kernelText.empty() ? fillerCode(4096) : o.kernelText, 4,
                                        kPureInstructions)},
                               5);
    text.containsHeader = true;
    s.commands.push_back(text);
    SegmentSpec exec = segment("__TEXT_EXEC", 0, {section("__text", std::move(codeBytes), 4, kPureInstructions)}, 5);
    exec.followsPrevious = true;
    s.commands.push_back(exec);
    SegmentSpec data = segment("__DATA", 0, {section("__data", std::move(kmods), 3)});
    data.followsPrevious = true;
    s.commands.push_back(data);
    SegmentSpec ptext = segment("__PRELINK_TEXT", 0, {}, 7);
    ptext.followsPrevious = true;
    s.commands.push_back(ptext);
    SegmentSpec info = segment("__PRELINK_INFO", 0,
                               {section("__info", std::move(xml), 0), section("__kmod_info", std::move(infoPtrs), 3),
                                section("__kmod_start", std::move(startPtrs), 3)});
    info.followsPrevious = true;
    s.commands.push_back(info);
    SegmentSpec le = segment("__LINKEDIT", 0, {}, 1);
    le.followsPrevious = true;
    le.data = std::vector<uint8_t>(8, 0);
    s.commands.push_back(le);
    s.commands.push_back(uuidCommand(o.kernelUuid));
    s.commands.push_back(rawZeros(macho::LC_SYMTAB, 16));
    s.commands.push_back(rawZeros(macho::LC_DYSYMTAB, 72));
    return s;
  };
  std::vector<uint8_t> kmods(n * 200, 0);  // 196-byte structs at 8-aligned slots of 200
  KK_ASSIGN(macho::MachOLayout l1, macho::layoutMachO(build(std::vector<uint8_t>(codeSize), kmods, {},
                                                            std::vector<uint8_t>(n * 8), std::vector<uint8_t>((n + 1) * 8))));
  const uint64_t codeAddr = l1.segments[1].sections[0].addr;
  const uint64_t kmodAddr = l1.segments[2].sections[0].addr;
  auto tag = [&](uint64_t addr) -> uint64_t {
    if (!o.taggedPointers) return addr;
    // Plain threaded rebase: high8 at bits 43-50, low 43 bits of the address, next = 0.
    return ((addr >> 56) << 43) | (addr & ((uint64_t{1} << 43) - 1));
  };
  std::vector<uint8_t> codeBytes(codeSize, 0), infoPtrs(n * 8), startPtrs((n + 1) * 8);
  for (size_t i = 0; i < n; ++i) {
    Work& w = *code[i];
    w.out.loadAddress = codeAddr + w.offset;
    w.out.sourceAddress = w.out.loadAddress;
    const uint64_t next = i + 1 < n ? codeAddr + code[i + 1]->offset : codeAddr + codeSize;
    w.out.size = next - w.out.loadAddress;
    w.out.kmodInfoAddress = kmodAddr + i * 200;
    std::copy(w.out.executable.begin(), w.out.executable.end(), codeBytes.begin() + static_cast<long>(w.offset));
    uint8_t* k = kmods.data() + i * 200;
    store<uint32_t>(k + KmodInfo64Layout::info_version, KMOD_INFO_VERSION, e);
    std::copy_n(w.out.identifier.begin(), std::min<size_t>(w.out.identifier.size(), KMOD_MAX_NAME - 1),
                k + KmodInfo64Layout::name);
    std::copy_n(w.out.version.begin(), std::min<size_t>(w.out.version.size(), KMOD_MAX_NAME - 1),
                k + KmodInfo64Layout::version);
    store<uint64_t>(k + KmodInfo64Layout::address, w.out.loadAddress, e);
    store<uint64_t>(k + KmodInfo64Layout::size, w.out.size, e);
    w.out.kmodName = w.out.identifier.substr(0, KMOD_MAX_NAME - 1);
    store<uint64_t>(&infoPtrs[i * 8], tag(w.out.kmodInfoAddress), e);
    store<uint64_t>(&startPtrs[i * 8], tag(w.out.loadAddress), e);
  }
  store<uint64_t>(&startPtrs[n * 8], tag(codeAddr + codeSize), e);
  (void)kmodLen;
  KK_ASSIGN(std::vector<uint8_t> xml, prelinkXml(works, Layout::Merged));
  BuiltKernel out;
  KK_ASSIGN(out.image, macho::writeMachO(build(std::move(codeBytes), std::move(kmods), std::move(xml),
                                                std::move(infoPtrs), std::move(startPtrs))));
  return out;
}

}  // namespace

Expected<BuiltKernel> buildPrelinkedKernel(const std::vector<BuilderKext>& kexts, const BuildOptions& o) {
  const bool x86 = o.arch.cputype == macho::CPU_TYPE_X86_64;
  const bool arm = o.arch.cputype == macho::CPU_TYPE_ARM64;
  const bool i386 = o.arch.cputype == macho::CPU_TYPE_I386;
  if (!x86 && !arm && !i386)
    return Error(ErrorCode::InvalidArgument, "synthetic kernels are x86_64, arm64 or i386, not " + macho::describeArch(o.arch));
  if (i386 && o.layout != Layout::Split) return Error(ErrorCode::InvalidArgument, "i386 kernelcaches use the split layout");
  if (o.layout == Layout::Merged && !arm) return Error(ErrorCode::InvalidArgument, "merged kernelcaches are arm64");
  MachOSpec spec;
  spec.is64 = !i386;
  spec.endian = Endian::Little;
  spec.arch = o.arch;
  spec.filetype = macho::MH_EXECUTE;
  spec.flags = macho::MH_NOUNDEFS | macho::MH_PIE;
  spec.pageSize = arm ? 0x4000 : 0x1000;
  const uint64_t page = spec.pageSize;

  std::vector<Work> works;
  for (const auto& [id, version] : o.kernelResources) {
    Work w;
    plist::Dict d;
    d.set("CFBundleIdentifier", plist::Value(id));
    d.set("CFBundleVersion", plist::Value(version));
    d.set("CFBundleInfoDictionaryVersion", plist::Value("6.0"));
    d.set("CFBundlePackageType", plist::Value("KEXT"));
    d.set("OSBundleCompatibleVersion", plist::Value("8.0.0b1"));
    d.set("OSBundleRequired", plist::Value("Root"));
    d.set("OSKernelResource", plist::Value(true));
    w.info = plist::Value(std::move(d));
    w.out.identifier = id;
    w.out.version = version;
    std::string leaf = id.substr(id.rfind('.') == std::string::npos ? 0 : id.rfind('.') + 1);
    w.out.bundlePath = "/System/Library/Extensions/System.kext/PlugIns/" + leaf + ".kext";
    works.push_back(std::move(w));
  }
  for (size_t i = 0; i < kexts.size(); ++i) {
    const BuilderKext& k = kexts[i];
    Work w;
    w.in = &k;
    if (!k.info.asDict()) return Error(ErrorCode::InvalidArgument, "kext " + std::to_string(i) + ": Info.plist is not a dict");
    w.info = k.info;
    const std::string* id = infoString(k.info, "CFBundleIdentifier");
    if (!id || id->empty()) return Error(ErrorCode::InvalidArgument, "kext " + std::to_string(i) + " has no CFBundleIdentifier");
    w.out.identifier = *id;
    if (const std::string* v = infoString(k.info, "CFBundleVersion")) w.out.version = *v;
    w.out.bundlePath = k.bundlePath;
    if (const plist::Value* libs = kext::lookupArchKey(*k.info.asDict(), "OSBundleLibraries", o.arch.cputype);
        libs && libs->asDict())
      for (const auto& [lib, ver] : *libs->asDict()) w.out.libraries.push_back(lib);
    // Personalities stay only for kexts needed at early boot (IOK __OSKextCreatePrelinkInfoDictionary).
    const std::string* req = infoString(k.info, "OSBundleRequired");
    if (!o.allPersonalities && !(req && *req != "Safe Boot")) w.info.asDict()->erase("IOKitPersonalities");
    const bool resource = infoTrue(k.info, "OSKernelResource") || infoTrue(k.info, "OSBundleIsInterface");
    if (k.executable) {
      auto img = macho::MachOImage::open(*k.executable);
      if (!img) return Error(ErrorCode::InvalidArgument, "kext " + *id + ": executable: " + img.error().describe());
      // Merged caches take the code as opaque bytes; the other layouts need the cache's arch.
      if (o.layout != Layout::Merged && img->header().arch.cputype != o.arch.cputype)
        return Error(ErrorCode::InvalidArgument, "kext " + *id + ": executable is " + macho::describeArch(img->header().arch) +
                                                     ", the cache is " + macho::describeArch(o.arch));
      w.out.uuid = img->uuid();
      if (!resource) {
        w.placeCode = true;
        w.out.hasExecutable = true;
        w.out.executable = *k.executable;
        findKmodInfo(w, *img, spec.is64 ? KmodInfo64Layout::total : KmodInfo32Layout::total);
        if (w.kmodFileOffset) {
          const uint32_t nameAt = spec.is64 ? KmodInfo64Layout::name : KmodInfo32Layout::name;
          auto name = io::ByteReader(*k.executable).sub(*w.kmodFileOffset + nameAt, KMOD_MAX_NAME);
          if (name)
            if (auto text = name->fixedString(KMOD_MAX_NAME)) w.out.kmodName = *text;
        }
        // hdr_size: the page(s) holding the header and load commands, when the kext is larger.
        const uint64_t hdr = alignTo(img->header().headerSize() + img->header().sizeofcmds, 0x1000);
        w.hdrSize = hdr < k.executable->size() ? hdr : 0;
      }
    }
    works.push_back(std::move(w));
  }

  Expected<BuiltKernel> built = o.layout == Layout::Split     ? buildSplit(works, o, spec, page)
                                : o.layout == Layout::Fileset ? buildFileset(works, o, spec, page)
                                                              : buildMerged(works, o, spec, page);
  if (!built) return built;
  for (Work& w : works) built->kexts.push_back(std::move(w.out));
  return built;
}

std::vector<BuilderKext> builderKextsFromBundles(const std::vector<kext::KextBundle>& bundles, macho::Arch arch,
                                                 const std::string& volumeRoot, const std::string& pathPrefix,
                                                 std::vector<std::string>* skipped) {
  std::vector<BuilderKext> out;
  auto skip = [&](const kext::KextBundle& b, const std::string& why) {
    if (skipped) skipped->push_back(b.path() + ": " + why);
  };
  const fs::path root = fs::absolute(volumeRoot).lexically_normal();
  for (const kext::KextBundle& b : bundles) {
    if (!b.info() || !b.info()->asDict()) {
      skip(b, "no Info.plist dictionary");
      continue;
    }
    BuilderKext k;
    k.info = *b.info();
    fs::path abs = fs::absolute(b.path()).lexically_normal();
    std::string rel = abs.lexically_relative(root).string();
    k.bundlePath = rel.empty() || rel.rfind("..", 0) == 0 ? abs.string() : pathPrefix + "/" + rel;
    while (k.bundlePath.size() > 1 && k.bundlePath.back() == '/') k.bundlePath.pop_back();
    if (b.declaresExecutable()) {
      if (!b.executable() || !b.executable()->exists) {
        skip(b, "executable missing");
        continue;
      }
      auto mapped = io::MappedFile::open(b.executable()->path);
      if (!mapped) {
        skip(b, mapped.error().describe());
        continue;
      }
      auto thin = macho::selectArch(mapped->bytes(), arch);
      if (!thin) {
        skip(b, "no " + macho::describeArch(arch) + " executable");
        continue;
      }
      k.executable = std::vector<uint8_t>(thin->begin(), thin->end());
      k.executableRelativePath = fs::path(b.executable()->path).lexically_relative(fs::path(b.path())).string();
    }
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace kextkit::kernelcache
