// The full load-command walk: decoding and validating segments, sections, fileset entries and
// linkedit ranges (checks modelled on LLVM's MachOObjectFile::create).
#include "kextkit/macho/MachOImage.h"

#include <algorithm>
#include <map>

#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Format.h"

namespace kextkit::macho {

namespace {

// <mach-o/loader.h> section types without file bytes. (Spelled locally: SymbolsFormat.h, owned
// by the symbol reader, carries the full list of section types.)
constexpr uint32_t kZeroFill = 0x1;             // S_ZEROFILL
constexpr uint32_t kGbZeroFill = 0xc;           // S_GB_ZEROFILL
constexpr uint32_t kThreadLocalZeroFill = 0x12; // S_THREAD_LOCAL_ZEROFILL

std::string rangeText(uint64_t off, uint64_t size) {
  auto end = checkedAdd(off, size);
  std::string out = "[";
  out += hex(off);
  out += ", ";
  out += end ? hex(*end) : std::string("overflow");
  out += ")";
  return out;
}

/// Whether a command may appear once only, and the name used in the message.
bool isSingleton(uint32_t cmd) {
  switch (cmd) {
    case LC_SYMTAB:
    case LC_DYSYMTAB:
    case LC_UUID:
    case LC_DYLD_INFO:
    case LC_DYLD_INFO_ONLY:
    case LC_MAIN:
    case LC_UNIXTHREAD:
    case LC_ID_DYLIB:
    case LC_ID_DYLINKER:
    case LC_SOURCE_VERSION:
    case LC_ENCRYPTION_INFO:
    case LC_ENCRYPTION_INFO_64:
    case LC_CODE_SIGNATURE:
    case LC_SEGMENT_SPLIT_INFO:
    case LC_FUNCTION_STARTS:
    case LC_DATA_IN_CODE:
    case LC_DYLIB_CODE_SIGN_DRS:
    case LC_LINKER_OPTIMIZATION_HINT:
    case LC_DYLD_EXPORTS_TRIE:
    case LC_DYLD_CHAINED_FIXUPS:
      return true;
    default:
      return false;
  }
}

/// LC_DYLD_INFO and LC_DYLD_INFO_ONLY count as one kind, as in LLVM.
uint32_t singletonKind(uint32_t cmd) { return cmd == LC_DYLD_INFO_ONLY ? LC_DYLD_INFO : cmd; }

bool isLinkeditData(uint32_t cmd) {
  switch (cmd) {
    case LC_CODE_SIGNATURE:
    case LC_SEGMENT_SPLIT_INFO:
    case LC_FUNCTION_STARTS:
    case LC_DATA_IN_CODE:
    case LC_DYLIB_CODE_SIGN_DRS:
    case LC_LINKER_OPTIMIZATION_HINT:
    case LC_DYLD_EXPORTS_TRIE:
    case LC_DYLD_CHAINED_FIXUPS:
    case LC_ATOM_INFO:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool Section::isZeroFill() const {
  uint32_t t = type();
  return t == kZeroFill || t == kGbZeroFill || t == kThreadLocalZeroFill;
}

/// Decodes and checks the load commands of one image (a class so MachOImage can befriend it).
class MachOImageWalker {
 public:
  explicit MachOImageWalker(MachOImage& img) : img_(img), size_(img.file_.size()) {}

  Status run() {
    std::map<uint32_t, uint32_t> seen;  // singleton kind -> first index
    uint32_t sectionNumber = 0;
    for (const LoadCommand& lc : img_.loadCommands()) {
      label_ = loadCommandLabel(lc.index, lc.cmd);
      cmdAbs_ = img_.fileBase_ + img_.headerOffset_ + lc.offset;
      if (isSingleton(lc.cmd)) {
        auto [it, inserted] = seen.emplace(singletonKind(lc.cmd), lc.index);
        if (!inserted)
          return malformed("is a second " + std::string(*loadCommandName(lc.cmd)) + " (the first is load command " +
                               std::to_string(it->second) + ")",
                           label_, cmdAbs_);
      }
      io::ByteReader r = img_.macho_.reader(lc);
      KK_TRY(r.skip(8, "load_command"));
      switch (lc.cmd) {
        case LC_SEGMENT:
        case LC_SEGMENT_64: KK_TRY(segment(lc, r, sectionNumber)); break;
        case LC_SYMTAB: KK_TRY(symtab(r)); break;
        case LC_DYSYMTAB: KK_TRY(dysymtab(r)); break;
        case LC_DYLD_INFO:
        case LC_DYLD_INFO_ONLY: KK_TRY(dyldInfo(r)); break;
        case LC_ENCRYPTION_INFO:
        case LC_ENCRYPTION_INFO_64: KK_TRY(pair32(r, "cryptoff", "cryptsize", 1, "encrypted range")); break;
        case LC_FILESET_ENTRY: KK_TRY(filesetEntry(lc, r)); break;
        default:
          if (isLinkeditData(lc.cmd)) KK_TRY(pair32(r, "dataoff", "datasize", 1, "data"));
          break;
      }
    }
    return overlaps();
  }

 private:
  /// [off, off + size) must lie inside the file; `fieldOffset` is the absolute offset of the
  /// field that declared it.
  Status inFile(uint64_t off, uint64_t size, const std::string& what, uint64_t fieldOffset) {
    if (rangeFits(off, size, size_)) return {};
    return truncated(what + " " + rangeText(off, size) + " extends past the end of the file (size " + hex(size_) + ")",
                     label_, fieldOffset);
  }

  /// An (offset, count) pair of u32 fields; the table is count * entrySize bytes.
  Status pair32(io::ByteReader& r, const char* offName, const char* countName, uint64_t entrySize,
                const std::string& what) {
    const uint64_t at = r.offset();
    KK_ASSIGN(uint32_t off, r.u32(offName));
    KK_ASSIGN(uint32_t count, r.u32(countName));
    if (count == 0) return {};
    return inFile(off, uint64_t{count} * entrySize,
                  what + " (" + offName + " " + hex(off) + ", " + countName + " " + std::to_string(count) + ")", at);
  }

  Status segment(const LoadCommand& lc, io::ByteReader& r, uint32_t& sectionNumber) {
    const bool is64 = lc.cmd == LC_SEGMENT_64;
    Segment seg;
    seg.commandIndex = lc.index;
    seg.commandOffset = cmdAbs_;
    KK_ASSIGN(seg.name, r.fixedString(16, "segname"));
    const uint64_t vmaddrAt = r.offset();
    if (is64) {
      KK_ASSIGN(seg.vmaddr, r.u64("vmaddr"));
      KK_ASSIGN(seg.vmsize, r.u64("vmsize"));
    } else {
      KK_ASSIGN(uint32_t a, r.u32("vmaddr"));
      KK_ASSIGN(uint32_t s, r.u32("vmsize"));
      seg.vmaddr = a;
      seg.vmsize = s;
    }
    const uint64_t fileoffAt = r.offset();
    if (is64) {
      KK_ASSIGN(seg.fileoff, r.u64("fileoff"));
      KK_ASSIGN(seg.filesize, r.u64("filesize"));
    } else {
      KK_ASSIGN(uint32_t o, r.u32("fileoff"));
      KK_ASSIGN(uint32_t s, r.u32("filesize"));
      seg.fileoff = o;
      seg.filesize = s;
    }
    KK_ASSIGN(uint32_t maxprot, r.u32("maxprot"));
    KK_ASSIGN(uint32_t initprot, r.u32("initprot"));
    seg.maxprot = static_cast<int32_t>(maxprot);
    seg.initprot = static_cast<int32_t>(initprot);
    const uint64_t nsectsAt = r.offset();
    KK_ASSIGN(uint32_t nsects, r.u32("nsects"));
    KK_ASSIGN(seg.flags, r.u32("flags"));

    const uint64_t headerSize = is64 ? sizeof(segment_command_64) : sizeof(segment_command);
    const uint64_t sectSize = is64 ? sizeof(section_64) : sizeof(section);
    const uint64_t want = headerSize + uint64_t{nsects} * sectSize;
    if (want != lc.cmdsize)
      return malformed("cmdsize " + hex(lc.cmdsize) + " does not match nsects " + std::to_string(nsects) + " (" +
                           hex(headerSize) + " + " + std::to_string(nsects) + " * " + hex(sectSize) + " = " + hex(want) +
                           ")",
                       label_, nsectsAt);
    if (seg.filesize > seg.vmsize)
      return malformed("filesize " + hex(seg.filesize) + " is greater than vmsize " + hex(seg.vmsize), label_, fileoffAt);
    if (!checkedAdd(seg.vmaddr, seg.vmsize))
      return malformed("vmaddr " + hex(seg.vmaddr) + " + vmsize " + hex(seg.vmsize) + " overflows", label_, vmaddrAt);
    KK_TRY(inFile(seg.fileoff, seg.filesize,
                  "fileoff " + hex(seg.fileoff) + " + filesize " + hex(seg.filesize) + ": segment", fileoffAt));

    seg.sections.reserve(nsects);  // nsects * sectSize == cmdsize - headerSize: bounded by the data
    for (uint32_t i = 0; i < nsects; ++i) {
      Section s;
      s.number = ++sectionNumber;
      s.headerOffset = r.offset();
      KK_ASSIGN(s.sectname, r.fixedString(16, "sectname"));
      KK_ASSIGN(s.segname, r.fixedString(16, "segname"));
      if (is64) {
        KK_ASSIGN(s.addr, r.u64("addr"));
        KK_ASSIGN(s.size, r.u64("size"));
      } else {
        KK_ASSIGN(uint32_t a, r.u32("addr"));
        KK_ASSIGN(uint32_t z, r.u32("size"));
        s.addr = a;
        s.size = z;
      }
      KK_ASSIGN(s.offset, r.u32("offset"));
      KK_ASSIGN(s.align, r.u32("align"));
      KK_ASSIGN(s.reloff, r.u32("reloff"));
      KK_ASSIGN(s.nreloc, r.u32("nreloc"));
      KK_ASSIGN(s.flags, r.u32("flags"));
      KK_ASSIGN(s.reserved1, r.u32("reserved1"));
      KK_ASSIGN(s.reserved2, r.u32("reserved2"));
      if (is64) {
        KK_ASSIGN(s.reserved3, r.u32("reserved3"));
      }
      KK_TRY(checkSection(seg, s, i));
      seg.sections.push_back(std::move(s));
    }
    img_.segments_.push_back(std::move(seg));
    return {};
  }

  Status checkSection(const Segment& seg, const Section& s, uint32_t i) {
    const std::string where = label_ + " section " + std::to_string(i) + " (" + s.segname + "," + s.sectname + ")";
    auto fail = [&](ErrorCode code, const std::string& msg, uint64_t fieldRel) {
      return Error(code, msg, where, s.headerOffset + fieldRel);
    };
    const bool is64 = img_.is64();
    const uint64_t offsetField = is64 ? 48 : 40, addrField = 32;
    auto vmEnd = checkedAdd(s.addr, s.size);
    if (!vmEnd || s.addr < seg.vmaddr || *vmEnd > seg.vmaddr + seg.vmsize)
      return fail(ErrorCode::Malformed,
                  "addr " + hex(s.addr) + " + size " + hex(s.size) + " is outside the segment's address range " +
                      rangeText(seg.vmaddr, seg.vmsize),
                  addrField);
    if (!s.isZeroFill() && s.size > 0) {
      if (!rangeFits(s.offset, s.size, size_))
        return fail(ErrorCode::Truncated,
                    "offset " + hex(s.offset) + " + size " + hex(s.size) + " extends past the end of the file (size " +
                        hex(size_) + ")",
                    offsetField);
      if (s.offset < seg.fileoff || uint64_t{s.offset} + s.size > seg.fileoff + seg.filesize)
        return fail(ErrorCode::Malformed,
                    "file range " + rangeText(s.offset, s.size) + " is outside the segment's file range " +
                        rangeText(seg.fileoff, seg.filesize),
                    offsetField);
    }
    if (s.nreloc > 0 && !rangeFits(s.reloff, uint64_t{s.nreloc} * 8, size_))
      return fail(ErrorCode::Truncated,
                  "relocation entries (reloff " + hex(s.reloff) + ", nreloc " + std::to_string(s.nreloc) + ") " +
                      rangeText(s.reloff, uint64_t{s.nreloc} * 8) + " extend past the end of the file (size " +
                      hex(size_) + ")",
                  offsetField + 8);
    return {};
  }

  Status symtab(io::ByteReader& r) {
    SymtabInfo st;
    const uint64_t at = r.offset();
    KK_ASSIGN(st.symoff, r.u32("symoff"));
    KK_ASSIGN(st.nsyms, r.u32("nsyms"));
    KK_ASSIGN(st.stroff, r.u32("stroff"));
    KK_ASSIGN(st.strsize, r.u32("strsize"));
    const uint64_t entry = img_.is64() ? sizeof(nlist_64) : sizeof(nlist);
    if (st.nsyms > 0)
      KK_TRY(inFile(st.symoff, st.nsyms * entry,
                    "symbol table (symoff " + hex(st.symoff) + ", nsyms " + std::to_string(st.nsyms) + ")", at));
    if (st.strsize > 0)
      KK_TRY(inFile(st.stroff, st.strsize,
                    "string table (stroff " + hex(st.stroff) + ", strsize " + hex(st.strsize) + ")", at + 8));
    img_.symtab_ = st;
    return {};
  }

  Status dysymtab(io::ByteReader& r) {
    KK_TRY(r.skip(24, "ilocalsym..nundefsym"));  // symbol index ranges: checked by the symbol reader
    KK_TRY(pair32(r, "tocoff", "ntoc", 8, "table of contents"));
    KK_TRY(pair32(r, "modtaboff", "nmodtab", img_.is64() ? 56 : 52, "module table"));
    KK_TRY(pair32(r, "extrefsymoff", "nextrefsyms", 4, "external reference table"));
    KK_TRY(pair32(r, "indirectsymoff", "nindirectsyms", 4, "indirect symbol table"));
    KK_TRY(pair32(r, "extreloff", "nextrel", 8, "external relocations"));
    KK_TRY(pair32(r, "locreloff", "nlocrel", 8, "local relocations"));
    img_.hasDysymtab_ = true;
    return {};
  }

  Status dyldInfo(io::ByteReader& r) {
    KK_TRY(pair32(r, "rebase_off", "rebase_size", 1, "rebase info"));
    KK_TRY(pair32(r, "bind_off", "bind_size", 1, "bind info"));
    KK_TRY(pair32(r, "weak_bind_off", "weak_bind_size", 1, "weak bind info"));
    KK_TRY(pair32(r, "lazy_bind_off", "lazy_bind_size", 1, "lazy bind info"));
    KK_TRY(pair32(r, "export_off", "export_size", 1, "export info"));
    return {};
  }

  Status filesetEntry(const LoadCommand& lc, io::ByteReader& r) {
    FilesetEntry e;
    e.commandIndex = lc.index;
    e.commandOffset = cmdAbs_;
    KK_ASSIGN(e.vmaddr, r.u64("vmaddr"));
    const uint64_t fileoffAt = r.offset();
    KK_ASSIGN(e.fileoff, r.u64("fileoff"));
    const uint64_t idAt = r.offset();
    KK_ASSIGN(uint32_t idOffset, r.u32("entry_id.offset"));
    if (idOffset < sizeof(fileset_entry_command) || idOffset >= lc.cmdsize)
      return malformed("entry_id.offset " + hex(idOffset) + " is not inside the command's string area [" +
                           hex(sizeof(fileset_entry_command)) + ", " + hex(lc.cmdsize) + ")",
                       label_, idAt);
    Bytes tail = lc.raw.subspan(idOffset);
    auto nul = std::find(tail.begin(), tail.end(), uint8_t{0});
    if (nul == tail.end())
      return malformed("entry id is not NUL-terminated inside cmdsize " + hex(lc.cmdsize), label_, cmdAbs_ + idOffset);
    e.entryId.assign(reinterpret_cast<const char*>(tail.data()), static_cast<size_t>(nul - tail.begin()));
    if (e.entryId.empty()) return malformed("entry id is empty", label_, cmdAbs_ + idOffset);
    if (!rangeFits(e.fileoff, sizeof(mach_header), size_))
      return truncated("fileoff " + hex(e.fileoff) + ": the member's mach_header extends past the end of the file (size " +
                           hex(size_) + ")",
                       label_, fileoffAt);
    for (const FilesetEntry& prior : img_.filesetEntries_)
      if (prior.entryId == e.entryId)
        return malformed("entry id \"" + e.entryId + "\" repeats load command " + std::to_string(prior.commandIndex),
                         label_, cmdAbs_ + idOffset);
    img_.filesetEntries_.push_back(std::move(e));
    return {};
  }

  /// No two segments share file bytes, and only the segment that starts at the header may
  /// contain the header and load commands.
  Status overlaps() {
    struct Span {
      uint64_t begin, end;
      const Segment* seg;
    };
    std::vector<Span> spans;
    for (const Segment& s : img_.segments_)
      if (s.filesize > 0) spans.push_back({s.fileoff, s.fileoff + s.filesize, &s});
    std::stable_sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    const auto& h = img_.header();
    const uint64_t hdrBegin = img_.headerOffset_;
    const uint64_t hdrEnd = hdrBegin + h.headerSize() + h.sizeofcmds;
    auto fileoffField = [&](const Segment& s) { return s.commandOffset + (img_.is64() ? 40 : 32); };
    for (size_t i = 0; i < spans.size(); ++i) {
      const Segment& s = *spans[i].seg;
      if (spans[i].begin != hdrBegin && spans[i].begin < hdrEnd && spans[i].end > hdrBegin)
        return malformed("file range " + rangeText(s.fileoff, s.filesize) +
                             " overlaps the Mach-O header and load commands " + rangeText(hdrBegin, hdrEnd - hdrBegin),
                         loadCommandLabel(s.commandIndex, img_.is64() ? LC_SEGMENT_64 : LC_SEGMENT), fileoffField(s));
      if (i > 0 && spans[i].begin < spans[i - 1].end) {
        // Report the later command, naming the earlier one.
        const Segment& a = *spans[i - 1].seg;
        const Segment& later = a.commandIndex > s.commandIndex ? a : s;
        const Segment& earlier = a.commandIndex > s.commandIndex ? s : a;
        const uint32_t segCmd = img_.is64() ? LC_SEGMENT_64 : LC_SEGMENT;
        return malformed("file range " + rangeText(later.fileoff, later.filesize) + " overlaps " +
                             loadCommandLabel(earlier.commandIndex, segCmd) + " (" + earlier.name + ") " +
                             rangeText(earlier.fileoff, earlier.filesize),
                         loadCommandLabel(later.commandIndex, segCmd), fileoffField(later));
      }
    }
    return {};
  }

  MachOImage& img_;
  uint64_t size_;
  std::string label_;
  uint64_t cmdAbs_ = 0;
};

Expected<MachOImage> MachOImage::open(Bytes file, uint64_t fileBase) { return openAt(file, 0, fileBase); }

Expected<MachOImage> MachOImage::openAt(Bytes file, uint64_t headerOffset, uint64_t fileBase) {
  if (headerOffset > file.size())
    return truncated("Mach-O header offset " + hex(headerOffset) + " is past the end of the file (size " +
                         hex(file.size()) + ")",
                     "mach_header", fileBase + headerOffset);
  KK_ASSIGN(MachOFile mf, MachOFile::open(file.subspan(static_cast<size_t>(headerOffset)), fileBase + headerOffset));
  MachOImage img(std::move(mf));
  img.file_ = file;
  img.headerOffset_ = headerOffset;
  img.fileBase_ = fileBase;
  KK_TRY(MachOImageWalker(img).run());
  return img;
}

const Segment* MachOImage::findSegment(std::string_view name) const {
  for (const Segment& s : segments_)
    if (s.name == name) return &s;
  return nullptr;
}

const Section* MachOImage::findSection(std::string_view segname, std::string_view sectname) const {
  for (const Segment& s : segments_)
    if (s.name == segname)
      for (const Section& sec : s.sections)
        if (sec.sectname == sectname) return &sec;
  return nullptr;
}

Expected<Bytes> MachOImage::sectionData(const Section& s) const {
  if (s.isZeroFill() || s.size == 0) return Bytes{};
  return io::ByteReader(file_, fileBase_).slice(s.offset, s.size, "section " + s.segname + "," + s.sectname);
}

Expected<Bytes> MachOImage::segmentData(const Segment& s) const {
  return io::ByteReader(file_, fileBase_).slice(s.fileoff, s.filesize, "segment " + s.name);
}

Expected<uint64_t> MachOImage::fileOffsetOf(uint64_t addr, uint64_t size) const {
  auto end = checkedAdd(addr, size);
  if (!end) return malformed("address range " + rangeText(addr, size) + " overflows", "address " + hex(addr));
  for (const Segment& s : segments_) {
    if (addr < s.vmaddr || *end > s.vmaddr + s.vmsize || s.vmsize == 0) continue;
    if (*end > s.vmaddr + s.filesize)
      return malformed("address range " + rangeText(addr, size) + " of segment " + s.name +
                           " has no file bytes (filesize " + hex(s.filesize) + ")",
                       "address " + hex(addr));
    return s.fileoff + (addr - s.vmaddr);
  }
  return malformed("address range " + rangeText(addr, size) + " is not inside any segment", "address " + hex(addr));
}

Expected<Bytes> MachOImage::bytesAt(uint64_t addr, uint64_t size) const {
  KK_ASSIGN(uint64_t off, fileOffsetOf(addr, size));
  return io::ByteReader(file_, fileBase_).slice(off, size, "address " + hex(addr));
}

}  // namespace kextkit::macho
