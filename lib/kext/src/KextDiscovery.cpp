// Bundle discovery: a named kext or a repository directory, plus one level of plugins.
#include "kextkit/kext/KextDiscovery.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace kextkit::kext {

namespace fs = std::filesystem;

bool isKextName(std::string_view name) {
  constexpr std::string_view ext = ".kext";
  return name.size() > ext.size() && name.substr(name.size() - ext.size()) == ext;
}

namespace {

// The *.kext directories directly inside `dir` (symlinks followed), as full paths sorted by
// name. Entries that vanish or cannot be stat'ed are skipped; failing to list `dir` is an error.
Expected<std::vector<std::string>> kextChildren(const std::string& dir) {
  std::error_code ec;
  fs::directory_iterator it(fs::path(dir), ec);
  if (ec) {
    Error e(ec == std::errc::no_such_file_or_directory ? ErrorCode::NotFound : ErrorCode::Io,
            "cannot list directory: " + ec.message());
    e.file = dir;
    return e;
  }
  std::vector<std::string> names;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::string name = it->path().filename().string();
    if (!isKextName(name)) continue;
    std::error_code dec;
    if (!it->is_directory(dec) || dec) continue;  // follows symlinks, like CFURL
    names.push_back(name);
  }
  if (ec) {
    Error e(ErrorCode::Io, "cannot list directory: " + ec.message());
    e.file = dir;
    return e;
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> paths;
  paths.reserve(names.size());
  for (const auto& n : names) paths.push_back(dir + "/" + n);
  return paths;
}

void addWithPlugins(std::vector<KextBundle>& out, const std::string& kextPath, const BundleLoadOptions& options) {
  const size_t parent = out.size();
  out.push_back(KextBundle::load(kextPath, std::nullopt, {}, options));
  const std::string base = out[parent].layout() == BundleLayout::Contents ? kextPath + "/Contents/" : kextPath + "/";
  // "PlugIns" is CFBundle's spelling; "Plugins" occurs in the wild and works on macOS's
  // case-insensitive volumes. When both names lead to one directory it is read once.
  std::vector<std::string> dirs;
  for (const char* name : {"PlugIns", "Plugins"}) {
    std::string dir = base + name;
    std::error_code ec;
    if (!fs::is_directory(fs::path(dir), ec) || ec) continue;
    bool same = false;
    for (const auto& d : dirs) {
      std::error_code eq;
      if (fs::equivalent(fs::path(d), fs::path(dir), eq) && !eq) same = true;
    }
    if (!same) dirs.push_back(dir);
  }
  std::vector<std::pair<std::string, std::string>> plugins;  // (name, path)
  for (const auto& dir : dirs) {
    auto children = kextChildren(dir);
    if (!children) {
      out[parent].addIssue(BundleIssueKind::PluginsUnreadable, std::move(children).error());
      continue;
    }
    for (auto& p : *children) plugins.emplace_back(p.substr(dir.size() + 1), std::move(p));
  }
  std::sort(plugins.begin(), plugins.end());
  for (const auto& [name, path] : plugins) out.push_back(KextBundle::load(path, parent, kextPath, options));
}

}  // namespace

Expected<std::vector<KextBundle>> discoverKexts(const std::string& pathIn, const BundleLoadOptions& options) {
  std::string path = pathIn;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  std::error_code ec;
  fs::file_status st = fs::status(fs::path(path), ec);
  if (ec || !fs::exists(st)) {
    Error e(ErrorCode::NotFound, "no such file or directory");
    e.file = path;
    return e;
  }
  const std::string last = fs::path(path).filename().string();
  if (!fs::is_directory(st)) {
    Error e(ErrorCode::InvalidArgument,
            isKextName(last) ? "is not a directory (a kext bundle is a directory)" : "is not a directory");
    e.file = path;
    return e;
  }
  std::vector<KextBundle> out;
  if (isKextName(last)) {
    addWithPlugins(out, path, options);
    return out;
  }
  KK_ASSIGN(std::vector<std::string> kexts, kextChildren(path));
  for (const auto& k : kexts) addWithPlugins(out, k, options);
  return out;
}

}  // namespace kextkit::kext
