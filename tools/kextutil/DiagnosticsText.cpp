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

std::vector<std::string> fixCommands(const std::vector<kext::PermissionCommand>& commands) {
  std::vector<std::string> out;
  for (const kext::PermissionCommand& c : commands) {
    switch (c.kind) {
      case kext::PermissionCommand::Kind::ChownRecursive:
        out.push_back("chown -R 0:0 " + shellQuote(c.path));
        break;
      case kext::PermissionCommand::Kind::ClearGroupOtherWrite:
        out.push_back("chmod -R go-w " + shellQuote(c.path));
        break;
      case kext::PermissionCommand::Kind::Chmod: {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%03o", static_cast<unsigned>(c.mode));
        out.push_back(std::string("chmod ") + buf + " " + shellQuote(c.path));
        break;
      }
    }
  }
  return out;
}

}  // namespace kextkit::tools::kextutil
