// kextutil: validate, authenticate and resolve the dependencies of kexts, as Apple's
// kextutil -n -t does (kext_tools kextutil_main.c, apple-formats.md §6.4). Never loads.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sys/stat.h>

#include "AppleArgs.h"
#include "KextInputs.h"
#include "DiagnosticsText.h"
#include "JsonWriter.h"
#include "Report.h"
#include "kextkit/kext/DependencyResolver.h"
#include "kextkit/kext/KextCatalog.h"
#include "kextkit/kext/KextDiscovery.h"
#include "kextkit/kext/KextValidation.h"

using namespace kextkit;
namespace fs = std::filesystem;
namespace tools = kextkit::tools;
using tools::kextutil::fixCommands;
using tools::kextutil::formatDiagnostics;

namespace {

/// kextutil exit codes (kext_tools kextutil_main.h).
enum Exit : int {
  kExitOK = 0,
  kExitNotFound = 1,
  kExitArchNotFound = 2,
  kExitUserAbort = 3,
  kExitKextBad = 4,
  kExitSafeBoot = 5,
  kExitLoadFailed = 6,
  kExitInteractionRequired = 7,
};

/// EX_OSFILE: kextutil's status when the -kernel file cannot be read.
constexpr int kExOsFile = 72;

/// Apple's default repositories, scanned unless -e (when they exist: on Linux they usually don't).
const char* const kSystemExtensionsFolders[] = {"/System/Library/Extensions", "/Library/Extensions"};

struct Options {
  std::vector<std::string> kexts;         ///< kext arguments
  std::vector<std::string> repositories;  ///< -r
  std::vector<std::string> dependencies;  ///< -d
  std::vector<std::string> bundleIds;     ///< -b
  std::string kernelCache;                ///< -k
  std::string arch;                       ///< -arch
  std::string era = "modern";             ///< -version-era
  bool noLoad = false;                    ///< -n (implied)
  bool printDiagnostics = false;          ///< -t
  bool noSystemExtensions = false;        ///< -e
  bool noAuthentication = false;          ///< -z
  bool noResolveDependencies = false;     ///< -Z
  bool safeBoot = false;                  ///< -x
  bool strictPermissions = false;         ///< -strict-permissions
  bool fixPermissions = false;            ///< -fix-permissions
  bool quiet = false;                     ///< -q
  bool verbose = false;                   ///< -v
  bool json = false;                      ///< --json
  bool noCaches = false, obsoleteD = false;  ///< -c, -D: accepted, no effect
  // Loading and symbol generation, which kextkit does not do.
  bool loadOnly = false, matchOnly = false, interactive = false, interactiveAll = false, useLoadAddresses = false;
  std::string symbols, personality;
  std::vector<std::string> addresses;
};


/// What kextutil learned about one kext, printed as text or JSON.
struct KextReport {
  std::string path;
  std::optional<size_t> index;  ///< catalog index (absent: the bundle is not a kext Apple could open)
  bool valid = false;
  std::optional<bool> authentic;
  std::optional<bool> resolved;
  bool loadable = false;
  kext::Diagnostics diagnostics;
  std::vector<std::string> messages;  ///< library log lines (errors)
  std::vector<std::string> notices;   ///< warnings
  std::vector<std::string> fixes;     ///< chown/chmod commands
  std::vector<std::string> fixed;     ///< what -fix-permissions did
  std::vector<size_t> loadList;
  int exit = kExitOK;
};

class Kextutil {
 public:
  explicit Kextutil(const Options& o) : o_(o), catalog_(kext::KextCatalog(macho::Arch{})) {}

  int run();

 private:
  void addTree(const std::string& path, kext::KextOrigin origin);
  void test(KextReport& r);
  void addAuthDiagnostics(KextReport& r, const std::vector<kext::AuthIssue>& issues);
  void print(const KextReport& r);
  void printJson(const std::vector<KextReport>& reports, int exit);

  const Options& o_;
  macho::Arch arch_;
  kext::VersionEra era_ = kext::VersionEra::Modern;
  kext::ValidationOptions vopts_;
  kext::AuthOptions aopts_;
  bool skipAuthentication_ = false;
  kext::KextCatalog catalog_;
  std::unique_ptr<kext::DependencyResolver> resolver_;
  std::set<std::string> seenPaths_;
  std::map<std::string, size_t> byPath_;  ///< normalized bundle path -> catalog index
  std::map<std::string, kext::ValidationResult> unopenable_;  ///< named kexts IOKitUser could not open, and why
};

void Kextutil::addTree(const std::string& pathIn, kext::KextOrigin origin) {
  const std::string path = tools::stripTrailingSlashes(pathIn);
  auto found = kext::discoverKexts(path);
  if (!found) {
    if (!o_.quiet && !o_.json) tools::printError(found.error());
    return;
  }
  for (kext::KextBundle& b : *found) {
    std::error_code ec;
    std::string key = fs::weakly_canonical(fs::path(b.path()), ec).string();
    if (ec) key = b.path();
    if (!seenPaths_.insert(key).second) continue;  // one kext object per bundle, as IOKitUser
    auto shared = std::make_shared<const kext::KextBundle>(std::move(b));
    auto index = catalog_.addBundle(shared, origin, vopts_, aopts_);
    if (index) {
      byPath_[key] = *index;
    } else if (origin == kext::KextOrigin::Named) {
      // Not a kext IOKitUser can create; remember why for the report.
      unopenable_[key] = kext::validateKext(*shared, vopts_);
    }
  }
}

void Kextutil::addAuthDiagnostics(KextReport& r, const std::vector<kext::AuthIssue>& issues) {
  for (const kext::AuthIssue& i : issues) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(i.mode & 07777));
    const std::string detail = i.path + " - owner " + std::to_string(i.uid) + ":" + std::to_string(i.gid) + ", mode " + mode;
    switch (i.kind) {
      case kext::AuthIssue::Kind::NotFound:
        r.diagnostics.add(kext::DiagnosticGroup::Authentication, kext::diag::kFileNotFound, i.path);
        break;
      case kext::AuthIssue::Kind::BadOwnerOrMode:
      case kext::AuthIssue::Kind::TooPermissive:
        r.diagnostics.add(kext::DiagnosticGroup::Authentication, kext::authIssueMessage(i), detail);
        break;
      case kext::AuthIssue::Kind::Symlink:
        r.diagnostics.add(kext::DiagnosticGroup::Warnings, kext::diag::kSymlink, i.path);
        break;
    }
  }
}

// kextutil's runTestsOnKext: validate, authenticate, resolve, validate and authenticate the
// dependencies, then the safe-boot checks.
void Kextutil::test(KextReport& r) {
  const size_t k = *r.index;
  const kext::ValidationResult& v = catalog_.validation(k);
  r.messages.insert(r.messages.end(), v.messages.begin(), v.messages.end());
  r.diagnostics.merge(v.diagnostics);
  bool looksGood = v.valid;
  r.valid = v.valid;

  if (o_.safeBoot && !v.facts.loadableInSafeBoot)
    r.notices.push_back(r.path + " is not eligible for loading during safe boot.");
  if (v.facts.loggingEnabled || v.facts.hasIOKitDebug) r.notices.push_back(r.path + " has debug properties set.");

  if (!skipAuthentication_) {
    std::vector<kext::AuthIssue> issues = catalog_.authentication(k);
    if (!kext::isAuthentic(issues) && o_.fixPermissions) {
      std::vector<kext::PermissionCommand> plan = kext::permissionCommands(r.path, issues, aopts_);
      Status st = kext::applyPermissionCommands(plan);
      for (const std::string& c : fixCommands(plan)) r.fixed.push_back(c);
      if (!st) r.messages.push_back(st.error().describe());
      issues = kext::authenticateBundle(r.path, aopts_);
    }
    r.authentic = kext::isAuthentic(issues);
    addAuthDiagnostics(r, issues);
    if (!*r.authentic) {
      looksGood = false;
      r.fixes = fixCommands(kext::permissionCommands(r.path, issues, aopts_));
    }
  }

  if (!o_.noResolveDependencies) {
    const size_t logged = resolver_->messages().size();
    const bool resolved = resolver_->resolve(k);
    r.resolved = resolved;
    looksGood = resolved && looksGood;
    looksGood = resolver_->validateDependencies(k) && looksGood;
    if (!skipAuthentication_) looksGood = resolver_->authenticateDependencies(k) && looksGood;
    r.diagnostics.merge(resolver_->diagnostics(k));
    if (resolved) r.loadList = resolver_->loadList(k);
    // IOKitUser logs again each time resolution is retried; kextkit says each thing once.
    for (auto it = resolver_->messages().begin() + static_cast<long>(logged); it != resolver_->messages().end(); ++it)
      if (std::find(r.messages.begin(), r.messages.end(), *it) == r.messages.end()) r.messages.push_back(*it);
  }

  if (o_.safeBoot) {
    if (!v.facts.loadableInSafeBoot) looksGood = false;
    if (r.resolved && *r.resolved) {
      for (size_t dep : r.loadList) {
        if (dep == k || catalog_.facts(dep).loadableInSafeBoot) continue;
        r.diagnostics.add(kext::DiagnosticGroup::BootLevel, kext::diag::kDependencyIneligibleInSafeBoot,
                          catalog_.facts(dep).identifier);
        looksGood = false;
      }
    }
  }
  r.loadable = looksGood;
  if (!looksGood) r.exit = kExitKextBad;
}

void Kextutil::print(const KextReport& r) {
  std::set<std::string> said;
  for (const std::string& m : r.messages)
    if (said.insert(m).second) tools::printError(m);
  for (const std::string& n : r.notices) tools::printWarning(n);
  if (!r.fixed.empty()) {
    std::fprintf(stderr, "Fixed ownership and permissions of %s:\n", r.path.c_str());
    for (const std::string& c : r.fixed) std::fprintf(stderr, "    %s\n", c.c_str());
  }
  if (!r.loadable) {
    std::fprintf(stderr, "Diagnostics for %s:\n", r.path.c_str());
    std::string text = formatDiagnostics(r.diagnostics, {kext::kDiagnosticGroups.begin(), kext::kDiagnosticGroups.end()});
    if (!text.empty()) std::fprintf(stderr, "%s\n", text.c_str());
    if (!r.fixes.empty()) {
      std::fprintf(stderr, "To fix the ownership and permissions, run as root (or use -fix-permissions):\n");
      for (const std::string& c : r.fixes) std::fprintf(stderr, "    %s\n", c.c_str());
    }
    return;
  }
  // A loadable kext: Apple prints its warnings. kextkit also prints the validation
  // diagnostics Apple records without failing the kext (a non-KEXT CFBundlePackageType, an
  // unknown OSBundleRequired value), which Apple would keep silent.
  std::string text = formatDiagnostics(r.diagnostics, {kext::DiagnosticGroup::Validation, kext::DiagnosticGroup::Warnings});
  if (!text.empty()) std::fprintf(stderr, "%s\n", text.c_str());
  if (o_.verbose && !r.loadList.empty()) {
    std::fprintf(stderr, "%s depends on (load order):\n", r.path.c_str());
    for (size_t dep : r.loadList) {
      if (dep == *r.index) continue;
      const kext::KextFacts& f = catalog_.facts(dep);
      std::fprintf(stderr, "    %s (%s) %s\n", f.identifier.c_str(), kext::versionToString(f.version, era_).c_str(),
                   catalog_.record(dep).path.c_str());
    }
  }
  std::fprintf(stderr, "%s appears to be loadable (not including linkage for on-disk libraries).\n", r.path.c_str());
}

void Kextutil::printJson(const std::vector<KextReport>& reports, int exit) {
  tools::JsonWriter j;
  j.beginObject();
  j.key("arch").value(std::string(macho::archName(arch_).value_or("unknown")));
  j.key("kexts").beginArray();
  for (const KextReport& r : reports) {
    j.beginObject();
    j.key("path").value(r.path);
    if (r.index) {
      const kext::KextFacts& f = catalog_.facts(*r.index);
      j.key("identifier").value(f.identifier);
      j.key("version").value(kext::versionToString(f.version, era_));
    } else {
      j.key("identifier").null();
      j.key("version").null();
    }
    j.key("loadable").value(r.loadable);
    j.key("valid").value(r.valid);
    j.key("authentic");
    if (r.authentic) j.value(*r.authentic); else j.null();
    j.key("dependencies_resolved");
    if (r.resolved) j.value(*r.resolved); else j.null();
    j.key("load_list").beginArray();
    for (size_t dep : r.loadList) {
      if (r.index && dep == *r.index) continue;
      const kext::KextFacts& f = catalog_.facts(dep);
      j.beginObject();
      j.key("identifier").value(f.identifier);
      j.key("version").value(kext::versionToString(f.version, era_));
      j.key("path").value(catalog_.record(dep).path);
      j.key("origin").value(std::string(kext::kextOriginName(catalog_.record(dep).origin)));
      j.endObject();
    }
    j.endArray();
    j.key("diagnostics").beginObject();
    for (kext::DiagnosticGroup g : kext::kDiagnosticGroups) {
      if (r.diagnostics.empty(g)) continue;
      j.key(kext::diagnosticGroupTitle(g)).beginObject();
      for (const kext::DiagnosticEntry& e : r.diagnostics.entries(g)) {
        j.key(e.key);
        if (e.values.empty()) {
          j.value(true);
        } else {
          j.beginArray();
          for (const std::string& v : e.values) j.value(v);
          j.endArray();
        }
      }
      j.endObject();
    }
    j.endObject();
    j.key("messages").beginArray();
    for (const std::string& m : r.messages) j.value(m);
    for (const std::string& m : r.notices) j.value(m);
    j.endArray();
    j.key("fix_commands").beginArray();
    for (const std::string& c : r.fixes) j.value(c);
    j.endArray();
    j.key("fixed").beginArray();
    for (const std::string& c : r.fixed) j.value(c);
    j.endArray();
    j.key("exit").value(r.exit);
    j.endObject();
  }
  j.endArray();
  j.key("exit").value(exit);
  j.endObject();
  std::fputs(j.str().c_str(), stdout);
}

int Kextutil::run() {
  // Options kextkit cannot honour: it never loads, matches or generates symbols.
  struct Refused {
    bool set;
    const char* name;
  };
  for (const Refused& r : {Refused{o_.loadOnly, "-load-only (-l)"}, Refused{o_.matchOnly, "-match-only (-m)"},
                           Refused{o_.interactive, "-interactive (-i)"},
                           Refused{o_.interactiveAll, "-interactive-all (-I)"},
                           Refused{!o_.symbols.empty(), "-symbols (-s)"}, Refused{!o_.addresses.empty(), "-address (-a)"},
                           Refused{o_.useLoadAddresses, "-use-load-addresses (-A)"},
                           Refused{!o_.personality.empty(), "-personality (-p)"}}) {
    if (r.set) {
      tools::printError(std::string(r.name) +
                        " is not supported on this system: kextkit never loads kexts, sends personalities or "
                        "generates symbols; kextutil always runs as with -no-load (-n).");
      return tools::kExUsage;
    }
  }
  if (o_.noAuthentication && (o_.fixPermissions || o_.strictPermissions)) {
    tools::printError(std::string(o_.fixPermissions ? "-fix-permissions" : "-strict-permissions") +
                      " cannot be used with -no-authentication (-z).");
    return tools::kExUsage;
  }
  if (o_.kexts.empty() && o_.bundleIds.empty()) {
    tools::printError(
        "No kernel extensions specified; name kernel extension bundles\n"
        "    following options, or use -bundle-id (-b).");
    return tools::kExUsage;
  }

  if (o_.arch.empty()) {
    arch_ = *macho::archFromName("x86_64");
  } else {
    auto a = macho::archFromName(o_.arch);
    if (!a || a->cputype == macho::CPU_TYPE_ANY) {
      tools::printError("Unknown architecture " + o_.arch + ".");
      return tools::kExUsage;
    }
    arch_ = *a;
  }
  if (o_.era == "modern" || o_.era == "10.14") {
    era_ = kext::VersionEra::Modern;
  } else if (o_.era == "classic" || o_.era == "10.13") {
    era_ = kext::VersionEra::Classic;
  } else {
    tools::printError("Unknown version era " + o_.era + " (use modern (10.14+) or classic (10.13 and earlier)).");
    return tools::kExUsage;
  }

  for (const std::string& k : o_.kexts)
    if (int st = tools::checkKextPath(k, true); st != kExitOK) return st;
  for (const std::string& r : o_.repositories)
    if (int st = tools::checkKextPath(r, false); st != kExitOK) return st;

  catalog_ = kext::KextCatalog(arch_, era_);
  vopts_.era = era_;
  vopts_.arch = arch_;
  vopts_.safeBoot = o_.safeBoot;
  vopts_.findKext = [this](std::string_view id) -> const kext::KextFacts* {
    auto i = catalog_.find(id);
    return i ? &catalog_.facts(*i) : nullptr;
  };
  aopts_.strictPermissions = o_.strictPermissions;
  // Apple: without -t (and without loading) kextutil does not authenticate. kextkit also
  // authenticates when a permission option asks for it.
  skipAuthentication_ = o_.noAuthentication || (!o_.printDiagnostics && !o_.fixPermissions && !o_.strictPermissions);

  // Apple's scan order (later wins ties): system folders, named kexts, -r, -d.
  if (!o_.noSystemExtensions)
    for (const char* dir : kSystemExtensionsFolders)
      if (fs::is_directory(dir)) addTree(dir, kext::KextOrigin::Repository);
  for (const std::string& k : o_.kexts) addTree(k, kext::KextOrigin::Named);
  for (const std::string& r : o_.repositories) addTree(r, kext::KextOrigin::Repository);
  if (!o_.kernelCache.empty()) {
    auto added = tools::addKernelcacheKexts(catalog_, o_.kernelCache, vopts_);
    if (!added) {
      tools::printError(added.error());
      return kExOsFile;
    }
  }
  for (const std::string& d : o_.dependencies) addTree(d, kext::KextOrigin::Dependency);
  resolver_ = std::make_unique<kext::DependencyResolver>(catalog_);

  int exit = kExitOK;
  auto fail = [&](int code) {
    if (exit == kExitOK) exit = code;
  };
  std::vector<KextReport> reports;
  std::set<size_t> processed;
  for (const std::string& k : o_.kexts) {
    KextReport r;
    r.path = tools::stripTrailingSlashes(k);
    std::error_code ec;
    std::string key = fs::weakly_canonical(fs::path(r.path), ec).string();
    if (ec) key = r.path;
    auto it = byPath_.find(key);
    if (it == byPath_.end()) {
      // IOKitUser cannot create a kext from this bundle: report why, exit "not found".
      const kext::ValidationResult& v = unopenable_[key];
      r.messages = v.messages;
      r.diagnostics = v.diagnostics;
      r.exit = kExitNotFound;
      fail(kExitNotFound);
      reports.push_back(std::move(r));
      continue;
    }
    if (!processed.insert(it->second).second) continue;
    r.index = it->second;
    test(r);
    fail(r.exit);
    reports.push_back(std::move(r));
  }
  for (const std::string& id : o_.bundleIds) {
    // A kext named by path takes precedence over an identifier lookup.
    std::optional<size_t> index;
    for (const KextReport& r : reports)
      if (r.index && catalog_.facts(*r.index).identifier == id) index = r.index;
    if (!index) index = catalog_.find(id);
    if (!index) {
      if (!o_.quiet && !o_.json) tools::printError("Can't find extension with identifier " + id + ".");
      fail(kExitNotFound);
      continue;
    }
    if (!processed.insert(*index).second) continue;
    KextReport r;
    r.path = catalog_.record(*index).path;
    r.index = index;
    test(r);
    fail(r.exit);
    reports.push_back(std::move(r));
  }

  // Library messages from resolution belong to the kext being tested; IOKitUser logs them as
  // they happen, so kextkit prints them with that kext.
  if (o_.quiet) return exit;
  if (o_.json) {
    printJson(reports, exit);
    return exit;
  }
  for (const KextReport& r : reports) {
    if (!r.index) {
      for (const std::string& m : r.messages) tools::printError(m);
      std::fprintf(stderr, "Diagnostics for %s:\n", r.path.c_str());
      std::string text = formatDiagnostics(r.diagnostics, {kext::kDiagnosticGroups.begin(), kext::kDiagnosticGroups.end()});
      if (!text.empty()) std::fprintf(stderr, "%s\n", text.c_str());
      continue;
    }
    print(r);
  }
  return exit;
}

}  // namespace

int main(int argc, char** argv) {
  tools::setToolName("kextutil");
  Options o;
  CLI::App app{"Check kexts the way macOS would before loading them: validation, ownership and permissions,\n"
               "and dependency resolution (kextkit never loads: -n is implied).",
               "kextutil"};
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.add_flag("-n,--no-load", o.noLoad, "Neither load nor match (always the case with kextkit; accepted)");
  app.add_flag("-t,--print-diagnostics", o.printDiagnostics,
               "Run every test, authentication included, and print diagnostics");
  app.add_flag("-e,--no-system-extensions", o.noSystemExtensions,
               "Do not scan /System/Library/Extensions and /Library/Extensions");
  app.add_option("-r,--repository", o.repositories, "Look for dependencies in this directory's kexts (repeatable)")
      ->allow_extra_args(false);
  app.add_option("-d,--dependency", o.dependencies, "Use this kext (and its plugins) as a dependency (repeatable)")
      ->allow_extra_args(false);
  app.add_option("-k,--kernel", o.kernelCache, "Resolve against the kexts prelinked in this kernelcache");
  app.add_option("-b,--bundle-id", o.bundleIds, "Test the kext with this identifier (repeatable)")->allow_extra_args(false);
  app.add_option("--arch", o.arch, "Architecture to validate and resolve for (default: x86_64)");
  app.add_flag("-z,--no-authentication", o.noAuthentication, "Skip the ownership and permission checks");
  app.add_flag("--strict-permissions", o.strictPermissions,
               "Also require files <= 0644, executables <= 0755, directories <= 0755");
  app.add_flag("--fix-permissions", o.fixPermissions,
               "Change owner to 0:0 and remove excess permissions of items that fail authentication");
  app.add_flag("-x,--safe-boot", o.safeBoot, "Check as in safe-boot mode (OSBundleRequired of the kext and its dependencies)");
  app.add_flag("-Z,--no-resolve-dependencies", o.noResolveDependencies, "Do not resolve dependencies");
  app.add_option("--version-era", o.era, "Version grammar: modern (10.14+, default) or classic (10.13 and earlier)");
  app.add_flag("-c,--no-caches", o.noCaches, "Accepted for compatibility (kextkit uses no caches)");
  app.add_flag("-D", o.obsoleteD, "Obsolete; accepted and ignored");
  app.add_flag("-q,--quiet", o.quiet, "Print nothing; report through the exit status only");
  app.add_flag("-v,--verbose", o.verbose, "Also print the dependencies of loadable kexts in load order");
  app.add_flag("--json", o.json, "Print the results as JSON on stdout instead of text");
  app.add_flag("-l,--load-only", o.loadOnly, "Not supported (kextkit never loads)");
  app.add_flag("-m,--match-only", o.matchOnly, "Not supported (kextkit never sends personalities)");
  app.add_flag("-i,--interactive", o.interactive, "Not supported");
  app.add_flag("-I,--interactive-all", o.interactiveAll, "Not supported");
  app.add_option("-s,--symbols", o.symbols, "Not supported (kextkit does not generate symbols)");
  app.add_option("-a,--address", o.addresses, "Not supported")->allow_extra_args(false);
  app.add_flag("-A,--use-load-addresses", o.useLoadAddresses, "Not supported");
  app.add_option("-p,--personality", o.personality, "Not supported");
  app.add_option("kext", o.kexts, "A kext bundle to test");
  const char* usage = "Try 'kextutil -help' for more information.";
  if (auto status = tools::parseAppleCommandLine(app, argc, argv, usage)) return *status;
  Kextutil k(o);
  return k.run();
}
