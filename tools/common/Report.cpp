// Tool diagnostics.
#include "Report.h"

#include <cstdio>

namespace kextkit::tools {

namespace {
std::string& nameRef() {
  static std::string name = "kextkit";
  return name;
}
}  // namespace

void setToolName(std::string_view name) { nameRef() = std::string(name); }
const std::string& toolName() { return nameRef(); }

void printError(const Error& e) { std::fprintf(stderr, "%s: error: %s\n", nameRef().c_str(), e.describe().c_str()); }

void printError(std::string_view message) {
  std::fprintf(stderr, "%s: error: %.*s\n", nameRef().c_str(), static_cast<int>(message.size()), message.data());
}

void printWarning(std::string_view message) {
  std::fprintf(stderr, "%s: warning: %.*s\n", nameRef().c_str(), static_cast<int>(message.size()), message.data());
}

}  // namespace kextkit::tools
