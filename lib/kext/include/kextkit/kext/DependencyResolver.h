// OSBundleLibraries resolution as IOKitUser does it (__OSKextResolveDependencies,
// OSKextResolveDependencies, OSKextValidateDependencies, OSKextAuthenticateDependencies;
// apple-formats.md §5.4), over a KextCatalog.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "kextkit/kext/KextCatalog.h"
#include "kextkit/kext/KextDiagnostics.h"

namespace kextkit::kext {

/// Resolves dependencies of catalog kexts. One resolver per catalog; results (direct
/// dependencies of kexts whose whole graph resolved) are cached across calls, as IOKitUser
/// caches them in its kext objects. Diagnostics are kept per kext.
class DependencyResolver {
 public:
  explicit DependencyResolver(KextCatalog& catalog) : catalog_(catalog) {}

  /// OSKextResolveDependencies(kext). For the kext and, recursively, every library it needs:
  ///  - the kext must be valid (else it cannot be resolved);
  ///  - each OSBundleLibraries entry is satisfied by the catalog's first compatible kext with
  ///    that identifier (newest compatible wins); otherwise "No kexts found", "Only
  ///    incompatible kexts found" or "... lack valid OSBundleCompatibleVersion";
  ///  - a raw com.apple.kernel dependency is an error; an interface kext needs exactly one
  ///    dependency; a kernel component has none;
  ///  - on LP64 a kext with an executable for the arch may not use com.apple.kernel.* (and is
  ///    warned when it uses no com.apple.kpi.*); on 32-bit one with no kernel/KPI library is
  ///    linked against com.apple.kernel.6.0 with a warning;
  ///  - com.apple.kpi.private needs a com.apple. identifier and an Apple copyright string;
  ///  - a kext met again while resolving itself is a circular reference (reported with the
  ///    cycle's members); a failing library fails every kext above it ("Indirect dependencies
  ///    can't be resolved").
  /// When the graph resolves, the kext's OSBundleRequired is checked against its dependencies'
  /// (warnings) and two kexts with one identifier in the graph is an error.
  bool resolve(size_t kext);

  /// OSKextValidateDependencies: resolves, then every kext in the graph below `kext` must be
  /// valid ("Dependencies have validation problems").
  bool validateDependencies(size_t kext);
  /// OSKextAuthenticateDependencies: resolves, then every kext in the graph below `kext` must
  /// be authentic ("Dependencies have incorrect owner/permissions").
  bool authenticateDependencies(size_t kext);

  /// The direct dependencies found for a kext (empty before resolution), in OSBundleLibraries order.
  const std::vector<size_t>& dependencies(size_t kext) const;
  /// True once the kext's whole graph has resolved (it stays resolved).
  bool hasAllDependencies(size_t kext) const;
  /// OSKextCopyLoadList: the graph in load order (dependencies first, post-order, the kext last),
  /// each kext once. Empty if the graph does not resolve.
  std::vector<size_t> loadList(size_t kext);

  /// Diagnostics recorded for a kext by resolution (Dependency Resolution Failures and Warnings).
  const Diagnostics& diagnostics(size_t kext) const;
  /// What IOKitUser logs while resolving, in order (e.g. "<path> - no dependency found for <id>.").
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  bool resolveOne(size_t kext, size_t root, std::set<size_t>& resolvedSet, std::vector<size_t>& loopStack);
  bool appendLoadList(size_t kext, size_t depth, size_t minDepth, std::vector<size_t>& out) const;
  Diagnostics& diag(size_t kext) { return diagnostics_[kext]; }
  void log(std::string message) { messages_.push_back(std::move(message)); }

  KextCatalog& catalog_;
  std::map<size_t, std::vector<size_t>> dependencies_;
  std::set<size_t> hasAll_;
  std::map<size_t, Diagnostics> diagnostics_;
  std::vector<std::string> messages_;
};

}  // namespace kextkit::kext
