// The prelink info dictionary of __PRELINK_INFO,__info (apple-formats.md §3.3): parsing the
// IOKit XML text and modelling each kext entry, and resolving the kexts' libraries.
//
// What untrusted input can do: only produce an Error. The text is parsed by the IOKit dialect
// parser (with its depth and size limits); every key this layer reads is type-checked and a
// wrong type is an error naming the kext index and the key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kextkit/macho/Arch.h"
#include "kextkit/plist/Value.h"
#include "kextkit/support/Error.h"

namespace kextkit::kernelcache {

/// One OSBundleLibraries entry of a kext.
struct LibraryRef {
  std::string identifier;  ///< the library's CFBundleIdentifier
  std::string version;     ///< the version asked for (raw string)
  /// Index in PrelinkInfo::kexts of the kext that satisfies it, when the cache has one.
  std::optional<size_t> resolved;
};

/// One kext entry of `_PrelinkInfoDictionary`, as the dictionary states it.
struct PrelinkEntry {
  size_t index = 0;                 ///< position in `_PrelinkInfoDictionary` (kextstat shows index + 1)
  std::string identifier;           ///< CFBundleIdentifier ("" if absent)
  std::string version;              ///< CFBundleVersion as written ("" if absent)
  std::string executableName;       ///< CFBundleExecutable ("" if absent)
  std::string bundlePath;           ///< _PrelinkBundlePath
  std::string executableRelativePath;  ///< _PrelinkExecutableRelativePath
  std::optional<uint64_t> loadAddress;    ///< _PrelinkExecutableLoadAddr
  std::optional<uint64_t> sourceAddress;  ///< _PrelinkExecutableSourceAddr
  std::optional<uint64_t> executableSize; ///< _PrelinkExecutableSize
  std::optional<uint64_t> kmodInfoAddress;///< _PrelinkKmodInfo (0 means none)
  std::optional<std::vector<uint8_t>> interfaceUuid;  ///< _PrelinkInterfaceUUID (interface kexts)
  std::optional<uint64_t> moduleIndex;    ///< ModuleIndex (merged caches)
  bool kernelResource = false;      ///< OSKernelResource is true
  bool isInterface = false;         ///< OSBundleIsInterface is true
  std::vector<LibraryRef> libraries;  ///< OSBundleLibraries (arch-specific key first), sorted by id
  /// The entry's dictionary as stored (with the `_Prelink*` keys).
  plist::Value info;

  /// True when the entry records an executable in the cache: a load address other than the
  /// codeless marker and a non-zero size (fileset and split), or a ModuleIndex (merged).
  bool hasExecutable() const;
  /// The dictionary without the `_Prelink*` keys: the kext's Info.plist as mkextunpack writes it.
  plist::Value infoPlist() const;
};

/// The parsed prelink info: the top-level dictionary and its kext entries. Each entry's
/// dictionary is moved out of the top-level array into PrelinkEntry::info (a 1 MB info holds
/// tens of MB of values; they are kept once), so `top` holds an empty `_PrelinkInfoDictionary`;
/// toValue() puts the whole dictionary back together.
struct PrelinkInfo {
  plist::Value top;                   ///< the dictionary, `_PrelinkInfoDictionary` emptied
  std::vector<PrelinkEntry> kexts;    ///< `_PrelinkInfoDictionary`, in order

  /// The whole dictionary as stored: a copy of `top` with the entries' dictionaries back in
  /// `_PrelinkInfoDictionary`, in order.
  plist::Value toValue() const;
};

/// The whole prelink dictionary from its emptied top level and the entries (see PrelinkInfo).
plist::Value assemblePrelinkInfo(const plist::Value& top, const std::vector<const plist::Value*>& entries);

/// Options of parsePrelinkInfo().
struct PrelinkInfoOptions {
  /// Arch of the kernel: selects arch-specific keys (OSBundleLibraries_x86_64, apple-formats §5.2).
  macho::cpu_type_t cputype = 0;
  /// More entries than this fail with LimitExceeded (real caches hold up to ~1,000 kexts).
  size_t maxKexts = 1u << 16;
};

/// Parses the text of `__PRELINK_INFO,__info` (IOKit XML dialect with ID/IDREF, NUL-terminated
/// or not) and models every entry. `base` is the text's absolute offset, added to parser
/// offsets. Errors: the parser's (Malformed with line and offset); Malformed when the top value
/// is not a dictionary, `_PrelinkInfoDictionary` is missing or not an array, an entry is not
/// a dictionary, or a key has the wrong type ("kext 3 (com.foo): _PrelinkExecutableSize:
/// expected an integer, found string"); LimitExceeded beyond options.maxKexts.
/// Libraries are resolved with resolveLibraries().
Expected<PrelinkInfo> parsePrelinkInfo(std::string_view text, uint64_t base = 0, const PrelinkInfoOptions& options = {});

/// Resolves every LibraryRef: the kext with that CFBundleIdentifier whose version is compatible
/// with the one asked for (OSBundleCompatibleVersion <= asked <= CFBundleVersion); when none is
/// compatible, the first kext with that identifier (the kernel linked what the cache holds).
/// Unknown identifiers stay unresolved.
void resolveLibraries(std::vector<PrelinkEntry>& kexts);

}  // namespace kextkit::kernelcache
