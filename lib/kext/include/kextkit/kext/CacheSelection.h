// Which kexts go into an mkext or prelinked kernel (kext_tools filterKextsForCache,
// apple-formats.md §6.1).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kextkit/kext/KextBundle.h"
#include "kextkit/macho/Arch.h"

namespace kextkit::kext {

/// A discovered kext and how it was named on the command line.
struct CacheCandidate {
  KextBundle bundle;
  bool named = false;  ///< true for a `.kext` argument (and its plugins); false for repository kexts
};

/// OSBundleRequired filter flags (-l -n -s, or -L -N -S for all kexts).
struct RequiredFilter {
  bool localRoot = false;
  bool networkRoot = false;
  bool safeBoot = false;
  bool any() const { return localRoot || networkRoot || safeBoot; }
};

/// Selection settings.
struct SelectionOptions {
  std::vector<std::string> bundleIds;  ///< -b: when non-empty, only these identifiers
  RequiredFilter repositoryFilter;     ///< applied to repository kexts
  RequiredFilter allFilter;            ///< applied to every kext
  bool authenticate = true;            ///< false with -z
};

/// Why a kext was left out.
struct Omission {
  size_t candidate;                  ///< index into the candidates
  std::string reason;                ///< "is not valid", "is not authentic", "is older than ...", ...
  std::vector<std::string> details;  ///< diagnostics (for -t)
};

/// The outcome of selection before arch filtering.
struct Selection {
  std::vector<size_t> included;  ///< candidate indices, in candidate order
  std::vector<Omission> omitted;
  std::vector<std::string> missingIds;  ///< -b identifiers that matched no kext (only logged)
};

/// Applies, in Apple's order: the -b filter, the OSBundleRequired filters (when any is set,
/// Root and Console are accepted too), newest version per identifier (the first found wins a
/// tie), validity (Info.plist readable as a dict, non-empty CFBundleIdentifier, parsable
/// CFBundleVersion, no bundle issues) and, unless disabled, authentication (§5.5).
Selection selectForCache(const std::vector<CacheCandidate>& candidates, const SelectionOptions& opts);

/// True if a kext can go into a slice of `arch`: codeless kexts fit every arch; a kext with an
/// executable needs a matching slice (macho::archMatches).
bool supportsArch(const KextBundle& bundle, macho::Arch arch);

}  // namespace kextkit::kext
