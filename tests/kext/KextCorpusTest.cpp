// Corpus acceptance: discover every bundle of the real-world corpus, read every Info.plist and
// executable header, and compare with KEXT_INDEX.tsv (ids, versions, executable formats,
// plugin counts, layouts, known-broken bundles).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "CorpusWalk.h"
#include "TestPaths.h"
#include "kextkit/kext/KextDiscovery.h"
#include "kextkit/kext/KextVersion.h"

using namespace kextkit;
using namespace kextkit::kext;
namespace fs = std::filesystem;

namespace {

std::vector<std::vector<std::string>> readTsv(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::vector<std::string> cols;
    size_t start = 0;
    while (true) {
      size_t tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(cols);
  }
  return rows;
}

// The index's executable_format column, rebuilt from what we read: "MachO x86_64:MH_KEXT_BUNDLE",
// "FAT[x86_64:MH_KEXT_BUNDLE, i386:MH_OBJECT]", with " (flat)" for flat bundles. The index
// names 32-bit ARM generically ("arm").
std::string formatOf(const KextBundle& b) {
  if (!b.declaresExecutable() || !b.info()) return "NO-EXECUTABLE";
  if (!b.executable() || !b.executable()->exists) return "EXECUTABLE-DECLARED-BUT-MISSING";
  auto one = [](const ExecutableSlice& s) {
    std::string arch = s.arch.cputype == macho::CPU_TYPE_ARM ? "arm" : macho::describeArch(s.arch);
    auto type = macho::fileTypeName(s.filetype);
    return arch + ":" + (s.parsed && type ? std::string(*type) : "?");
  };
  const auto& slices = b.executable()->slices;
  std::string out;
  if (b.executable()->fat) {
    out = "FAT[";
    for (size_t i = 0; i < slices.size(); ++i) out += (i ? ", " : "") + one(slices[i]);
    out += "]";
  } else {
    out = slices.empty() ? "?" : "MachO " + one(slices[0]);
  }
  if (b.layout() == BundleLayout::Flat) out += " (flat)";
  return out;
}

}  // namespace

TEST_CASE("corpus: every bundle is discovered and read; results agree with KEXT_INDEX.tsv") {
  KK_REQUIRE_CORPUS(corpus);
  std::vector<std::string> repos = testkit::kextRepositories(corpus + "/kexts");
  repos.push_back(corpus + "/10.9-subset");
  REQUIRE(repos.size() > 20);

  std::map<std::string, const KextBundle*> byRel;  // corpus-relative path -> bundle
  std::vector<std::vector<KextBundle>> results;
  results.reserve(repos.size());
  size_t bundles = 0, plugins = 0, plistsParsed = 0, executablesDeclared = 0, executablesRead = 0,
         slicesParsed = 0, codeless = 0, tenNine = 0;
  std::map<std::string, size_t> flavors, issuesByKind;
  std::map<std::string, size_t> pluginCount;  // parent rel path -> plugins
  for (const auto& repo : repos) {
    INFO(repo);
    auto found = discoverKexts(repo);
    REQUIRE(found);
    results.push_back(std::move(*found));
    for (const auto& b : results.back()) {
      std::string rel = b.path().substr(corpus.size() + 1);
      REQUIRE(byRel.emplace(rel, &b).second);  // no bundle reached twice
      ++bundles;
      if (rel.rfind("10.9-subset/", 0) == 0) ++tenNine;
      if (b.isPlugin()) {
        ++plugins;
        ++pluginCount[b.parentPath().substr(corpus.size() + 1)];
      }
      if (b.info()) {
        ++plistsParsed;
        ++flavors[std::string(plist::plistFlavorName(*b.plistFlavor()))];
      }
      if (b.declaresExecutable()) ++executablesDeclared;
      else if (b.info()) ++codeless;
      if (b.executable() && !b.executable()->slices.empty()) {
        ++executablesRead;
        for (const auto& s : b.executable()->slices) slicesParsed += s.parsed ? 1 : 0;
      }
      for (const auto& i : b.issues()) ++issuesByKind[std::string(bundleIssueKindName(i.kind))];
    }
  }

  // Independent census: every *.kext directory in the corpus is found, nothing else is.
  std::set<std::string> onDisk;
  for (const char* top : {"/kexts", "/10.9-subset"})
    for (std::string& dir : testkit::allKextDirectories(corpus + top)) onDisk.insert(std::move(dir));
  std::set<std::string> discovered;
  for (const auto& [rel, b] : byRel) discovered.insert(corpus + "/" + rel);
  CHECK(discovered == onDisk);
  CHECK(tenNine == 101);

  // KEXT_INDEX.tsv: one row per bundle.
  auto index = readTsv(corpus + "/KEXT_INDEX.tsv");
  REQUIRE(index.size() > 500);
  size_t rowsChecked = 0, versionsParsed = 0, versionsParsedClassic = 0;
  for (const auto& row : index) {
    REQUIRE(row.size() >= 14);
    const std::string& rel = row[0];
    INFO(rel);
    auto it = byRel.find(rel);
    REQUIRE(it != byRel.end());
    const KextBundle& b = *it->second;
    CHECK(b.isPlugin() == (row[1] == "plugin"));
    const std::string& id = row[4];
    const std::string& version = row[5];
    if (!id.empty()) {
      REQUIRE(b.bundleIdentifier());
      CHECK(*b.bundleIdentifier() == id);
    }
    if (!version.empty()) {
      REQUIRE(b.bundleVersion());
      CHECK(*b.bundleVersion() == version);
      if (parseVersion(version, VersionEra::Modern) > 0) ++versionsParsed;
      if (parseVersion(version, VersionEra::Classic) > 0) ++versionsParsedClassic;
    }
    if (!row[6].empty() && b.info()) CHECK(b.executableName() != nullptr);
    CHECK(formatOf(b) == row[7]);
    CHECK(pluginCount[rel] == std::stoul(row[8]));
    const std::string& layout = row[12];
    if (layout == "Contents+flat") {
      CHECK(b.layout() == BundleLayout::Contents);
      CHECK(b.hasBothLayouts());
    } else {
      CHECK(b.layout() == (layout == "flat" ? BundleLayout::Flat : BundleLayout::Contents));
      CHECK_FALSE(b.hasBothLayouts());
    }
    const std::string& errors = row[13];
    if (errors.find("plist-error:FileNotFoundError") != std::string::npos) {
      CHECK(b.hasIssue(BundleIssueKind::InfoPlistMissing));
      CHECK(b.issues()[0].error.describe() ==
            b.path() + ": no Info.plist: neither Contents/Info.plist nor Info.plist exists");
    }
    if (row[7] == "EXECUTABLE-DECLARED-BUT-MISSING") {
      CHECK(b.hasIssue(BundleIssueKind::ExecutableMissing));
      REQUIRE(b.executable());
      CHECK(b.issues()[0].error.describe() ==
            b.executable()->path + ": does not exist (named by CFBundleExecutable)");
    }
    if (errors.empty() && row[7] != "EXECUTABLE-DECLARED-BUT-MISSING") CHECK(b.issues().empty());
    ++rowsChecked;
  }

  // Only the known-broken bundles have issues.
  size_t withIssues = 0;
  for (const auto& [rel, b] : byRel) withIssues += b->issues().empty() ? 0 : 1;

  std::ostringstream kinds;
  for (const auto& [k, n] : issuesByKind) kinds << " " << k << "=" << n;
  std::ostringstream fl;
  for (const auto& [k, n] : flavors) fl << " " << k << "=" << n;
  WARN("corpus kext scan: " << repos.size() << " repositories, " << bundles << " bundles (" << plugins
                            << " plugins, " << tenNine << " in 10.9-subset), " << plistsParsed
                            << " Info.plists parsed (" << fl.str() << " ), " << codeless << " codeless, "
                            << executablesDeclared << " declare an executable, " << executablesRead
                            << " executables read, " << slicesParsed << " Mach-O slices parsed; "
                            << withIssues << " bundles with issues:" << kinds.str() << "; " << rowsChecked
                            << " KEXT_INDEX rows matched, " << versionsParsed << " of their CFBundleVersions parse in the modern era, "
                            << versionsParsedClassic << " in the classic era");
  CHECK(bundles == onDisk.size());
  CHECK(rowsChecked == index.size());
  CHECK(issuesByKind["info-plist-missing"] == 4);
  CHECK(issuesByKind["executable-missing"] == 2);
  CHECK(withIssues == 6);
}
