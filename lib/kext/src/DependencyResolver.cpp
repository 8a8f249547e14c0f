// Dependency resolution with IOKitUser's rules and diagnostics.
#include "kextkit/kext/DependencyResolver.h"

#include <algorithm>

namespace kextkit::kext {

namespace {

constexpr DiagnosticGroup kDeps = DiagnosticGroup::Dependencies;
constexpr DiagnosticGroup kWarnings = DiagnosticGroup::Warnings;

// IOKitUser's identifier constants.
constexpr std::string_view kKernelLibBundleID = "com.apple.kernel";     // __kOSKextKernelLibBundleID
constexpr std::string_view kKernelLibPrefix = "com.apple.kernel.";      // __kOSKextKernelLibPrefix
constexpr std::string_view kKPIPrefix = "com.apple.kpi.";               // __kOSKextKPIPrefix
constexpr std::string_view kPrivateKPI = "com.apple.kpi.private";       // __kOSKextPrivateKPI
constexpr std::string_view kApplePrefix = "com.apple.";                 // __kOSKextApplePrefix
constexpr std::string_view kCompatibilityBundleID = "com.apple.kernel.6.0";  // __kOSKextCompatibilityBundleID

bool hasPrefix(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

const std::vector<size_t>& DependencyResolver::dependencies(size_t kext) const {
  static const std::vector<size_t> none;
  auto it = dependencies_.find(kext);
  return it == dependencies_.end() ? none : it->second;
}

bool DependencyResolver::hasAllDependencies(size_t kext) const {
  return catalog_.facts(kext).isKernelComponent || hasAll_.count(kext) != 0;
}

const Diagnostics& DependencyResolver::diagnostics(size_t kext) const {
  static const Diagnostics none;
  auto it = diagnostics_.find(kext);
  return it == diagnostics_.end() ? none : it->second;
}

bool DependencyResolver::resolveOne(size_t a, size_t root, std::set<size_t>& resolvedSet,
                                    std::vector<size_t>& loopStack) {
  const KextRecord& rec = catalog_.record(a);
  if (!catalog_.isValid(a)) {
    log(rec.path + " is invalid; can't resolve dependencies.");
    return false;
  }
  if (resolvedSet.count(a)) return true;
  if (auto at = std::find(loopStack.begin(), loopStack.end(), a); at != loopStack.end()) {
    // Apple names only the kext met twice; kextkit names the whole cycle.
    std::string cycle;
    for (auto it = at; it != loopStack.end(); ++it) cycle += catalog_.facts(*it).identifier + " -> ";
    cycle += rec.facts.identifier;
    diag(root).add(kDeps, diag::kDependencyCircularReference, cycle);
    diag(a).add(kDeps, diag::kDependencyCircularReference, cycle);
    return false;
  }
  loopStack.push_back(a);
  diag(a).clear(kDeps);  // OSKextFlushDependencies

  const KextFacts& f = rec.facts;
  std::vector<size_t> deps;
  bool result = false;
  bool error = false;
  bool raw = false, kernel = false, kpi = false, privateKPI = false;
  const bool lp64 = (catalog_.arch().cputype & macho::CPU_ARCH_ABI64) != 0;

  if (f.isKernelComponent) {  // no dependencies but the kernel itself
    dependencies_[a] = {};
    result = true;
    goto finish;
  }

  for (const LibraryRequest& lib : f.libraries) {
    std::optional<size_t> dep = catalog_.findCompatible(lib.identifier, lib.version);
    if (lib.identifier == kKernelLibBundleID) {
      raw = true;
    } else if (hasPrefix(lib.identifier, kKernelLibPrefix)) {
      kernel = true;
    } else if (hasPrefix(lib.identifier, kKPIPrefix)) {
      kpi = true;
      if (lib.identifier == kPrivateKPI) privateKPI = true;
    }
    if (dep) {
      deps.push_back(*dep);
      continue;
    }
    if (std::optional<size_t> any = catalog_.find(lib.identifier)) {
      if (catalog_.facts(*any).compatibleVersion > 0) {
        log(rec.path + " - no compatible dependency found for " + lib.identifier + ".");
        diag(a).add(kDeps, diag::kDependencyNoCompatibleVersion, lib.identifier);
      } else {
        log(rec.path + " - dependency for " + lib.identifier + " lacks valid OSBundleCompatibleVersion.");
        diag(a).add(kDeps, diag::kDependencyCompatibleVersionUndeclared, lib.identifier);
      }
    } else {
      log(rec.path + " - no dependency found for " + lib.identifier + ".");
      diag(a).add(kDeps, diag::kDependencyUnavailable, lib.identifier);
    }
    error = true;
  }

  if (raw) {
    diag(a).set(kDeps, diag::kRawKernelDependency);
    error = true;
  }
  if (f.isInterface && deps.size() != 1) {
    log(rec.path + " - Interface kext must have exactly one dependency.");
    diag(a).set(kDeps, diag::kInterfaceDependencyCount);
    error = true;
  }
  dependencies_[a] = deps;

  for (size_t dep : deps) {
    if (!resolveOne(dep, root, resolvedSet, loopStack)) {
      for (size_t k : loopStack)
        diag(k).add(kDeps, diag::kDependencyIndirectDependencyUnresolvable, catalog_.facts(dep).identifier);
      error = true;
    }
  }

  if (lp64) {
    // 64-bit kexts must declare KPI libraries; nothing is linked implicitly.
    if (f.declaresExecutable && rec.supportsArch) {
      if (kernel) {
        diag(a).set(kDeps, diag::kDeclaresNonKPIDependencies);
        goto finish;
      }
      if (!kpi) diag(a).set(kWarnings, diag::kDeclaresNoKPIsWarning);
    }
  } else {
    // 32-bit: a kext with an executable and no kernel/KPI library links against kernel 6.0.
    if (f.declaresExecutable && !kernel && !kpi) {
      log(rec.path + " does not declare a kernel dependency; using " + std::string(kCompatibilityBundleID) + ".");
      std::optional<size_t> kernel6 = catalog_.find(kCompatibilityBundleID);
      if (!kernel6) {
        log(rec.path + " - no dependency found for " + std::string(kCompatibilityBundleID) + ".");
        goto finish;
      }
      dependencies_[a].push_back(*kernel6);
      diag(a).set(kWarnings, diag::kNoExplicitKernelDependency);
    }
    if (kpi && kernel) diag(a).set(kWarnings, diag::kDeclaresBothKernelAndKPIDependencies);
  }

  // Only Apple kexts (com.apple. identifier and an Apple copyright string) may use the private KPI.
  if (privateKPI) {
    const bool apple = hasPrefix(f.identifier, kApplePrefix);
    const bool copyright = isValidAppleCopyright(f.getInfoString) || isValidAppleCopyright(f.humanReadableCopyright);
    if (!apple || !copyright) {
      log(rec.path + " has an Apple prefix but no copyright.");
      diag(a).set(kDeps, diag::kNonAppleKextDeclaresPrivateKPIDependency);
      goto finish;
    }
  }

  result = !error;

finish:
  if (result) hasAll_.insert(a);
  resolvedSet.insert(a);
  loopStack.pop_back();
  return result;
}

bool DependencyResolver::resolve(size_t kext) {
  if (hasAllDependencies(kext) && dependencies_.count(kext)) return true;
  std::set<size_t> resolvedSet;
  std::vector<size_t> loopStack;
  bool result = resolveOne(kext, kext, resolvedSet, loopStack);
  if (!result) return false;

  // The kext resolved: check what its load list means for early boot, and for duplicates.
  std::vector<size_t> list;
  appendLoadList(kext, 0, 0, list);
  const std::optional<std::string>& required = catalog_.facts(kext).osBundleRequired;
  const bool rootOrConsole = required && (*required == "Root" || *required == "Console");
  const bool local = required && *required == "Local-Root";
  const bool network = required && *required == "Network-Root";
  for (size_t i = 0; i < list.size(); ++i) {
    const KextFacts& f = catalog_.facts(list[i]);
    const std::optional<std::string>& r = f.osBundleRequired;
    const std::string note = f.identifier + " - " + (r ? *r : std::string("OSBundleRequired not set"));
    bool lacks = false;
    if (rootOrConsole) lacks = lacks || !r || *r == "Safe Boot";
    if (local) lacks = lacks || !r || !(*r == "Root" || *r == "Local-Root" || *r == "Console");
    if (network) lacks = lacks || !r || !(*r == "Root" || *r == "Network-Root" || *r == "Console");
    if (lacks) diag(kext).add(kWarnings, diag::kDependencyNotOSBundleRequired, note);
    for (size_t j = i + 1; j < list.size(); ++j) {
      if (catalog_.facts(list[j]).identifier == f.identifier) {
        diag(kext).add(kDeps, diag::kDependencyMultipleVersionsDetected, f.identifier);
        result = false;
      }
    }
  }
  return result;
}

bool DependencyResolver::appendLoadList(size_t kext, size_t depth, size_t minDepth, std::vector<size_t>& out) const {
  if (!catalog_.facts(kext).isKernelComponent) {
    auto it = dependencies_.find(kext);
    if (it == dependencies_.end() || !hasAll_.count(kext)) return false;
    for (size_t dep : it->second)
      if (!appendLoadList(dep, depth + 1, minDepth, out)) return false;
  }
  if (depth >= minDepth && std::find(out.begin(), out.end(), kext) == out.end()) out.push_back(kext);
  return true;
}

std::vector<size_t> DependencyResolver::loadList(size_t kext) {
  std::vector<size_t> out;
  if (!resolve(kext)) return out;
  if (!appendLoadList(kext, 0, 0, out)) out.clear();
  return out;
}

bool DependencyResolver::validateDependencies(size_t kext) {
  if (!resolve(kext)) return false;
  std::vector<size_t> all;
  if (!appendLoadList(kext, 0, 1, all)) return false;
  bool result = true;
  for (size_t k : all) {
    if (!catalog_.isValid(k)) {
      diag(kext).add(kDeps, diag::kDependencyInvalid, catalog_.facts(k).identifier);
      result = false;
    }
  }
  return result;
}

bool DependencyResolver::authenticateDependencies(size_t kext) {
  if (!resolve(kext)) return false;
  std::vector<size_t> all;
  if (!appendLoadList(kext, 0, 1, all)) return false;
  bool result = true;
  for (size_t k : all) {
    if (!catalog_.isAuthentic(k)) {
      diag(kext).add(kDeps, diag::kDependencyInauthentic, catalog_.facts(k).identifier);
      result = false;
    }
  }
  return result;
}

}  // namespace kextkit::kext
