// Confining archive-supplied names to an output directory.
#pragma once

#include <string>
#include <string_view>

#include "kextkit/support/Error.h"

namespace kextkit::io {

/// Turns one untrusted path component (a bundle or file name from an archive) into a safe
/// file name: '/' and NUL become '_', "." and ".." and "" become "_", a leading '-' is kept.
std::string sanitizeComponent(std::string_view name);

/// Turns an untrusted relative path ("Foo.kext/Contents/PlugIns/Bar.kext") into a safe one:
/// absolute prefixes are dropped, empty, "." and ".." components are removed (never
/// resolved upward), and each remaining component is sanitized. Never returns a path that
/// escapes its base. Returns "" if nothing is left.
std::string sanitizeRelativePath(std::string_view path);

/// An existing output directory. Creates subdirectories and files only below it and never
/// follows a symlink out of it.
class OutputDir {
 public:
  /// Opens `root`, which must be an existing directory (NotFound / InvalidArgument otherwise).
  static Expected<OutputDir> open(const std::string& root);

  const std::string& root() const { return root_; }
  /// root + "/" + rel, after sanitizeRelativePath(rel).
  std::string pathFor(std::string_view rel) const;
  /// Creates every directory of `rel` (already sanitized) below root (mode 0755 & ~umask).
  /// Fails if a component exists and is not a directory, or is a symlink.
  Status makeDirs(std::string_view rel) const;

 private:
  std::string root_;
};

}  // namespace kextkit::io
