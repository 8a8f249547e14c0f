#include "CorpusWalk.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "kextkit/kext/KextDiscovery.h"

namespace fs = std::filesystem;

namespace kextkit::testkit {

std::vector<std::string> kextRepositories(const std::string& root) {
  std::set<std::string> dirs;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && kext::isKextName(it->path().filename().string())) {
      dirs.insert(it->path().parent_path().string());
      it.disable_recursion_pending();
    }
  }
  return {dirs.begin(), dirs.end()};
}

std::vector<std::string> allKextDirectories(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && kext::isKextName(it->path().filename().string())) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kextkit::testkit
