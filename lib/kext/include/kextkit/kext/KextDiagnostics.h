// Kext diagnostics as IOKitUser records them: five groups, each mapping Apple's message keys to
// the properties, files or identifiers they concern (IOKitUser OSKext.c, apple-formats.md §5.4).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace kextkit::kext {

/// The diagnostic groups, in the order kextkit prints them.
enum class DiagnosticGroup {
  Validation,      ///< "Validation Failures"
  Authentication,  ///< "Authentication Failures"
  Dependencies,    ///< "Dependency Resolution Failures"
  Warnings,        ///< "Warnings"
  BootLevel,       ///< "Boot Level Restrictions"
};

/// Every group, in print order.
inline constexpr std::array<DiagnosticGroup, 5> kDiagnosticGroups = {
    DiagnosticGroup::Validation, DiagnosticGroup::Authentication, DiagnosticGroup::Dependencies,
    DiagnosticGroup::Warnings, DiagnosticGroup::BootLevel};

/// Apple's title of a group ("Validation Failures", "Authentication Failures", "Dependency
/// Resolution Failures", "Warnings", "Boot Level Restrictions").
std::string_view diagnosticGroupTitle(DiagnosticGroup group);

/// Apple's diagnostic key strings, verbatim (IOKitUser OSKext.c kOSKextDiagnostic*Key and
/// kOSKextDependency*): each constant is the Apple string of the same name without the
/// kOSKextDiagnostic/kOSKextDependency prefix. They are the keys of the diagnostics
/// dictionaries kextutil prints; the comments below say which group each belongs to.
namespace diag {
// Validation and authentication.
inline constexpr std::string_view kFileNotFound = "File not found";
inline constexpr std::string_view kStatFailure = "Failed to get file info (stat failed)";
inline constexpr std::string_view kFileAccess = "File access failure; can't open, or I/O error";
inline constexpr std::string_view kNotABundle = "Failed to open CFBundle (unknown error).";
inline constexpr std::string_view kBadPropertyListXML = "Can't parse info dictionary XML";
inline constexpr std::string_view kMissingProperty = "Info dictionary missing required property/value";
inline constexpr std::string_view kBadSystemProperty = "A system kext has a property set that it shouldn't";
inline constexpr std::string_view kPropertyIsIllegalType = "Info dictionary property value is of illegal type";
inline constexpr std::string_view kPropertyIsIllegalValue = "Info dictionary property value is illegal";
inline constexpr std::string_view kIdentifierOrVersionTooLong =
    "CFBundleIdentifier and CFBundleVersion must be < 64 characters.";
inline constexpr std::string_view kExecutableMissing =
    "Kext has a CFBundleExecutable property but the executable can't be found";
inline constexpr std::string_view kCompatibleVersionLaterThanVersion =
    "Compatible version must be lower than current version.";
inline constexpr std::string_view kExecutableBad =
    "Executable file doesn't contain kernel extension code (no kmod_info symbol or bad Mach-O layout).";
inline constexpr std::string_view kOwnerPermission =
    "File owner/permissions are incorrect (must be root:wheel, nonwritable by group/other)";
// Warnings.
inline constexpr std::string_view kTypeWarning = "Info dictionary property value is of incorrect type";
inline constexpr std::string_view kKernelComponentNotInterface =
    "Kext is a kernel component but OSBundleIsInterface is set to false; overriding";
inline constexpr std::string_view kExecutableArchNotFound = "Executable does not contain code for architecture";
inline constexpr std::string_view kSymlink =
    "The booter does not recognize symbolic links; confirm these files/directories aren't needed for startup";
inline constexpr std::string_view kDeprecatedProperty = "Deprecated property (ignored)";
inline constexpr std::string_view kPersonalityHasNoBundleIdentifier =
    "Personality has no CFBundleIdentifier; the kext's identifier will be inserted when sending to the IOCatalogue";
inline constexpr std::string_view kPersonalityNamesUnknownKext =
    "Personality CFBundleIdentifier names a kext that can't be found";
inline constexpr std::string_view kPersonalityNamesKextWithNoExecutable =
    "Personality CFBundleIdentifier names a kext that doesn't declare an executable";
inline constexpr std::string_view kPersonalityHasDifferentBundleIdentifier =
    "Personality CFBundleIdentifier differs from containing kext's (not necessarily a mistake, but rarely done)";
inline constexpr std::string_view kNonuniqueIOResourcesMatch =
    "Personality matches on IOResources but IOMatchCategory is missing or not equal to its IOClass; driver may "
    "be blocked from matching or may block others";
inline constexpr std::string_view kCodelessWithLibraries =
    "Kext has no executable or compatible version, so it should not declare any OSBundleLibraries.";
inline constexpr std::string_view kNoExplicitKernelDependency =
    "Kext declares no kernel/KPI libraries; if it references any kernel symbols, it may fail to link.";
inline constexpr std::string_view kDeclaresNoKPIsWarning =
    "Kext declares no com.apple.kpi.* libraries; if it references any kernel symbols, it may fail to link.";
inline constexpr std::string_view kDeclaresBothKernelAndKPIDependencies =
    "Kexts should declare dependencies on either com.apple.kernel* or com.apple.kpi.* libraries, not both.";
inline constexpr std::string_view kBundleIdentifierMismatch =
    "Kexts with a kernel library < v6.0 must set MODULE_NAME the same as CFBundleIdentifier to load on kernel < "
    "v6.0.";
inline constexpr std::string_view kBundleVersionMismatch =
    "Kexts with a kernel library < v6.0 must set MODULE_VERSION the same as CFBundleVersion to load on kernel < "
    "v6.0.";
inline constexpr std::string_view kDependencyNotOSBundleRequired =
    "Dependency lacks appropriate value for OSBundleRequired and may not be availalble during early boot";
// Dependency resolution.
inline constexpr std::string_view kDependencyUnavailable = "No kexts found for these libraries";
inline constexpr std::string_view kDependencyNoCompatibleVersion = "Only incompatible kexts found for these libraries";
inline constexpr std::string_view kDependencyCompatibleVersionUndeclared =
    "Kexts found for these libraries lack valid OSBundleCompatibleVersion";
inline constexpr std::string_view kDependencyIndirectDependencyUnresolvable = "Indirect dependencies can't be resolved";
inline constexpr std::string_view kDependencyMultipleVersionsDetected =
    "Multiple kexts for these libraries occur in the dependency graph";
inline constexpr std::string_view kDependencyCircularReference = "Some dependencies are causing circular references";
inline constexpr std::string_view kDependencyInvalid = "Dependencies have validation problems";
inline constexpr std::string_view kDependencyInauthentic = "Dependencies have incorrect owner/permissions";
inline constexpr std::string_view kDeclaresNonKPIDependencies =
    "64-bit kexts must use com.apple.kpi.* libraries, not com.apple.kernel* libraries.";
inline constexpr std::string_view kNonAppleKextDeclaresPrivateKPIDependency =
    "Only Apple kexts may link against com.apple.kpi.private.";
inline constexpr std::string_view kRawKernelDependency =
    "Kexts may not link against com.apple.kernel; use either com.apple.kpi.* libraries (recommended), or "
    "com.apple.kernel.* (for compatiblity with older releases).";
inline constexpr std::string_view kInterfaceDependencyCount = "Interface kext must have exactly one dependency.";
// Boot level (safe boot).
inline constexpr std::string_view kIneligibleInSafeBoot = "Kext isn't loadable during safe boot.";
inline constexpr std::string_view kDependencyIneligibleInSafeBoot = "Dependencies aren't loadable during safe boot";
}  // namespace diag

/// One diagnostic: Apple's key and either a flag (IOKitUser __OSKextSetDiagnostic, printed as the
/// key alone) or a list of values (__OSKextAddDiagnostic: property paths joined with ".",
/// file paths, identifiers; "value - note" when a note is given).
struct DiagnosticEntry {
  std::string key;
  bool flag = false;
  std::vector<std::string> values;  ///< distinct, in the order added
};

/// The diagnostics of one kext, grouped. Entries keep the order of their first recording.
class Diagnostics {
 public:
  /// Adds `value` under `key` (ignored if already there), as __OSKextAddDiagnostic.
  void add(DiagnosticGroup group, std::string_view key, std::string value);
  /// Records `key` as a flag, as __OSKextSetDiagnostic.
  void set(DiagnosticGroup group, std::string_view key);
  /// Entries of a group, in recording order.
  const std::vector<DiagnosticEntry>& entries(DiagnosticGroup group) const { return groups_[index(group)]; }
  /// True if the group has no entry.
  bool empty(DiagnosticGroup group) const { return entries(group).empty(); }
  /// True if no group has an entry.
  bool empty() const;
  /// The entry for `key` in `group`, or nullptr.
  const DiagnosticEntry* find(DiagnosticGroup group, std::string_view key) const;
  /// Removes every entry of a group (Apple flushes dependency diagnostics before resolving).
  void clear(DiagnosticGroup group) { groups_[index(group)].clear(); }
  /// Appends every entry of `other` (values merged per key).
  void merge(const Diagnostics& other);

 private:
  static size_t index(DiagnosticGroup g) { return static_cast<size_t>(g); }
  DiagnosticEntry& entry(DiagnosticGroup group, std::string_view key);
  std::array<std::vector<DiagnosticEntry>, 5> groups_;
};

}  // namespace kextkit::kext
