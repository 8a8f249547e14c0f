// Thin Mach-O header and load-command validation, and the MachOFile view.
#include "kextkit/macho/MachOFile.h"

#include <algorithm>
#include <cstdio>

#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Format.h"

namespace kextkit::macho {

std::string formatUuid(const Uuid& u) {
  char buf[40];
  std::snprintf(buf, sizeof buf,
                "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", u[0], u[1], u[2],
                u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
  return buf;
}

std::string loadCommandLabel(uint32_t index, uint32_t cmd) {
  auto name = loadCommandName(cmd);
  return "load command " + std::to_string(index) + " (" + (name ? std::string(*name) : "cmd " + hex(cmd)) + ")";
}

Expected<MachOHeader> parseMachOHeader(Bytes data, uint64_t base) {
  io::ByteReader r(data, base, Endian::Little);
  KK_ASSIGN(uint32_t magic, r.u32le("mach_header.magic"));
  MachOHeader h;
  h.magic = magic;
  // `magic` is read little-endian: MH_MAGIC* means a little-endian file, MH_CIGAM* big-endian.
  switch (magic) {
    case MH_MAGIC: h.endian = Endian::Little; break;
    case MH_CIGAM: h.endian = Endian::Big; break;
    case MH_MAGIC_64: h.endian = Endian::Little; h.is64 = true; break;
    case MH_CIGAM_64: h.endian = Endian::Big; h.is64 = true; break;
    default: {
      uint32_t be = byteSwap32(magic);
      if (be == FAT_MAGIC || be == FAT_MAGIC_64 || be == FAT_CIGAM || be == FAT_CIGAM_64)
        return malformed(hex(be) + " is a fat (universal) header, not a thin Mach-O; select a slice first",
                         "mach_header.magic", base);
      return malformed(hex(be) + " is not a Mach-O magic (MH_MAGIC, MH_CIGAM, MH_MAGIC_64 or MH_CIGAM_64)",
                       "mach_header.magic", base);
    }
  }
  const char* hdrName = h.is64 ? "mach_header_64" : "mach_header";
  const std::string hdr(hdrName);
  KK_TRY(io::ByteReader(data, base).peek(h.headerSize(), hdr));
  r.setEndian(h.endian);
  KK_ASSIGN(uint32_t cputype, r.u32(hdr + ".cputype"));
  KK_ASSIGN(uint32_t cpusubtype, r.u32(hdr + ".cpusubtype"));
  h.arch = Arch{static_cast<cpu_type_t>(cputype), static_cast<cpu_subtype_t>(cpusubtype)};
  KK_ASSIGN(h.filetype, r.u32(hdr + ".filetype"));
  KK_ASSIGN(h.ncmds, r.u32(hdr + ".ncmds"));
  KK_ASSIGN(h.sizeofcmds, r.u32(hdr + ".sizeofcmds"));
  KK_ASSIGN(h.flags, r.u32(hdr + ".flags"));
  if (h.is64) {
    KK_ASSIGN(h.reserved, r.u32(hdr + ".reserved"));
  }

  if (!rangeFits(h.headerSize(), h.sizeofcmds, data.size()))
    return truncated("load commands [" + hex(base + h.headerSize()) + ", " +
                         hex(base + h.headerSize() + h.sizeofcmds) + ") extend past the end of the Mach-O (" +
                         hex(base + data.size()) + ")",
                     hdr + ".sizeofcmds", base + 20);
  if (uint64_t need = uint64_t{h.ncmds} * sizeof(load_command); need > h.sizeofcmds)
    return malformed("ncmds " + std::to_string(h.ncmds) + " needs at least " + hex(need) +
                         " bytes of load commands but sizeofcmds is " + hex(h.sizeofcmds),
                     hdr + ".ncmds", base + 16);
  return h;
}

Expected<std::vector<LoadCommand>> parseLoadCommands(Bytes data, const MachOHeader& h, uint64_t base) {
  // parseMachOHeader() guarantees headerSize + sizeofcmds <= data.size() and that ncmds
  // commands of the minimum size fit; re-check the first so a hand-built header cannot lie.
  KK_ASSIGN(Bytes area, io::sliceBytes(data, h.headerSize(), h.sizeofcmds, "load commands"));
  io::ByteReader r(area, base + h.headerSize(), h.endian);
  const uint32_t align = h.is64 ? 8 : 4;
  std::vector<LoadCommand> out;
  out.reserve(h.ncmds <= h.sizeofcmds / sizeof(load_command) ? h.ncmds : 0);  // bounded by the data
  std::optional<uint32_t> firstUuid, firstSymtab, firstDysymtab;

  for (uint32_t i = 0; i < h.ncmds; ++i) {
    const uint64_t rel = r.position();  // offset inside the load-command area
    const uint64_t abs = r.offset();
    if (r.remaining() < sizeof(load_command))
      return truncated("needs 8 bytes for cmd and cmdsize, only " + std::to_string(r.remaining()) +
                           " remain in sizeofcmds",
                       "load command " + std::to_string(i), abs);
    KK_ASSIGN(uint32_t cmd, r.u32("load_command.cmd"));
    KK_ASSIGN(uint32_t cmdsize, r.u32("load_command.cmdsize"));
    const std::string label = loadCommandLabel(i, cmd);
    if (cmdsize < sizeof(load_command))
      return malformed("cmdsize " + hex(cmdsize) + " is smaller than a load_command (0x8)", label, abs);
    // LLVM's exception: the kernel writes 64-bit core files with 4-aligned LC_THREADs.
    bool coreThread = h.filetype == MH_CORE && cmd == LC_THREAD && cmdsize % 4 == 0;
    if (cmdsize % align != 0 && !coreThread)
      return malformed("cmdsize " + hex(cmdsize) + " is not a multiple of " + std::to_string(align), label, abs);
    if (cmdsize > area.size() - rel)
      return truncated("cmdsize " + hex(cmdsize) + " extends past the end of the load commands (" +
                           hex(base + h.headerSize() + h.sizeofcmds) + ")",
                       label, abs);
    if (auto min = loadCommandMinSize(cmd)) {
      bool exact = cmd == LC_UUID || cmd == LC_SYMTAB || cmd == LC_DYSYMTAB;
      if (cmdsize < *min)
        return malformed("cmdsize " + hex(cmdsize) + " is smaller than the command's structure (" + hex(*min) + ")",
                         label, abs);
      if (exact && cmdsize != *min)
        return malformed("cmdsize " + hex(cmdsize) + " is not the size of the command's structure (" +
                             hex(*min) + ")",
                         label, abs);
    }
    Bytes raw = area.subspan(static_cast<size_t>(rel), cmdsize);
    if (cmd == LC_SEGMENT || cmd == LC_SEGMENT_64) {
      // nsects sits at offset 48 (segment_command) or 64 (segment_command_64).
      const bool seg64 = cmd == LC_SEGMENT_64;
      io::ByteReader seg(raw, abs, h.endian);
      KK_TRY(seg.seek(seg64 ? 64 : 48, "nsects"));
      KK_ASSIGN(uint32_t nsects, seg.u32("nsects"));
      const uint64_t need = (seg64 ? sizeof(segment_command_64) : sizeof(segment_command)) +
                            uint64_t{nsects} * (seg64 ? sizeof(section_64) : sizeof(section));
      if (need > cmdsize)
        return malformed("nsects " + std::to_string(nsects) + " needs cmdsize " + hex(need) + " but cmdsize is " +
                             hex(cmdsize),
                         label, abs);
    }
    auto singleton = [&](std::optional<uint32_t>& first, const char* name) -> Status {
      if (first)
        return malformed(std::string("is a second ") + name + " (the first is load command " +
                             std::to_string(*first) + ")",
                         label, abs);
      first = i;
      return {};
    };
    if (cmd == LC_UUID) KK_TRY(singleton(firstUuid, "LC_UUID"));
    if (cmd == LC_SYMTAB) KK_TRY(singleton(firstSymtab, "LC_SYMTAB"));
    if (cmd == LC_DYSYMTAB) KK_TRY(singleton(firstDysymtab, "LC_DYSYMTAB"));

    out.push_back(LoadCommand{i, cmd, cmdsize, h.headerSize() + rel, raw});
    KK_TRY(r.seek(rel + cmdsize));
  }
  return out;
}

namespace {
// parseLoadCommands() checked that an LC_UUID is exactly sizeof(uuid_command) bytes, so the
// read cannot fail; the reader keeps that from being an assumption.
Expected<std::optional<Uuid>> uuidOf(const std::vector<LoadCommand>& cmds) {
  for (const auto& lc : cmds)
    if (lc.cmd == LC_UUID) {
      io::ByteReader r(lc.raw);
      KK_TRY(r.skip(sizeof(load_command), "uuid_command"));
      KK_ASSIGN(Bytes raw, r.bytes(16, "uuid_command.uuid"));
      Uuid u{};
      std::copy(raw.begin(), raw.end(), u.begin());
      return std::optional<Uuid>(u);
    }
  return std::optional<Uuid>();
}
}  // namespace

Expected<std::optional<Uuid>> findUuid(Bytes data, uint64_t base) {
  KK_ASSIGN(MachOHeader h, parseMachOHeader(data, base));
  KK_ASSIGN(std::vector<LoadCommand> cmds, parseLoadCommands(data, h, base));
  return uuidOf(cmds);
}

Expected<MachOFile> MachOFile::open(Bytes data, uint64_t fileOffset) {
  MachOFile f;
  f.data_ = data;
  f.fileOffset_ = fileOffset;
  KK_ASSIGN(f.header_, parseMachOHeader(data, fileOffset));
  KK_ASSIGN(f.commands_, parseLoadCommands(data, f.header_, fileOffset));
  KK_ASSIGN(f.uuid_, uuidOf(f.commands_));
  return f;
}

const LoadCommand* MachOFile::findCommand(uint32_t cmd) const {
  for (const auto& lc : commands_)
    if (lc.cmd == cmd) return &lc;
  return nullptr;
}

io::ByteReader MachOFile::reader(const LoadCommand& lc) const {
  return io::ByteReader(lc.raw, fileOffset_ + lc.offset, header_.endian);
}

}  // namespace kextkit::macho
