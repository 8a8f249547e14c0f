// Builds synthetic prelinked kernels from kexts with the library's Mach-O writer: a small
// kernel (__TEXT, __DATA, LC_UUID, LC_SYMTAB/LC_DYSYMTAB) plus the kexts in the split
// (__PRELINK_TEXT), fileset (MH_FILESET) or merged (iOS 12+ __kmod_info) layout, and the
// prelink info in the IOKit dialect with ID/IDREF. For tests, samples and benchmarks: the
// kexts are placed as they are (optionally with kmod_info filled in as the kernel linker
// does), not relocated, so every executable can be compared byte for byte after extraction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/kext/KextBundle.h"
#include "kextkit/macho/Arch.h"
#include "kextkit/plist/Value.h"

namespace kextkit::kernelcache {

/// One kext to put into a prelinked kernel.
struct BuilderKext {
  plist::Value info;                   ///< its Info.plist dictionary
  std::string bundlePath;              ///< path on the volume, e.g. "/System/Library/Extensions/Foo.kext"
  std::string executableRelativePath;  ///< e.g. "Contents/MacOS/Foo" ("" when codeless)
  /// The thin Mach-O executable for the cache's arch; nullopt for codeless kexts.
  std::optional<std::vector<uint8_t>> executable;
};

/// How to build.
struct BuildOptions {
  Layout layout = Layout::Split;
  /// x86_64 (split, fileset), i386 (split, 32-bit, as 10.5/10.6) or arm64 (any layout; merged
  /// caches are arm64).
  macho::Arch arch{macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_X86_64_ALL};
  /// Fill kmod_info.address, size and hdr_size in the copy placed in the cache, as the kernel
  /// linker does; false places the executables unchanged.
  bool linkKmodInfo = true;
  /// Keep IOKitPersonalities of every kext (kextcache -all-personalities); otherwise they are
  /// kept only for kexts required at early boot (OSBundleRequired present, not "Safe Boot").
  bool allPersonalities = false;
  /// Codeless OSKernelResource entries (com.apple.kpi.*) put first in the info, for caches
  /// built from kexts that do not include System.kext: pairs of identifier and version.
  std::vector<std::pair<std::string, std::string>> kernelResources;
  /// Bytes of the kernel's own __TEXT,__text (filler code); default 4 KiB of a fixed pattern.
  std::vector<uint8_t> kernelText;
  /// The kernel's LC_UUID.
  macho::Uuid kernelUuid{0x4b, 0x45, 0x52, 0x4e, 0x45, 0x4c, 0x4b, 0x49, 0x54, 0x00, 0x10, 0x9d, 0x00, 0x00, 0x00, 0x01};
  /// Merged layout: store __kmod_info/__kmod_start pointers in the threaded (tagged) form.
  bool taggedPointers = false;
  /// Split and fileset layouts: place the code in reverse info order (real caches do not keep
  /// the two orders alike; this makes kextstat -sort differ from the index order).
  bool reversePlacement = false;
};

/// What the builder put in for one kext (what a reader must find again).
struct BuiltKext {
  std::string identifier;
  std::string version;
  std::string bundlePath;
  bool hasExecutable = false;           ///< code placed in the cache
  uint64_t loadAddress = 0;             ///< _PrelinkExecutableLoadAddr (merged: __kmod_start slot)
  uint64_t sourceAddress = 0;           ///< _PrelinkExecutableSourceAddr
  uint64_t size = 0;                    ///< _PrelinkExecutableSize (merged: the slot's size)
  uint64_t kmodInfoAddress = 0;         ///< _PrelinkKmodInfo, or 0
  uint64_t kmodHdrSize = 0;             ///< the hdr_size written into kmod_info (0 when not linked)
  std::string kmodName;                 ///< kmod_info.name of the executable ("" without kmod_info)
  std::optional<macho::Uuid> uuid;      ///< LC_UUID of the executable (or interface UUID)
  std::vector<uint8_t> executable;      ///< the bytes placed (after kmod_info linking)
  std::vector<std::string> libraries;   ///< OSBundleLibraries identifiers (arch-specific key first)
};

/// A built kernel image (an uncompressed thin Mach-O) and its manifest.
struct BuiltKernel {
  std::vector<uint8_t> image;
  std::vector<BuiltKext> kexts;   ///< in _PrelinkInfoDictionary order (kernel resources first)
  uint64_t prelinkTextAddress = 0;  ///< __PRELINK_TEXT vmaddr (split)
};

/// Builds a prelinked kernel. Kexts with OSKernelResource or OSBundleIsInterface set get no
/// code in the cache (as kextcache links only real kexts); their executable's LC_UUID becomes
/// _PrelinkInterfaceUUID. In the merged layout the executables are copied as opaque code (any
/// arch), one after the other, with a synthesized kmod_info each. Errors: InvalidArgument for a
/// merged layout on a non-arm64 arch, an i386 layout other than split, or an unsupported arch, for an executable that is not a
/// thin Mach-O (of the cache's arch, except in the merged layout), or for a kext without
/// CFBundleIdentifier; the writer's errors.
Expected<BuiltKernel> buildPrelinkedKernel(const std::vector<BuilderKext>& kexts, const BuildOptions& options);

/// Turns discovered bundles into builder input for `arch`: the bundle path is the bundle's
/// path relative to `volumeRoot`, prefixed with `pathPrefix` (e.g. "/System/Library/Extensions"
/// with volumeRoot being the folder that holds the kexts); the executable is its slice for
/// `arch`. Bundles without a readable Info.plist, or whose executable has no slice for `arch`
/// (or cannot be read), are left out and named in `skipped` (if not null).
std::vector<BuilderKext> builderKextsFromBundles(const std::vector<kext::KextBundle>& bundles, macho::Arch arch,
                                                 const std::string& volumeRoot, const std::string& pathPrefix,
                                                 std::vector<std::string>* skipped = nullptr);

}  // namespace kextkit::kernelcache
