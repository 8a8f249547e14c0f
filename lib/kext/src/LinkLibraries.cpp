// Symbol search for kextlibs.
#include "kextkit/kext/LinkLibraries.h"

#include <algorithm>

#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/Symbols.h"

namespace kextkit::kext {

namespace {

bool hasPrefix(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Calls `visit` for every symbol of the record's executable slice for the catalog's arch.
template <class Visit>
Status forEachSymbol(KextCatalog& catalog, size_t kext, Visit visit) {
  const KextRecord& rec = catalog.record(kext);
  if (!rec.executable) {
    Error e(ErrorCode::NotFound, "the kext has no executable");
    e.file = rec.path;
    return e;
  }
  KK_ASSIGN(ExecutableBytes exe, rec.executable());
  auto slice = macho::selectSlice(exe.bytes, catalog.arch());
  if (!slice) {
    Error e = std::move(slice).error();
    if (e.file.empty()) e.file = rec.path;
    return e;
  }
  auto file = macho::MachOFile::open(slice->data, slice->offset);
  if (!file) return std::move(file).error().inFile(rec.path);
  auto table = macho::SymbolTable::read(*file);
  if (!table) return std::move(table).error().inFile(rec.path);
  for (const macho::Symbol& s : table->symbols()) visit(s);
  return {};
}

}  // namespace

bool isSearchableForSymbols(const KextFacts& f, const LinkSearchOptions& options) {
  if (!f.isLibrary() || !f.declaresExecutable) return false;
  if (!options.allowUnsupported) {
    for (std::string_view id : {"com.apple.kernel.unsupported", "com.apple.kpi.unsupported", "com.apple.kpi.private",
                                "com.apple.kpi.dsep"})
      if (f.identifier == id) return false;
  }
  if (options.nonKPI) return !hasPrefix(f.identifier, "com.apple.kpi.");
  return !hasPrefix(f.identifier, "com.apple.kernel.");
}

Expected<std::set<std::string>> readSymbolReferences(KextCatalog& catalog, size_t kext) {
  std::set<std::string> out;
  const KextFacts& f = catalog.facts(kext);
  if (f.isKernelComponent || !f.declaresExecutable) return out;
  KK_TRY(forEachSymbol(catalog, kext, [&](const macho::Symbol& s) {
    if (!s.name.empty() && s.isUndefined()) out.emplace(s.name);
  }));
  return out;
}

Expected<std::set<std::string>> readExportedSymbols(KextCatalog& catalog, size_t library) {
  std::set<std::string> out;
  const bool kernelComponent = catalog.facts(library).isKernelComponent;
  KK_TRY(forEachSymbol(catalog, library, [&](const macho::Symbol& s) {
    if (s.name.empty() || s.isStab()) return;
    const bool eligible = kernelComponent ? (s.isUndefined() || s.isIndirect()) : s.isInSection();
    if (eligible) out.emplace(s.name);
  }));
  return out;
}

Expected<LinkDependencies> findLinkDependencies(KextCatalog& catalog, size_t kext, const LinkSearchOptions& options) {
  LinkDependencies out;
  KK_ASSIGN(out.undefined, readSymbolReferences(catalog, kext));
  for (size_t lib = 0; lib < catalog.size(); ++lib) {
    if (lib == kext || !isSearchableForSymbols(catalog.facts(lib), options)) continue;
    auto exports = readExportedSymbols(catalog, lib);
    if (!exports) continue;  // no executable for this arch: IOKitUser skips the library
    bool found = false, notedMultdef = false;
    for (const std::string& sym : *exports) {
      if (auto m = out.multdef.find(sym); m != out.multdef.end()) {
        m->second.push_back(lib);
        found = true;
      } else if (auto o = out.onedef.find(sym); o != out.onedef.end()) {
        out.multdef[sym] = {o->second, lib};
        out.onedef.erase(o);
        found = true;
        if (!notedMultdef) {
          if (std::find(out.multdefLibraries.begin(), out.multdefLibraries.end(), lib) == out.multdefLibraries.end())
            out.multdefLibraries.push_back(lib);
          notedMultdef = true;
        }
      } else if (auto u = out.undefined.find(sym); u != out.undefined.end()) {
        out.onedef[sym] = lib;
        out.undefined.erase(u);
        found = true;
      }
    }
    if (found && std::find(out.libraries.begin(), out.libraries.end(), lib) == out.libraries.end())
      out.libraries.push_back(lib);
  }
  auto byId = [&](size_t a, size_t b) { return catalog.facts(a).identifier < catalog.facts(b).identifier; };
  std::stable_sort(out.libraries.begin(), out.libraries.end(), byId);
  std::stable_sort(out.multdefLibraries.begin(), out.multdefLibraries.end(), byId);
  return out;
}

}  // namespace kextkit::kext
