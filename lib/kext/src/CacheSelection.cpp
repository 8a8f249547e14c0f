// kextcache's kext selection.
#include "kextkit/kext/CacheSelection.h"

#include <algorithm>
#include <map>
#include <set>

#include "kextkit/kext/Authentication.h"
#include "kextkit/kext/KextVersion.h"

namespace kextkit::kext {

namespace {

bool passesRequired(const KextBundle& b, const RequiredFilter& f) {
  const std::string* req = b.infoString("OSBundleRequired");
  if (!req) return false;
  if (*req == "Root" || *req == "Console") return true;
  return (f.localRoot && *req == "Local-Root") || (f.networkRoot && *req == "Network-Root") ||
         (f.safeBoot && *req == "Safe Boot");
}

OSKextVersion versionOf(const KextBundle& b) {
  const std::string* v = b.bundleVersion();
  return v ? parseVersion(*v, VersionEra::Modern) : kVersionInvalid;
}

std::vector<std::string> validityProblems(const KextBundle& b) {
  std::vector<std::string> out;
  for (const BundleIssue& i : b.issues()) out.push_back(i.error.describe());
  if (b.info()) {
    const std::string* id = b.bundleIdentifier();
    if (!id || id->empty()) out.push_back("CFBundleIdentifier is missing or not a non-empty string");
    const std::string* v = b.bundleVersion();
    if (!v)
      out.push_back("CFBundleVersion is missing or not a string");
    else if (parseVersion(*v, VersionEra::Modern) <= 0)
      out.push_back("CFBundleVersion '" + *v + "' is not a valid kext version");
  }
  return out;
}

}  // namespace

Selection selectForCache(const std::vector<CacheCandidate>& candidates, const SelectionOptions& opts) {
  Selection sel;
  std::set<std::string> wantedIds(opts.bundleIds.begin(), opts.bundleIds.end());
  std::set<std::string> seenIds;
  std::vector<size_t> pass;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const KextBundle& b = candidates[i].bundle;
    const std::string* id = b.bundleIdentifier();
    if (id) seenIds.insert(*id);
    if (!wantedIds.empty() && (!id || !wantedIds.count(*id))) continue;  // not asked for: silently out
    if (opts.allFilter.any() && !passesRequired(b, opts.allFilter)) {
      sel.omitted.push_back({i, "does not have a matching OSBundleRequired value", {}});
      continue;
    }
    if (!candidates[i].named && opts.repositoryFilter.any() && !passesRequired(b, opts.repositoryFilter)) {
      sel.omitted.push_back({i, "does not have a matching OSBundleRequired value", {}});
      continue;
    }
    std::vector<std::string> problems = validityProblems(b);
    if (!problems.empty()) {
      sel.omitted.push_back({i, "is not valid", std::move(problems)});
      continue;
    }
    if (opts.authenticate) {
      std::vector<AuthIssue> auth = authenticateBundle(b.path());
      if (!isAuthentic(auth)) {
        std::vector<std::string> details;
        for (const AuthIssue& a : auth)
          if (!a.isWarning()) details.push_back(authIssueMessage(a) + ": " + a.path);
        sel.omitted.push_back({i, "is not authentic", std::move(details)});
        continue;
      }
    }
    pass.push_back(i);
  }
  for (const std::string& id : opts.bundleIds)
    if (!seenIds.count(id)) sel.missingIds.push_back(id);

  // Newest version per identifier; the first one found wins a tie.
  std::map<std::string, size_t> best;
  for (size_t i : pass) {
    const std::string& id = *candidates[i].bundle.bundleIdentifier();
    auto it = best.find(id);
    if (it == best.end()) {
      best[id] = i;
    } else if (versionOf(candidates[i].bundle) > versionOf(candidates[it->second].bundle)) {
      sel.omitted.push_back({it->second, "has a newer version with the same identifier: " + candidates[i].bundle.path(), {}});
      it->second = i;
    } else {
      sel.omitted.push_back({i, "is not newer than " + candidates[it->second].bundle.path(), {}});
    }
  }
  for (size_t i : pass)
    if (best[*candidates[i].bundle.bundleIdentifier()] == i) sel.included.push_back(i);
  std::sort(sel.omitted.begin(), sel.omitted.end(),
            [](const Omission& a, const Omission& b) { return a.candidate < b.candidate; });
  return sel;
}

bool supportsArch(const KextBundle& bundle, macho::Arch arch) {
  if (!bundle.declaresExecutable()) return true;
  const auto& exe = bundle.executable();
  if (!exe) return false;
  for (const ExecutableSlice& s : exe->slices)
    if (macho::archMatches(s.arch, arch)) return true;
  return false;
}

}  // namespace kextkit::kext
