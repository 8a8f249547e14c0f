// Kext authentication: ownership and permissions of every file in a bundle
// (IOKitUser __OSKextAuthenticateURLRecursively, apple-formats.md §5.5), an optional stricter
// permission policy, and the chown/chmod changes that make a bundle pass.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "kextkit/support/Error.h"

namespace kextkit::kext {

/// One problem found by the authentication walk.
struct AuthIssue {
  enum class Kind {
    NotFound,        ///< the item vanished or cannot be stat()ed ("File not found")
    BadOwnerOrMode,  ///< not root:wheel, or writable by group/other (Apple's rule)
    Symlink,         ///< a symbolic link (Apple only warns)
    TooPermissive,   ///< passes Apple's rule but not the strict policy (AuthOptions::strictPermissions)
  };
  Kind kind;
  std::string path;  ///< the item's path
  uid_t uid = 0;     ///< owner (stat, following links)
  gid_t gid = 0;     ///< group
  mode_t mode = 0;   ///< st_mode
  bool isDirectory = false;  ///< the item (after following links) is a directory
  bool isExecutable = false; ///< a regular file that is a program (Mach-O, fat or "#!" script)
  bool isWarning() const { return kind == Kind::Symlink; }
};

/// Authentication settings.
struct AuthOptions {
  /// Also require what users are usually told: regular files at most 0644, executables
  /// (files starting with a Mach-O or fat magic, or "#!") at most 0755, directories at most
  /// 0755 — no setuid/setgid/sticky bits, no execute bits on plain files. Items that pass
  /// Apple's rule but not this one are reported as TooPermissive.
  bool strictPermissions = false;
};

/// Walks `bundlePath` and every file and directory below it, following symlinks, skipping
/// files named `.DS_Store`, and not descending into the bundle's `Contents/PlugIns` (or
/// root `PlugIns` of a flat bundle), whose kexts are authenticated on their own; the PlugIns
/// folder itself is checked. Each item must be uid 0, gid 0 and have neither S_IWGRP nor
/// S_IWOTH. Every bad item is reported; the walk goes on. A directory reached twice (through a
/// link) is walked once. Items are visited in name order.
std::vector<AuthIssue> authenticateBundle(const std::string& bundlePath);

/// The same walk with options (the strict policy).
std::vector<AuthIssue> authenticateBundle(const std::string& bundlePath, const AuthOptions& options);

/// True if no issue is an error (symlink warnings do not count), as OSKextIsAuthentic.
bool isAuthentic(const std::vector<AuthIssue>& issues);

/// Apple's diagnostic text for an issue, e.g. "File owner/permissions are incorrect (must be
/// root:wheel, nonwritable by group/other)"; for TooPermissive, kextkit's "File permissions are
/// broader than the strict policy allows (files 0644, executables 0755, directories 0755)".
std::string authIssueMessage(const AuthIssue& issue);

/// The largest permission bits an item may have: 0755 for directories and executables, 0644
/// for other files under the strict policy; everything but group/other write otherwise.
mode_t allowedPermissionBits(const AuthIssue& item, const AuthOptions& options);

/// One change that makes an item pass: chown to 0:0 and/or chmod to `mode`.
struct PermissionFix {
  std::string path;
  bool chownToRoot = false;         ///< set uid 0, gid 0
  std::optional<mode_t> mode;       ///< new permission bits (current bits masked to what is allowed)
};

/// The fixes for every error in `issues` (symlink warnings and NotFound items are skipped), in
/// the issues' order: owner changed to 0:0 where uid or gid is not 0; permission bits masked
/// with allowedPermissionBits() where they exceed it.
std::vector<PermissionFix> planPermissionFixes(const std::vector<AuthIssue>& issues, const AuthOptions& options);

/// One shell-style command that fixes a bundle (what kextutil prints and -fix-permissions does).
struct PermissionCommand {
  enum class Kind {
    ChownRecursive,         ///< chown -R 0:0 PATH: the path and everything below it (links not followed)
    ClearGroupOtherWrite,   ///< chmod -R go-w PATH
    Chmod,                  ///< chmod MODE PATH (following a link, as the walk does)
  };
  Kind kind;
  std::string path;
  mode_t mode = 0;  ///< Chmod only
};

/// The commands that make a bundle pass, from its authentication issues: "chown -R 0:0" on the
/// bundle when any item has the wrong owner, "chmod -R go-w" on the bundle when any item is
/// writable by group or others, then, under the strict policy, one "chmod" per remaining item
/// with its permission bits masked to allowedPermissionBits() (write bits for group and others
/// already removed). Like the equivalent chown -R/chmod -R, the recursive commands also change
/// the bundle's plugins, which need the same for their own authentication. Empty when nothing
/// is to fix.
std::vector<PermissionCommand> permissionCommands(const std::string& bundlePath, const std::vector<AuthIssue>& issues,
                                                  const AuthOptions& options);

/// Runs the commands in order with lchown(2)/chmod(2) over the tree (nftw, symbolic links not
/// followed by the recursive ones). Stops at the first failure: an Io error naming the path and
/// the OS reason (EPERM when a non-root process changes ownership).
Status applyPermissionCommands(const std::vector<PermissionCommand>& commands);

/// Applies the fixes with chown(2) (ownership first: it may clear setuid bits) and chmod(2),
/// following symlinks as the walk does. Stops at the first failure: an Io error naming the path
/// and the OS reason (EPERM when a non-root process changes ownership).
Status applyPermissionFixes(const std::vector<PermissionFix>& fixes);

}  // namespace kextkit::kext
