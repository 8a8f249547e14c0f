// Kext version strings (CFBundleVersion, OSBundleCompatibleVersion): parse, print, compare and
// the compatibility test, in both of Apple's grammars (apple-formats.md §5.3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kextkit::kext {

/// Apple's OSKextVersion: a packed integer. -1 (kVersionInvalid) means "does not parse",
/// 0 means "missing"; any valid version is > 0. Versions of one era compare as integers.
using OSKextVersion = int64_t;

/// The value of an unparsable version string.
constexpr OSKextVersion kVersionInvalid = -1;

/// Longest string OSKextParseVersionCFString accepts, NUL included (kOSKextVersionMaxLength):
/// strings of 20 characters or more are invalid.
constexpr size_t kVersionMaxLength = 20;

/// Which version grammar to apply. The grammar widened in macOS 10.14.
enum class VersionEra {
  /// xnu <= 4570 (10.13) and IOKitUser 755: MAJOR 1-4 digits, MINOR and REVISION 1-2 digits;
  /// value = maj*1e8 + min*1e6 + rev*1e4 + stage*1e3 + level.
  Classic,
  /// xnu >= 4903 (10.14+): MAJOR, MINOR and REVISION 1-4 digits each;
  /// value = maj*1e12 + min*1e8 + rev*1e4 + stage*1e3 + level.
  Modern,
};

/// Release stage, with Apple's numeric values (the thousands digit of an OSKextVersion).
enum class VersionStage : int {
  Invalid = 0,
  Development = 1,  ///< "d"
  Alpha = 3,        ///< "a"
  Beta = 5,         ///< "b"
  Candidate = 7,    ///< "f" or "fc"
  Release = 9,      ///< no stage letter
};

/// The fields of a version.
struct VersionParts {
  int64_t major = 0;
  int64_t minor = 0;
  int64_t revision = 0;
  VersionStage stage = VersionStage::Release;
  int64_t stageLevel = 0;  ///< 0-255; 0 for releases
};

/// OSKextParseVersionString: `MAJOR[.MINOR[.REV]][STAGE LEVEL]`, stopping at the first space,
/// tab, CR, LF or NUL (so trailing text after whitespace is ignored). Stage letters d, a, b,
/// f or fc must be followed by 1-3 digits with level <= 255; a candidate of level 0 is invalid.
/// Quirks kept: "1..2" is 1.0.2; a '.' right after a field holding its maximum number of
/// digits is skipped ("1.2.33." is valid in the classic era); a 4th component never parses.
/// No length limit (the kernel's C-string parser). Returns kVersionInvalid on failure.
OSKextVersion parseVersionCString(std::string_view text, VersionEra era);

/// OSKextParseVersionCFString, what user space applies to Info.plist strings: the whole string
/// must be ASCII and shorter than kVersionMaxLength (20) characters, else kVersionInvalid;
/// then parseVersionCString().
OSKextVersion parseVersion(std::string_view text, VersionEra era);

/// OSKextVersionGetString: "M.m", then ".r" only if r != 0, then the stage letter ("d", "a",
/// "b", "f") and level for non-releases. 0 prints "(missing)"; negative values and values
/// whose fields are out of range (major > 9999, unknown stage, level > 255) print "(invalid)".
std::string versionToString(OSKextVersion version, VersionEra era);

/// Splits a version into its fields; false for values <= 0 or with out-of-range fields (the
/// cases versionToString() prints as "(invalid)" or "(missing)").
bool decomposeVersion(OSKextVersion version, VersionEra era, VersionParts& out);

/// Packs fields into an OSKextVersion (no range checks beyond the era's digit widths:
/// returns kVersionInvalid if a field does not fit).
OSKextVersion composeVersion(const VersionParts& parts, VersionEra era);

/// <0, 0, >0 like strcmp. Versions of one era order as their integers (invalid < missing < any).
inline int compareVersions(OSKextVersion a, OSKextVersion b) { return a < b ? -1 : (a > b ? 1 : 0); }

/// Apple's compatibility test for a library: it satisfies a dependency on `requested` iff
/// compatibleVersion > 0 && compatibleVersion <= requested <= version.
bool isCompatibleVersion(OSKextVersion version, OSKextVersion compatibleVersion, OSKextVersion requested);

}  // namespace kextkit::kext
