// Dependency resolution over in-memory catalogs: lookup order, every failure with its exact
// diagnostics and messages, LP64 and 32-bit rules, private KPI, cycles, load lists; and the
// 10.9 corpus resolved against itself.
#include <catch2/catch.hpp>

#include <filesystem>

#include "KextTestSupport.h"
#include "kextkit/kext/DependencyResolver.h"
#include "kextkit/kext/KextDiscovery.h"

using namespace kextkit;
using namespace kextkit::kext;
using kextkit::testkit::dict;
using kextkit::testkit::dumpDiagnostics;
using plist::Value;
namespace fs = std::filesystem;

namespace {

const macho::Arch kX86_64{macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_X86_64_ALL};
const macho::Arch kI386{macho::CPU_TYPE_I386, macho::CPU_SUBTYPE_I386_ALL};

// Test kexts are written as positional aggregates that list only the leading fields; the rest
// keep their defaults on purpose, which -Wextra would otherwise flag at every call.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/// A kext to put into a catalog.
struct K {
  std::string id;
  std::string version = "1.0";
  std::string compat;                                      ///< OSBundleCompatibleVersion ("" none)
  std::vector<std::pair<std::string, std::string>> libs;   ///< OSBundleLibraries
  bool executable = true;
  bool kernelComponent = false;
  bool interface = false;
  std::string required;                                    ///< OSBundleRequired ("" none)
  std::string copyright;                                   ///< NSHumanReadableCopyright
  bool valid = true;
  bool authentic = true;
  KextOrigin origin = KextOrigin::Repository;
  bool supportsArch = true;
};

size_t add(KextCatalog& c, const K& k) {
  std::vector<std::pair<std::string, Value>> e = testkit::basicInfo(k.id, k.version);
  if (!k.compat.empty()) e.push_back({"OSBundleCompatibleVersion", Value(k.compat)});
  if (k.executable) e.push_back({"CFBundleExecutable", Value("X")});
  if (k.kernelComponent) e.push_back({"OSKernelResource", Value(true)});
  if (k.interface) e.push_back({"OSBundleIsInterface", Value(true)});
  if (!k.required.empty()) e.push_back({"OSBundleRequired", Value(k.required)});
  if (!k.copyright.empty()) e.push_back({"NSHumanReadableCopyright", Value(k.copyright)});
  if (!k.libs.empty()) {
    plist::Dict d;
    for (const auto& [id, v] : k.libs) d.set(id, Value(v));
    e.push_back({"OSBundleLibraries", Value(std::move(d))});
  }
  ValidationOptions o;
  o.arch = c.arch();
  KextRecord r;
  r.path = "/E/" + k.id + "-" + k.version + ".kext";
  r.origin = k.origin;
  r.facts = validateInfoDictionary(dict(e), o).facts;
  r.supportsArch = k.supportsArch;
  const bool valid = k.valid;
  const KextFacts facts = r.facts;
  r.validate = [valid, facts] {
    ValidationResult v;
    v.hasInfoDictionary = true;
    v.valid = valid;
    v.facts = facts;
    return v;
  };
  if (!k.authentic) {
    const std::string path = r.path;
    r.authenticate = [path] { return std::vector<AuthIssue>{{AuthIssue::Kind::BadOwnerOrMode, path + "/Contents"}}; };
  }
  return c.add(std::move(r));
}

/// The KPI pseudo-kexts and com.apple.kernel, as in a 10.9 System.kext.
void addSystem(KextCatalog& c) {
  add(c, {"com.apple.kernel", "13.1", "13.1", {}, false, true, false, "Root"});
  for (const char* id : {"com.apple.kpi.bsd", "com.apple.kpi.iokit", "com.apple.kpi.libkern", "com.apple.kpi.mach",
                         "com.apple.kpi.private", "com.apple.kpi.unsupported"})
    add(c, {id, "13.1", "8.0", {}, true, true, false, "Root"});
  add(c, {"com.apple.kernel.iokit", "7.9.9", "7.0", {}, true, true, false, "Root"});
  add(c, {"com.apple.kernel.6.0", "7.9.9", "7.9.9", {}, true, true, false, "Root"});
}

std::vector<std::string> ids(const KextCatalog& c, const std::vector<size_t>& list) {
  std::vector<std::string> out;
  for (size_t i : list) out.push_back(c.facts(i).identifier + " " + versionToString(c.facts(i).version, VersionEra::Modern));
  return out;
}

}  // namespace

TEST_CASE("catalog lookups: newest compatible first, then origin, then the last added") {
  KextCatalog c(kX86_64);
  const size_t named = add(c, {"org.lib", "2.0", "1.0", {}, true, false, false, "", "", true, true, KextOrigin::Named});
  const size_t repo = add(c, {"org.lib", "2.0", "1.0", {}, true, false, false, "", "", true, true, KextOrigin::Repository});
  const size_t dep = add(c, {"org.lib", "2.0", "1.0", {}, true, false, false, "", "", true, true, KextOrigin::Dependency});
  const size_t newer = add(c, {"org.lib", "3.0", "2.5", {}, true, false, false, "", "", true, true, KextOrigin::Named});
  const size_t older = add(c, {"org.lib", "1.5", "1.0", {}, true, false, false, "", "", true, true, KextOrigin::Dependency});
  const size_t repo2 = add(c, {"org.lib", "2.0", "1.0", {}, true, false, false, "", "", true, true, KextOrigin::Repository});
  CHECK(c.withIdentifier("org.lib") == std::vector<size_t>{newer, dep, repo2, repo, named, older});
  CHECK(c.find("org.lib") == newer);
  CHECK(c.findCompatible("org.lib", parseVersion("2.6", VersionEra::Modern)) == newer);
  CHECK(c.findCompatible("org.lib", parseVersion("2.0", VersionEra::Modern)) == dep);
  CHECK(c.findCompatible("org.lib", parseVersion("1.2", VersionEra::Modern)) == dep);
  CHECK(c.findCompatible("org.lib", parseVersion("3.1", VersionEra::Modern)) == std::nullopt);
  CHECK(c.findCompatible("org.lib", parseVersion("0.9", VersionEra::Modern)) == std::nullopt);
  CHECK(c.find("org.none") == std::nullopt);
}

TEST_CASE("resolution: libraries found, load list in post order") {
  KextCatalog c(kX86_64);
  addSystem(c);
  add(c, {"org.family", "2.1", "1.0", {{"com.apple.kpi.iokit", "13.0"}, {"com.apple.kpi.libkern", "13.0"}}});
  const size_t drv = add(c, {"org.driver", "1.0", "", {{"org.family", "2.0"}, {"com.apple.kpi.libkern", "13.0"}}});
  DependencyResolver r(c);
  REQUIRE(r.resolve(drv));
  CHECK(r.hasAllDependencies(drv));
  CHECK(ids(c, r.dependencies(drv)) == std::vector<std::string>{"org.family 2.1", "com.apple.kpi.libkern 13.1"});
  CHECK(ids(c, r.loadList(drv)) == std::vector<std::string>{"com.apple.kpi.iokit 13.1", "com.apple.kpi.libkern 13.1",
                                                            "org.family 2.1", "org.driver 1.0"});
  CHECK(r.validateDependencies(drv));
  CHECK(r.authenticateDependencies(drv));
  CHECK(r.diagnostics(drv).empty());
  CHECK(r.messages().empty());
}

TEST_CASE("resolution failures: exact diagnostics and messages") {
  struct Row {
    const char* name;
    std::vector<K> kexts;   // the last one is resolved
    bool resolved;
    std::vector<std::string> diagnostics;
    std::vector<std::string> messages;
    macho::Arch arch = kX86_64;
  };
  const std::vector<Row> rows = {
      {"no kext with that identifier", {{"org.d", "1.0", "", {{"org.none", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}}},
       false,
       {"Dependency Resolution Failures: No kexts found for these libraries: org.none"},
       {"/E/org.d-1.0.kext - no dependency found for org.none."}},
      {"only incompatible versions",
       {{"org.lib", "2.0", "1.5"}, {"org.d", "1.0", "", {{"org.lib", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}}},
       false,
       {"Dependency Resolution Failures: Only incompatible kexts found for these libraries: org.lib"},
       {"/E/org.d-1.0.kext - no compatible dependency found for org.lib."}},
      {"a library without OSBundleCompatibleVersion",
       {{"org.lib", "2.0"}, {"org.d", "1.0", "", {{"org.lib", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}}},
       false,
       {"Dependency Resolution Failures: Kexts found for these libraries lack valid OSBundleCompatibleVersion: org.lib"},
       {"/E/org.d-1.0.kext - dependency for org.lib lacks valid OSBundleCompatibleVersion."}},
      {"raw com.apple.kernel", {{"org.d", "1.0", "", {{"com.apple.kernel", "13.1"}, {"com.apple.kpi.libkern", "9.0"}}}},
       false,
       {"Dependency Resolution Failures: Kexts may not link against com.apple.kernel; use either com.apple.kpi.* "
        "libraries (recommended), or com.apple.kernel.* (for compatiblity with older releases)."},
       {}},
      {"LP64 kext on com.apple.kernel.*", {{"org.d", "1.0", "", {{"com.apple.kernel.iokit", "7.0"}}}}, false,
       {"Dependency Resolution Failures: 64-bit kexts must use com.apple.kpi.* libraries, not com.apple.kernel* "
        "libraries."},
       {}},
      {"LP64 kext without KPIs", {{"org.lib", "2.0", "1.0"}, {"org.d", "1.0", "", {{"org.lib", "1.0"}}}}, true,
       {"Warnings: Kext declares no com.apple.kpi.* libraries; if it references any kernel symbols, it may fail to "
        "link."},
       {}},
      {"LP64 rules skip kexts without code for the arch",
       {{"org.d", "1.0", "", {{"com.apple.kernel.iokit", "7.0"}}, true, false, false, "", "", true, true,
         KextOrigin::Named, false}},
       true, {}, {}},
      {"an interface with two dependencies",
       {{"org.iface", "1.0", "1.0", {{"com.apple.kpi.libkern", "9.0"}, {"com.apple.kpi.mach", "9.0"}}, true, false, true}},
       false, {"Dependency Resolution Failures: Interface kext must have exactly one dependency."},
       {"/E/org.iface-1.0.kext - Interface kext must have exactly one dependency."}},
      {"a non-Apple kext on the private KPI",
       {{"org.d", "1.0", "", {{"com.apple.kpi.private", "9.0"}, {"com.apple.kpi.libkern", "9.0"}}, true, false, false,
         "", "Copyright \xc2\xa9 2013 Apple Inc. All rights reserved."}},
       false, {"Dependency Resolution Failures: Only Apple kexts may link against com.apple.kpi.private."},
       {"/E/org.d-1.0.kext has an Apple prefix but no copyright."}},
      {"an Apple kext on the private KPI without a copyright",
       {{"com.apple.d", "1.0", "", {{"com.apple.kpi.private", "9.0"}, {"com.apple.kpi.libkern", "9.0"}}}},
       false, {"Dependency Resolution Failures: Only Apple kexts may link against com.apple.kpi.private."},
       {"/E/com.apple.d-1.0.kext has an Apple prefix but no copyright."}},
      {"an Apple kext on the private KPI with its copyright",
       {{"com.apple.d", "1.0", "", {{"com.apple.kpi.private", "9.0"}, {"com.apple.kpi.libkern", "9.0"}}, true, false,
         false, "", "Copyright \xc2\xa9 2004-2013 Apple Inc. All rights reserved."}},
       true, {}, {}},
      {"an invalid library",
       {{"org.lib", "2.0", "1.0", {{"com.apple.kpi.libkern", "9.0"}}, true, false, false, "", "", false},
        {"org.d", "1.0", "", {{"org.lib", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}}},
       false, {"Dependency Resolution Failures: Indirect dependencies can't be resolved: org.lib"},
       {"/E/org.lib-2.0.kext is invalid; can't resolve dependencies."}},
      {"an unresolvable indirect library",
       {{"org.lib", "2.0", "1.0", {{"org.gone", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}},
        {"org.d", "1.0", "", {{"org.lib", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}}},
       false, {"Dependency Resolution Failures: Indirect dependencies can't be resolved: org.lib"},
       {"/E/org.lib-2.0.kext - no dependency found for org.gone."}},
      {"a cycle",
       {{"org.b", "1.0", "1.0", {{"org.a", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}},
        {"org.a", "1.0", "1.0", {{"org.b", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}}},
       false,
       {"Dependency Resolution Failures: Some dependencies are causing circular references: org.a -> org.b -> org.a",
        "Dependency Resolution Failures: Indirect dependencies can't be resolved: org.a | org.b"},
       {}},
      {"a Root kext on libraries not required at boot",
       {{"org.lib", "2.0", "1.0", {{"com.apple.kpi.libkern", "9.0"}}},
        {"org.sb", "2.0", "1.0", {{"com.apple.kpi.libkern", "9.0"}}, true, false, false, "Safe Boot"},
        {"org.d", "1.0", "", {{"org.lib", "1.0"}, {"org.sb", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}, true, false,
         false, "Root"}},
       true,
       {"Warnings: Dependency lacks appropriate value for OSBundleRequired and may not be availalble during early "
        "boot: org.lib - OSBundleRequired not set | org.sb - Safe Boot"},
       {}},
      {"a Local-Root kext on a Network-Root library",
       {{"org.lib", "2.0", "1.0", {{"com.apple.kpi.libkern", "9.0"}}, true, false, false, "Network-Root"},
        {"org.d", "1.0", "", {{"org.lib", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}, true, false, false, "Local-Root"}},
       true,
       {"Warnings: Dependency lacks appropriate value for OSBundleRequired and may not be availalble during early "
        "boot: org.lib - Network-Root"},
       {}},
      {"two versions of one library in the graph",
       {{"org.lib", "1.0", "1.0", {{"com.apple.kpi.libkern", "9.0"}}},
        {"org.lib", "3.0", "2.0", {{"com.apple.kpi.libkern", "9.0"}}},
        {"org.mid", "1.0", "1.0", {{"org.lib", "2.5"}, {"com.apple.kpi.libkern", "9.0"}}},
        {"org.d", "1.0", "", {{"org.lib", "1.0"}, {"org.mid", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}}},
       false, {"Dependency Resolution Failures: Multiple kexts for these libraries occur in the dependency graph: org.lib"},
       {}},
      {"32-bit kext without kernel libraries gets com.apple.kernel.6.0",
       {{"org.lib", "2.0", "1.0", {}, false}, {"org.d", "1.0", "", {{"org.lib", "1.0"}}}}, true,
       {"Warnings: Kext declares no kernel/KPI libraries; if it references any kernel symbols, it may fail to link."},
       {"/E/org.d-1.0.kext does not declare a kernel dependency; using com.apple.kernel.6.0."}, kI386},
      {"32-bit kext on both kernel and KPI libraries",
       {{"org.d", "1.0", "", {{"com.apple.kernel.iokit", "7.0"}, {"com.apple.kpi.libkern", "9.0"}}}}, true,
       {"Warnings: Kexts should declare dependencies on either com.apple.kernel* or com.apple.kpi.* libraries, not "
        "both."},
       {}, kI386},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    KextCatalog c(row.arch);
    addSystem(c);
    size_t last = 0;
    for (const K& k : row.kexts) last = add(c, k);
    DependencyResolver r(c);
    CHECK(r.resolve(last) == row.resolved);
    CHECK(dumpDiagnostics(r.diagnostics(last)) == row.diagnostics);
    CHECK(r.messages() == row.messages);
  }
}

TEST_CASE("32-bit kexts without kernel libraries fail when com.apple.kernel.6.0 is absent") {
  KextCatalog c(kI386);
  add(c, {"org.lib", "2.0", "1.0", {}, false});
  const size_t d = add(c, {"org.d", "1.0", "", {{"org.lib", "1.0"}}});
  DependencyResolver r(c);
  CHECK_FALSE(r.resolve(d));
  CHECK(r.messages() == std::vector<std::string>{
                            "/E/org.d-1.0.kext does not declare a kernel dependency; using com.apple.kernel.6.0.",
                            "/E/org.d-1.0.kext - no dependency found for com.apple.kernel.6.0."});
}

TEST_CASE("dependencies must be valid and authentic") {
  KextCatalog c(kX86_64);
  addSystem(c);
  add(c, {"org.lib", "2.0", "1.0", {{"com.apple.kpi.libkern", "9.0"}}, true, false, false, "", "", true, false});
  const size_t d = add(c, {"org.d", "1.0", "", {{"org.lib", "1.0"}, {"com.apple.kpi.libkern", "9.0"}}});
  DependencyResolver r(c);
  CHECK(r.resolve(d));
  CHECK(r.validateDependencies(d));
  CHECK_FALSE(r.authenticateDependencies(d));
  CHECK(dumpDiagnostics(r.diagnostics(d)) ==
        std::vector<std::string>{"Dependency Resolution Failures: Dependencies have incorrect owner/permissions: org.lib"});
  // An invalid root cannot be resolved at all; each attempt says so.
  const size_t bad = add(c, {"org.bad", "1.0", "", {{"com.apple.kpi.libkern", "9.0"}}, true, false, false, "", "", false});
  CHECK_FALSE(r.resolve(bad));
  CHECK_FALSE(r.validateDependencies(bad));
  CHECK(r.loadList(bad).empty());
  CHECK(std::count(r.messages().begin(), r.messages().end(), "/E/org.bad-1.0.kext is invalid; can't resolve dependencies.") == 3);
}

TEST_CASE("10.9 corpus: every bundle resolves against the folder as a repository") {
  KK_REQUIRE_CORPUS(corpus);
  const std::string dir = corpus + "/10.9-subset";
  auto found = discoverKexts(dir);
  REQUIRE(found);
  REQUIRE(found->size() == 101);
  KextCatalog c(kX86_64);
  ValidationOptions v;
  v.findKext = [&c](std::string_view id) -> const KextFacts* {
    auto i = c.find(id);
    return i ? &c.facts(*i) : nullptr;
  };
  std::vector<size_t> all;
  for (KextBundle& b : *found) {
    auto i = c.addBundle(std::make_shared<const KextBundle>(std::move(b)), KextOrigin::Repository, v);
    REQUIRE(i);
    all.push_back(*i);
  }
  DependencyResolver r(c);
  size_t loadable = 0;
  for (size_t i : all) {
    CAPTURE(c.record(i).path);
    const ValidationResult& val = c.validation(i);
    CHECK(val.valid);
    CHECK(val.diagnostics.empty(DiagnosticGroup::Validation));
    const bool ok = r.resolve(i) && r.validateDependencies(i) && r.authenticateDependencies(i);
    CHECK(ok);
    CHECK(r.diagnostics(i).empty(DiagnosticGroup::Dependencies));
    loadable += ok && val.valid;
  }
  CHECK(loadable == 101);
  CHECK(r.messages().empty());
}
