// Kext validation as IOKitUser does it (__OSKextProcessInfoDictionary, __OSKextValidate,
// __OSKextCheckProperty, __OSKextValidateExecutable; apple-formats.md §5.4): every Info.plist
// rule with Apple's diagnostic keys and grouping, and the executable checks.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/kext/KextBundle.h"
#include "kextkit/kext/KextDiagnostics.h"
#include "kextkit/kext/KextVersion.h"
#include "kextkit/macho/Arch.h"
#include "kextkit/plist/Value.h"

namespace kextkit::kext {

/// One OSBundleLibraries entry.
struct LibraryRequest {
  std::string identifier;      ///< the key
  std::string versionString;   ///< the value if it is a string, else ""
  OSKextVersion version = kVersionInvalid;  ///< parsed versionString (kVersionInvalid if it does not parse)
};

/// What IOKitUser derives from an Info.plist (the OSKext object's flags and fields).
struct KextFacts {
  /// CFBundleIdentifier; "__unknown__" (Apple's placeholder) when it is missing or not a
  /// non-empty string.
  std::string identifier = "__unknown__";
  bool hasIdentifier = false;                ///< CFBundleIdentifier is a non-empty string
  OSKextVersion version = kVersionInvalid;   ///< CFBundleVersion parsed; kVersionInvalid if absent or bad
  OSKextVersion compatibleVersion = 0;       ///< OSBundleCompatibleVersion; 0 absent, kVersionInvalid bad
  std::string versionString;                 ///< CFBundleVersion as written (when a string)
  std::string compatibleVersionString;       ///< OSBundleCompatibleVersion as written (when a string)
  bool isInterface = false;          ///< OSBundleIsInterface, or implied by OSKernelResource
  bool isKernelComponent = false;    ///< OSKernelResource is true (System.kext's plugins)
  bool declaresExecutable = false;   ///< CFBundleExecutable is a non-empty string
  std::string executableName;        ///< CFBundleExecutable (when a string)
  bool loadableInSafeBoot = false;   ///< OSBundleRequired is a non-empty string (any value; Apple's rule)
  std::optional<std::string> osBundleRequired;  ///< OSBundleRequired when a string
  bool loggingEnabled = false;       ///< OSBundleEnableKextLogging is true
  bool hasIOKitDebug = false;        ///< a personality has a non-zero IOKitDebug
  /// OSBundleLibraries (the arch-specific variant when present), in document order. Present
  /// only when OSBundleLibraries is a dictionary.
  std::vector<LibraryRequest> libraries;
  /// A com.apple.kernel* or com.apple.kpi.* library is requested at a version < 6.0 (or an
  /// unparsable one): kmod_info's name and version must then match the plist (warnings).
  bool warnForMismatchedKmodInfo = false;
  std::string getInfoString;           ///< CFBundleGetInfoString (for the private-KPI copyright rule)
  std::string humanReadableCopyright;  ///< NSHumanReadableCopyright

  /// A library is a kext with a valid OSBundleCompatibleVersion.
  bool isLibrary() const { return compatibleVersion > 0; }
};

/// Settings of a validation run.
struct ValidationOptions {
  /// Version grammar (the 10.14+ one by default).
  VersionEra era = VersionEra::Modern;
  /// The architecture validated (OSKextGetArchitecture): selects `Key_<arch>` Info.plist keys
  /// and the executable slice. x86_64 unless the caller says otherwise.
  macho::Arch arch = macho::Arch{macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_X86_64_ALL};
  /// Simulated safe boot (kextutil -x): a kext without OSBundleRequired gets a Boot Level
  /// Restrictions diagnostic.
  bool safeBoot = false;
  /// Looks a kext up by identifier for the personality CFBundleIdentifier warnings ("names a
  /// kext that can't be found", "... doesn't declare an executable"). When unset, only a
  /// personality naming the kext itself is looked up.
  std::function<const KextFacts*(std::string_view identifier)> findKext;
};

/// The outcome of validating one kext.
struct ValidationResult {
  /// Info.plist was read as a dictionary in Apple's XML dialect; when false nothing else was
  /// checked (Apple cannot create a kext object without one).
  bool hasInfoDictionary = false;
  /// No rule that makes a kext invalid failed (warnings and some Apple "diagnostic only" rules,
  /// such as a non-KEXT CFBundlePackageType, do not count).
  bool valid = false;
  KextFacts facts;
  Diagnostics diagnostics;
  /// What Apple's library logs as errors along the way, e.g. "Can't read info dictionary for
  /// <path>: <reason>." (kextutil prints these before the diagnostics).
  std::vector<std::string> messages;
};

/// __OSKextProcessInfoDictionary + __OSKextValidate on a parsed Info.plist, without the
/// executable checks. `info` need not be a dictionary (then: Can't parse info dictionary XML).
/// Never fails: every problem becomes a diagnostic.
ValidationResult validateInfoDictionary(const plist::Value& info, const ValidationOptions& options = {});

/// Full validation of a bundle on disk: Info.plist location and dialect (it must parse with
/// the IOKit XML parser, as IOKitUser's IOCFUnserialize requires; binary and standard-only XML
/// plists are diagnosed), every Info.plist rule, then the executable: it exists, is a Mach-O
/// (thin or fat), and for `options.arch` (a missing arch is only a warning) defines
/// `_kmod_info` in a section; for old-KPI kexts its kmod_info name and version must match
/// CFBundleIdentifier and CFBundleVersion (warnings). Codeless and interface kexts skip the
/// executable checks, as in Apple's code.
ValidationResult validateKext(const KextBundle& bundle, const ValidationOptions& options = {});

/// The executable checks alone, on executable bytes (a file or a prelinked copy): the
/// diagnostics and messages go into `result`, whose `valid` is cleared on failure.
/// `displayPath` names the executable in messages.
void validateExecutable(io::Bytes executable, const std::string& displayPath, const ValidationOptions& options,
                        ValidationResult& result);

/// kxld's copyright rule for com.apple.kpi.private users: the string contains "Copyright © ",
/// then only years (YYYY) and year ranges (YYYY-YYYY) separated by commas and spaces, then
/// " Apple Inc. All rights reserved.".
bool isValidAppleCopyright(std::string_view text);

}  // namespace kextkit::kext
