// Thin Mach-O files: the validated header, the load-command list, and the MachOFile view.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/macho/Arch.h"

namespace kextkit::macho {

using io::Bytes;

/// A 16-byte LC_UUID value.
using Uuid = std::array<uint8_t, 16>;

/// "01234567-89AB-CDEF-0123-456789ABCDEF": upper-case 8-4-4-4-12, as CFUUIDCreateString and
/// kextstat print it.
std::string formatUuid(const Uuid& uuid);

/// The validated header of a thin Mach-O (mach_header or mach_header_64).
struct MachOHeader {
  uint32_t magic = 0;            ///< first word read little-endian: MH_MAGIC(_64) for little-endian files, MH_CIGAM(_64) for big-endian ones
  bool is64 = false;             ///< mach_header_64 (MH_MAGIC_64/MH_CIGAM_64)
  Endian endian = Endian::Little;///< byte order of every field of this Mach-O
  Arch arch;                     ///< cputype and cpusubtype (capability bits kept)
  uint32_t filetype = 0;         ///< MH_OBJECT, MH_EXECUTE, MH_KEXT_BUNDLE, ...
  uint32_t ncmds = 0;
  uint32_t sizeofcmds = 0;
  uint32_t flags = 0;
  uint32_t reserved = 0;         ///< mach_header_64 only

  /// 28 or 32: where the load commands start.
  uint64_t headerSize() const { return is64 ? 32 : 28; }
};

/// Parses and validates a thin Mach-O header. `base` is the absolute file offset of data[0]
/// (non-zero for a fat slice), used in error offsets. Errors:
///  - Truncated: fewer than 4 bytes, or fewer than the 28/32 header bytes;
///  - Malformed: a magic that is not MH_MAGIC/MH_CIGAM/MH_MAGIC_64/MH_CIGAM_64 (a fat magic
///    is named as such);
///  - Truncated: header + sizeofcmds extends past the end of `data`;
///  - Malformed: ncmds * 8 (the smallest load command) does not fit in sizeofcmds.
Expected<MachOHeader> parseMachOHeader(Bytes data, uint64_t base = 0);

/// One load command, located and size-checked once when the file is opened. Later layers
/// decode `raw` according to `cmd`; unknown commands are kept as raw bytes.
struct LoadCommand {
  uint32_t index = 0;    ///< position in the load-command list
  uint32_t cmd = 0;      ///< LC_* value
  uint32_t cmdsize = 0;  ///< whole command size, header included (== raw.size())
  uint64_t offset = 0;   ///< offset of the command from the start of the Mach-O (not the fat file)
  Bytes raw;             ///< the cmdsize bytes of the command, a sub-span of the Mach-O
};

/// "load command 3 (LC_SEGMENT_64)" or "load command 3 (cmd 0x77)": the field name used in errors.
std::string loadCommandLabel(uint32_t index, uint32_t cmd);

/// Walks the load commands that `header` describes. For every command, in order, with an
/// error naming "load command N (LC_...)" and the command's absolute offset:
///  - its 8-byte header fits in what is left of sizeofcmds (Truncated);
///  - cmdsize >= 8 (so a cmdsize of 0 cannot loop) and is a multiple of 4 (32-bit) or 8
///    (64-bit) (Malformed);
///  - cmdsize does not run past the end of sizeofcmds (Truncated);
///  - cmdsize is at least the size of the command's known structure; LC_UUID, LC_SYMTAB and
///    LC_DYSYMTAB must have exactly that size; LC_SEGMENT(_64) must hold its nsects sections
///    (Malformed);
///  - LC_UUID, LC_SYMTAB, LC_DYSYMTAB appear at most once (Malformed).
/// `data` is the whole Mach-O, `base` its absolute file offset.
Expected<std::vector<LoadCommand>> parseLoadCommands(Bytes data, const MachOHeader& header, uint64_t base = 0);

/// Parses the header and load commands of a thin Mach-O and returns its LC_UUID, or nullopt
/// if it has none. Every error of parseMachOHeader() and parseLoadCommands().
Expected<std::optional<Uuid>> findUuid(Bytes data, uint64_t base = 0);

/// A validated view of one thin Mach-O. It does not own its bytes: the span passed to open()
/// (usually a MappedFile or a fat slice of one) must outlive the view.
class MachOFile {
 public:
  /// Validates the header and every load command (see parseMachOHeader() and
  /// parseLoadCommands()) and reads the UUID. `fileOffset` is the absolute offset of data[0]
  /// in the file, for error messages (the slice offset when the Mach-O is a fat slice).
  static Expected<MachOFile> open(Bytes data, uint64_t fileOffset = 0);

  const MachOHeader& header() const { return header_; }
  Arch arch() const { return header_.arch; }
  uint32_t filetype() const { return header_.filetype; }
  bool is64() const { return header_.is64; }
  Endian endian() const { return header_.endian; }
  /// Every load command, in file order.
  const std::vector<LoadCommand>& loadCommands() const { return commands_; }
  /// The LC_UUID value, if the file has one.
  const std::optional<Uuid>& uuid() const { return uuid_; }
  /// The whole Mach-O.
  Bytes bytes() const { return data_; }
  /// Absolute file offset of bytes()[0].
  uint64_t fileOffset() const { return fileOffset_; }

  /// The first command with this cmd, or nullptr.
  const LoadCommand* findCommand(uint32_t cmd) const;
  /// A reader over one command's bytes, in the file's byte order, reporting absolute offsets.
  io::ByteReader reader(const LoadCommand& lc) const;

 private:
  MachOFile() = default;
  Bytes data_;
  uint64_t fileOffset_ = 0;
  MachOHeader header_;
  std::vector<LoadCommand> commands_;
  std::optional<Uuid> uuid_;
};

}  // namespace kextkit::macho
