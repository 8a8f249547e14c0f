// Authentication walk over a kext bundle.
#include "kextkit/kext/Authentication.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <utility>

namespace kextkit::kext {

namespace {

/// Directories deeper than this are not walked (a bundle is never this deep; it bounds
/// pathological trees).
constexpr int kMaxDepth = 64;

bool ieq(const std::string& a, const char* b) {
  std::string l = a;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return l == b;
}

struct Walker {
  std::vector<AuthIssue> issues;
  std::set<std::pair<dev_t, ino_t>> seen;

  void check(const std::string& path, const std::string& rel, int depth) {
    struct stat lst {};
    if (::lstat(path.c_str(), &lst) != 0) {
      issues.push_back({AuthIssue::Kind::NotFound, path});
      return;
    }
    if (S_ISLNK(lst.st_mode)) issues.push_back({AuthIssue::Kind::Symlink, path, lst.st_uid, lst.st_gid, lst.st_mode});
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      issues.push_back({AuthIssue::Kind::NotFound, path});
      return;
    }
    if (st.st_uid != 0 || st.st_gid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
      issues.push_back({AuthIssue::Kind::BadOwnerOrMode, path, st.st_uid, st.st_gid, st.st_mode});
    if (!S_ISDIR(st.st_mode) || depth >= kMaxDepth) return;
    if (!seen.insert({st.st_dev, st.st_ino}).second) return;
    // Plugins are kexts of their own: the PlugIns folder is checked, its contents are not.
    if (ieq(rel, "contents/plugins") || ieq(rel, "plugins")) return;
    DIR* d = ::opendir(path.c_str());
    if (!d) return;  // the item itself was checked; unreadable contents surface elsewhere
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == ".." || n == ".DS_Store") continue;
      names.push_back(std::move(n));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) check(path + "/" + n, rel.empty() ? n : rel + "/" + n, depth + 1);
  }
};

}  // namespace

std::vector<AuthIssue> authenticateBundle(const std::string& bundlePath) {
  Walker w;
  w.check(bundlePath, "", 0);
  return std::move(w.issues);
}

bool isAuthentic(const std::vector<AuthIssue>& issues) {
  return std::none_of(issues.begin(), issues.end(), [](const AuthIssue& i) { return !i.isWarning(); });
}

std::string authIssueMessage(const AuthIssue& issue) {
  switch (issue.kind) {
    case AuthIssue::Kind::NotFound: return "File not found";
    case AuthIssue::Kind::BadOwnerOrMode:
      return "File owner/permissions are incorrect (must be root:wheel, nonwritable by group/other)";
    case AuthIssue::Kind::Symlink: return "Symbolic link in bundle";
  }
  return "";
}

}  // namespace kextkit::kext
