// On-disk constants of prelinked kernels and kernelcaches, spelled as in kext_tools
// kernelcache.h, XNU libkern/libkern/prelink.h and osfmk/mach/kmod.h (apple-formats.md §3,
// apple-containers.md §5-§6). Nothing here reads bytes.
#pragma once

#include <cstdint>
#include <string_view>

namespace kextkit::kernelcache {

// NOLINTBEGIN(readability-identifier-naming): Apple's spelling is kept on purpose.

// ---------------------------------------------------------------------------------------------
// kext_tools kernelcache.h: struct prelinked_kernel_header, 384 bytes, every field big-endian.

/// 'comp' 0x636f6d70: prelinked_kernel_header.signature.
constexpr uint32_t PLATFORM_SIGNATURE_COMP = 0x636f6d70;
/// 'lzss' 0x6c7a7373: compressType of an LZSS payload.
constexpr uint32_t COMP_TYPE_LZSS = 0x6c7a7373;
/// 'lzvn' 0x6c7a766e: compressType of a raw LZVN payload.
constexpr uint32_t COMP_TYPE_LZVN = 0x6c7a766e;

/// struct prelinked_kernel_header, as laid out on disk (documentation of the layout; readers
/// go field by field through io::ByteReader).
struct prelinked_kernel_header {
  uint32_t signature;         ///< @0   PLATFORM_SIGNATURE_COMP
  uint32_t compressType;      ///< @4   COMP_TYPE_LZSS or COMP_TYPE_LZVN
  uint32_t adler32;           ///< @8   Adler-32 of the uncompressed image
  uint32_t uncompressedSize;  ///< @12
  uint32_t compressedSize;    ///< @16  payload bytes after the header
  uint32_t prelinkVersion;    ///< @20  1 if the kernel has LC_DYSYMTAB, else 0
  uint32_t reserved[10];      ///< @24  0
  uint8_t platformName[64];   ///< @64  unused, 0
  uint8_t rootPath[256];      ///< @128 unused, 0
};
static_assert(sizeof(prelinked_kernel_header) == 384);

/// Size of prelinked_kernel_header: the payload starts here.
constexpr uint32_t kPrelinkedKernelHeaderSize = 384;

// ---------------------------------------------------------------------------------------------
// XNU libkern/libkern/prelink.h: segments, sections and prelink info keys.

constexpr std::string_view kPrelinkTextSegment = "__PRELINK_TEXT";  ///< segment holding the linked kext executables (split layout)
constexpr std::string_view kPrelinkTextSection = "__text";  ///< its section
constexpr std::string_view kPrelinkInfoSegment = "__PRELINK_INFO";  ///< segment holding the prelink info (and merged-cache tables)
constexpr std::string_view kPrelinkInfoSection = "__info";  ///< the IOCFSerialize XML of the prelink info dictionary
constexpr std::string_view kBuiltinKmodInfoSection = "__kmod_info";    ///< merged iOS 12+ caches
constexpr std::string_view kBuiltinKmodStartSection = "__kmod_start";  ///< merged iOS 12+ caches

constexpr std::string_view kPrelinkInfoDictionaryKey = "_PrelinkInfoDictionary";  ///< top-level array of per-kext info dictionaries
constexpr std::string_view kPrelinkExecutableLoadKey = "_PrelinkExecutableLoadAddr";  ///< the kext's link (load) address
constexpr std::string_view kPrelinkExecutableSourceKey = "_PrelinkExecutableSourceAddr";  ///< where the kext's bytes sit in the image
constexpr std::string_view kPrelinkExecutableSizeKey = "_PrelinkExecutableSize";  ///< length of the linked executable
constexpr std::string_view kPrelinkKmodInfoKey = "_PrelinkKmodInfo";  ///< address of the kext's kmod_info, or 0
constexpr std::string_view kPrelinkInterfaceUUIDKey = "_PrelinkInterfaceUUID";  ///< LC_UUID of an interface kext's executable (not itself in the cache)
constexpr std::string_view kPrelinkBundlePathKey = "_PrelinkBundlePath";  ///< the bundle's path on its volume
constexpr std::string_view kPrelinkExecutableRelativePathKey = "_PrelinkExecutableRelativePath";  ///< the executable's path inside the bundle
constexpr std::string_view kPrelinkLinkKASLROffsetsKey = "_PrelinkLinkKASLROffsets";  ///< u32 count then u32 offsets into the prelink text (newer builds)
constexpr std::string_view kPrelinkKCIDKey = "_PrelinkKCID";  ///< 16-byte kernel collection id (newer builds)
/// Builtin-kext index of a merged cache (XNU OSKext.cpp "ModuleIndex").
constexpr std::string_view kModuleIndexKey = "ModuleIndex";
/// `_PrelinkExecutableLoadAddr` of codeless kexts in new kernels (OSKextLibPrivate.h).
constexpr uint64_t kPrelinkCodelessLoadAddr = 0x7fffffffffffffffull;

/// Prefix every prelink-only key shares; mkextunpack drops such keys from extracted Info.plists.
constexpr std::string_view kPrelinkKeyPrefix = "_Prelink";

// ---------------------------------------------------------------------------------------------
// XNU osfmk/mach/kmod.h: kmod_info_t, #pragma pack(4), KMOD_MAX_NAME 64.

constexpr uint32_t KMOD_MAX_NAME = 64;     ///< size of kmod_info.name and .version
constexpr uint32_t KMOD_INFO_VERSION = 1;  ///< kmod_info.info_version

/// Field offsets and size of kmod_info in 64-bit kernels (apple-formats.md §3.4).
struct KmodInfo64Layout {
  static constexpr uint32_t next = 0, info_version = 8, id = 12, name = 16, version = 80,
                            reference_count = 144, reference_list = 148, address = 156, size = 164,
                            hdr_size = 172, start = 180, stop = 188, total = 196;
};

/// Field offsets and size of kmod_info in 32-bit kernels.
struct KmodInfo32Layout {
  static constexpr uint32_t next = 0, info_version = 4, id = 8, name = 12, version = 76,
                            reference_count = 140, reference_list = 144, address = 148, size = 152,
                            hdr_size = 156, start = 160, stop = 164, total = 168;
};

// NOLINTEND(readability-identifier-naming)

}  // namespace kextkit::kernelcache
