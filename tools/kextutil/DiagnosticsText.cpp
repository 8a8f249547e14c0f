// Diagnostics and fix-command text.
#include "DiagnosticsText.h"

#include <algorithm>
#include <cstdio>

namespace kextkit::tools::kextutil {

std::string formatDiagnostics(const kext::Diagnostics& d, const std::vector<kext::DiagnosticGroup>& groups) {
  std::vector<kext::DiagnosticGroup> shown;
  for (kext::DiagnosticGroup g : groups)
    if (!d.empty(g)) shown.push_back(g);
  std::string out;
  for (size_t i = 0; i < shown.size(); ++i) {
    // printPList_new: "key: " then the nested dictionary starts on a new line; flags (booleans)
    // print as the bare key; arrays print one indented value per line.
    out += std::string(kext::diagnosticGroupTitle(shown[i])) + ": \n";
    for (const kext::DiagnosticEntry& e : d.entries(shown[i])) {
      out += "    " + e.key;
      if (e.values.empty()) {
        out += "\n";
        continue;
      }
      out += ": \n";
      for (const std::string& v : e.values) out += "        " + v + "\n";
    }
    if (i + 1 < shown.size()) out += "\n";
  }
  return out;
}

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::vector<std::string> fixCommands(const std::vector<kext::PermissionFix>& fixes) {
  std::vector<std::string> out;
  std::string chown;
  for (const auto& f : fixes)
    if (f.chownToRoot) chown += " " + shellQuote(f.path);
  if (!chown.empty()) out.push_back("chown 0:0" + chown);
  std::vector<std::pair<mode_t, std::string>> chmods;
  for (const auto& f : fixes) {
    if (!f.mode) continue;
    auto it = std::find_if(chmods.begin(), chmods.end(), [&](const auto& p) { return p.first == *f.mode; });
    if (it == chmods.end()) {
      chmods.emplace_back(*f.mode, "");
      it = chmods.end() - 1;
    }
    it->second += " " + shellQuote(f.path);
  }
  for (const auto& [mode, paths] : chmods) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%03o", static_cast<unsigned>(mode));
    out.push_back(std::string("chmod ") + buf + paths);
  }
  return out;
}

}  // namespace kextkit::tools::kextutil
