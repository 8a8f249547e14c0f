// kextkit-bench kexts: validate every kext bundle under a folder (the corpus), timed; resolve
// the 10.9 subset against itself and against a synthetic kernelcache built from it, and
// compare. Prints figures; asserts nothing.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "Bench.h"
#include "CorpusWalk.h"
#include "KextInputs.h"
#include "kextkit/kernelcache/KernelcacheWriter.h"
#include "kextkit/kernelcache/PrelinkedKernelBuilder.h"
#include "kextkit/kext/Authentication.h"
#include "kextkit/kext/DependencyResolver.h"
#include "kextkit/kext/KextDiscovery.h"
#include "kextkit/kext/KextValidation.h"
#include "kextkit/kext/LinkLibraries.h"

namespace kextkit::bench {

namespace {

namespace fs = std::filesystem;

struct Options {
  std::string corpus;
  Timing timing;
};

struct Tally {
  size_t bundles = 0, valid = 0, authentic = 0, noInfoDictionary = 0, warnings = 0;
  std::map<std::string, size_t> failures;  // validation keys (first of each bundle's), counted
};

Tally validateAll(const std::vector<std::string>& bundles) {
  Tally t;
  kext::ValidationOptions v;
  for (const std::string& path : bundles) {
    kext::KextBundle b = kext::KextBundle::load(path);
    kext::ValidationResult r = kext::validateKext(b, v);
    std::vector<kext::AuthIssue> auth = kext::authenticateBundle(path);
    ++t.bundles;
    t.valid += r.valid;
    t.authentic += kext::isAuthentic(auth);
    t.noInfoDictionary += !r.hasInfoDictionary;
    t.warnings += !r.diagnostics.empty(kext::DiagnosticGroup::Warnings);
    for (const kext::DiagnosticEntry& e : r.diagnostics.entries(kext::DiagnosticGroup::Validation))
      ++t.failures[e.key];
  }
  return t;
}

// One kext's result: loadable or not, and its load list as "id version".
struct Outcome {
  bool loadable = false;
  std::vector<std::string> loadList;
  bool operator==(const Outcome&) const = default;
};

Outcome resolveOne(kext::KextCatalog& c, kext::DependencyResolver& r, size_t i) {
  Outcome o;
  const bool resolved = r.resolve(i);
  o.loadable = c.isValid(i) && resolved && r.validateDependencies(i);
  for (size_t k : r.loadList(i))
    o.loadList.push_back(c.facts(k).identifier + " " + kext::versionToString(c.facts(k).version, kext::VersionEra::Modern));
  return o;
}

int runKexts(const Options& opt) {
  const std::vector<std::string> bundles = testkit::allKextDirectories(opt.corpus);
  if (bundles.empty()) {
    std::fprintf(stderr, "no *.kext directory under %s\n", opt.corpus.c_str());
    return 1;
  }
  Tally tally;
  const double t = opt.timing.best([&] { tally = validateAll(bundles); });
  std::printf("validate (Info.plist, executable, authentication) every bundle under %s, %s:\n", opt.corpus.c_str(),
              opt.timing.describe().c_str());
  std::printf("  %zu bundles in %.3f s (%.2f ms each): %zu valid, %zu invalid (%zu without a readable Info.plist), "
              "%zu with warnings\n",
              tally.bundles, t, 1000.0 * t / static_cast<double>(tally.bundles), tally.valid, tally.bundles - tally.valid,
              tally.noInfoDictionary, tally.warnings);
  std::printf("  validation failures by diagnostic (bundles):\n");
  for (const auto& [key, n] : tally.failures) std::printf("    %4zu  %s\n", n, key.c_str());

  const std::string subset = opt.corpus + "/10.9-subset";
  if (!fs::is_directory(subset)) return 0;
  const macho::Arch x86_64{macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_X86_64_ALL};
  auto found = kext::discoverKexts(subset);
  if (!found) {
    std::fprintf(stderr, "%s\n", found.error().describe().c_str());
    return 1;
  }

  // 1. Each 10.9 bundle resolved against the folder (kextutil -r 10.9-subset).
  kext::KextCatalog folder(x86_64);
  std::vector<size_t> indices;
  std::vector<std::shared_ptr<const kext::KextBundle>> shared;
  for (const kext::KextBundle& b : *found) shared.push_back(std::make_shared<const kext::KextBundle>(b));
  for (const auto& b : shared) indices.push_back(*folder.addBundle(b, kext::KextOrigin::Repository, {}));
  kext::DependencyResolver resolver(folder);
  std::vector<Outcome> viaFolder;
  for (size_t i : indices) viaFolder.push_back(resolveOne(folder, resolver, i));
  size_t loadable = 0;
  for (const Outcome& o : viaFolder) loadable += o.loadable;
  std::printf("\n10.9 subset against itself as a repository: %zu of %zu bundles loadable\n", loadable, indices.size());

  // 2. kextlibs on every kext with x86_64 code: are all undefined symbols covered, and does the
  //    suggestion equal the kext's own OSBundleLibraries(_x86_64)?
  {
    size_t kexts = 0, covered = 0, padSlotsOnly = 0, matchDefault = 0, matchUnsupported = 0, overDeclared = 0;
    kext::LinkSearchOptions unsupported;
    unsupported.allowUnsupported = true;
    for (size_t i : indices) {
      const kext::KextFacts& f = folder.facts(i);
      if (!f.declaresExecutable || f.isKernelComponent || !folder.record(i).supportsArch) continue;
      auto plain = kext::findLinkDependencies(folder, i);
      auto all = kext::findLinkDependencies(folder, i, unsupported);
      if (!plain || !all) continue;
      ++kexts;
      std::set<std::string> left;
      for (const std::string& sym : all->undefined)
        if (sym.find("_RESERVED") == std::string::npos) left.insert(sym);
      covered += all->undefined.empty();
      padSlotsOnly += !all->undefined.empty() && left.empty();
      std::set<std::string> declared, suggested, suggestedAll;
      for (const auto& lib : f.libraries) declared.insert(lib.identifier);
      for (size_t lib : plain->libraries) suggested.insert(folder.facts(lib).identifier);
      for (size_t lib : all->libraries) suggestedAll.insert(folder.facts(lib).identifier);
      matchDefault += suggested == declared;
      matchUnsupported += suggestedAll == declared;
      overDeclared += suggestedAll != declared &&
                      std::includes(declared.begin(), declared.end(), suggestedAll.begin(), suggestedAll.end());
    }
    std::printf("kextlibs on the %zu 10.9 kexts with x86_64 code (kernel components aside), with -unsupported: "
                "every undefined symbol found for %zu, only vtable pad slots (_RESERVED*) left for %zu, other "
                "symbols left for %zu\n",
                kexts, covered, padSlotsOnly, kexts - covered - padSlotsOnly);
    std::printf("  suggestion == the kext's own OSBundleLibraries: %zu (default search), %zu (-unsupported); the kext "
                "declares more than it uses: %zu\n",
                matchDefault, matchUnsupported, overDeclared);
  }

  // 3. A synthetic kernelcache of the same kexts; each bundle named against it (kextutil -k).
  std::vector<std::string> skipped;
  auto input = kernelcache::builderKextsFromBundles(*found, x86_64, subset, "/System/Library/Extensions", &skipped);
  kernelcache::BuildOptions bo;
  auto built = kernelcache::buildPrelinkedKernel(input, bo);
  if (!built) {
    std::fprintf(stderr, "building the kernelcache: %s\n", built.error().describe().c_str());
    return 1;
  }
  io::Bytes images[] = {io::Bytes(built->image)};
  auto file = kernelcache::writeKernelcache(images, kernelcache::Compression::Lzvn);
  if (!file) {
    std::fprintf(stderr, "writing the kernelcache: %s\n", file.error().describe().c_str());
    return 1;
  }
  const std::string cachePath = (fs::temp_directory_path() / "kextkit-bench-10.9.kc").string();
  {
    std::FILE* f = std::fopen(cachePath.c_str(), "wb");
    if (!f || std::fwrite(file->data(), 1, file->size(), f) != file->size()) {
      std::fprintf(stderr, "cannot write %s\n", cachePath.c_str());
      if (f) std::fclose(f);
      return 1;
    }
    std::fclose(f);
  }
  size_t same = 0, cacheLoadable = 0;
  for (size_t n = 0; n < shared.size(); ++n) {
    kext::KextCatalog viaCache(x86_64);
    auto added = tools::addKernelcacheKexts(viaCache, cachePath, {});
    if (!added) {
      std::fprintf(stderr, "%s\n", added.error().describe().c_str());
      return 1;
    }
    const size_t named = *viaCache.addBundle(shared[n], kext::KextOrigin::Named, {});
    kext::DependencyResolver r(viaCache);
    const Outcome o = resolveOne(viaCache, r, named);
    cacheLoadable += o.loadable;
    if (o == viaFolder[n]) {
      ++same;
    } else {
      std::printf("  differs: %s\n", shared[n]->path().c_str());
    }
  }
  fs::remove(cachePath);
  std::printf("10.9 subset against a synthetic kernelcache of it (%zu kexts prelinked, %zu left out by the builder, "
              "%zu bytes, lzvn): %zu loadable; %zu of %zu bundles give the same result (loadable, load list) as "
              "against the folder\n",
              built->kexts.size(), skipped.size(), file->size(), cacheLoadable, same, shared.size());
  return 0;
}

}  // namespace

Subcommand addKexts(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  opt->timing.repeat = 3;
  CLI::App* cmd = app.add_subcommand("kexts", "validate every kext bundle of a corpus; 10.9 resolution, folder vs kernelcache");
  cmd->add_option("CORPUS", opt->corpus, "folder searched recursively for *.kext (e.g. ../shared/corpus)")->required();
  opt->timing.addOptions(cmd);
  return {cmd, [opt] { return runKexts(*opt); }};
}

}  // namespace kextkit::bench
