// Kext authentication: ownership and permissions of every file in a bundle
// (IOKitUser __OSKextAuthenticateURLRecursively, apple-formats.md §5.5).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace kextkit::kext {

/// One problem found by the authentication walk.
struct AuthIssue {
  enum class Kind {
    NotFound,    ///< the item vanished or cannot be stat()ed ("File not found")
    BadOwnerOrMode,  ///< not root:wheel, or writable by group/other
    Symlink,     ///< a symbolic link (Apple only warns)
  };
  Kind kind;
  std::string path;  ///< the item's path
  uid_t uid = 0;     ///< owner (stat, following links)
  gid_t gid = 0;     ///< group
  mode_t mode = 0;   ///< st_mode
  bool isWarning() const { return kind == Kind::Symlink; }
};

/// Walks `bundlePath` and every file and directory below it, following symlinks, skipping
/// files named `.DS_Store`, and not descending into the bundle's `Contents/PlugIns` (or
/// root `PlugIns` of a flat bundle), whose kexts are authenticated on their own; the PlugIns
/// folder itself is checked. Each item must be uid 0, gid 0 and have neither S_IWGRP nor
/// S_IWOTH. Every bad item is reported; the walk goes on. A directory reached twice (through a
/// link) is walked once.
std::vector<AuthIssue> authenticateBundle(const std::string& bundlePath);

/// True if no issue is an error (symlink warnings do not count), as OSKextIsAuthentic.
bool isAuthentic(const std::vector<AuthIssue>& issues);

/// Apple's diagnostic text for an issue, e.g. "File owner/permissions are incorrect (must be
/// root:wheel, nonwritable by group/other)".
std::string authIssueMessage(const AuthIssue& issue);

}  // namespace kextkit::kext
