// Writing thin Mach-O files (a model laid out first, then emitted), and rewriting the file
// offsets of an existing Mach-O (to embed a kext in a fileset collection or take it out again).
// Fat files are written by FatWriter.h from thin ones.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/macho/Arch.h"
#include "kextkit/macho/MachOImage.h"

namespace kextkit::macho {

/// One section to write.
struct SectionSpec {
  std::string sectname;
  std::string segname;          ///< "" means the name of the segment it is in
  std::vector<uint8_t> data;    ///< the section's file bytes (must be empty for zero-fill types)
  uint64_t zeroFillSize = 0;    ///< size in memory of a zero-fill section (S_ZEROFILL ... flags)
  uint32_t align = 0;           ///< power-of-two exponent; file offset and address are multiples of 2^align
  uint32_t flags = 0;           ///< section type and attributes
  uint32_t reserved1 = 0, reserved2 = 0, reserved3 = 0;
};

/// One segment to write. Its file offset is chosen by the layout; its address is given.
struct SegmentSpec {
  std::string name;
  uint64_t vmaddr = 0;          ///< ignored when followsPrevious is set
  bool followsPrevious = false; ///< vmaddr = the previous segment's vmaddr + vmsize
  std::optional<uint64_t> vmsize;  ///< default: the memory extent rounded up to the page size
  int32_t maxprot = 7;          ///< VM_PROT_READ|WRITE|EXECUTE
  int32_t initprot = 7;
  uint32_t flags = 0;
  /// Starts at file offset 0 and holds the header and load commands (a __TEXT segment); it
  /// must be the first segment. Its sections follow the load commands.
  bool containsHeader = false;
  std::vector<SectionSpec> sections;  ///< laid out in order; zero-fill sections must come last
  std::vector<uint8_t> data;    ///< raw contents of a segment without sections (__LINKEDIT, a fileset member)
  uint64_t fileAlign = 0;       ///< alignment of the segment's file offset (a power of two); 0 = the page size
};

/// A load command written as given: `body` follows cmd and cmdsize and is zero-padded so
/// cmdsize is a multiple of 8 (64-bit) or 4 (32-bit). Unknown commands round-trip this way.
struct RawCommandSpec {
  uint32_t cmd = 0;
  std::vector<uint8_t> body;
};

/// An LC_FILESET_ENTRY (entry id at offset 32, cmdsize padded to 8 as OpenCore writes it).
struct FilesetEntrySpec {
  std::string entryId;
  uint64_t vmaddr = 0;
  uint64_t fileoff = 0;  ///< usually taken from a first layoutMachO() pass
};

/// One load command of a MachOSpec, in file order.
using CommandSpec = std::variant<SegmentSpec, RawCommandSpec, FilesetEntrySpec>;

/// A whole thin Mach-O to write.
struct MachOSpec {
  bool is64 = true;
  Endian endian = Endian::Little;
  Arch arch;
  uint32_t filetype = MH_EXECUTE;
  uint32_t flags = 0;
  uint64_t pageSize = 0x1000;   ///< default segment file alignment and vmsize rounding
  std::vector<CommandSpec> commands;
};

/// Where the layout put a section.
struct SectionLayout {
  uint64_t addr = 0;
  uint64_t size = 0;
  uint64_t offset = 0;  ///< 0 for zero-fill sections
};

/// Where the layout put a segment (one per SegmentSpec, in command order).
struct SegmentLayout {
  uint32_t commandIndex = 0;
  uint64_t vmaddr = 0, vmsize = 0, fileoff = 0, filesize = 0;
  std::vector<SectionLayout> sections;
};

/// Every offset and size of a MachOSpec, computed before anything is written.
struct MachOLayout {
  uint64_t headerSize = 0;  ///< 28 or 32
  uint64_t sizeofcmds = 0;
  std::vector<uint32_t> cmdsizes;        ///< per command
  std::vector<SegmentLayout> segments;   ///< per SegmentSpec, in order
  uint64_t fileSize = 0;
};

/// Lays out `spec`: load commands after the header; the containsHeader segment at 0 with its
/// sections after the commands; every other segment at the next multiple of its file
/// alignment after the previous one; sections at multiples of 2^align in file and memory
/// alike (so address - vmaddr == offset - fileoff). Errors (InvalidArgument): a containsHeader
/// segment that is not the first segment, a file section after a zero-fill one, data in a
/// zero-fill section, a segment with both sections and raw data, a vmsize smaller than the
/// contents, a section alignment above 2^15; LimitExceeded: a value that does not fit its
/// field (32-bit files, section offsets, cmdsize).
Expected<MachOLayout> layoutMachO(const MachOSpec& spec);

/// Writes `spec` as laid out by layoutMachO(); the gaps between contents are zero. If `layout`
/// is not null it receives the layout used. Errors: those of layoutMachO().
Expected<std::vector<uint8_t>> writeMachO(const MachOSpec& spec, MachOLayout* layout = nullptr);

/// Maps a file range [offset, offset + size) of a source Mach-O to its new offset, or nullopt
/// when the range cannot be placed.
using FileOffsetMap = std::function<std::optional<uint64_t>(uint64_t offset, uint64_t size)>;

/// A copy of the header and load commands of `image` (headerSize + sizeofcmds bytes) in which
/// every file offset a known command holds is replaced by map(offset, size): segment fileoff
/// (segments with file bytes), section offset (non-empty, not zero-fill) and reloff, the
/// LC_SYMTAB and LC_DYSYMTAB tables, linkedit_data commands, LC_DYLD_INFO(_ONLY) and
/// LC_ENCRYPTION_INFO(_64). Offsets whose table is empty are left as they are, so the rewrite
/// of a rewrite by the inverse map gives the original bytes back. Unknown commands are
/// copied unchanged. Errors: Malformed naming the command and field when the map refuses a
/// range; LimitExceeded when a new offset does not fit its field.
Expected<std::vector<uint8_t>> remapLoadCommands(const MachOImage& image, const FileOffsetMap& map);

/// The bytes of the thin Mach-O `thin` with every file offset moved up by `delta`, for
/// placing it at file offset `delta` of a fileset collection (member offsets are absolute,
/// apple-containers.md §5.1). Errors: those of MachOImage::open() and remapLoadCommands().
Expected<std::vector<uint8_t>> shiftFileOffsets(Bytes thin, uint64_t delta);

/// Takes the member of a fileset collection that `member` views (opened with openAt()) out
/// as a standalone Mach-O. When every segment with file bytes and every table its load
/// commands point at lie in [headerOffset, regionEnd) (how shiftFileOffsets() placed it), the
/// result is those bytes, up to the end of the last segment or table, with every offset moved
/// down by headerOffset: the exact inverse of shiftFileOffsets(). Otherwise (segments spread through the collection) the segments are
/// packed one after the other, page-aligned in `pageSize`, the one holding the header first,
/// and every offset rewritten to match. Errors: Unsupported when a table a command points at
/// lies in none of the member's segments (it cannot be moved); those of remapLoadCommands().
Expected<std::vector<uint8_t>> extractFilesetMember(const MachOImage& member, uint64_t regionEnd,
                                                    uint64_t pageSize = 0x1000);

}  // namespace kextkit::macho
