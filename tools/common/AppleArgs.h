// Apple's tools parse options with getopt_long_only, so long options take one dash
// (`-mkext`, `-arch`). CLI11 wants two; this rewrites the argument vector before parsing.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace kextkit::tools {

/// Returns argv[1..] with every `-name` / `-name=value` whose name is in `longNames`
/// rewritten to `--name`. Arguments after a bare `--` and option values are left alone only
/// if they do not spell a known long option (same as getopt_long_only).
std::vector<std::string> normalizeAppleArgs(int argc, char** argv, const std::vector<std::string>& longNames);

/// Parses argv into `app` as Apple's tools take options: every long option `app` declares is
/// also accepted with one dash (normalizeAppleArgs). `-h`/`-help` prints app.help() on stdout
/// and returns 0; a parse error is printed as "<tool>: error: ...", followed by `usageHint`
/// (one line, e.g. the usage synopsis) on stderr, and returns EX_USAGE. Returns nullopt when
/// the tool should go on.
std::optional<int> parseAppleCommandLine(CLI::App& app, int argc, char** argv, const std::string& usageHint);

}  // namespace kextkit::tools
