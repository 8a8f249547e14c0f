// One kext bundle on disk: layout, Info.plist, executable headers, and the problems found
// reading them (collected per bundle, never fatal to a scan).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kextkit/macho/Arch.h"
#include "kextkit/macho/MachOFile.h"
#include "kextkit/plist/AnyPlist.h"
#include "kextkit/plist/Value.h"
#include "kextkit/support/Error.h"

namespace kextkit::kext {

/// Where a bundle keeps its Info.plist and executable.
enum class BundleLayout {
  Contents,  ///< Foo.kext/Contents/Info.plist, Foo.kext/Contents/MacOS/<exe>, Contents/PlugIns/
  Flat,      ///< Foo.kext/Info.plist, Foo.kext/<exe>, Foo.kext/PlugIns/ (System.kext's plugins)
};

/// "contents" or "flat".
std::string_view bundleLayoutName(BundleLayout layout);

/// What went wrong with one bundle. Stable names via bundleIssueKindName().
enum class BundleIssueKind {
  InfoPlistMissing,       ///< neither Contents/Info.plist nor Info.plist exists
  InfoPlistUnreadable,    ///< the file exists but cannot be read (or is too large)
  InfoPlistInvalid,       ///< no plist reader accepts it
  InfoPlistNotDict,       ///< it parses, but the top-level value is not a dictionary
  ExecutableNameInvalid,  ///< CFBundleExecutable is not a non-empty plain file name
  ExecutableMissing,      ///< CFBundleExecutable names a file that does not exist
  ExecutableUnreadable,   ///< it exists but cannot be read (a directory, permissions, size)
  ExecutableNotMachO,     ///< neither a fat file nor a thin Mach-O
  ExecutableMalformed,    ///< a fat table or a slice's Mach-O header/load commands are invalid
  PluginsUnreadable,      ///< the PlugIns directory exists but cannot be listed
};

/// "info-plist-missing", "info-plist-unreadable", "info-plist-invalid", "info-plist-not-dict",
/// "executable-name-invalid", "executable-missing", "executable-unreadable",
/// "executable-not-macho", "executable-malformed", "plugins-unreadable".
std::string_view bundleIssueKindName(BundleIssueKind kind);

/// One problem of a bundle: its kind and the error (whose `file` names the path involved).
struct BundleIssue {
  BundleIssueKind kind;
  Error error;
};

/// One architecture of a kext executable.
struct ExecutableSlice {
  macho::Arch arch;          ///< from the fat_arch entry, or the thin header
  uint64_t offset = 0;       ///< slice offset in the executable file (0 when thin)
  uint64_t size = 0;         ///< slice size
  bool parsed = false;       ///< the slice's Mach-O header and load commands validated
  uint32_t filetype = 0;     ///< MH_OBJECT, MH_KEXT_BUNDLE, ... (when parsed)
  bool is64 = false;         ///< mach_header_64 (when parsed)
  std::optional<macho::Uuid> uuid;  ///< LC_UUID (when parsed and present)
};

/// What was found at the executable path.
struct ExecutableInfo {
  std::string path;      ///< absolute or as given: <bundle>/Contents/MacOS/<name> or <bundle>/<name>
  bool exists = false;   ///< something exists at `path` (a file, or a directory: then unreadable)
  bool fat = false;      ///< the file has a fat header
  uint64_t fileSize = 0;
  std::vector<ExecutableSlice> slices;  ///< in fat-table order; one entry for thin files
};

/// Limits and switches for reading a bundle.
struct BundleLoadOptions {
  /// Info.plist files larger than this are InfoPlistUnreadable (largest real ones are ~500 KB).
  uint64_t maxInfoPlistSize = uint64_t{16} << 20;
  /// Executables larger than this are ExecutableUnreadable. They are mapped, not copied.
  uint64_t maxExecutableSize = uint64_t{1} << 30;
  /// Read the executable's headers (fat table, each slice's Mach-O header and load commands).
  bool readExecutable = true;
};

/// A kext bundle as found on disk. Loading never fails: problems are recorded as issues and
/// the accessors return what could be read.
class KextBundle {
 public:
  /// Reads the bundle at `path` (a directory). `parentIndex`/`parentPath` identify the bundle
  /// whose PlugIns folder holds it (empty for top-level kexts). Info.plist is looked for at
  /// Contents/Info.plist first, then at Info.plist (flat bundles); it is parsed with
  /// plist::parseAnyPlist (binary, IOKit XML dialect, then standard XML).
  static KextBundle load(std::string path, std::optional<size_t> parentIndex = std::nullopt,
                         std::string parentPath = {}, const BundleLoadOptions& options = {});

  /// Bundle directory path, as discovered (not canonicalised).
  const std::string& path() const { return path_; }
  /// Last path component, e.g. "Foo.kext".
  std::string name() const;
  /// True for a bundle found in another bundle's PlugIns folder.
  bool isPlugin() const { return parentIndex_.has_value(); }
  /// Index of the parent in the discovery result (plugins only).
  const std::optional<size_t>& parentIndex() const { return parentIndex_; }
  /// Path of the parent bundle (plugins only; empty otherwise).
  const std::string& parentPath() const { return parentPath_; }

  BundleLayout layout() const { return layout_; }
  /// Path of the Info.plist that was read, or the expected Contents/Info.plist when missing.
  const std::string& infoPlistPath() const { return infoPlistPath_; }
  /// True if both Contents/Info.plist and a root Info.plist exist (Contents wins).
  bool hasBothLayouts() const { return bothLayouts_; }
  /// The Info.plist dictionary, or nullptr if it could not be read as a dictionary.
  const plist::Value* info() const { return info_ ? &*info_ : nullptr; }
  /// Which reader accepted Info.plist (nullopt if none did).
  const std::optional<plist::PlistFlavor>& plistFlavor() const { return flavor_; }

  /// The string value of a top-level Info.plist key; nullptr if absent or not a string.
  const std::string* infoString(std::string_view key) const;
  /// CFBundleIdentifier, if present as a string.
  const std::string* bundleIdentifier() const { return infoString("CFBundleIdentifier"); }
  /// CFBundleVersion, if present as a string.
  const std::string* bundleVersion() const { return infoString("CFBundleVersion"); }
  /// CFBundleExecutable, if present as a string.
  const std::string* executableName() const { return infoString("CFBundleExecutable"); }
  /// True if Info.plist has a CFBundleExecutable key (of any type): the kext "declares an
  /// executable" in Apple's terms; false for codeless kexts.
  bool declaresExecutable() const;
  /// The executable's path and headers, when the kext declares a valid executable name.
  const std::optional<ExecutableInfo>& executable() const { return executable_; }

  /// Every problem found, in the order found.
  const std::vector<BundleIssue>& issues() const { return issues_; }
  /// True if an issue of this kind was recorded.
  bool hasIssue(BundleIssueKind kind) const;

  /// Records a problem found outside load() (discovery uses it for unreadable PlugIns folders).
  void addIssue(BundleIssueKind kind, Error error);

  /// Arch-aware Info.plist lookup (apple-formats §5.2): for keys starting with "OS" or "IO",
  /// `Key_<generic arch>` is tried first (e.g. OSBundleLibraries_x86_64), then `Key`.
  const plist::Value* infoValue(std::string_view key, macho::cpu_type_t cputype) const;

 private:
  KextBundle() = default;
  void readInfoPlist(const BundleLoadOptions& options);
  void readExecutable(const BundleLoadOptions& options);

  std::string path_;
  std::optional<size_t> parentIndex_;
  std::string parentPath_;
  BundleLayout layout_ = BundleLayout::Contents;
  std::string infoPlistPath_;
  bool bothLayouts_ = false;
  std::optional<plist::Value> info_;
  std::optional<plist::PlistFlavor> flavor_;
  std::optional<ExecutableInfo> executable_;
  std::vector<BundleIssue> issues_;
};

/// The arch-aware lookup on a bare dictionary: for keys starting with "OS" or "IO", tries
/// `key + "_" + genericArchName(cputype)` first, then `key`. Other keys (and cputypes
/// without a generic name) are looked up as is. nullptr if absent.
const plist::Value* lookupArchKey(const plist::Dict& dict, std::string_view key, macho::cpu_type_t cputype);

}  // namespace kextkit::kext
