// Single-dash long option rewriting.
#include "AppleArgs.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>

#include "Report.h"

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

std::optional<int> parseAppleCommandLine(CLI::App& app, int argc, char** argv, const std::string& usageHint) {
  std::vector<std::string> longNames;
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& name : opt->get_lnames()) longNames.push_back(name);
  }
  std::vector<std::string> args = normalizeAppleArgs(argc, argv, longNames);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    printError(e.what());
    std::fprintf(stderr, "%s\n", usageHint.c_str());
    return kExUsage;
  }
  return std::nullopt;
}

}  // namespace kextkit::tools
