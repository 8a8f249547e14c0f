// Opening a prelinked kernel / kernelcache / kernel collection: the container (fat, 'comp'
// lzss/lzvn, or a bare Mach-O), the kernel Mach-O, the prelink info, and every prelinked kext
// in the three layouts (split __PRELINK_TEXT, MH_FILESET, iOS 12+ merged).
//
// What untrusted input can do: only produce an Error (never a crash, never an allocation
// sized from a field above the configured limit). The container is decoded by
// CompContainer.h, the kernel by macho::MachOImage (every load command validated), the info
// by PrelinkInfo.h; every address the info gives is translated through the kernel's segments
// and checked before its bytes are used. Errors name the kext ("kext 3 (com.foo)"), the key
// or field, and the offset.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/kernelcache/CompContainer.h"
#include "kextkit/kernelcache/PrelinkInfo.h"
#include "kextkit/macho/Arch.h"
#include "kextkit/macho/MachOImage.h"

namespace kextkit::kernelcache {

/// How the kexts are stored in the kernel image.
enum class Layout {
  Split,    ///< 10.6-10.15: linked kext Mach-Os inside __PRELINK_TEXT at their source address
  Fileset,  ///< MH_FILESET: one LC_FILESET_ENTRY per kext, the kernel as com.apple.kernel
  Merged,   ///< iOS 12+: kexts merged into the kernel, found through __kmod_info/__kmod_start
};

/// "split", "fileset", "merged".
std::string_view layoutName(Layout layout);

/// One slice of the input file (the whole file when it is not fat).
struct CacheSlice {
  std::optional<macho::Arch> arch;  ///< from the fat_arch; for a thin file, from the Mach-O once decoded
  uint64_t offset = 0;              ///< in the input file
  uint64_t size = 0;
  Compression compression = Compression::None;
};

/// A kext's kmod_info structure as read from the cache (apple-formats.md §3.4).
struct KmodInfo {
  uint64_t address = 0;     ///< where it was read (vm address)
  uint32_t infoVersion = 0;
  std::string name;         ///< kmod_info.name (up to its NUL)
  std::string version;      ///< kmod_info.version
  uint64_t kmodAddress = 0; ///< kmod_info.address
  uint64_t size = 0;        ///< kmod_info.size
  uint64_t hdrSize = 0;     ///< kmod_info.hdr_size
  uint64_t start = 0, stop = 0;
};

/// One prelinked kext: its info entry plus what the cache holds for it.
struct PrelinkedKext {
  PrelinkEntry entry;               ///< identifier, version, paths, addresses, libraries, info
  /// Load address and size kextstat shows: for split and fileset caches the info's
  /// _PrelinkExecutableLoadAddr/_PrelinkExecutableSize; for merged caches
  /// __kmod_start[ModuleIndex] and the distance to the next entry; 0 for codeless kexts.
  uint64_t address = 0;
  uint64_t size = 0;
  /// True when the cache holds code for this kext.
  bool hasExecutable = false;
  /// Where the kext's Mach-O header lies in the image (split: at the source address; fileset:
  /// at its entry's fileoff); nullopt for codeless and merged kexts.
  std::optional<uint64_t> executableOffset;
  /// Split layout: the _PrelinkExecutableSize bytes at the source address.
  io::Bytes executableBytes;
  std::optional<uint32_t> filesetEntry;  ///< index in MachOImage::filesetEntries() (fileset)
  std::optional<macho::Arch> arch;       ///< from the kext's own Mach-O header
  /// The kext's LC_UUID, or for interface kexts the 16-byte _PrelinkInterfaceUUID.
  std::optional<macho::Uuid> uuid;
  std::optional<KmodInfo> kmodInfo;      ///< when _PrelinkKmodInfo (or __kmod_info) is readable
  uint32_t refs = 0;                     ///< kexts of the cache whose resolved libraries name this one

  /// size - kmod_info.hdr_size when kmod_info was read (and hdr_size <= size), else size.
  uint64_t wired() const;
  /// Indices (into Kernelcache::kexts()) of the resolved libraries, in descending order
  /// (kextstat's `<Linked Against>`), without repeats.
  std::vector<size_t> linkedAgainst() const;
};

/// Options of Kernelcache::open().
struct OpenOptions {
  /// The slice to use in a fat file; default: x86_64 when present, else the first slice.
  std::optional<macho::Arch> arch;
  /// Limit on the uncompressed image (see CompContainer.h).
  uint64_t maxImageSize = kDefaultMaxImageSize;
  /// Verify the 'comp' Adler-32.
  bool verifyChecksum = true;
};

/// The container layer of a kernelcache, decoded (Kernelcache::decode()): the slice chosen
/// and its image. Lets a caller release the input file before the kexts are read (when the
/// image was decompressed it no longer refers to the input).
struct DecodedCache {
  bool fat = false;
  std::vector<CacheSlice> slices;
  size_t sliceIndex = 0;
  std::optional<CompHeader> comp;
  std::vector<uint8_t> owned;  ///< the decompressed payload (empty when the slice is a bare Mach-O)
  io::Bytes image;             ///< the Mach-O: inside `owned`, or inside the input file
  uint64_t imageBase = 0;      ///< absolute offset of image[0] in the input (0 when decompressed)
  bool decompressed = false;   ///< image lies in `owned`; the input file is no longer needed
  bool pendingChecksum = false;///< the 'comp' Adler-32 is still to be verified (by open())
};

/// An opened kernelcache. Owns the decompressed image; for an uncompressed input the image is
/// a view of the input bytes, which must outlive the Kernelcache.
class Kernelcache {
 public:
  /// Opens `file` (the whole input). Steps, each with its own errors:
  ///  1. fat → the slice chosen by options.arch (NotFound if there is none); thin → the file;
  ///  2. 'comp' → decompressComp() (limit, exact size); else the slice itself; a decompressed
  ///     image that is itself fat is thinned again. The Adler-32 is verified on a second thread
  ///     while steps 3-6 run, and a mismatch is the error reported when there is one;
  ///  3. the image opens as a macho::MachOImage (errors say "decompressed image" when the
  ///     offsets are in the decompressed bytes);
  ///  4. the layout is MH_FILESET → Fileset; a non-empty __PRELINK_INFO,__kmod_info → Merged;
  ///     else Split. No __PRELINK_INFO,__info section is NotFound ("not a prelinked kernel");
  ///  5. parsePrelinkInfo() on that section;
  ///  6. per kext: its executable range (split), fileset entry, or __kmod_start slot (merged)
  ///     must lie in the image; its Mach-O header must be valid; its kmod_info is read when
  ///     the address maps to file bytes (an unreadable kmod_info is not an error).
  static Expected<Kernelcache> open(io::Bytes file, const OpenOptions& options = {});

  /// Steps 1 and 2 of open(): the slice and its (decompressed) image, with the same errors,
  /// except that the 'comp' Adler-32 is left for open(DecodedCache) to verify.
  static Expected<DecodedCache> decode(io::Bytes file, const OpenOptions& options = {});
  /// Steps 3 to 6 of open() on a decoded container, verifying the pending Adler-32 on a second
  /// thread while it parses (a mismatch is reported before any other error). When
  /// `decoded.decompressed` is true the input file may be gone; otherwise it must outlive the
  /// Kernelcache.
  static Expected<Kernelcache> open(DecodedCache&& decoded, const OpenOptions& options = {});

  /// Move-only: the image and its views move together.
  Kernelcache(Kernelcache&&) noexcept;
  /// Move-only (see the move constructor).
  Kernelcache& operator=(Kernelcache&&) noexcept;
  ~Kernelcache();  ///< frees the decompressed image

  /// True if the input has a fat header.
  bool fat() const { return fat_; }
  /// Every slice of the input (one for a thin file).
  const std::vector<CacheSlice>& slices() const { return slices_; }
  /// Index of the slice used in slices().
  size_t sliceIndex() const { return sliceIndex_; }
  const CacheSlice& slice() const { return slices_[sliceIndex_]; }
  /// The 'comp' header of the slice used, if it was compressed.
  const std::optional<CompHeader>& compHeader() const { return comp_; }
  Compression compression() const { return slice().compression; }

  /// The (decompressed) kernel image: a whole Mach-O.
  io::Bytes image() const;
  /// The kernel image's Mach-O view (the collection itself for a fileset).
  const macho::MachOImage& macho() const;
  /// The kernel's arch (from the image header).
  macho::Arch arch() const { return macho().header().arch; }
  /// The kernel's UUID: the image's LC_UUID, or for a fileset com.apple.kernel's.
  const std::optional<macho::Uuid>& kernelUuid() const { return kernelUuid_; }
  Layout layout() const { return layout_; }
  /// Offset and size of the __PRELINK_INFO,__info text in image().
  uint64_t prelinkInfoOffset() const { return infoOffset_; }
  uint64_t prelinkInfoSize() const { return infoSize_; }

  /// The whole prelink info dictionary (assembled again: a copy).
  plist::Value prelinkInfo() const;
  /// Every kext, in `_PrelinkInfoDictionary` order.
  const std::vector<PrelinkedKext>& kexts() const { return kexts_; }

  /// The executable of `kext` as a standalone Mach-O: split — a copy of its bytes at the
  /// source address; fileset — its member taken out of the collection
  /// (macho::extractFilesetMember). Errors: NotFound for codeless kexts; Unsupported for merged
  /// caches (their kexts' code is interleaved with the kernel's).
  Expected<std::vector<uint8_t>> extractExecutable(const PrelinkedKext& kext) const;

 private:
  Kernelcache();
  Status parseImage(const OpenOptions& options);  // steps 3-6 of open()
  struct Storage;
  std::unique_ptr<Storage> storage_;  // the owned image and the MachOImage viewing it
  bool fat_ = false;
  std::vector<CacheSlice> slices_;
  size_t sliceIndex_ = 0;
  std::optional<CompHeader> comp_;
  std::optional<macho::Uuid> kernelUuid_;
  Layout layout_ = Layout::Split;
  uint64_t infoOffset_ = 0, infoSize_ = 0;
  plist::Value infoTop_;  // the prelink dictionary without its entries (they are in kexts_)
  std::vector<PrelinkedKext> kexts_;
};

/// True if `file` starts like a kernelcache: a 'comp' header or a thin Mach-O, or a fat file
/// whose first slice (when its table parses) starts with one of those. A cheap sniff for tools
/// that accept several formats; Kernelcache::open() does the validation.
bool looksLikeKernelcache(io::Bytes file);

/// Decodes a pointer stored in a merged (iOS 12-14) kernelcache (apple-containers.md §5.3):
/// values whose top 16 bits are all set are plain kernel addresses; a set bit 63 is an
/// authenticated threaded rebase (kernelBase + low 32 bits); otherwise a plain threaded rebase
/// ((high8 << 56) | sign-extended low 43 bits).
uint64_t untagKernelPointer(uint64_t value, uint64_t kernelBase);

/// Reads a kmod_info structure (196 bytes for 64-bit kernels, 168 for 32-bit) from `bytes`
/// (at least that long) in the kernel's byte order. `address` is recorded as given.
Expected<KmodInfo> parseKmodInfo(io::Bytes bytes, bool is64, Endian endian, uint64_t address);

}  // namespace kextkit::kernelcache
