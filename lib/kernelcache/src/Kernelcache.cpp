// Opening kernelcaches: container, kernel Mach-O, layout, prelink info and per-kext details.
#include "kextkit/kernelcache/Kernelcache.h"

#include <algorithm>
#include <set>
#include <system_error>
#include <thread>

#include "kextkit/compress/Adler32.h"
#include "kextkit/kernelcache/KernelcacheFormat.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/MachOWriter.h"
#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Format.h"

namespace kextkit::kernelcache {

std::string_view layoutName(Layout layout) {
  switch (layout) {
    case Layout::Split: return "split";
    case Layout::Fileset: return "fileset";
    case Layout::Merged: return "merged";
  }
  return "split";
}

uint64_t PrelinkedKext::wired() const {
  if (kmodInfo && kmodInfo->hdrSize <= size) return size - kmodInfo->hdrSize;
  return size;
}

std::vector<size_t> PrelinkedKext::linkedAgainst() const {
  std::set<size_t> s;
  for (const LibraryRef& l : entry.libraries)
    if (l.resolved) s.insert(*l.resolved);
  return std::vector<size_t>(s.rbegin(), s.rend());
}

namespace {
bool startsLikeImage(io::Bytes b) {
  if (b.size() < 4) return false;
  if (isComp(b)) return true;
  const uint32_t le = loadLE32(b.data());
  return le == macho::MH_MAGIC || le == macho::MH_CIGAM || le == macho::MH_MAGIC_64 || le == macho::MH_CIGAM_64;
}
}  // namespace

bool looksLikeKernelcache(io::Bytes file) {
  if (!macho::isFat(file)) return startsLikeImage(file);
  auto slices = macho::parseFat(file);
  return slices && !slices->empty() && startsLikeImage(slices->front().data);
}

uint64_t untagKernelPointer(uint64_t v, uint64_t kernelBase) {
  if ((v >> 48) == 0xffff) return v;                       // an untagged kernel address
  if (v & (uint64_t{1} << 63)) return kernelBase + (v & 0xffffffffu);  // auth rebase: offset from the header
  uint64_t high8 = (v >> 43) & 0xff;
  uint64_t low = v & ((uint64_t{1} << 43) - 1);
  if (low & (uint64_t{1} << 42)) low |= ~((uint64_t{1} << 43) - 1);  // sign-extend from bit 42
  return (high8 << 56) | (low & 0x00ffffffffffffffull);
}

Expected<KmodInfo> parseKmodInfo(io::Bytes bytes, bool is64, Endian endian, uint64_t address) {
  io::ByteReader r(bytes, 0, endian);
  KmodInfo k;
  k.address = address;
  if (is64) {
    using L = KmodInfo64Layout;
    KK_TRY(r.peek(L::total, "kmod_info"));
    KK_TRY(r.seek(L::info_version));
    KK_ASSIGN(k.infoVersion, r.u32("kmod_info.info_version"));
    KK_TRY(r.seek(L::name));
    KK_ASSIGN(k.name, r.fixedString(KMOD_MAX_NAME, "kmod_info.name"));
    KK_ASSIGN(k.version, r.fixedString(KMOD_MAX_NAME, "kmod_info.version"));
    KK_TRY(r.seek(L::address));
    KK_ASSIGN(k.kmodAddress, r.u64("kmod_info.address"));
    KK_ASSIGN(k.size, r.u64("kmod_info.size"));
    KK_ASSIGN(k.hdrSize, r.u64("kmod_info.hdr_size"));
    KK_ASSIGN(k.start, r.u64("kmod_info.start"));
    KK_ASSIGN(k.stop, r.u64("kmod_info.stop"));
  } else {
    using L = KmodInfo32Layout;
    KK_TRY(r.peek(L::total, "kmod_info"));
    KK_TRY(r.seek(L::info_version));
    KK_ASSIGN(k.infoVersion, r.u32("kmod_info.info_version"));
    KK_TRY(r.seek(L::name));
    KK_ASSIGN(k.name, r.fixedString(KMOD_MAX_NAME, "kmod_info.name"));
    KK_ASSIGN(k.version, r.fixedString(KMOD_MAX_NAME, "kmod_info.version"));
    KK_TRY(r.seek(L::address));
    KK_ASSIGN(uint32_t a, r.u32("kmod_info.address"));
    KK_ASSIGN(uint32_t s, r.u32("kmod_info.size"));
    KK_ASSIGN(uint32_t h, r.u32("kmod_info.hdr_size"));
    KK_ASSIGN(uint32_t st, r.u32("kmod_info.start"));
    KK_ASSIGN(uint32_t sp, r.u32("kmod_info.stop"));
    k.kmodAddress = a;
    k.size = s;
    k.hdrSize = h;
    k.start = st;
    k.stop = sp;
  }
  return k;
}

struct Kernelcache::Storage {
  std::vector<uint8_t> owned;  // the decompressed image, when there is one
  io::Bytes image;
  uint64_t imageBase = 0;      // absolute offset of image[0] in the input (0 when decompressed)
  bool decompressed = false;
  std::optional<macho::MachOImage> macho;
};

Kernelcache::Kernelcache() : storage_(std::make_unique<Storage>()) {}
Kernelcache::Kernelcache(Kernelcache&&) noexcept = default;
Kernelcache& Kernelcache::operator=(Kernelcache&&) noexcept = default;
Kernelcache::~Kernelcache() = default;

io::Bytes Kernelcache::image() const { return storage_->image; }
const macho::MachOImage& Kernelcache::macho() const { return *storage_->macho; }

namespace {

std::string kextLabel(const PrelinkEntry& e) {
  std::string w = "kext " + std::to_string(e.index);
  if (!e.identifier.empty()) w += " (" + e.identifier + ")";
  return w;
}

/// Puts `context` before an error's field ("kext 3 (com.foo): mach_header.magic"), reading
/// better in messages than Error::within()'s dotted path.
Error prefixed(Error e, const std::string& context) {
  e.field = e.field.empty() ? context : context + ": " + e.field;
  return e;
}

/// Errors found in the decompressed image carry offsets into it, not into the file.
Error inImage(Error e, bool decompressed) {
  if (decompressed) e.field = e.field.empty() ? "decompressed image" : "decompressed image: " + e.field;
  return e;
}

/// An arch for messages: its name, the generic name for a wildcard subtype, else the numbers.
std::string archText(macho::Arch a) {
  if (auto n = macho::archName(a)) return std::string(*n);
  if (a.cpusubtype == macho::CPU_SUBTYPE_MULTIPLE)
    if (auto g = macho::genericArchName(a.cputype)) return std::string(*g);
  return macho::describeArch(a);
}

std::string sliceList(const std::vector<CacheSlice>& slices) {
  std::string out;
  for (const auto& s : slices) {
    if (!out.empty()) out += ", ";
    out += s.arch ? macho::describeArch(*s.arch) : std::string("unknown");
  }
  return out;
}

Compression sliceCompression(io::Bytes data) {
  if (!isComp(data)) return Compression::None;
  io::ByteReader r(data, 0, Endian::Big);
  if (!r.skip(4)) return Compression::Lzss;
  auto t = r.u32();
  return t && *t == COMP_TYPE_LZVN ? Compression::Lzvn : Compression::Lzss;
}

/// The vm address at which a Mach-O's own header is mapped (its first segment with file bytes
/// at the header), used to turn "offset from the load address" into an address of that Mach-O.
std::optional<uint64_t> headerVmaddr(const macho::MachOImage& m) {
  for (const auto& s : m.segments())
    if (s.fileoff == m.headerOffset() && s.filesize > 0) return s.vmaddr;
  if (!m.segments().empty()) return m.segments().front().vmaddr;
  return std::nullopt;
}

}  // namespace

Expected<DecodedCache> Kernelcache::decode(io::Bytes file, const OpenOptions& o) {
  DecodedCache kc;

  // 1. The slice.
  if (macho::isFat(file)) {
    KK_ASSIGN(std::vector<macho::FatSlice> fs, macho::parseFat(file));
    kc.fat = true;
    for (const auto& s : fs) kc.slices.push_back(CacheSlice{s.arch, s.offset, s.size, sliceCompression(s.data)});
    std::optional<size_t> pick;
    if (o.arch) {
      for (size_t i = 0; i < fs.size() && !pick; ++i)
        if (macho::archMatches(fs[i].arch, *o.arch)) pick = i;
      if (!pick)
        return Error(ErrorCode::NotFound,
                     "no " + archText(*o.arch) + " slice (the file has: " + sliceList(kc.slices) + ")");
    } else {
      for (size_t i = 0; i < fs.size() && !pick; ++i)
        if (fs[i].arch.cputype == macho::CPU_TYPE_X86_64) pick = i;
      if (!pick) pick = 0;
    }
    kc.sliceIndex = *pick;
  } else {
    kc.slices.push_back(CacheSlice{std::nullopt, 0, file.size(), sliceCompression(file)});
  }
  const CacheSlice& cs = kc.slices[kc.sliceIndex];
  io::Bytes slice = file.subspan(static_cast<size_t>(cs.offset), static_cast<size_t>(cs.size));

  // 2. The image.
  if (isComp(slice)) {
    KK_ASSIGN(kc.comp, parseCompHeader(slice, cs.offset));
    DecompressOptions d;
    d.maxImageSize = o.maxImageSize;
    d.verifyChecksum = false;  // open() verifies it, alongside the parsing
    KK_ASSIGN(kc.owned, decompressComp(slice, cs.offset, d));
    if (o.verifyChecksum) kc.pendingChecksum = true;
    kc.image = kc.owned;
    kc.decompressed = true;
    if (macho::isFat(kc.image)) {
      // A decompressed payload can itself be a fat file (apple-containers.md §0).
      auto inner = o.arch ? macho::selectSlice(kc.image, *o.arch) : Expected<macho::FatSlice>(Error(ErrorCode::NotFound, ""));
      if (!inner) {
        auto all = macho::parseFat(kc.image);
        if (!all) return inImage(std::move(all).error(), true);
        inner = all->front();
      }
      kc.image = kc.image.subspan(static_cast<size_t>(inner->offset), static_cast<size_t>(inner->size));
    }
  } else {
    io::ByteReader r(slice, cs.offset, Endian::Little);
    auto magic = r.peek(4, "magic");
    if (!magic) return std::move(magic).error();
    const uint32_t le = loadLE32(magic->data());
    if (le != macho::MH_MAGIC && le != macho::MH_CIGAM && le != macho::MH_MAGIC_64 && le != macho::MH_CIGAM_64)
      return malformed("expected a fat header, a 'comp' prelinked kernel header or a Mach-O, found '" +
                           fourCC(byteSwap32(le)) + "' (" + hex(byteSwap32(le)) + ")",
                       "magic", cs.offset);
    kc.image = slice;
    kc.imageBase = cs.offset;
  }

  return kc;
}

Expected<Kernelcache> Kernelcache::open(io::Bytes file, const OpenOptions& o) {
  KK_ASSIGN(DecodedCache d, decode(file, o));
  return open(std::move(d), o);
}

Expected<Kernelcache> Kernelcache::open(DecodedCache&& d, const OpenOptions& o) {
  Kernelcache kc;
  Storage& st = *kc.storage_;
  kc.fat_ = d.fat;
  kc.slices_ = std::move(d.slices);
  kc.sliceIndex_ = d.sliceIndex;
  kc.comp_ = d.comp;
  st.owned = std::move(d.owned);  // a moved vector keeps its buffer: d.image stays valid
  st.image = d.image;
  st.imageBase = d.imageBase;
  st.decompressed = d.decompressed;

  // The Adler-32 of the decompressed image is computed on a second thread while this one
  // parses; both must succeed, and a checksum mismatch is reported first (the data is bad).
  std::optional<uint32_t> sum;
  std::thread summer;
  if (d.pendingChecksum && kc.comp_) {
    try {
      summer = std::thread([&sum, &st] { sum = compress::adler32(st.owned); });
    } catch (const std::system_error&) {
      sum = compress::adler32(st.owned);  // no thread to be had: compute it here
    }
  }
  Status loaded = kc.parseImage(o);
  if (summer.joinable()) summer.join();
  if (sum) KK_TRY(checkCompChecksum(*kc.comp_, *sum, kc.slice().offset));
  if (!loaded) return std::move(loaded).error();
  return kc;
}

Status Kernelcache::parseImage(const OpenOptions& o) {
  (void)o;
  Kernelcache& kc = *this;
  Storage& st = *kc.storage_;
  // 3. The kernel Mach-O.
  auto img = macho::MachOImage::open(st.image, st.imageBase);
  if (!img) return inImage(std::move(img).error(), st.decompressed);
  st.macho.emplace(std::move(img).value());
  const macho::MachOImage& m = *st.macho;
  if (!kc.slices_[kc.sliceIndex_].arch) kc.slices_[kc.sliceIndex_].arch = m.header().arch;
  kc.kernelUuid_ = m.uuid();

  // 4. Layout and prelink info.
  const macho::Section* infoSect = m.findSection(kPrelinkInfoSegment, kPrelinkInfoSection);
  if (!infoSect)
    return inImage(Error(ErrorCode::NotFound, "the kernel has no __PRELINK_INFO,__info section: not a prelinked kernel",
                         "__PRELINK_INFO", st.imageBase),
                   st.decompressed);
  const macho::Section* kmodInfoSect = m.findSection(kPrelinkInfoSegment, kBuiltinKmodInfoSection);
  if (m.header().filetype == macho::MH_FILESET)
    kc.layout_ = Layout::Fileset;
  else if (kmodInfoSect && kmodInfoSect->size > 0)
    kc.layout_ = Layout::Merged;
  else
    kc.layout_ = Layout::Split;
  if (kc.layout_ == Layout::Fileset)
    for (const auto& fe : m.filesetEntries())
      if (fe.entryId == "com.apple.kernel") {
        auto k = macho::MachOImage::openAt(st.image, fe.fileoff, st.imageBase);
        if (!k) return inImage(prefixed(std::move(k).error(), "com.apple.kernel"), st.decompressed);
        kc.kernelUuid_ = k->uuid();
      }

  // 5. Prelink info.
  auto infoBytes = m.sectionData(*infoSect);
  if (!infoBytes) return inImage(std::move(infoBytes).error(), st.decompressed);
  kc.infoOffset_ = infoSect->offset;
  kc.infoSize_ = infoBytes->size();
  std::string_view text(reinterpret_cast<const char*>(infoBytes->data()), infoBytes->size());
  PrelinkInfoOptions po;
  po.cputype = m.header().arch.cputype;
  auto info = parsePrelinkInfo(text, st.imageBase + infoSect->offset, po);
  if (!info) return inImage(std::move(info).error(), st.decompressed);
  PrelinkInfo parsed = std::move(info).value();
  kc.infoTop_ = std::move(parsed.top);

  // 6. Per kext.
  const bool is64 = m.is64();
  const uint64_t kmodLen = is64 ? KmodInfo64Layout::total : KmodInfo32Layout::total;
  io::Bytes kmodInfoTable, kmodStartTable;
  uint64_t builtinCount = 0;
  if (kc.layout_ == Layout::Merged) {
    if (!is64) return inImage(unsupported("merged kernelcaches are 64-bit only", "__PRELINK_INFO,__kmod_info"), st.decompressed);
    const macho::Section* startSect = m.findSection(kPrelinkInfoSegment, kBuiltinKmodStartSection);
    if (!startSect)
      return inImage(malformed("a merged kernelcache has __kmod_info but no __kmod_start section", "__PRELINK_INFO"),
                     st.decompressed);
    auto a = m.sectionData(*kmodInfoSect);
    auto b = m.sectionData(*startSect);
    if (!a) return inImage(std::move(a).error(), st.decompressed);
    if (!b) return inImage(std::move(b).error(), st.decompressed);
    kmodInfoTable = *a;
    kmodStartTable = *b;
    builtinCount = kmodInfoTable.size() / 8;
    if (kmodInfoTable.size() % 8 != 0 || kmodStartTable.size() != (builtinCount + 1) * 8)
      return inImage(malformed("__kmod_start holds " + std::to_string(kmodStartTable.size() / 8) +
                                   " pointers; a __kmod_info of " + std::to_string(builtinCount) + " needs " +
                                   std::to_string(builtinCount + 1),
                               "__PRELINK_INFO,__kmod_start", st.imageBase + startSect->offset),
                     st.decompressed);
  }
  const uint64_t kernelBase = headerVmaddr(m).value_or(0);

  kc.kexts_.reserve(parsed.kexts.size());
  for (PrelinkEntry& entry : parsed.kexts) {
    PrelinkedKext k;
    k.entry = std::move(entry);
    const PrelinkEntry& e = k.entry;
    const std::string label = kextLabel(e);
    auto fail = [&](Error err) { return inImage(prefixed(std::move(err), label), st.decompressed); };
    std::optional<macho::MachOImage> own;  // the kext's own Mach-O, when it parses fully

    if (kc.layout_ == Layout::Split && e.hasExecutable()) {
      const uint64_t src = e.sourceAddress.value_or(*e.loadAddress);
      auto off = m.fileOffsetOf(src, *e.executableSize);
      if (!off)
        return fail(malformed(std::string(kPrelinkExecutableSourceKey) + " " + hex(src) + " and " +
                                  std::string(kPrelinkExecutableSizeKey) + " " + hex(*e.executableSize) + ": " +
                                  off.error().message,
                              "", st.imageBase + kc.infoOffset_));
      k.executableOffset = *off;
      k.executableBytes = st.image.subspan(static_cast<size_t>(*off), static_cast<size_t>(*e.executableSize));
      auto hdr = macho::MachOFile::open(k.executableBytes, st.imageBase + *off);
      if (!hdr) return fail(std::move(hdr).error());
      k.arch = hdr->arch();
      k.uuid = hdr->uuid();
      auto full = macho::MachOImage::open(k.executableBytes, st.imageBase + *off);
      if (full) own.emplace(std::move(full).value());
      k.hasExecutable = true;
      k.address = *e.loadAddress;
      k.size = *e.executableSize;
    } else if (kc.layout_ == Layout::Fileset && !e.kernelResource &&
               !(e.loadAddress && *e.loadAddress == kPrelinkCodelessLoadAddr)) {
      // Kernel resources (System.kext is "com.apple.kernel" itself) never own a member.
      for (uint32_t i = 0; i < m.filesetEntries().size(); ++i)
        if (m.filesetEntries()[i].entryId == e.identifier && !e.identifier.empty()) k.filesetEntry = i;
      if (k.filesetEntry) {
        const macho::FilesetEntry& fe = m.filesetEntries()[*k.filesetEntry];
        auto member = macho::MachOImage::openAt(st.image, fe.fileoff, st.imageBase);
        if (!member) return fail(std::move(member).error());
        own.emplace(std::move(member).value());
        k.executableOffset = fe.fileoff;
        k.arch = own->header().arch;
        k.uuid = own->uuid();
        k.hasExecutable = true;
        k.address = e.loadAddress && *e.loadAddress != kPrelinkCodelessLoadAddr ? *e.loadAddress : fe.vmaddr;
        k.size = e.executableSize.value_or(0);
      }
    } else if (kc.layout_ == Layout::Merged && e.moduleIndex) {
      const uint64_t i = *e.moduleIndex;
      if (i >= builtinCount)
        return fail(malformed("ModuleIndex " + std::to_string(i) + " is beyond the " + std::to_string(builtinCount) +
                                  " entries of __kmod_info",
                              std::string(kModuleIndexKey), st.imageBase + kc.infoOffset_));
      const Endian en = m.endian();
      uint64_t start = untagKernelPointer(load<uint64_t>(&kmodStartTable[i * 8], en), kernelBase);
      uint64_t end = untagKernelPointer(load<uint64_t>(&kmodStartTable[(i + 1) * 8], en), kernelBase);
      if (end < start)
        return fail(malformed("__kmod_start[" + std::to_string(i + 1) + "] " + hex(end) + " is below __kmod_start[" +
                                  std::to_string(i) + "] " + hex(start),
                              "__PRELINK_INFO,__kmod_start"));
      k.hasExecutable = true;
      k.address = start;
      k.size = end - start;
      uint64_t ptr = untagKernelPointer(load<uint64_t>(&kmodInfoTable[i * 8], en), kernelBase);
      if (auto b = m.bytesAt(ptr, kmodLen))
        if (auto ki = parseKmodInfo(*b, true, en, ptr)) k.kmodInfo = std::move(ki).value();
    }
    if (!k.uuid && e.interfaceUuid && e.interfaceUuid->size() == 16) {
      macho::Uuid u{};
      std::copy(e.interfaceUuid->begin(), e.interfaceUuid->end(), u.begin());
      k.uuid = u;
    }

    // kmod_info of split and fileset kexts: a linked kext's address maps through its own
    // segments; an address given as an offset from the load address maps from its header's
    // address; else through the kernel's segments.
    if (kc.layout_ != Layout::Merged && k.hasExecutable && e.kmodInfoAddress && *e.kmodInfoAddress != 0) {
      const uint64_t kmod = *e.kmodInfoAddress;
      std::optional<io::Bytes> at;
      if (own) {
        if (auto b = own->bytesAt(kmod, kmodLen)) at = *b;
        if (!at && kmod >= k.address)
          if (auto hv = headerVmaddr(*own))
            if (auto a = checkedAdd(*hv, kmod - k.address))
              if (auto b = own->bytesAt(*a, kmodLen)) at = *b;
      }
      if (!at && kc.layout_ == Layout::Split && kmod >= k.address && rangeFits(kmod - k.address, kmodLen, k.executableBytes.size()))
        at = k.executableBytes.subspan(static_cast<size_t>(kmod - k.address), static_cast<size_t>(kmodLen));
      if (!at)
        if (auto b = m.bytesAt(kmod, kmodLen)) at = *b;
      if (at)
        if (auto ki = parseKmodInfo(*at, is64, m.endian(), kmod)) k.kmodInfo = std::move(ki).value();
    }
    kc.kexts_.push_back(std::move(k));
  }
  for (const PrelinkedKext& k : kc.kexts_)
    for (size_t j : k.linkedAgainst()) kc.kexts_[j].refs++;
  return {};
}

plist::Value Kernelcache::prelinkInfo() const {
  std::vector<const plist::Value*> entries;
  entries.reserve(kexts_.size());
  for (const PrelinkedKext& k : kexts_) entries.push_back(&k.entry.info);
  return assemblePrelinkInfo(infoTop_, entries);
}

Expected<std::vector<uint8_t>> Kernelcache::extractExecutable(const PrelinkedKext& k) const {
  if (!k.hasExecutable) return Error(ErrorCode::NotFound, "the kext has no executable in the cache", kextLabel(k.entry));
  switch (layout_) {
    case Layout::Split:
      return std::vector<uint8_t>(k.executableBytes.begin(), k.executableBytes.end());
    case Layout::Fileset: {
      const macho::MachOImage& m = macho();
      const uint64_t fileoff = m.filesetEntries()[*k.filesetEntry].fileoff;
      uint64_t regionEnd = storage_->image.size();
      for (const auto& fe : m.filesetEntries())
        if (fe.fileoff > fileoff) regionEnd = std::min(regionEnd, fe.fileoff);
      auto member = macho::MachOImage::openAt(storage_->image, fileoff, storage_->imageBase);
      if (!member) return prefixed(std::move(member).error(), kextLabel(k.entry));
      const uint64_t page = m.header().arch.cputype == macho::CPU_TYPE_ARM64 ? 0x4000 : 0x1000;
      auto out = macho::extractFilesetMember(*member, regionEnd, page);
      if (!out) return prefixed(std::move(out).error(), kextLabel(k.entry));
      return out;
    }
    case Layout::Merged:
      break;
  }
  return unsupported("the kexts of a merged kernelcache share the kernel's segments; they have no separate executable",
                     kextLabel(k.entry));
}

}  // namespace kextkit::kernelcache
