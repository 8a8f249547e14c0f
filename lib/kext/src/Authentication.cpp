// Authentication walk over a kext bundle, the strict policy, and permission fixes.
#include "kextkit/kext/Authentication.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "kextkit/support/Endian.h"

namespace kextkit::kext {

namespace {

/// Directories deeper than this are not walked (a bundle is never this deep; it bounds
/// pathological trees).
constexpr int kMaxDepth = 64;

constexpr mode_t kPermissionBits = 07777;

bool ieq(const std::string& a, const char* b) {
  std::string l = a;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return l == b;
}

// A program: Mach-O (either width, either order), fat, or a "#!" script. Reads 4 bytes.
bool looksExecutable(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uint8_t b[4] = {};
  ssize_t n = ::read(fd, b, sizeof b);
  ::close(fd);
  if (n >= 2 && b[0] == '#' && b[1] == '!') return true;
  if (n < 4) return false;
  const uint32_t be = loadBE32(b);
  switch (be) {
    case 0xfeedface: case 0xcefaedfe: case 0xfeedfacf: case 0xcffaedfe:  // MH_MAGIC(_64), both orders
    case 0xcafebabe: case 0xcafebabf:                                    // FAT_MAGIC(_64)
      return true;
    default:
      return false;
  }
}

struct Walker {
  AuthOptions options;
  std::vector<AuthIssue> issues;
  std::set<std::pair<dev_t, ino_t>> seen;

  void check(const std::string& path, const std::string& rel, int depth) {
    // IOKitUser: stat() and lstat() must both succeed (a dangling link is "File not found"),
    // then the owner/mode rule, then the symlink warning.
    struct stat lst {};
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || ::lstat(path.c_str(), &lst) != 0) {
      issues.push_back({AuthIssue::Kind::NotFound, path});
      return;
    }
    AuthIssue item{AuthIssue::Kind::BadOwnerOrMode, path, st.st_uid, st.st_gid, st.st_mode};
    item.isDirectory = S_ISDIR(st.st_mode);
    if (S_ISREG(st.st_mode) && (st.st_mode & 0111)) item.isExecutable = looksExecutable(path);
    if (st.st_uid != 0 || st.st_gid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
      issues.push_back(item);
    } else if (options.strictPermissions && (st.st_mode & kPermissionBits & ~allowedPermissionBits(item, options))) {
      item.kind = AuthIssue::Kind::TooPermissive;
      issues.push_back(item);
    }
    if (S_ISLNK(lst.st_mode)) issues.push_back({AuthIssue::Kind::Symlink, path, lst.st_uid, lst.st_gid, lst.st_mode});
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

std::vector<AuthIssue> authenticateBundle(const std::string& bundlePath) { return authenticateBundle(bundlePath, {}); }

std::vector<AuthIssue> authenticateBundle(const std::string& bundlePath, const AuthOptions& options) {
  Walker w;
  w.options = options;
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
    case AuthIssue::Kind::TooPermissive:
      return "File permissions are broader than the strict policy allows (files 0644, executables 0755, "
             "directories 0755)";
  }
  return "";
}

mode_t allowedPermissionBits(const AuthIssue& item, const AuthOptions& options) {
  if (!options.strictPermissions) return kPermissionBits & ~(S_IWGRP | S_IWOTH);
  return item.isDirectory || item.isExecutable ? 0755 : 0644;
}

std::vector<PermissionFix> planPermissionFixes(const std::vector<AuthIssue>& issues, const AuthOptions& options) {
  std::vector<PermissionFix> out;
  for (const AuthIssue& i : issues) {
    if (i.kind != AuthIssue::Kind::BadOwnerOrMode && i.kind != AuthIssue::Kind::TooPermissive) continue;
    PermissionFix f;
    f.path = i.path;
    f.chownToRoot = i.uid != 0 || i.gid != 0;
    const mode_t bits = i.mode & kPermissionBits;
    const mode_t allowed = bits & allowedPermissionBits(i, options);
    if (allowed != bits) f.mode = allowed;
    if (f.chownToRoot || f.mode) out.push_back(std::move(f));
  }
  return out;
}

Status applyPermissionFixes(const std::vector<PermissionFix>& fixes) {
  for (const PermissionFix& f : fixes) {
    if (f.chownToRoot && ::chown(f.path.c_str(), 0, 0) != 0) {
      Error e(ErrorCode::Io, std::string("cannot change the owner to 0:0: ") + std::strerror(errno));
      e.file = f.path;
      return e;
    }
    if (f.mode && ::chmod(f.path.c_str(), *f.mode) != 0) {
      Error e(ErrorCode::Io, std::string("cannot change the mode: ") + std::strerror(errno));
      e.file = f.path;
      return e;
    }
  }
  return {};
}

std::vector<PermissionCommand> permissionCommands(const std::string& bundlePath, const std::vector<AuthIssue>& issues,
                                                  const AuthOptions& options) {
  std::vector<PermissionCommand> out;
  bool owner = false, groupOtherWrite = false;
  for (const AuthIssue& i : issues) {
    if (i.kind != AuthIssue::Kind::BadOwnerOrMode) continue;
    owner = owner || i.uid != 0 || i.gid != 0;
    groupOtherWrite = groupOtherWrite || (i.mode & (S_IWGRP | S_IWOTH));
  }
  if (owner) out.push_back({PermissionCommand::Kind::ChownRecursive, bundlePath});
  if (groupOtherWrite) out.push_back({PermissionCommand::Kind::ClearGroupOtherWrite, bundlePath});
  if (options.strictPermissions) {
    for (const AuthIssue& i : issues) {
      if (i.kind != AuthIssue::Kind::BadOwnerOrMode && i.kind != AuthIssue::Kind::TooPermissive) continue;
      const mode_t bits = i.mode & kPermissionBits & ~(S_IWGRP | S_IWOTH);
      const mode_t allowed = bits & allowedPermissionBits(i, options);
      if (allowed != bits) out.push_back({PermissionCommand::Kind::Chmod, i.path, allowed});
    }
  }
  return out;
}

namespace {

// nftw() has no user pointer: the walk's state lives here for the duration of one call.
thread_local PermissionCommand::Kind gTreeKind;
thread_local int gTreeErrno;
thread_local std::string gTreeFailedPath;

int treeVisit(const char* path, const struct stat* st, int type, struct FTW*) {
  int rc = 0;
  if (gTreeKind == PermissionCommand::Kind::ChownRecursive) {
    rc = ::lchown(path, 0, 0);
  } else if (type != FTW_SL && type != FTW_SLN) {
    rc = ::chmod(path, st->st_mode & kPermissionBits & ~(S_IWGRP | S_IWOTH));
  }
  if (rc != 0) {
    gTreeErrno = errno;
    gTreeFailedPath = path;
    return 1;  // stop the walk
  }
  return 0;
}

}  // namespace

Status applyPermissionCommands(const std::vector<PermissionCommand>& commands) {
  for (const PermissionCommand& c : commands) {
    if (c.kind == PermissionCommand::Kind::Chmod) {
      if (::chmod(c.path.c_str(), c.mode) != 0) {
        Error e(ErrorCode::Io, std::string("cannot change the mode: ") + std::strerror(errno));
        e.file = c.path;
        return e;
      }
      continue;
    }
    gTreeKind = c.kind;
    gTreeErrno = 0;
    gTreeFailedPath.clear();
    // The directory is changed before its contents (pre-order), so a chmod that removes write
    // permission cannot lock the walk out; 64 descriptors at most, links not followed.
    const int rc = ::nftw(c.path.c_str(), treeVisit, 64, FTW_PHYS);
    if (rc != 0) {
      const int err = gTreeErrno ? gTreeErrno : errno;
      Error e(ErrorCode::Io, std::string(c.kind == PermissionCommand::Kind::ChownRecursive
                                             ? "cannot change the owner to 0:0: "
                                             : "cannot remove group/other write permission: ") +
                                 std::strerror(err));
      e.file = gTreeFailedPath.empty() ? c.path : gTreeFailedPath;
      return e;
    }
  }
  return {};
}

}  // namespace kextkit::kext
