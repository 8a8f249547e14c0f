// Library search (kextlibs) over testdata/kexts-libs and the 10.9 corpus: which libraries
// define a kext's undefined symbols, per arch, with Apple's searchability rules.
#include <catch2/catch.hpp>

#include <filesystem>

#include "KextTestSupport.h"
#include "kextkit/kext/KextDiscovery.h"
#include "kextkit/kext/LinkLibraries.h"

using namespace kextkit;
using namespace kextkit::kext;
namespace fs = std::filesystem;

namespace {

const macho::Arch kX86_64{macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_X86_64_ALL};
const macho::Arch kI386{macho::CPU_TYPE_I386, macho::CPU_SUBTYPE_I386_ALL};

// testdata/kexts-libs as a catalog for `arch`; returns the index of the kext named `name`.
size_t load(KextCatalog& c, const std::string& name) {
  auto found = discoverKexts(testkit::testdataDir() + "/kexts-libs");
  REQUIRE(found);
  ValidationOptions v;
  v.arch = c.arch();
  std::optional<size_t> wanted;
  for (KextBundle& b : *found) {
    const bool it = b.name() == name + ".kext";
    auto i = c.addBundle(std::make_shared<const KextBundle>(std::move(b)), KextOrigin::Repository, v);
    REQUIRE(i);
    if (it) wanted = i;
  }
  REQUIRE(wanted);
  return *wanted;
}

std::vector<std::string> ids(const KextCatalog& c, const std::vector<size_t>& list) {
  std::vector<std::string> out;
  for (size_t i : list) out.push_back(c.facts(i).identifier);
  return out;
}

}  // namespace

TEST_CASE("searchable libraries") {
  struct Row {
    std::string id;
    bool library, executable;
    LinkSearchOptions options;
    bool searchable;
  };
  LinkSearchOptions unsupported;
  unsupported.allowUnsupported = true;
  LinkSearchOptions nonKPI;
  nonKPI.nonKPI = true;
  const std::vector<Row> rows = {
      {"com.apple.kpi.iokit", true, true, {}, true},
      {"org.lib", true, true, {}, true},
      {"org.lib", false, true, {}, false},
      {"org.lib", true, false, {}, false},
      {"com.apple.kpi.private", true, true, {}, false},
      {"com.apple.kpi.unsupported", true, true, {}, false},
      {"com.apple.kpi.dsep", true, true, {}, false},
      {"com.apple.kernel.unsupported", true, true, {}, false},
      {"com.apple.kpi.private", true, true, unsupported, true},
      {"com.apple.kernel.iokit", true, true, {}, false},
      {"com.apple.kernel.iokit", true, true, nonKPI, true},
      {"com.apple.kpi.iokit", true, true, nonKPI, false},
  };
  for (const Row& row : rows) {
    CAPTURE(row.id, row.library, row.executable);
    KextFacts f;
    f.identifier = row.id;
    f.compatibleVersion = row.library ? 1 : 0;
    f.declaresExecutable = row.executable;
    CHECK(isSearchableForSymbols(f, row.options) == row.searchable);
  }
}

TEST_CASE("symbols a kext references and a library exports") {
  KextCatalog c(kX86_64);
  const size_t gadget = load(c, "Gadget");
  auto refs = readSymbolReferences(c, gadget);
  REQUIRE(refs);
  CHECK(*refs == std::set<std::string>{"_IOLog", "_OSMalloc", "_WidgetDoThing"});
  auto widget = c.find("org.kextkit.family.Widget");
  REQUIRE(widget);
  auto exports = readExportedSymbols(c, *widget);
  REQUIRE(exports);
  CHECK(*exports == std::set<std::string>{"_WidgetDoThing", "_WidgetHelper", "_kmod_info"});
  // A pseudo-kext exports the kernel symbols it lists (undefined and indirect entries).
  auto libkern = c.find("com.apple.kpi.libkern");
  REQUIRE(libkern);
  auto kpi = readExportedSymbols(c, *libkern);
  REQUIRE(kpi);
  CHECK(*kpi == std::set<std::string>{"_OSFree", "_OSMalloc", "_OSMalloc_noblock"});
  // A kernel component references nothing.
  auto none = readSymbolReferences(c, *libkern);
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("link dependencies: found once, not found, found several times") {
  KextCatalog c(kX86_64);
  const size_t gadget = load(c, "Gadget");
  auto g = findLinkDependencies(c, gadget);
  REQUIRE(g);
  CHECK(ids(c, g->libraries) ==
        std::vector<std::string>{"com.apple.kpi.iokit", "com.apple.kpi.libkern", "org.kextkit.family.Widget"});
  CHECK(g->undefined.empty());
  CHECK(g->multdef.empty());
  CHECK(g->onedef.size() == 3);

  KextCatalog c2(kX86_64);
  const size_t orphan = load(c2, "Orphan");
  auto o = findLinkDependencies(c2, orphan);
  REQUIRE(o);
  CHECK(ids(c2, o->libraries) == std::vector<std::string>{"com.apple.kpi.iokit"});
  CHECK(o->undefined == std::set<std::string>{"_NoSuchSymbol", "_kernel_debug_private"});

  // With the unsupported KPIs, _IOLog is in both IOKit and Private.
  LinkSearchOptions unsupported;
  unsupported.allowUnsupported = true;
  auto u = findLinkDependencies(c2, orphan, unsupported);
  REQUIRE(u);
  CHECK(ids(c2, u->libraries) == std::vector<std::string>{"com.apple.kpi.iokit", "com.apple.kpi.private"});
  CHECK(u->undefined == std::set<std::string>{"_NoSuchSymbol"});
  REQUIRE(u->multdef.count("_IOLog"));
  CHECK(ids(c2, u->multdef.at("_IOLog")) == std::vector<std::string>{"com.apple.kpi.iokit", "com.apple.kpi.private"});
  CHECK(ids(c2, u->multdefLibraries) == std::vector<std::string>{"com.apple.kpi.private"});
  CHECK(ids(c2, {u->onedef.at("_kernel_debug_private")}) == std::vector<std::string>{"com.apple.kpi.private"});
}

TEST_CASE("link dependencies per arch of a fat kext") {
  KextCatalog c64(kX86_64);
  const size_t k64 = load(c64, "FatGadget");
  auto r64 = findLinkDependencies(c64, k64);
  REQUIRE(r64);
  CHECK(ids(c64, r64->libraries) == std::vector<std::string>{"com.apple.kpi.iokit", "com.apple.kpi.libkern"});
  KextCatalog c32(kI386);
  const size_t k32 = load(c32, "FatGadget");
  auto r32 = findLinkDependencies(c32, k32);
  REQUIRE(r32);
  CHECK(ids(c32, r32->libraries) ==
        std::vector<std::string>{"com.apple.kpi.iokit", "com.apple.kpi.libkern", "com.apple.kpi.mach"});
  CHECK(r32->undefined.empty());
  // Gadget has no i386 code: its own symbols cannot be read for that arch.
  KextCatalog c3(kI386);
  const size_t g = load(c3, "Gadget");
  auto none = findLinkDependencies(c3, g);
  REQUIRE_FALSE(none);
  CHECK(none.error().describe().find("no i386 slice") != std::string::npos);
}

TEST_CASE("10.9 corpus: every undefined symbol of every kext is found (vtable pad slots aside)") {
  KK_REQUIRE_CORPUS(corpus);
  auto found = discoverKexts(corpus + "/10.9-subset");
  REQUIRE(found);
  KextCatalog c(kX86_64);
  std::vector<size_t> all;
  for (KextBundle& b : *found) {
    auto i = c.addBundle(std::make_shared<const KextBundle>(std::move(b)), KextOrigin::Repository, {});
    REQUIRE(i);
    all.push_back(*i);
  }
  LinkSearchOptions unsupported;
  unsupported.allowUnsupported = true;
  size_t kexts = 0, covered = 0;
  for (size_t i : all) {
    const KextFacts& f = c.facts(i);
    if (!f.declaresExecutable || f.isKernelComponent || !c.record(i).supportsArch) continue;
    CAPTURE(c.record(i).path);
    auto deps = findLinkDependencies(c, i, unsupported);
    REQUIRE(deps);
    ++kexts;
    // Pad slots (_RESERVED*) are vtable entries kxld patches from the superclass; no library
    // exports them.
    std::set<std::string> left;
    for (const std::string& s : deps->undefined)
      if (s.find("_RESERVED") == std::string::npos) left.insert(s);
    CHECK(left.empty());
    covered += deps->undefined.empty();
  }
  CHECK(kexts == 83);
  CHECK(covered == 80);
}
