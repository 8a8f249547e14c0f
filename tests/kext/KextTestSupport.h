// Shared helpers of the validation, resolver and library-search tests: Info.plist
// dictionaries built in code, bundles written to temporary folders, diagnostics as text.
#pragma once

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "KextMachOBuilder.h"
#include "TestPaths.h"
#include "kextkit/kext/KextDiagnostics.h"
#include "kextkit/kext/KmodInfoFormat.h"
#include "kextkit/plist/Value.h"

namespace kextkit::testkit {

/// A dictionary from (key, value) pairs, in order.
inline plist::Value dict(std::vector<std::pair<std::string, plist::Value>> entries) {
  plist::Dict d;
  for (auto& [k, v] : entries) d.set(std::move(k), std::move(v));
  return plist::Value(std::move(d));
}

/// The smallest Info.plist IOKitUser accepts for a codeless kext.
inline std::vector<std::pair<std::string, plist::Value>> basicInfo(const std::string& id = "org.test.k",
                                                                 const std::string& version = "1.0") {
  return {{"CFBundlePackageType", plist::Value("KEXT")},
          {"CFBundleIdentifier", plist::Value(id)},
          {"CFBundleVersion", plist::Value(version)}};
}

/// "Group: key: v1 | v2" lines (a flag: "Group: key"), in recording order, for exact comparison.
inline std::vector<std::string> dumpDiagnostics(const kext::Diagnostics& d) {
  std::vector<std::string> out;
  for (kext::DiagnosticGroup g : kext::kDiagnosticGroups)
    for (const kext::DiagnosticEntry& e : d.entries(g)) {
      std::string line = std::string(kext::diagnosticGroupTitle(g)) + ": " + e.key;
      for (size_t i = 0; i < e.values.size(); ++i) line += (i ? " | " : ": ") + e.values[i];
      out.push_back(line);
    }
  return out;
}

/// kmod_info bytes (64-bit layout when is64) with the given name and version.
inline std::vector<uint8_t> kmodInfoBytes(bool is64, const std::string& name, const std::string& version) {
  std::vector<uint8_t> b(is64 ? kext::kKmodInfo64Size : kext::kKmodInfo32Size, 0);
  const uint32_t n = is64 ? kext::kKmodInfo64NameOffset : kext::kKmodInfo32NameOffset;
  const uint32_t v = is64 ? kext::kKmodInfo64VersionOffset : kext::kKmodInfo32VersionOffset;
  std::copy(name.begin(), name.end(), b.begin() + n);
  std::copy(version.begin(), version.end(), b.begin() + v);
  return b;
}

/// A kext executable: __TEXT,__text and __DATA,__data holding kmod_info, `_kmod_info` defined
/// there, `exports` defined in __text, `refs` undefined.
inline SymbolMachO kextExecutable(bool is64, const std::string& name, const std::string& version,
                                  const std::vector<std::string>& exports = {},
                                  const std::vector<std::string>& refs = {}) {
  SymbolMachO m;
  m.is64 = is64;
  if (!is64) {
    m.cputype = macho::CPU_TYPE_I386;
    m.cpusubtype = macho::CPU_SUBTYPE_I386_ALL;
    m.filetype = macho::MH_OBJECT;
  }
  m.sections = {section("__TEXT", "__text", 0, std::vector<uint8_t>(16, 0xc3)),
                section("__DATA", "__data", 0x100, kmodInfoBytes(is64, name, version))};
  m.symbols.push_back(symbol("_kmod_info", macho::N_SECT | macho::N_EXT, 2, 0x100));
  for (size_t i = 0; i < exports.size(); ++i)
    m.symbols.push_back(symbol(exports[i], macho::N_SECT | macho::N_EXT, 1, 4 * i));
  for (const auto& r : refs) m.symbols.push_back(symbol(r, macho::N_UNDF | macho::N_EXT, 0, 0));
  return m;
}

/// Writes a standard XML plist for `info` (a dict of strings, booleans, integers and nested
/// dicts, which is all the tests need).
inline std::string xmlPlist(const plist::Value& info) {
  std::string s;
  std::function<void(const plist::Value&, const std::string&)> emit = [&](const plist::Value& v,
                                                                         const std::string& indent) {
    if (const auto* str = v.asString()) {
      s += indent + "<string>" + *str + "</string>\n";
    } else if (const auto* b = v.asBool()) {
      s += indent + (*b ? "<true/>\n" : "<false/>\n");
    } else if (const auto* i = v.asInteger()) {
      s += indent + "<integer>" + std::to_string(i->asSigned()) + "</integer>\n";
    } else if (const auto* d = v.asDict()) {
      s += indent + "<dict>\n";
      for (const auto& [k, val] : *d) {
        s += indent + "\t<key>" + k + "</key>\n";
        emit(val, indent + "\t");
      }
      s += indent + "</dict>\n";
    }
  };
  s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n";
  emit(info, "");
  return s + "</plist>\n";
}

/// Writes <dir>/<name>.kext with Contents/Info.plist and, if given, Contents/MacOS/<exe>.
inline std::string writeKext(const std::string& dir, const std::string& name, const plist::Value& info,
                             const std::vector<uint8_t>& executable = {}, const std::string& exeName = {}) {
  const std::string k = dir + "/" + name + ".kext";
  std::filesystem::create_directories(k + "/Contents/MacOS");
  writeText(k + "/Contents/Info.plist", xmlPlist(info));
  if (!exeName.empty()) writeBytes(k + "/Contents/MacOS/" + exeName, executable);
  return k;
}

}  // namespace kextkit::testkit
