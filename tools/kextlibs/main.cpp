// kextlibs: find the OSBundleLibraries a kext should declare, from the symbols its executable
// leaves undefined (kext_tools kextlibs_main.c, apple-formats.md §6.5).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sys/stat.h>

#include "AppleArgs.h"
#include "JsonWriter.h"
#include "KextInputs.h"
#include "Report.h"
#include "kextkit/kext/KextCatalog.h"
#include "kextkit/kext/KextDiscovery.h"
#include "kextkit/kext/LinkLibraries.h"

using namespace kextkit;
namespace fs = std::filesystem;
namespace tools = kextkit::tools;

namespace {

/// kextlibs exit codes (kext_tools kextlibs_main.h).
enum Exit : int {
  kExitOK = 0,
  kExitUndefineds = 1,
  kExitMultiples = 2,
};

/// EX_OSFILE: the -kernel file cannot be read.
constexpr int kExOsFile = 72;

const char* const kSystemExtensionsFolders[] = {"/System/Library/Extensions", "/Library/Extensions"};

struct Options {
  bool xml = false;
  bool compatible = false;
  bool systemExtensions = false;
  std::vector<std::string> repositories;
  std::string kernelCache;
  bool allSymbols = false, undefSymbols = false, onedefSymbols = false, multdefSymbols = false;
  bool nonKPI = false;
  bool unsupported = false;
  bool quiet = false;
  bool verbose = false;
  bool json = false;
  std::string arch;
  std::vector<std::string> kexts;
};

/// The catalog for one arch: repository kexts (with plugins), then the kext itself.
struct ArchCatalog {
  std::unique_ptr<kext::KextCatalog> catalog;
  size_t kext = 0;
};

/// The results for one arch.
struct ArchResult {
  macho::Arch arch;
  std::string archName;
  ArchCatalog cat;
  kext::LinkDependencies deps;
};

class Kextlibs {
 public:
  explicit Kextlibs(const Options& o) : o_(o) {}
  int run();

 private:
  std::optional<ArchCatalog> buildCatalog(macho::Arch arch);
  int printLibs(const ArchResult* r, const std::vector<size_t>& libs, const kext::KextCatalog& c, bool trailingNewline);
  int printProblems(const ArchResult& r, bool printArch, bool trailingNewline);
  std::string jsonReport(const std::vector<ArchResult>& results, int exitStatus) const;

  const Options& o_;
  std::optional<Error> cacheError_;
  std::vector<std::string> repositories_;
  std::string kextPath_;
};

std::optional<ArchCatalog> Kextlibs::buildCatalog(macho::Arch arch) {
  ArchCatalog out;
  out.catalog = std::make_unique<kext::KextCatalog>(arch, kext::VersionEra::Modern);
  kext::ValidationOptions v;
  v.arch = arch;
  std::set<std::string> seen;
  std::optional<size_t> self;
  std::error_code ec;
  const std::string selfKey = fs::weakly_canonical(fs::path(kextPath_), ec).string();
  auto add = [&](const std::string& path, kext::KextOrigin origin, bool withPlugins) {
    auto found = kext::discoverKexts(path);
    if (!found) {
      // IOKitUser logs a missing folder and goes on.
      if (found.error().code == ErrorCode::NotFound) tools::printError(path + " - no such file or directory.");
      return;
    }
    for (kext::KextBundle& b : *found) {
      if (!withPlugins && b.isPlugin()) continue;
      std::error_code e2;
      std::string key = fs::weakly_canonical(fs::path(b.path()), e2).string();
      if (e2) key = b.path();
      if (!seen.insert(key).second) {
        continue;
      }
      auto index = out.catalog->addBundle(std::make_shared<const kext::KextBundle>(std::move(b)), origin, v);
      if (index && key == selfKey) self = index;
    }
  };
  for (const std::string& r : repositories_) add(r, kext::KextOrigin::Repository, true);
  if (!o_.kernelCache.empty()) {
    auto added = tools::addKernelcacheKexts(*out.catalog, o_.kernelCache, v);
    if (!added) {
      cacheError_ = added.error();
      return std::nullopt;
    }
  }
  add(kextPath_, kext::KextOrigin::Named, false);
  if (!self) return std::nullopt;
  out.kext = *self;
  return out;
}

int Kextlibs::printLibs(const ArchResult* r, const std::vector<size_t>& libs, const kext::KextCatalog& c,
                        bool trailingNewline) {
  std::string generic;
  if (r && r->arch.cputype != macho::CPU_TYPE_POWERPC)
    generic = std::string(macho::genericArchName(r->arch.cputype).value_or(r->archName));
  if (o_.xml) {
    if (!libs.empty()) {
      std::printf("\t<key>OSBundleLibraries%s%s</key>\n", generic.empty() ? "" : "_", generic.c_str());
      std::printf("\t<dict>\n");
    }
  } else {
    std::fflush(stdout);
    if (r)
      std::fprintf(stderr, "For %s:\n", r->archName.c_str());
    else
      std::fprintf(stderr, "For all architectures:\n");
    std::fflush(stderr);
    if (libs.empty()) std::printf("    No libraries found.\n");
  }
  for (size_t lib : libs) {
    const kext::KextFacts& f = c.facts(lib);
    const kext::OSKextVersion v = o_.compatible ? f.compatibleVersion : f.version;
    if (v <= 0) {
      tools::printError("Internal error generating library list.");
      return tools::kExOsErr;
    }
    const std::string vs = kext::versionToString(v, kext::VersionEra::Modern);
    if (o_.xml)
      std::printf("\t\t<key>%s</key>\n\t\t<string>%s</string>\n", f.identifier.c_str(), vs.c_str());
    else
      std::printf("    %s = %s\n", f.identifier.c_str(), vs.c_str());
  }
  if (!libs.empty() && o_.xml) std::printf("\t</dict>\n");
  std::fflush(stdout);
  if (trailingNewline) std::fprintf(stderr, "\n");
  return kExitOK;
}

namespace {
// CFBundleVersion or OSBundleCompatibleVersion as written in the library's Info.plist (Apple
// prints the property itself in the symbol listings).
std::string plistVersion(const kext::KextCatalog& c, size_t lib, bool compatible) {
  const kext::KextFacts& f = c.facts(lib);
  return compatible ? f.compatibleVersionString : f.versionString;
}
}  // namespace

int Kextlibs::printProblems(const ArchResult& r, bool printArch, bool trailingNewline) {
  const kext::LinkDependencies& d = r.deps;
  const kext::KextCatalog& c = *r.cat.catalog;
  const bool printOnedef = o_.onedefSymbols || o_.allSymbols;
  const bool printUndef = o_.undefSymbols || o_.allSymbols;
  const bool printMultdef = o_.multdefSymbols || o_.allSymbols;
  const size_t onedef = d.onedef.size(), undef = d.undefined.size(), multdef = d.multdef.size();
  if (!printOnedef && !undef && !multdef) return kExitOK;
  int result = kExitOK;
  std::fflush(stdout);
  if (printArch) std::fprintf(stderr, "For %s:\n", r.archName.c_str());
  const char* compat = o_.compatible ? "compatible version " : "";
  if (printOnedef) {
    std::fprintf(stderr, "    %zu symbol%s found in one library kext each%s\n", onedef, onedef > 1 ? "s" : "",
                 onedef ? ":" : ".");
    for (const auto& [sym, lib] : d.onedef)
      std::fprintf(stderr, "    %s in %s (%s%s)\n", sym.c_str(), c.record(lib).path.c_str(), compat,
                   plistVersion(c, lib, o_.compatible).c_str());
  }
  if (undef) {
    std::fprintf(stderr, "    %zu symbol%s not found in any library kext%s\n", undef, undef > 1 ? "s" : "",
                 printUndef ? ":" : ".");
    if (printUndef)
      for (const std::string& sym : d.undefined) std::fprintf(stderr, "\t%s\n", sym.c_str());
    result = kExitUndefineds;
  }
  if (multdef) {
    if (printMultdef) {
      std::fprintf(stderr, "    %zu symbol%s found in more than one library kext:\n", multdef, multdef > 1 ? "s" : "");
      for (const auto& [sym, libs] : d.multdef) {
        std::fprintf(stderr, "    %s: in\n", sym.c_str());
        for (size_t lib : libs) {
          std::error_code ec;
          std::string abs = fs::absolute(fs::path(c.record(lib).path), ec).lexically_normal().string();
          std::fprintf(stderr, "        %s (%s%s)\n", abs.c_str(), compat, plistVersion(c, lib, o_.compatible).c_str());
        }
      }
    } else {
      std::fprintf(stderr, "    Multiple symbols found among %zu libraries:\n", d.multdefLibraries.size());
      for (size_t lib : d.multdefLibraries) std::fprintf(stderr, "\t%s\n", c.facts(lib).identifier.c_str());
    }
    result = kExitMultiples;
  }
  if (trailingNewline) std::fprintf(stderr, "\n");
  return result;
}

// --json: per arch, the libraries (identifier, version, compatible version, path) and every
// symbol: the ones found once with their library, the ones found several times, the ones not
// found; plus the exit status the plain output would have.
std::string Kextlibs::jsonReport(const std::vector<ArchResult>& results, int exitStatus) const {
  tools::JsonWriter j;
  j.beginObject().key("kext").value(kextPath_).key("exit").value(exitStatus).key("architectures").beginArray();
  for (const ArchResult& r : results) {
    const kext::KextCatalog& c = *r.cat.catalog;
    auto library = [&](size_t lib) {
      const kext::KextFacts& f = c.facts(lib);
      j.beginObject()
          .key("identifier").value(f.identifier)
          .key("version").value(f.versionString)
          .key("compatibleVersion").value(f.compatibleVersionString)
          .key("path").value(c.record(lib).path)
          .endObject();
    };
    j.beginObject().key("arch").value(r.archName).key("libraries").beginArray();
    for (size_t lib : r.deps.libraries) library(lib);
    j.endArray().key("undefinedSymbols").beginArray();
    for (const std::string& sym : r.deps.undefined) j.value(sym);
    j.endArray().key("multiplyDefinedSymbols").beginArray();
    for (const auto& [sym, libs] : r.deps.multdef) {
      j.beginObject().key("symbol").value(sym).key("libraries").beginArray();
      for (size_t lib : libs) j.value(c.facts(lib).identifier);
      j.endArray().endObject();
    }
    j.endArray().key("onceDefinedSymbols").beginArray();
    for (const auto& [sym, lib] : r.deps.onedef)
      j.beginObject().key("symbol").value(sym).key("library").value(c.facts(lib).identifier).endObject();
    j.endArray().endObject();
  }
  j.endArray().endObject();
  return j.str();
}

int Kextlibs::run() {
  if (o_.kexts.empty()) {
    tools::printError("No kext specified.");
    std::fprintf(stderr, "usage: kextlibs [options] kext\n\nuse kextlibs -help for a list of options\n");
    return tools::kExUsage;
  }
  if (int st = tools::checkKextPath(o_.kexts[0], true); st != kExitOK) return st;
  if (o_.kexts.size() > 1) {
    tools::printError("Too many arguments starting at '" + o_.kexts[1] + "'.");
    std::fprintf(stderr, "usage: kextlibs [options] kext\n\nuse kextlibs -help for a list of options\n");
    return tools::kExUsage;
  }
  for (const std::string& r : o_.repositories)
    if (int st = tools::checkKextPath(r, false); st != kExitOK) return st;
  kextPath_ = tools::stripTrailingSlashes(o_.kexts[0]);

  // With no -r (or with -e), the system extensions folders come first.
  if (o_.repositories.empty() || o_.systemExtensions)
    for (const char* dir : kSystemExtensionsFolders) repositories_.push_back(dir);
  for (const std::string& r : o_.repositories)
    if (std::find(repositories_.begin(), repositories_.end(), tools::stripTrailingSlashes(r)) == repositories_.end())
      repositories_.push_back(tools::stripTrailingSlashes(r));

  // The kext on its own, to learn whether it has an executable and which archs.
  kext::KextBundle bundle = kext::KextBundle::load(kextPath_);
  if (!bundle.info() || bundle.plistFlavor() != plist::PlistFlavor::IOKitXml) {
    tools::printError("Can't open " + kextPath_ + ".");
    return tools::kExOsErr;
  }
  kext::KextFacts facts = kext::validateInfoDictionary(*bundle.info()).facts;
  if (!facts.declaresExecutable) {
    if (facts.isLibrary()) {
      tools::printError(kextPath_ +
                        " is a library without an executable; defining its OSBundleLibraries (if any) is up to you.");
      return tools::kExOsErr;
    }
    const plist::Value* libs = bundle.info()->get("OSBundleLibraries");
    if (libs && libs->isDict() && !libs->asDict()->empty()) {
      tools::printError(kextPath_ + " has no executable and should not declare OSBundleLibraries.");
      return tools::kExOsErr;
    }
    tools::printWarning(kextPath_ + " has no executable and does not need to declare OSBundleLibraries.");
    if (o_.json && !o_.quiet) std::fputs(jsonReport({}, kExitOK).c_str(), stdout);
    return kExitOK;
  }

  // One pass per arch of the executable (or the one -arch names).
  std::vector<std::pair<macho::Arch, std::string>> archs;
  if (bundle.executable())
    for (const kext::ExecutableSlice& s : bundle.executable()->slices) {
      macho::Arch a{s.arch.cputype, macho::maskedSubtype(s.arch.cpusubtype)};
      std::string name = macho::describeArch(a);
      if (auto known = macho::archFromName(name)) a = *known;
      if (std::none_of(archs.begin(), archs.end(), [&](const auto& p) { return p.first == a; }))
        archs.emplace_back(a, name);
    }
  if (!o_.arch.empty()) {
    auto wanted = macho::archFromName(o_.arch);
    if (!wanted || wanted->cputype == macho::CPU_TYPE_ANY) {
      tools::printError("Unknown architecture " + o_.arch + ".");
      return tools::kExUsage;
    }
    std::erase_if(archs, [&](const auto& p) { return !macho::archMatches(p.first, *wanted); });
    if (archs.empty()) {
      tools::printError(kextPath_ + " has no code for architecture " + o_.arch + ".");
      return tools::kExOsErr;
    }
  }
  if (archs.empty()) {
    tools::printError("Can't determine architectures of " + kextPath_ + ".");
    return tools::kExOsErr;
  }

  kext::LinkSearchOptions search;
  search.nonKPI = o_.nonKPI;
  search.allowUnsupported = o_.unsupported;
  std::vector<ArchResult> results;
  for (const auto& [arch, name] : archs) {
    ArchResult r;
    r.arch = arch;
    r.archName = name;
    auto cat = buildCatalog(arch);
    if (!cat) {
      if (cacheError_) {
        tools::printError(*cacheError_);
        return kExOsFile;
      }
      tools::printError("Can't open " + kextPath_ + ".");
      return tools::kExOsErr;
    }
    r.cat = std::move(*cat);
    auto deps = kext::findLinkDependencies(*r.cat.catalog, r.cat.kext, search);
    if (!deps) {
      tools::printError(deps.error());
      return tools::kExOsErr;
    }
    r.deps = std::move(*deps);
    results.push_back(std::move(r));
  }
  if (o_.quiet || o_.json) {
    int result = kExitOK;
    for (const ArchResult& r : results) {
      if (!r.deps.undefined.empty()) result = std::max<int>(result, kExitUndefineds);
      if (!r.deps.multdef.empty()) result = std::max<int>(result, kExitMultiples);
    }
    if (o_.json && !o_.quiet) std::fputs(jsonReport(results, result).c_str(), stdout);
    return result;
  }

  // Libraries are compared by bundle (the same kext object in Apple's terms).
  auto libPaths = [](const ArchResult& r) {
    std::vector<std::string> out;
    for (size_t lib : r.deps.libraries) out.push_back(r.cat.catalog->record(lib).path);
    return out;
  };
  bool archSpecific = false;
  for (size_t i = 0; i + 1 < results.size(); ++i)
    if (libPaths(results[i]) != libPaths(results[i + 1])) archSpecific = true;

  int result = kExitOK;
  if (!archSpecific) {
    result = std::max(result, printLibs(nullptr, results[0].deps.libraries, *results[0].cat.catalog, true));
  } else if (o_.xml) {
    for (size_t i = 0; i < results.size(); ++i)
      result = std::max(result, printLibs(&results[i], results[i].deps.libraries, *results[i].cat.catalog,
                                          i + 1 == results.size()));
  }
  for (size_t i = 0; i < results.size(); ++i) {
    if (archSpecific && !o_.xml)
      result = std::max(result, printLibs(&results[i], results[i].deps.libraries, *results[i].cat.catalog,
                                          i + 1 == results.size()));
    // Apple's condition is "i + i < numArches" (sic): a blank line after the first arch's
    // problems, and after the second's only when there are more than two arches.
    result = std::max(result, printProblems(results[i], !archSpecific || o_.xml, i + i < results.size()));
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  tools::setToolName("kextlibs");
  Options o;
  CLI::App app{"Find the OSBundleLibraries a kext needs: the library kexts that define the symbols its\n"
               "executable leaves undefined.",
               "kextlibs"};
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.add_flag("--xml", o.xml, "Print an XML fragment to paste into Info.plist");
  app.add_flag("-c,--compatible-versions", o.compatible, "Print library compatible versions instead of current versions");
  app.add_flag("-e,--system-extensions", o.systemExtensions,
               "Also search /System/Library/Extensions and /Library/Extensions (the default without -r)");
  app.add_option("-r,--repository", o.repositories, "Search the kexts in this directory (repeatable)")
      ->allow_extra_args(false);
  app.add_option("-k,--kernel", o.kernelCache, "Also search the kexts prelinked in this kernelcache");
  app.add_flag("--all-symbols", o.allSymbols, "List undefined, once-defined and multiply-defined symbols");
  app.add_flag("--undef-symbols", o.undefSymbols, "List the symbols no library defines");
  app.add_flag("--onedef-symbols", o.onedefSymbols, "List each symbol found with the library that defines it");
  app.add_flag("--multdef-symbols", o.multdefSymbols, "List the symbols found in several libraries, with the libraries");
  app.add_flag("--non-kpi", o.nonKPI, "Search com.apple.kernel.* instead of com.apple.kpi.* (not recommended)");
  app.add_flag("--unsupported", o.unsupported, "Also search the unsupported and private KPIs");
  app.add_option("--arch", o.arch, "Only this architecture of the kext's executable (default: every one it has)");
  app.add_flag("-q,--quiet", o.quiet, "Print nothing; report through the exit status only");
  app.add_flag("-v,--verbose", o.verbose, "Accepted for compatibility");
  app.add_flag("--json", o.json,
               "Print the libraries and the symbols found once, several times or not at all, per arch, as JSON");
  app.add_option("kext", o.kexts, "The kext to find libraries for");
  const char* usage = "Try 'kextlibs -help' for more information.";
  if (auto status = tools::parseAppleCommandLine(app, argc, argv, usage)) return *status;
  Kextlibs k(o);
  return k.run();
}
