// Apple's tools parse options with getopt_long_only, so long options take one dash
// (`-mkext`, `-arch`). CLI11 wants two; this rewrites the argument vector before parsing.
#pragma once

#include <string>
#include <vector>

namespace kextkit::tools {

/// Returns argv[1..] with every `-name` / `-name=value` whose name is in `longNames`
/// rewritten to `--name`. Arguments after a bare `--` and option values are left alone only
/// if they do not spell a known long option (same as getopt_long_only).
std::vector<std::string> normalizeAppleArgs(int argc, char** argv, const std::vector<std::string>& longNames);

}  // namespace kextkit::tools
