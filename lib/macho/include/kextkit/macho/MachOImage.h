// The full load-command walk of a thin Mach-O: segments and sections, fileset entries and the
// file ranges that linkedit commands point at, all validated once when the image is opened.
//
// What untrusted input can do: only produce an Error. open() checks every range a load command
// declares against the file, rejects overlapping segment file ranges and repeated singleton
// commands, and names the load command index, the field and its absolute file offset in every
// message (as LLVM's MachOObjectFile does). After a successful open(), every span an accessor
// returns lies inside the bytes the image was opened on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/macho/MachOFile.h"

namespace kextkit::macho {

/// One section header of an LC_SEGMENT or LC_SEGMENT_64, decoded.
struct Section {
  uint32_t number = 0;       ///< 1-based over every section of the file, in load-command order (n_sect)
  std::string sectname;      ///< e.g. "__text"
  std::string segname;       ///< segment name as the section header spells it
  uint64_t addr = 0;         ///< virtual address
  uint64_t size = 0;         ///< size in memory
  uint32_t offset = 0;       ///< file offset (see MachOImage: relative to the start of the file bytes)
  uint32_t align = 0;        ///< power-of-two exponent
  uint32_t reloff = 0;       ///< file offset of the relocation entries
  uint32_t nreloc = 0;       ///< number of relocation entries (8 bytes each)
  uint32_t flags = 0;        ///< section type (low byte) and attributes
  uint32_t reserved1 = 0, reserved2 = 0, reserved3 = 0;  ///< reserved3 exists only in section_64
  uint64_t headerOffset = 0; ///< absolute file offset of the section header, for messages

  /// The section type: flags & SECTION_TYPE.
  uint32_t type() const { return flags & 0xff; }
  /// True for S_ZEROFILL, S_GB_ZEROFILL and S_THREAD_LOCAL_ZEROFILL: no bytes in the file.
  bool isZeroFill() const;
};

/// One LC_SEGMENT or LC_SEGMENT_64, decoded, with its sections.
struct Segment {
  uint32_t commandIndex = 0;  ///< index of its load command
  std::string name;           ///< segname, e.g. "__PRELINK_TEXT" (may be empty in MH_OBJECT files)
  uint64_t vmaddr = 0;
  uint64_t vmsize = 0;
  uint64_t fileoff = 0;       ///< relative to the start of the file bytes (see MachOImage)
  uint64_t filesize = 0;
  int32_t maxprot = 0;
  int32_t initprot = 0;
  uint32_t flags = 0;
  std::vector<Section> sections;
  uint64_t commandOffset = 0; ///< absolute file offset of the load command, for messages
};

/// One LC_FILESET_ENTRY: a member Mach-O of an MH_FILESET kernel collection.
struct FilesetEntry {
  uint32_t commandIndex = 0;
  std::string entryId;   ///< "com.apple.kernel" or a kext bundle identifier
  uint64_t vmaddr = 0;   ///< address of the member's mach_header
  uint64_t fileoff = 0;  ///< file offset of the member's mach_header
  uint64_t commandOffset = 0; ///< absolute file offset of the load command, for messages
};

/// The LC_SYMTAB fields (their ranges validated at open).
struct SymtabInfo {
  uint32_t symoff = 0, nsyms = 0, stroff = 0, strsize = 0;
};

/// A thin Mach-O whose every load command has been decoded and checked.
///
/// File offsets in load commands are relative to the start of the bytes the image is opened
/// on (`file`). Usually the Mach-O header is at file[0]; a member of an MH_FILESET collection
/// has its header at its entry's fileoff while its offsets stay relative to the whole
/// collection (apple-containers.md §5.1), which openAt() supports.
///
/// The image does not own its bytes: the span must outlive it. Moving the owner of a
/// std::vector keeps its buffer, so a vector may be moved after open().
class MachOImage {
 public:
  /// Opens a Mach-O whose header is at file[0]. `fileBase` is the absolute offset of file[0]
  /// in the input (a fat slice's offset), added to the offsets of errors. Errors: those of
  /// MachOFile::open(), then, each naming "load command N (LC_...)" (and "section K (SEG,sect)"
  /// where it applies) and the absolute offset of the offending field:
  ///  - LC_SEGMENT(_64): cmdsize not exactly the structure plus nsects section headers
  ///    (Malformed); filesize > vmsize, vmaddr + vmsize overflowing (Malformed);
  ///    fileoff + filesize past the end of the file (Truncated);
  ///  - sections that are not zero-fill and not empty: offset + size past the end of the file
  ///    (Truncated) or outside the segment's file range (Malformed); addr + size outside the
  ///    segment's address range (Malformed); relocation entries past the end (Truncated);
  ///  - two segments whose file ranges overlap, or a segment other than the one starting at the
  ///    header that overlaps the header and load commands (Malformed);
  ///  - LC_SYMTAB, LC_DYSYMTAB, LC_DYLD_INFO(_ONLY), linkedit_data commands (LC_CODE_SIGNATURE,
  ///    LC_FUNCTION_STARTS, LC_DYLD_CHAINED_FIXUPS, ...) and LC_ENCRYPTION_INFO(_64): every
  ///    table they point at lies inside the file (Truncated);
  ///  - LC_FILESET_ENTRY: the entry id offset lies inside the command, after its fixed part,
  ///    and the id is NUL-terminated there and not empty; the member header offset is inside
  ///    the file; no id repeats (Malformed / Truncated);
  ///  - a second LC_SYMTAB, LC_DYSYMTAB, LC_UUID, LC_DYLD_INFO(_ONLY), LC_MAIN, LC_UNIXTHREAD,
  ///    LC_ID_DYLIB, LC_SOURCE_VERSION, LC_ENCRYPTION_INFO(_64) or linkedit_data command of the
  ///    same kind (Malformed).
  /// Commands it does not know are kept raw (MachOFile::loadCommands()).
  static Expected<MachOImage> open(Bytes file, uint64_t fileBase = 0);

  /// Like open() for a Mach-O whose header is at file[headerOffset] (a fileset member).
  /// Truncated if headerOffset is past the end of `file`.
  static Expected<MachOImage> openAt(Bytes file, uint64_t headerOffset, uint64_t fileBase = 0);

  /// The header and raw load-command view.
  const MachOFile& macho() const { return macho_; }
  const MachOHeader& header() const { return macho_.header(); }
  const std::vector<LoadCommand>& loadCommands() const { return macho_.loadCommands(); }
  const std::optional<Uuid>& uuid() const { return macho_.uuid(); }
  bool is64() const { return macho_.is64(); }
  Endian endian() const { return macho_.endian(); }

  /// The bytes the image was opened on (from the collection start for a fileset member).
  Bytes file() const { return file_; }
  /// Where the header lies in file() (0 unless opened with openAt()).
  uint64_t headerOffset() const { return headerOffset_; }
  /// Absolute offset of file()[0] in the input, for messages.
  uint64_t fileBase() const { return fileBase_; }

  /// Every segment, in load-command order.
  const std::vector<Segment>& segments() const { return segments_; }
  /// Every LC_FILESET_ENTRY, in load-command order.
  const std::vector<FilesetEntry>& filesetEntries() const { return filesetEntries_; }
  /// LC_SYMTAB's fields, if the file has one.
  const std::optional<SymtabInfo>& symtab() const { return symtab_; }
  /// True if the file has an LC_DYSYMTAB (kextcache's prelinkVersion rule, apple-formats §3.1).
  bool hasDysymtab() const { return hasDysymtab_; }

  /// The first segment named `name`, or nullptr.
  const Segment* findSegment(std::string_view name) const;
  /// The first section `sectname` of a segment named `segname`, or nullptr.
  const Section* findSection(std::string_view segname, std::string_view sectname) const;
  /// The file bytes of a section; empty for zero-fill or empty sections. Cannot fail for a
  /// section of this image (ranges were checked at open), but the check is kept.
  Expected<Bytes> sectionData(const Section& section) const;
  /// The file bytes of a segment: [fileoff, fileoff + filesize).
  Expected<Bytes> segmentData(const Segment& segment) const;

  /// The offset in file() of the bytes at virtual addresses [addr, addr + size), through the
  /// segment that maps them. Errors (Malformed): no segment contains the range, or the range
  /// runs into the zero-fill part of its segment (vmsize beyond filesize).
  Expected<uint64_t> fileOffsetOf(uint64_t addr, uint64_t size) const;
  /// The bytes at virtual addresses [addr, addr + size) (see fileOffsetOf()).
  Expected<Bytes> bytesAt(uint64_t addr, uint64_t size) const;

 private:
  explicit MachOImage(MachOFile f) : macho_(std::move(f)) {}
  friend class MachOImageWalker;
  MachOFile macho_;
  Bytes file_;
  uint64_t headerOffset_ = 0;
  uint64_t fileBase_ = 0;
  std::vector<Segment> segments_;
  std::vector<FilesetEntry> filesetEntries_;
  std::optional<SymtabInfo> symtab_;
  bool hasDysymtab_ = false;
};

}  // namespace kextkit::macho
