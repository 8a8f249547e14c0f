// Finding kext bundles the way IOKitUser's __OSKextCreateKextsFromURL does (apple-formats §5.1).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kextkit/kext/KextBundle.h"

namespace kextkit::kext {

/// True if a directory entry name denotes a kext: it ends in ".kext" (case-sensitive) and has
/// something before it. "Foo.kext.bak", "Foo.KEXT" and ".kext" are not kexts.
bool isKextName(std::string_view name);

/// Finds the kexts named by `path` and reads each one (KextBundle::load):
///  - a path whose last component ends in ".kext" is one kext plus its plugins;
///  - any other path is a repository directory: its immediate "*.kext" children (not
///    recursively) plus each one's plugins.
/// Plugins are the "*.kext" entries of Contents/PlugIns (or PlugIns at the root of a flat
/// bundle); the real-world lowercase-i spelling "Plugins" is accepted too, as a case-insensitive
/// macOS volume would. Plugins of plugins are not read (IOKitUser creates plugins one level deep).
///
/// Order is deterministic: repository children sorted by name (byte order), each immediately
/// followed by its plugins, sorted by name. Plugins record their parent's index in the result.
///
/// Symlinks are followed, as CFURL/CFBundle do on macOS: a symlink to a kext directory is a
/// kext at the symlink's path. Because the scan never descends further than one plugin level,
/// a symlink cycle cannot make it loop; a directory reached twice through different links
/// appears twice, under each path. Entries named *.kext that are not directories are skipped.
///
/// Fails (NotFound, InvalidArgument, Io) only when `path` itself does not exist, is not a
/// directory, or cannot be listed; every per-bundle problem is recorded in that bundle.
Expected<std::vector<KextBundle>> discoverKexts(const std::string& path, const BundleLoadOptions& options = {});

}  // namespace kextkit::kext
