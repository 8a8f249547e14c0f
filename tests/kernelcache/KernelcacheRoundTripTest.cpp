// Synthetic caches in every layout and compression: what the builder put in is what the
// reader finds (identifiers, versions, addresses, sizes, UUIDs, kmod_info, dependencies,
// executables byte for byte, standard-XML Info.plists).
#include <catch2/catch.hpp>

#include <map>

#include "CacheFixtures.h"
#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/io/OutputDir.h"
#include "kextkit/kext/BundleExtractor.h"
#include "kextkit/plist/StandardPlist.h"

#include <filesystem>

using namespace kextkit;
using namespace kextkit::kernelcache;
using namespace kextkit::testkit;

namespace {

/// Checks every kext of `kc` against the builder's manifest.
void checkAgainstManifest(const Kernelcache& kc, const BuiltKernel& built, Layout layout) {
  REQUIRE(kc.layout() == layout);
  REQUIRE(kc.kexts().size() == built.kexts.size());
  std::map<std::string, size_t> indexById;
  for (size_t i = 0; i < built.kexts.size(); ++i) indexById[built.kexts[i].identifier] = i;
  for (size_t i = 0; i < built.kexts.size(); ++i) {
    const BuiltKext& want = built.kexts[i];
    const PrelinkedKext& got = kc.kexts()[i];
    INFO("kext " << i << " " << want.identifier);
    CHECK(got.entry.index == i);
    CHECK(got.entry.identifier == want.identifier);
    CHECK(got.entry.version == want.version);
    CHECK(got.entry.bundlePath == want.bundlePath);
    CHECK(got.hasExecutable == want.hasExecutable);
    if (want.hasExecutable) {
      CHECK(got.address == want.loadAddress);
      CHECK(got.size == want.size);
      if (layout != Layout::Merged) {
        CHECK(got.entry.sourceAddress == want.sourceAddress);
        CHECK(got.uuid == want.uuid);
        auto exe = kc.extractExecutable(got);
        REQUIRE(exe);
        CHECK(*exe == want.executable);
      }
      if (want.kmodInfoAddress != 0) {
        REQUIRE(got.kmodInfo);
        CHECK(got.kmodInfo->address == want.kmodInfoAddress);
        CHECK(got.kmodInfo->name == want.kmodName);
        CHECK(got.kmodInfo->hdrSize == want.kmodHdrSize);
        CHECK(got.wired() == want.size - want.kmodHdrSize);
      }
    } else {
      CHECK(got.address == 0);
      CHECK(got.size == 0);
      CHECK(got.wired() == 0);
      CHECK(got.uuid == want.uuid);  // interface UUID, or none
      CHECK_FALSE(kc.extractExecutable(got));
    }
    // Every library the builder recorded that is in the cache resolves to it.
    std::vector<size_t> expected;
    for (const std::string& lib : want.libraries)
      if (indexById.count(lib)) expected.push_back(indexById[lib]);
    std::sort(expected.rbegin(), expected.rend());
    CHECK(got.linkedAgainst() == expected);
  }
}

}  // namespace

TEST_CASE("testdata kexts: split, fileset and merged caches, every compression, read back exactly") {
  const auto kexts = testdataKexts();
  REQUIRE(kexts.size() == 5);  // Codeless, Family, Child, Legacy, Sample
  struct Case {
    Layout layout;
    Compression compression;
    bool tagged;
  };
  const Case cases[] = {
      {Layout::Split, Compression::None, false},   {Layout::Split, Compression::Lzss, false},
      {Layout::Split, Compression::Lzvn, false},   {Layout::Fileset, Compression::None, false},
      {Layout::Fileset, Compression::Lzss, false}, {Layout::Fileset, Compression::Lzvn, false},
      {Layout::Merged, Compression::Lzvn, false},  {Layout::Merged, Compression::None, true},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(layoutName(c.layout) << " " << compressionName(c.compression) << (c.tagged ? " tagged" : "")) {
      BuildOptions o = buildOptions(c.layout);
      o.taggedPointers = c.tagged;
      // Merged caches are arm64 (buildOptions); the x86_64 executables go in as opaque code.
      BuiltKernel built = build(kexts, o);
      std::vector<uint8_t> file = cacheFile(built.image, c.compression);
      auto kc = Kernelcache::open(file);
      REQUIRE(kc);
      CHECK(kc->fat());
      CHECK(kc->compression() == c.compression);
      CHECK(kc->image().size() == built.image.size());
      CHECK(std::equal(kc->image().begin(), kc->image().end(), built.image.begin()));
      CHECK(kc->kernelUuid() == o.kernelUuid);
      checkAgainstManifest(*kc, built, c.layout);
    }
  }
}

TEST_CASE("32-bit i386 split caches (10.6 style) read back exactly") {
  const macho::Arch i386{macho::CPU_TYPE_I386, macho::CPU_SUBTYPE_I386_ALL};
  BuildOptions o = buildOptions(Layout::Split);
  o.arch = i386;
  for (Compression c : {Compression::None, Compression::Lzss}) {
    DYNAMIC_SECTION(compressionName(c)) {
      BuiltKernel built = build(testdataKexts(i386), o);
      const std::vector<uint8_t> file = cacheFile(built.image, c);  // must outlive kc (uncompressed: a view)
      auto kc = Kernelcache::open(file);
      REQUIRE(kc);
      CHECK_FALSE(kc->macho().is64());
      checkAgainstManifest(*kc, built, Layout::Split);
      REQUIRE(kc->kexts().back().kmodInfo);
      CHECK(kc->kexts().back().kmodInfo->kmodAddress == kc->kexts().back().address);
    }
  }
  o.layout = Layout::Fileset;
  CHECK(buildPrelinkedKernel({}, o).error().describe() == "i386 kernelcaches use the split layout");
}

TEST_CASE("split cache from testdata: addresses follow Apple's layout, dependencies and refs") {
  BuiltKernel built = build(testdataKexts(), buildOptions(Layout::Split));
  auto kc = Kernelcache::open(built.image);
  REQUIRE(kc);
  CHECK_FALSE(kc->fat());
  CHECK(kc->compression() == Compression::None);
  const auto& m = kc->macho();
  const macho::Segment* text = m.findSegment("__TEXT");
  const macho::Segment* ptext = m.findSegment("__PRELINK_TEXT");
  REQUIRE(text);
  REQUIRE(ptext);
  CHECK(ptext->vmaddr == built.prelinkTextAddress);
  // x86_64: link base = round_page(__TEXT end) - 2 GiB; source addresses inside __PRELINK_TEXT.
  const uint64_t loadBase = ((text->vmaddr + text->vmsize + 0xfff) & ~uint64_t{0xfff}) - (uint64_t{2} << 30);
  std::map<std::string, const PrelinkedKext*> byId;
  for (const auto& k : kc->kexts()) byId[k.entry.identifier] = &k;
  for (const auto& k : kc->kexts()) {
    if (!k.hasExecutable) continue;
    INFO(k.entry.identifier);
    CHECK(*k.entry.sourceAddress >= ptext->vmaddr);
    CHECK(*k.entry.sourceAddress - ptext->vmaddr == k.address - loadBase);
    CHECK((*k.entry.sourceAddress - ptext->vmaddr) % 0x1000 == 0);
  }
  // Child links against Family and libkern; Family and Sample against the kpis.
  REQUIRE(byId.count("org.kextkit.driver.Child"));
  const PrelinkedKext& child = *byId["org.kextkit.driver.Child"];
  CHECK(child.linkedAgainst() == std::vector<size_t>{byId["org.kextkit.family.Family"]->entry.index,
                                                     byId["com.apple.kpi.libkern"]->entry.index});
  CHECK(byId["org.kextkit.family.Family"]->refs == 1);
  CHECK(byId["com.apple.kpi.libkern"]->refs >= 3);
  CHECK(byId["com.apple.kpi.bsd"]->entry.kernelResource);
  CHECK(byId["org.kextkit.injector.Codeless"]->hasExecutable == false);
}

TEST_CASE("extracted Info.plists: no _Prelink keys, standard XML that parses back") {
  BuiltKernel built = build(testdataKexts(), buildOptions(Layout::Split));
  auto kc = Kernelcache::open(built.image);
  REQUIRE(kc);
  for (const auto& k : kc->kexts()) {
    plist::Value info = k.entry.infoPlist();
    REQUIRE(info.asDict());
    for (const auto& [key, v] : *info.asDict()) CHECK(key.rfind("_Prelink", 0) != 0);
    std::string xml = plist::writeXmlPlist(info);
    auto back = plist::parseStandardPlist(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(xml.data()), xml.size()));
    REQUIRE(back);
    CHECK(*back == info);
  }
}

TEST_CASE("kmod_info left as compiled when the builder does not link it: Wired = Size") {
  BuildOptions o = buildOptions(Layout::Split);
  o.linkKmodInfo = false;
  const auto kexts = testdataKexts();
  BuiltKernel built = build(kexts, o);
  auto kc = Kernelcache::open(built.image);
  REQUIRE(kc);
  size_t withKmod = 0;
  for (size_t i = 0; i < kc->kexts().size(); ++i) {
    const auto& k = kc->kexts()[i];
    if (!k.hasExecutable) continue;
    auto exe = kc->extractExecutable(k);
    REQUIRE(exe);
    // Byte-identical to the file on disk.
    const auto& src = kexts[i - kpiResources().size()];
    REQUIRE(src.executable);
    CHECK(*exe == *src.executable);
    if (k.kmodInfo) {
      ++withKmod;
      CHECK(k.kmodInfo->hdrSize == 0);
      CHECK(k.wired() == k.size);
    }
  }
  CHECK(withKmod >= 3);
}

TEST_CASE("corpus: caches of the 38 OS X 10.9 kexts in every layout and compression") {
  KK_REQUIRE_CORPUS(corpus);
  std::vector<std::string> skipped;
  const auto kexts = kextsFrom(corpus + "/10.9-subset", "/System/Library/Extensions",
                               {macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_X86_64_ALL}, &skipped);
  INFO("skipped: " << skipped.size());
  for (const auto& s : skipped) WARN(s);
  CHECK(kexts.size() >= 95);
  for (Layout layout : {Layout::Split, Layout::Fileset, Layout::Merged}) {
    for (Compression c : {Compression::None, Compression::Lzss, Compression::Lzvn}) {
      if (layout == Layout::Merged && c != Compression::Lzvn) continue;
      DYNAMIC_SECTION(layoutName(layout) << " " << compressionName(c)) {
        BuiltKernel built = build(kexts, buildOptions(layout, false));
        std::vector<uint8_t> file = cacheFile(built.image, c);
        auto kc = Kernelcache::open(file);
        REQUIRE(kc);
        checkAgainstManifest(*kc, built, layout);
        // The kpi kexts of System.kext are kernel resources without code, with interface UUIDs.
        size_t resources = 0;
        for (const auto& k : kc->kexts())
          if (k.entry.kernelResource) {
            ++resources;
            CHECK_FALSE(k.hasExecutable);
          }
        CHECK(resources >= 8);
      }
    }
  }
}

TEST_CASE("corpus: bundles extracted from a 10.9 cache parse as standard XML, executables byte for byte") {
  KK_REQUIRE_CORPUS(corpus);
  const auto kexts = kextsFrom(corpus + "/10.9-subset", "/System/Library/Extensions");
  BuildOptions o = buildOptions(Layout::Fileset, false);
  o.linkKmodInfo = false;  // executables exactly as on disk
  BuiltKernel built = build(kexts, o);
  std::vector<uint8_t> file = cacheFile(built.image, Compression::Lzvn);
  auto kc = Kernelcache::open(file);
  REQUIRE(kc);
  std::vector<std::vector<uint8_t>> exes(kc->kexts().size());
  std::vector<kext::ExtractedKext> out;
  for (size_t i = 0; i < kc->kexts().size(); ++i) {
    const auto& k = kc->kexts()[i];
    kext::ExtractedKext e;
    e.bundlePath = k.entry.bundlePath;
    e.info = k.entry.infoPlist();
    if (k.hasExecutable) {
      auto x = kc->extractExecutable(k);
      REQUIRE(x);
      exes[i] = std::move(x).value();
      e.executable = &exes[i];
    }
    out.push_back(std::move(e));
  }
  TempDir tmp;
  auto dir = io::OutputDir::open(tmp.path());
  REQUIRE(dir);
  kext::BundlePlan plan = kext::planBundles(out, kext::NamingScheme::BundlePath);
  REQUIRE(kext::writeBundles(*dir, out, plan, io::Overwrite::Refuse));
  size_t plists = 0, executables = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    INFO(plan.bundleDirs[i]);
    std::vector<uint8_t> xml = readBytes(tmp / (plan.bundleDirs[i] + "/Contents/Info.plist"));
    auto parsed = plist::parseStandardPlist(xml);
    REQUIRE(parsed);
    CHECK(*parsed == out[i].info);
    ++plists;
    if (out[i].executable) {
      const std::string* name = out[i].info.get("CFBundleExecutable")->asString();
      REQUIRE(name);
      std::vector<uint8_t> exe = readBytes(tmp / (plan.bundleDirs[i] + "/Contents/MacOS/" + *name));
      // What went in: the kext's executable file (thin x86_64 slice), unchanged.
      const BuilderKext& in = kexts[i];
      REQUIRE(in.executable);
      CHECK(exe == *in.executable);
      ++executables;
    }
  }
  CHECK(plists == kexts.size());
  CHECK(executables >= 60);
}
