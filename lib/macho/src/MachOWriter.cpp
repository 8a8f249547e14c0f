// Thin Mach-O writer (layout, then bytes) and file-offset rewriting of existing Mach-Os.
#include "kextkit/macho/MachOWriter.h"

#include <algorithm>
#include <cstring>

#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Format.h"

namespace kextkit::macho {

namespace {

Error invalid(std::string msg, std::string field = {}) {
  return Error(ErrorCode::InvalidArgument, std::move(msg), std::move(field));
}
Error tooLarge(std::string msg, std::string field = {}) {
  return Error(ErrorCode::LimitExceeded, std::move(msg), std::move(field));
}

bool isZeroFillType(uint32_t flags) {
  uint32_t t = flags & 0xff;
  return t == 0x1 || t == 0xc || t == 0x12;  // S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL
}

uint64_t commandSize(const CommandSpec& c, bool is64) {
  const uint64_t align = is64 ? 8 : 4;
  if (auto* s = std::get_if<SegmentSpec>(&c))
    return is64 ? sizeof(segment_command_64) + s->sections.size() * sizeof(section_64)
                : sizeof(segment_command) + s->sections.size() * sizeof(section);
  if (auto* r = std::get_if<RawCommandSpec>(&c)) return (8 + r->body.size() + align - 1) / align * align;
  const auto& f = std::get<FilesetEntrySpec>(c);
  return (sizeof(fileset_entry_command) + f.entryId.size() + 1 + 7) / 8 * 8;
}

/// Appends fixed-width fields in the file's byte order.
class Emitter {
 public:
  Emitter(std::vector<uint8_t>& out, size_t pos, Endian e) : out_(out), pos_(pos), e_(e) {}
  void u32(uint32_t v) { store<uint32_t>(&out_[pos_], v, e_); pos_ += 4; }
  void u64(uint64_t v) { store<uint64_t>(&out_[pos_], v, e_); pos_ += 8; }
  void word(bool is64, uint64_t v) { is64 ? u64(v) : u32(static_cast<uint32_t>(v)); }
  void name16(const std::string& s) {
    std::memset(&out_[pos_], 0, 16);
    std::memcpy(&out_[pos_], s.data(), std::min<size_t>(s.size(), 16));
    pos_ += 16;
  }
  void bytes(const std::vector<uint8_t>& b) {
    if (!b.empty()) std::memcpy(&out_[pos_], b.data(), b.size());
    pos_ += b.size();
  }
  size_t pos() const { return pos_; }
  void seek(size_t p) { pos_ = p; }

 private:
  std::vector<uint8_t>& out_;
  size_t pos_;
  Endian e_;
};

}  // namespace

Expected<MachOLayout> layoutMachO(const MachOSpec& spec) {
  MachOLayout L;
  L.headerSize = spec.is64 ? sizeof(mach_header_64) : sizeof(mach_header);
  if (spec.pageSize == 0 || (spec.pageSize & (spec.pageSize - 1)) != 0)
    return invalid("page size " + hex(spec.pageSize) + " is not a power of two", "pageSize");
  for (const auto& c : spec.commands) {
    uint64_t sz = commandSize(c, spec.is64);
    if (sz > UINT32_MAX) return tooLarge("a load command of " + hex(sz) + " bytes does not fit cmdsize");
    L.cmdsizes.push_back(static_cast<uint32_t>(sz));
    L.sizeofcmds += sz;
  }
  if (L.sizeofcmds > UINT32_MAX) return tooLarge("load commands of " + hex(L.sizeofcmds) + " bytes do not fit sizeofcmds");
  const uint64_t hdrEnd = L.headerSize + L.sizeofcmds;
  const uint64_t wordMax = spec.is64 ? UINT64_MAX : UINT32_MAX;

  uint64_t cursor = hdrEnd;  // end of the file so far
  bool anySegment = false;
  const SegmentLayout* prev = nullptr;
  for (uint32_t ci = 0; ci < spec.commands.size(); ++ci) {
    const auto* seg = std::get_if<SegmentSpec>(&spec.commands[ci]);
    if (!seg) continue;
    const std::string field = "segment " + seg->name;
    SegmentLayout s;
    s.commandIndex = ci;
    if (seg->containsHeader && anySegment)
      return invalid("only the first segment can contain the header and load commands", field);
    if (!seg->sections.empty() && !seg->data.empty())
      return invalid("a segment has either sections or raw data, not both", field);
    uint64_t fileAlign = seg->fileAlign ? seg->fileAlign : spec.pageSize;
    if ((fileAlign & (fileAlign - 1)) != 0) return invalid("file alignment " + hex(fileAlign) + " is not a power of two", field);
    uint64_t pos;
    if (seg->containsHeader) {
      s.fileoff = 0;
      pos = hdrEnd;
    } else {
      auto a = alignUp(cursor, fileAlign);
      if (!a) return tooLarge("file offset overflows", field);
      s.fileoff = *a;
      pos = s.fileoff;
    }
    uint64_t vmEnd = 0;  // memory extent relative to vmaddr
    bool sawZeroFill = false;
    for (const SectionSpec& sec : seg->sections) {
      const std::string sf = field + " section " + sec.sectname;
      if (sec.align > MAXSECTALIGN) return invalid("alignment 2^" + std::to_string(sec.align) + " is above 2^15", sf);
      const uint64_t a = uint64_t{1} << sec.align;
      SectionLayout sl;
      if (isZeroFillType(sec.flags)) {
        if (!sec.data.empty()) return invalid("a zero-fill section cannot have file bytes", sf);
        sawZeroFill = true;
        uint64_t rel = std::max(vmEnd, pos - s.fileoff);
        rel = (rel + a - 1) / a * a;
        sl.offset = 0;
        sl.size = sec.zeroFillSize;
        sl.addr = rel;  // relative for now
        vmEnd = rel + sec.zeroFillSize;
      } else {
        if (sawZeroFill) return invalid("a section with file bytes follows a zero-fill section", sf);
        pos = (pos + a - 1) / a * a;
        sl.offset = pos;
        sl.size = sec.data.size();
        sl.addr = pos - s.fileoff;
        pos += sec.data.size();
        vmEnd = pos - s.fileoff;
        if (sl.offset > UINT32_MAX) return tooLarge("section offset " + hex(sl.offset) + " does not fit 32 bits", sf);
      }
      s.sections.push_back(sl);
    }
    pos += seg->data.size();
    s.filesize = pos - s.fileoff;
    if (seg->sections.empty() && seg->data.empty() && !seg->containsHeader) s.filesize = 0;
    vmEnd = std::max(vmEnd, s.filesize);
    auto rounded = alignUp(vmEnd, spec.pageSize);
    if (!rounded) return tooLarge("vmsize overflows", field);
    if (seg->vmsize && *seg->vmsize < vmEnd)
      return invalid("vmsize " + hex(*seg->vmsize) + " is smaller than the contents (" + hex(vmEnd) + ")", field);
    s.vmsize = seg->vmsize.value_or(*rounded);
    if (seg->followsPrevious) {
      if (!prev) return invalid("the first segment cannot follow a previous one", field);
      auto a = checkedAdd(prev->vmaddr, prev->vmsize);
      if (!a) return tooLarge("vmaddr overflows", field);
      s.vmaddr = *a;
    } else {
      s.vmaddr = seg->vmaddr;
    }
    if (!checkedAdd(s.vmaddr, s.vmsize)) return tooLarge("vmaddr + vmsize overflows", field);
    if (s.vmaddr > wordMax || s.vmsize > wordMax || s.fileoff > wordMax || s.filesize > wordMax ||
        s.vmaddr + s.vmsize > wordMax)
      return tooLarge("a segment value does not fit a 32-bit Mach-O", field);
    for (auto& sl : s.sections) sl.addr += s.vmaddr;
    if (s.filesize > 0) cursor = std::max(cursor, s.fileoff + s.filesize);
    anySegment = true;
    L.segments.push_back(std::move(s));
    prev = &L.segments.back();
  }
  L.fileSize = cursor;
  return L;
}

Expected<std::vector<uint8_t>> writeMachO(const MachOSpec& spec, MachOLayout* layoutOut) {
  KK_ASSIGN(MachOLayout L, layoutMachO(spec));
  std::vector<uint8_t> out(static_cast<size_t>(L.fileSize), 0);
  const Endian e = spec.endian;
  Emitter w(out, 0, e);
  w.u32(spec.is64 ? MH_MAGIC_64 : MH_MAGIC);  // stored in the file's byte order
  w.u32(static_cast<uint32_t>(spec.arch.cputype));
  w.u32(static_cast<uint32_t>(spec.arch.cpusubtype));
  w.u32(spec.filetype);
  w.u32(static_cast<uint32_t>(spec.commands.size()));
  w.u32(static_cast<uint32_t>(L.sizeofcmds));
  w.u32(spec.flags);
  if (spec.is64) w.u32(0);

  size_t segIndex = 0;
  for (size_t ci = 0; ci < spec.commands.size(); ++ci) {
    const size_t start = w.pos();
    const auto& c = spec.commands[ci];
    if (const auto* seg = std::get_if<SegmentSpec>(&c)) {
      const SegmentLayout& s = L.segments[segIndex++];
      w.u32(spec.is64 ? LC_SEGMENT_64 : LC_SEGMENT);
      w.u32(L.cmdsizes[ci]);
      w.name16(seg->name);
      w.word(spec.is64, s.vmaddr);
      w.word(spec.is64, s.vmsize);
      w.word(spec.is64, s.fileoff);
      w.word(spec.is64, s.filesize);
      w.u32(static_cast<uint32_t>(seg->maxprot));
      w.u32(static_cast<uint32_t>(seg->initprot));
      w.u32(static_cast<uint32_t>(seg->sections.size()));
      w.u32(seg->flags);
      for (size_t i = 0; i < seg->sections.size(); ++i) {
        const SectionSpec& sec = seg->sections[i];
        const SectionLayout& sl = s.sections[i];
        w.name16(sec.sectname);
        w.name16(sec.segname.empty() ? seg->name : sec.segname);
        w.word(spec.is64, sl.addr);
        w.word(spec.is64, sl.size);
        w.u32(static_cast<uint32_t>(sl.offset));
        w.u32(sec.align);
        w.u32(0);  // reloff
        w.u32(0);  // nreloc
        w.u32(sec.flags);
        w.u32(sec.reserved1);
        w.u32(sec.reserved2);
        if (spec.is64) w.u32(sec.reserved3);
        if (!sec.data.empty()) std::memcpy(&out[sl.offset], sec.data.data(), sec.data.size());
      }
      if (!seg->data.empty()) std::memcpy(&out[s.fileoff + (seg->containsHeader ? L.headerSize + L.sizeofcmds : 0)],
                                          seg->data.data(), seg->data.size());
    } else if (const auto* raw = std::get_if<RawCommandSpec>(&c)) {
      w.u32(raw->cmd);
      w.u32(L.cmdsizes[ci]);
      w.bytes(raw->body);
    } else {
      const auto& f = std::get<FilesetEntrySpec>(c);
      w.u32(LC_FILESET_ENTRY);
      w.u32(L.cmdsizes[ci]);
      w.u64(f.vmaddr);
      w.u64(f.fileoff);
      w.u32(sizeof(fileset_entry_command));
      w.u32(0);
      std::memcpy(&out[w.pos()], f.entryId.data(), f.entryId.size());
    }
    w.seek(start + L.cmdsizes[ci]);  // padding stays zero
  }
  if (layoutOut) *layoutOut = L;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Offset rewriting.

namespace {

/// Rewrites fields of one command inside the copied header+commands buffer.
class CommandRewriter {
 public:
  CommandRewriter(std::vector<uint8_t>& buf, const MachOImage& img, const FileOffsetMap& map)
      : buf_(buf), img_(img), map_(map) {}

  Status run() {
    for (const LoadCommand& lc : img_.loadCommands()) {
      base_ = static_cast<size_t>(lc.offset);  // the command's offset in buf_
      label_ = loadCommandLabel(lc.index, lc.cmd);
      cmdAbs_ = img_.fileBase() + img_.headerOffset() + lc.offset;
      switch (lc.cmd) {
        case LC_SEGMENT:
        case LC_SEGMENT_64: KK_TRY(segment(lc.cmd == LC_SEGMENT_64)); break;
        case LC_SYMTAB: {
          const uint64_t entry = img_.is64() ? sizeof(nlist_64) : sizeof(nlist);
          KK_TRY(pair(8, 12, entry, "symoff"));
          KK_TRY(pair(16, 20, 1, "stroff"));
          break;
        }
        case LC_DYSYMTAB:
          KK_TRY(pair(32, 36, 8, "tocoff"));
          KK_TRY(pair(40, 44, img_.is64() ? 56 : 52, "modtaboff"));
          KK_TRY(pair(48, 52, 4, "extrefsymoff"));
          KK_TRY(pair(56, 60, 4, "indirectsymoff"));
          KK_TRY(pair(64, 68, 8, "extreloff"));
          KK_TRY(pair(72, 76, 8, "locreloff"));
          break;
        case LC_DYLD_INFO:
        case LC_DYLD_INFO_ONLY:
          for (uint32_t f = 8; f < 48; f += 8) KK_TRY(pair(f, f + 4, 1, "dyld_info offset"));
          break;
        case LC_ENCRYPTION_INFO:
        case LC_ENCRYPTION_INFO_64: KK_TRY(pair(8, 12, 1, "cryptoff")); break;
        case LC_CODE_SIGNATURE:
        case LC_SEGMENT_SPLIT_INFO:
        case LC_FUNCTION_STARTS:
        case LC_DATA_IN_CODE:
        case LC_DYLIB_CODE_SIGN_DRS:
        case LC_LINKER_OPTIMIZATION_HINT:
        case LC_DYLD_EXPORTS_TRIE:
        case LC_DYLD_CHAINED_FIXUPS:
        case LC_ATOM_INFO: KK_TRY(pair(8, 12, 1, "dataoff")); break;
        default: break;  // kept as is
      }
    }
    return {};
  }

 private:
  uint32_t get32(size_t rel) const { return load<uint32_t>(&buf_[base_ + rel], img_.endian()); }
  uint64_t get64(size_t rel) const { return load<uint64_t>(&buf_[base_ + rel], img_.endian()); }
  void put32(size_t rel, uint32_t v) { store<uint32_t>(&buf_[base_ + rel], v, img_.endian()); }
  void put64(size_t rel, uint64_t v) { store<uint64_t>(&buf_[base_ + rel], v, img_.endian()); }

  Expected<uint64_t> mapped(uint64_t off, uint64_t size, const std::string& field, size_t rel, uint64_t limit) {
    auto n = map_(off, size);
    if (!n)
      return malformed(field + " range " + hex(off) + " + " + hex(size) + " cannot be placed in the output", label_,
                       cmdAbs_ + rel);
    if (*n > limit) return Error(ErrorCode::LimitExceeded, "new " + field + " " + hex(*n) + " does not fit its field", label_, cmdAbs_ + rel);
    return *n;
  }

  /// A u32 offset at `offRel` whose table has count (u32 at `countRel`) * entry bytes.
  Status pair(size_t offRel, size_t countRel, uint64_t entry, const std::string& field) {
    uint32_t count = get32(countRel);
    if (count == 0) return {};
    KK_ASSIGN(uint64_t n, mapped(get32(offRel), uint64_t{count} * entry, field, offRel, UINT32_MAX));
    put32(offRel, static_cast<uint32_t>(n));
    return {};
  }

  Status segment(bool is64) {
    const size_t fileoffRel = is64 ? 40 : 32;
    uint64_t fileoff = is64 ? get64(fileoffRel) : get32(fileoffRel);
    uint64_t filesize = is64 ? get64(fileoffRel + 8) : get32(fileoffRel + 4);
    if (filesize > 0) {
      KK_ASSIGN(uint64_t n, mapped(fileoff, filesize, "fileoff", fileoffRel, is64 ? UINT64_MAX : UINT32_MAX));
      is64 ? put64(fileoffRel, n) : put32(fileoffRel, static_cast<uint32_t>(n));
    }
    const uint32_t nsects = get32(is64 ? 64 : 48);
    const size_t first = is64 ? sizeof(segment_command_64) : sizeof(segment_command);
    const size_t each = is64 ? sizeof(section_64) : sizeof(section);
    for (uint32_t i = 0; i < nsects; ++i) {
      const size_t s = first + i * each;
      const uint64_t size = is64 ? get64(s + 40) : get32(s + 36);
      const size_t offRel = s + (is64 ? 48 : 40);
      const uint32_t flags = get32(offRel + 16);
      if (!isZeroFillType(flags) && size > 0) {
        KK_ASSIGN(uint64_t n, mapped(get32(offRel), size, "section offset", offRel, UINT32_MAX));
        put32(offRel, static_cast<uint32_t>(n));
      }
      KK_TRY(pair(offRel + 8, offRel + 12, 8, "reloff"));
    }
    return {};
  }

  std::vector<uint8_t>& buf_;
  const MachOImage& img_;
  const FileOffsetMap& map_;
  size_t base_ = 0;
  std::string label_;
  uint64_t cmdAbs_ = 0;
};

}  // namespace

Expected<std::vector<uint8_t>> remapLoadCommands(const MachOImage& image, const FileOffsetMap& map) {
  const uint64_t len = image.header().headerSize() + image.header().sizeofcmds;
  KK_ASSIGN(Bytes hdr, io::ByteReader(image.file(), image.fileBase()).slice(image.headerOffset(), len, "load commands"));
  std::vector<uint8_t> buf(hdr.begin(), hdr.end());
  KK_TRY(CommandRewriter(buf, image, map).run());
  return buf;
}

Expected<std::vector<uint8_t>> shiftFileOffsets(Bytes thin, uint64_t delta) {
  KK_ASSIGN(MachOImage img, MachOImage::open(thin));
  auto shift = [delta](uint64_t off, uint64_t) { return checkedAdd(off, delta); };
  KK_ASSIGN(std::vector<uint8_t> cmds, remapLoadCommands(img, shift));
  std::vector<uint8_t> out(thin.begin(), thin.end());
  std::copy(cmds.begin(), cmds.end(), out.begin());
  return out;
}

Expected<std::vector<uint8_t>> extractFilesetMember(const MachOImage& member, uint64_t regionEnd, uint64_t pageSize) {
  const uint64_t h = member.headerOffset();
  const uint64_t hdrLen = member.header().headerSize() + member.header().sizeofcmds;
  Bytes file = member.file();

  // Every range the member uses: its segments, and the tables its commands point at (an
  // MH_OBJECT keeps its symbol table outside any segment).
  bool contiguous = true;
  uint64_t end = h + hdrLen;
  auto use = [&](uint64_t off, uint64_t size) {
    if (off < h || off + size > regionEnd) contiguous = false;
    end = std::max(end, off + size);
  };
  for (const Segment& s : member.segments())
    if (s.filesize > 0) use(s.fileoff, s.filesize);
  auto record = [&](uint64_t off, uint64_t size) -> std::optional<uint64_t> {
    use(off, size);
    return off;
  };
  KK_TRY(remapLoadCommands(member, record));
  if (contiguous) {
    auto down = [h](uint64_t off, uint64_t) -> std::optional<uint64_t> {
      if (off < h) return std::nullopt;
      return off - h;
    };
    KK_ASSIGN(std::vector<uint8_t> cmds, remapLoadCommands(member, down));
    KK_ASSIGN(Bytes body, io::ByteReader(file, member.fileBase()).slice(h, end - h, "fileset member"));
    std::vector<uint8_t> out(body.begin(), body.end());
    std::copy(cmds.begin(), cmds.end(), out.begin());
    return out;
  }

  // Pack: the header first (inside its segment when one starts at the header), then every
  // other segment with file bytes at the next page boundary.
  struct Move {
    uint64_t from, size, to;
  };
  std::vector<Move> moves;
  uint64_t cursor = hdrLen;
  bool headerInSegment = false;
  for (const Segment& s : member.segments())
    if (s.filesize > 0 && s.fileoff == h) {
      moves.push_back({s.fileoff, s.filesize, 0});
      cursor = s.filesize;
      headerInSegment = true;
    }
  if (!headerInSegment) moves.push_back({h, hdrLen, 0});
  for (const Segment& s : member.segments()) {
    if (s.filesize == 0 || s.fileoff == h) continue;
    cursor = (cursor + pageSize - 1) / pageSize * pageSize;
    moves.push_back({s.fileoff, s.filesize, cursor});
    cursor += s.filesize;
  }
  auto map = [&moves](uint64_t off, uint64_t size) -> std::optional<uint64_t> {
    for (const Move& m : moves)
      if (off >= m.from && rangeFits(off - m.from, size, m.size)) return m.to + (off - m.from);
    return std::nullopt;
  };
  auto cmds = remapLoadCommands(member, map);
  if (!cmds) {
    Error e = std::move(cmds).error();
    e.code = ErrorCode::Unsupported;
    e.message += " (it lies outside the member's own segments)";
    return e;
  }
  std::vector<uint8_t> out(static_cast<size_t>(cursor), 0);
  for (const Move& m : moves) {
    KK_ASSIGN(Bytes b, io::ByteReader(file, member.fileBase()).slice(m.from, m.size, "fileset member segment"));
    std::copy(b.begin(), b.end(), out.begin() + static_cast<long>(m.to));
  }
  std::copy(cmds->begin(), cmds->end(), out.begin());
  return out;
}

}  // namespace kextkit::macho
