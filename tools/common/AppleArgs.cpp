// Single-dash long option rewriting.
#include "AppleArgs.h"

#include <algorithm>

namespace kextkit::tools {

std::vector<std::string> normalizeAppleArgs(int argc, char** argv, const std::vector<std::string>& longNames) {
  std::vector<std::string> out;
  bool rest = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (rest) {
      out.push_back(a);
      continue;
    }
    if (a == "--") {
      rest = true;
      out.push_back(a);
      continue;
    }
    if (a.size() > 2 && a[0] == '-' && a[1] != '-') {
      std::string name = a.substr(1, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - 1);
      if (std::find(longNames.begin(), longNames.end(), name) != longNames.end()) a = "-" + a;
    }
    out.push_back(a);
  }
  return out;
}

}  // namespace kextkit::tools
