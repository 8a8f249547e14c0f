// kextcache -mkext: select kexts, thin executables per arch, write a fat mkext.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "KextcacheOptions.h"
#include "Report.h"
#include "kextkit/io/AtomicFile.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/kext/CacheSelection.h"
#include "kextkit/kext/KextDiscovery.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/FatWriter.h"
#include "kextkit/mkext/MkextWriter.h"

namespace fs = std::filesystem;

namespace kextkit::tools::kextcache {

namespace {

#if defined(__aarch64__)
constexpr const char* kHostArchName = "arm64";
#else
constexpr const char* kHostArchName = "x86_64";
#endif

bool endsWithKext(const std::string& p) {
  std::string s = p;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return kext::isKextName(fs::path(s).filename().string());
}

/// The bundle path stored in the archive: absolute, with the -volume-root prefix removed.
std::string pathOnVolume(const std::string& path, const std::string& volumeRoot) {
  std::string abs = fs::absolute(fs::path(path)).lexically_normal().string();
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  if (!volumeRoot.empty()) {
    std::string root = fs::absolute(fs::path(volumeRoot)).lexically_normal().string();
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (abs.size() > root.size() && abs.compare(0, root.size(), root) == 0 && abs[root.size()] == '/')
      return abs.substr(root.size());
  }
  return abs;
}

std::string relativeTo(const std::string& path, const std::string& base) {
  return fs::path(path).lexically_relative(fs::path(base)).string();
}

}  // namespace

int runMkext(const Options& o) {
  // 1. Discover every kext the arguments name.
  std::vector<kext::CacheCandidate> candidates;
  for (const std::string& in : o.inputs) {
    auto found = kext::discoverKexts(in);
    if (!found) {
      printError(found.error());
      return kExitNotFound;
    }
    const bool named = endsWithKext(in);
    for (kext::KextBundle& b : *found) candidates.push_back({std::move(b), named});
  }

  // 2. Target archs: -arch, else every arch the kexts' executables carry.
  std::vector<macho::Arch> archs;
  for (const std::string& name : o.archs) {
    auto a = macho::archFromName(name);
    if (!a || a->cputype == macho::CPU_TYPE_ANY) {
      printError("unknown architecture '" + name + "'");
      return kExitUsage;
    }
    if (std::find(archs.begin(), archs.end(), *a) == archs.end()) archs.push_back(*a);
  }

  kext::SelectionOptions sopts;
  sopts.bundleIds = o.bundleIds;
  sopts.repositoryFilter = {o.localRoot, o.networkRoot, o.safeBoot};
  sopts.allFilter = {o.localRootAll, o.networkRootAll, o.safeBootAll};
  sopts.authenticate = !o.noAuthentication;
  kext::Selection sel = kext::selectForCache(candidates, sopts);

  for (const std::string& id : sel.missingIds)
    if (!o.quiet) printWarning("no kext with identifier " + id + " found");
  for (const kext::Omission& om : sel.omitted) {
    const bool serious = om.reason == "is not valid" || om.reason == "is not authentic";
    if (o.quiet || (!serious && !o.verbose)) continue;
    printWarning(candidates[om.candidate].bundle.path() + " " + om.reason + "; omitting.");
    if (o.printDiagnostics)
      for (const std::string& d : om.details) std::fprintf(stderr, "    %s\n", d.c_str());
  }

  if (sel.included.empty()) {
    printError("No mkext archives created.");
    return kExitNotFound;
  }
  if (archs.empty()) {
    std::map<std::pair<int32_t, int32_t>, macho::Arch> found;
    for (size_t i : sel.included) {
      const auto& exe = candidates[i].bundle.executable();
      if (!exe) continue;
      for (const kext::ExecutableSlice& s : exe->slices) {
        macho::Arch a{s.arch.cputype, macho::maskedSubtype(s.arch.cpusubtype)};
        if (auto name = macho::archName(a)) a = *macho::archFromName(*name);
        found[{a.cputype, a.cpusubtype}] = a;
      }
    }
    for (const auto& [key, a] : found) archs.push_back(a);
    // Only codeless kexts: Apple's default, the running kernel's arch (here: the host's).
    if (archs.empty()) archs.push_back(*macho::archFromName(kHostArchName));
  }

  // 3. One slice per arch: the kexts that support it, executables thinned to it.
  const mkext::MkextVersion version = o.mkextVersion == 1 ? mkext::MkextVersion::V1 : mkext::MkextVersion::V2;
  std::vector<std::vector<uint8_t>> sliceBytes;
  std::vector<macho::Arch> sliceArchs;
  for (const macho::Arch& arch : archs) {
    const std::string archName = macho::describeArch(arch);
    std::vector<mkext::PackKext> pack;
    for (size_t i : sel.included) {
      const kext::KextBundle& b = candidates[i].bundle;
      if (!kext::supportsArch(b, arch)) {
        if (o.verbose) printWarning(b.path() + " does not contain code for architecture " + archName + ".");
        continue;
      }
      mkext::PackKext k;
      k.info = *b.info();
      k.bundlePath = pathOnVolume(b.path(), o.volumeRoot);
      if (version == mkext::MkextVersion::V1) {
        auto raw = io::readFile(b.infoPlistPath());
        if (!raw) {
          printError(raw.error());
          return kExitKextBad;
        }
        k.rawInfoPlist = std::move(raw).value();
      }
      if (b.declaresExecutable()) {
        const std::string& exePath = b.executable()->path;
        auto file = io::MappedFile::open(exePath);
        if (!file) {
          printError(file.error());
          return kExitKextBad;
        }
        auto thin = macho::selectArch(file->bytes(), arch);
        if (!thin) {
          printError(std::move(thin).error().inFile(exePath));
          return kExitKextBad;
        }
        k.executable = std::vector<uint8_t>(thin->begin(), thin->end());
        k.executableRelativePath = relativeTo(exePath, b.path());
      }
      pack.push_back(std::move(k));
    }
    if (pack.empty()) {
      if (!o.quiet) printWarning("no kexts for architecture " + archName + "; skipping it.");
      continue;
    }
    auto bytes = mkext::writeMkextSlice(version, arch.cputype, arch.cpusubtype, pack, {o.threads});
    if (!bytes) {
      printError(std::move(bytes).error().inFile(o.mkextPath));
      return kExitKextBad;
    }
    if (o.verbose)
      std::fprintf(stderr, "kextcache: %s slice: %zu kexts, %zu bytes\n", archName.c_str(), pack.size(),
                   bytes->size());
    sliceBytes.push_back(std::move(bytes).value());
    sliceArchs.push_back(arch);
  }
  if (sliceBytes.empty()) {
    printError("No mkext archives created.");
    return kExitNotFound;
  }

  // 4. Always fat, as kext_tools writes it; temp file + rename.
  std::vector<macho::FatInput> inputs;
  for (size_t i = 0; i < sliceBytes.size(); ++i) inputs.push_back({sliceArchs[i], io::Bytes(sliceBytes[i])});
  auto fat = macho::writeFat(inputs);
  if (!fat) {
    printError(std::move(fat).error().inFile(o.mkextPath));
    return kExitKextBad;
  }
  auto st = io::writeFileAtomic(o.mkextPath, io::Bytes(*fat), o.force ? io::Overwrite::Allow : io::Overwrite::Refuse);
  if (!st) {
    printError(st.error());
    return st.error().code == ErrorCode::AlreadyExists ? kExitCantCreate : kExitOsErr;
  }
  if (o.verbose) std::fprintf(stderr, "kextcache: created mkext archive %s\n", o.mkextPath.c_str());
  return kExitOK;
}

}  // namespace kextkit::tools::kextcache
