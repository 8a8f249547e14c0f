// Test-only builder of tiny Mach-O and fat files, including deliberately malformed ones.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kextkit/macho/MachOFormat.h"
#include "kextkit/support/Endian.h"

namespace kextkit::testkit {

/// Appends integers in a chosen byte order.
struct ByteSink {
  Endian endian = Endian::Little;
  std::vector<uint8_t> out;
  void u32(uint32_t v) {
    uint8_t b[4];
    store<uint32_t>(b, v, endian);
    out.insert(out.end(), b, b + 4);
  }
  void u64(uint64_t v) {
    uint8_t b[8];
    store<uint64_t>(b, v, endian);
    out.insert(out.end(), b, b + 8);
  }
  void bytes(const std::vector<uint8_t>& b) { out.insert(out.end(), b.begin(), b.end()); }
  void zeros(size_t n) { out.insert(out.end(), n, 0); }
  void name16(const std::string& s) {
    std::string t = s.substr(0, 16);
    out.insert(out.end(), t.begin(), t.end());
    zeros(16 - t.size());
  }
};

/// One load command: `body` is everything after cmd/cmdsize. `cmdsize` defaults to
/// 8 + body.size(); set it to lie.
struct TestCommand {
  uint32_t cmd = 0;
  std::vector<uint8_t> body;
  std::optional<uint32_t> cmdsize;
};

/// A thin Mach-O under construction.
struct TestMachO {
  bool is64 = true;
  Endian endian = Endian::Little;
  int32_t cputype = macho::CPU_TYPE_X86_64;
  int32_t cpusubtype = macho::CPU_SUBTYPE_X86_64_ALL;
  uint32_t filetype = macho::MH_KEXT_BUNDLE;
  uint32_t flags = macho::MH_NOUNDEFS;
  std::vector<TestCommand> commands;
  std::optional<uint32_t> ncmds;       ///< override
  std::optional<uint32_t> sizeofcmds;  ///< override
  size_t trailing = 0;                 ///< zero bytes after the commands

  /// Body of an LC_UUID command holding `uuid`.
  static TestCommand uuid(const std::vector<uint8_t>& uuid) { return {macho::LC_UUID, uuid, std::nullopt}; }

  /// An LC_SEGMENT(_64) named `name` with `nsects` zeroed sections.
  TestCommand segment(const std::string& name, uint32_t nsects) const {
    ByteSink s{endian, {}};
    s.name16(name);
    if (is64) {
      s.u64(0); s.u64(0x1000); s.u64(0); s.u64(0);
    } else {
      s.u32(0); s.u32(0x1000); s.u32(0); s.u32(0);
    }
    s.u32(7); s.u32(5); s.u32(nsects); s.u32(0);
    s.zeros(nsects * (is64 ? sizeof(macho::section_64) : sizeof(macho::section)));
    return {is64 ? macho::LC_SEGMENT_64 : macho::LC_SEGMENT, s.out, std::nullopt};
  }

  std::vector<uint8_t> build() const {
    ByteSink cmds{endian, {}};
    for (const auto& c : commands) {
      cmds.u32(c.cmd);
      cmds.u32(c.cmdsize.value_or(static_cast<uint32_t>(8 + c.body.size())));
      cmds.bytes(c.body);
    }
    ByteSink s{endian, {}};
    s.u32(is64 ? macho::MH_MAGIC_64 : macho::MH_MAGIC);  // written in `endian` order
    s.u32(static_cast<uint32_t>(cputype));
    s.u32(static_cast<uint32_t>(cpusubtype));
    s.u32(filetype);
    s.u32(ncmds.value_or(static_cast<uint32_t>(commands.size())));
    s.u32(sizeofcmds.value_or(static_cast<uint32_t>(cmds.out.size())));
    s.u32(flags);
    if (is64) s.u32(0);
    s.bytes(cmds.out);
    s.zeros(trailing);
    return s.out;
  }
};

/// One fat_arch entry and its slice bytes. offset/size default to the packed layout.
struct TestFatArch {
  int32_t cputype = 0;
  int32_t cpusubtype = 0;
  std::vector<uint8_t> data;
  std::optional<uint64_t> offset;
  std::optional<uint64_t> size;
  uint32_t align = 0;
};

/// A fat file: header, table, then each slice at its (possibly overridden) offset. Slices are
/// packed after the table unless `alignTo` > 1 rounds each offset up.
inline std::vector<uint8_t> buildFat(const std::vector<TestFatArch>& archs, bool fat64 = false,
                                     Endian endian = Endian::Big, uint64_t alignTo = 1,
                                     std::optional<uint32_t> nfatOverride = std::nullopt) {
  ByteSink s{endian, {}};
  s.u32(fat64 ? macho::FAT_MAGIC_64 : macho::FAT_MAGIC);
  s.u32(nfatOverride.value_or(static_cast<uint32_t>(archs.size())));
  uint64_t entry = fat64 ? 32 : 20;
  uint64_t pos = 8 + entry * archs.size();
  std::vector<uint64_t> offsets;
  for (const auto& a : archs) {
    pos = (pos + alignTo - 1) / alignTo * alignTo;
    offsets.push_back(a.offset.value_or(pos));
    pos += a.data.size();
  }
  for (size_t i = 0; i < archs.size(); ++i) {
    const auto& a = archs[i];
    s.u32(static_cast<uint32_t>(a.cputype));
    s.u32(static_cast<uint32_t>(a.cpusubtype));
    uint64_t size = a.size.value_or(a.data.size());
    if (fat64) {
      s.u64(offsets[i]); s.u64(size); s.u32(a.align); s.u32(0);
    } else {
      s.u32(static_cast<uint32_t>(offsets[i])); s.u32(static_cast<uint32_t>(size)); s.u32(a.align);
    }
  }
  std::vector<uint8_t> out = s.out;
  for (size_t i = 0; i < archs.size(); ++i) {
    // An absurd offset (a test of overflow checks) is declared, but the data is placed after
    // what was written so far.
    // So does an offset inside the header (a test of overlap checks).
    const uint64_t tableEnd = 8 + entry * archs.size();
    if (offsets[i] > (1u << 20) || offsets[i] < tableEnd) offsets[i] = std::max<uint64_t>(out.size(), tableEnd);
    uint64_t end = offsets[i] + archs[i].data.size();
    if (out.size() < end) out.resize(end, 0);
    std::copy(archs[i].data.begin(), archs[i].data.end(), out.begin() + static_cast<long>(offsets[i]));
  }
  return out;
}

}  // namespace kextkit::testkit
