// Which library kexts export the symbols a kext leaves undefined (IOKitUser
// OSKextFindLinkDependencies, __OSKextReadSymbolReferences, __OSKextFindSymbols; kextlibs,
// apple-formats.md §6.5).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "kextkit/kext/KextCatalog.h"

namespace kextkit::kext {

/// Which libraries are searched (kextlibs -non-kpi, -unsupported).
struct LinkSearchOptions {
  /// Search com.apple.kernel.* instead of com.apple.kpi.* (kextlibs -non-kpi).
  bool nonKPI = false;
  /// Also search com.apple.kernel.unsupported, com.apple.kpi.unsupported, com.apple.kpi.private
  /// and com.apple.kpi.dsep (kextlibs -unsupported).
  bool allowUnsupported = false;
};

/// The result of the search for one kext on the catalog's arch.
struct LinkDependencies {
  /// Libraries that define at least one of the kext's undefined symbols, sorted by identifier.
  std::vector<size_t> libraries;
  /// Symbols no searched library defines.
  std::set<std::string> undefined;
  /// Symbols defined by exactly one library: symbol -> library.
  std::map<std::string, size_t> onedef;
  /// Symbols defined by several libraries: symbol -> libraries, in search order.
  std::map<std::string, std::vector<size_t>> multdef;
  /// Libraries involved in a multiple definition, sorted by identifier.
  std::vector<size_t> multdefLibraries;
};

/// True if `kext` is searched for symbols: a library (valid OSBundleCompatibleVersion) that
/// declares an executable, not one of the unsupported/private KPIs unless allowed, and not a
/// com.apple.kernel.* (default) or com.apple.kpi.* (nonKPI) kext.
bool isSearchableForSymbols(const KextFacts& facts, const LinkSearchOptions& options);

/// The symbols `kext` references: every non-stab, named N_UNDF symbol of its executable's slice
/// for the catalog's arch (none for kernel components and codeless kexts). Errors: the
/// executable cannot be read, has no slice for the arch (NotFound), or its Mach-O or symbol
/// table is malformed.
Expected<std::set<std::string>> readSymbolReferences(KextCatalog& catalog, size_t kext);

/// The symbols a library exports for the catalog's arch, as IOKitUser counts them: for a kernel
/// component (System.kext's pseudo-kexts, which list the kernel's symbols they re-export) its
/// N_UNDF and N_INDR entries; for any other library its N_SECT symbols. Named, non-stab
/// entries only.
Expected<std::set<std::string>> readExportedSymbols(KextCatalog& catalog, size_t library);

/// OSKextFindLinkDependencies: reads the kext's undefined symbols, then walks every searchable
/// catalog kext but `kext` itself, in catalog order, moving symbols from undefined to
/// found-once to found-several. A library whose executable cannot be read for the arch is
/// skipped, as in Apple's code. Fails only if the kext's own symbols cannot be read.
Expected<LinkDependencies> findLinkDependencies(KextCatalog& catalog, size_t kext, const LinkSearchOptions& options = {});

}  // namespace kextkit::kext
