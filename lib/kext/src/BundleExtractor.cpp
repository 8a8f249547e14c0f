// Bundle naming and writing for mkextunpack (mkext and kernelcache alike).
#include "kextkit/kext/BundleExtractor.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "kextkit/plist/StandardPlist.h"

namespace kextkit::kext {

namespace {

std::string lastComponent(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string stringKey(const plist::Value& info, const char* key) {
  const plist::Value* v = info.get(key);
  const std::string* s = v ? v->asString() : nullptr;
  return s ? *s : std::string();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trimSlashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

/// Splits "Name.kext" into ("Name", ".kext"); names without the suffix get it added.
std::pair<std::string, std::string> splitKext(const std::string& name) {
  if (name.size() > 5 && name.compare(name.size() - 5, 5, ".kext") == 0) return {name.substr(0, name.size() - 5), ".kext"};
  return {name, ".kext"};
}

/// Is `child` a plugin path of `parent`: parent/Contents/PlugIns/X.kext or parent/PlugIns/X.kext
/// (any case of "PlugIns", as real bundles spell it "Plugins" too)?
bool isPluginOf(const std::string& child, const std::string& parent) {
  if (parent.empty() || child.size() <= parent.size() + 1 || child.compare(0, parent.size(), parent) != 0 ||
      child[parent.size()] != '/')
    return false;
  std::string rest = lower(child.substr(parent.size() + 1));
  for (const char* prefix : {"contents/plugins/", "plugins/"}) {
    std::string p = prefix;
    if (rest.compare(0, p.size(), p) == 0 && rest.find('/', p.size()) == std::string::npos) return true;
  }
  return false;
}

}  // namespace

BundlePlan planBundles(const std::vector<ExtractedKext>& kexts, NamingScheme scheme) {
  BundlePlan plan;
  plan.bundleDirs.resize(kexts.size());
  plan.names.resize(kexts.size());

  if (scheme == NamingScheme::ExecutableName) {
    std::map<std::string, int> seen;  // lowercased name -> uses so far
    int unknown = 0;
    for (size_t i = 0; i < kexts.size(); ++i) {
      std::string name = stringKey(kexts[i].info, "CFBundleExecutable");
      if (name.empty()) {
        std::string id = stringKey(kexts[i].info, "CFBundleIdentifier");
        size_t dot = id.rfind('.');
        name = dot == std::string::npos ? id : id.substr(dot + 1);
      }
      if (name.empty()) name = "NameUnknown-" + std::to_string(++unknown);
      name = io::sanitizeComponent(name);
      int& uses = seen[lower(name)];
      std::string unique = uses == 0 ? name : name + "-" + std::to_string(uses);
      ++uses;
      plan.names[i] = unique;
      plan.bundleDirs[i] = unique + ".kext";
    }
    return plan;
  }

  // BundlePath: parents first (shorter paths), so a plugin can find its parent's folder.
  std::vector<size_t> order(kexts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return trimSlashes(kexts[a].bundlePath).size() < trimSlashes(kexts[b].bundlePath).size();
  });
  std::set<std::string> taken;  // lowercased relative dirs already used
  std::map<std::string, size_t> byPath;
  for (size_t i : order) {
    const std::string path = trimSlashes(kexts[i].bundlePath);
    std::string base;
    // The nearest already-placed kext whose plugin this is.
    for (const auto& [parentPath, parentIndex] : byPath) {
      if (isPluginOf(path, parentPath)) {
        const std::string& parentDir = plan.bundleDirs[parentIndex];
        std::string rel = lower(path.substr(parentPath.size() + 1));
        base = parentDir + (rel.rfind("contents/", 0) == 0 ? "/Contents/PlugIns/" : "/PlugIns/");
        break;
      }
    }
    std::string leaf = io::sanitizeComponent(lastComponent(path));
    if (path.empty()) {
      std::string id = stringKey(kexts[i].info, "CFBundleIdentifier");
      leaf = io::sanitizeComponent(id.empty() ? "NameUnknown" : lastComponent(id) + ".kext");
    }
    auto [stem, ext] = splitKext(leaf);
    std::string candidate = base + stem + ext;
    for (int n = 1; taken.count(lower(candidate)); ++n) candidate = base + stem + "-" + std::to_string(n) + ext;
    taken.insert(lower(candidate));
    plan.bundleDirs[i] = candidate;
    plan.names[i] = lastComponent(candidate);
    if (!path.empty() && !byPath.count(path)) byPath[path] = i;
  }
  return plan;
}

Status writeBundles(const io::OutputDir& out, const std::vector<ExtractedKext>& kexts, const BundlePlan& plan,
                    io::Overwrite ow) {
  for (size_t i = 0; i < kexts.size(); ++i) {
    const ExtractedKext& k = kexts[i];
    const std::string& dir = plan.bundleDirs[i];
    KK_TRY(out.makeDirs(dir + "/Contents"));
    std::string plistText;
    if (k.rawInfoPlist) {
      plistText = *k.rawInfoPlist;
    } else {
      plistText = plist::writeXmlPlist(k.info);
    }
    KK_TRY(io::writeFileAtomic(out.pathFor(dir + "/Contents/Info.plist"), plistText, ow, 0644));
    if (k.executable) {
      std::string exe = io::sanitizeComponent(stringKey(k.info, "CFBundleExecutable"));
      if (stringKey(k.info, "CFBundleExecutable").empty()) exe = lastComponent(splitKext(dir).first);
      KK_TRY(out.makeDirs(dir + "/Contents/MacOS"));
      KK_TRY(io::writeFileAtomic(out.pathFor(dir + "/Contents/MacOS/" + exe), io::Bytes(*k.executable), ow, 0755));
    }
  }
  return {};
}

}  // namespace kextkit::kext
