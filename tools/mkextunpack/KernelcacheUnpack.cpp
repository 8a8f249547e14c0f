// mkextunpack on a kernelcache: list the prelinked kexts, extract them as bundles, write the
// decompressed kernel and the prelink info.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "JsonWriter.h"
#include "MkextunpackOptions.h"
#include "Report.h"
#include "kextkit/io/AtomicFile.h"
#include "kextkit/io/OutputDir.h"
#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/kext/BundleExtractor.h"
#include "kextkit/kext/KextVersion.h"
#include "kextkit/macho/Arch.h"
#include "kextkit/plist/StandardPlist.h"

namespace kextkit::tools::mkextunpack {

namespace {

using kernelcache::Kernelcache;

std::string canonicalVersion(const std::string& raw) {
  return kext::versionToString(kext::parseVersion(raw, kext::VersionEra::Modern), kext::VersionEra::Modern);
}

void printJson(const Options& o, const Kernelcache& kc, const kext::BundlePlan& plan,
               const std::vector<kext::ExtractedKext>& kexts) {
  JsonWriter j;
  j.beginObject();
  j.key("file").value(o.file);
  j.key("format").value("kernelcache");
  j.key("fat").value(kc.fat());
  j.key("slices").beginArray();
  for (const auto& s : kc.slices()) j.value(s.arch ? macho::describeArch(*s.arch) : std::string("unknown"));
  j.endArray();
  j.key("arch").value(macho::describeArch(kc.arch()));
  j.key("compression").value(std::string(kernelcache::compressionName(kc.compression())));
  j.key("layout").value(std::string(kernelcache::layoutName(kc.layout())));
  j.key("image_size").value(static_cast<uint64_t>(kc.image().size()));
  j.key("kexts").beginArray();
  for (size_t i = 0; i < kc.kexts().size(); ++i) {
    const auto& k = kc.kexts()[i];
    j.beginObject();
    j.key("name").value(plan.names[i]);
    j.key("bundle_id").value(k.entry.identifier);
    j.key("version").value(k.entry.version);
    j.key("bundle_path").value(k.entry.bundlePath);
    j.key("executable").value(k.entry.executableName);
    if (kexts[i].executable) {
      j.key("executable_size").value(static_cast<uint64_t>(kexts[i].executable->size()));
      j.key("executable_offset").value(*k.executableOffset);
    } else {
      j.key("executable_size").null();
    }
    if (!o.dir.empty()) j.key("output").value(o.dir + "/" + plan.bundleDirs[i]);
    j.endObject();
  }
  j.endArray();
  j.endObject();
  std::fputs(j.str().c_str(), stdout);
}

}  // namespace

int unpackKernelcache(const Options& o, io::Bytes file) {
  kernelcache::OpenOptions open;
  open.maxImageSize = o.maxImageSize;
  if (!o.arch.empty()) {
    auto a = macho::archFromName(o.arch);
    if (!a) {
      printError("unknown architecture '" + o.arch + "'");
      return kExitFailure;
    }
    open.arch = *a;
  }
  auto kc = Kernelcache::open(file, open);
  if (!kc) {
    printError(std::move(kc).error().inFile(o.file));
    return kExitFailure;
  }
  const io::Overwrite ow = o.force ? io::Overwrite::Allow : io::Overwrite::Refuse;

  // Executables are taken out only when bundles are written or their sizes listed.
  const bool wantExecutables = !o.dir.empty() || o.json;
  std::vector<std::optional<std::vector<uint8_t>>> executables(kc->kexts().size());
  bool mergedWarned = false;
  if (wantExecutables) {
    for (size_t i = 0; i < kc->kexts().size(); ++i) {
      const auto& k = kc->kexts()[i];
      if (!k.hasExecutable) continue;
      if (kc->layout() == kernelcache::Layout::Merged) {
        if (!mergedWarned && !o.dir.empty())
          printWarning("the kexts of a merged kernelcache share the kernel's segments: bundles are written without executables");
        mergedWarned = true;
        continue;
      }
      auto exe = kc->extractExecutable(k);
      if (!exe) {
        printError(std::move(exe).error().inFile(o.file));
        return kExitFailure;
      }
      executables[i] = std::move(exe).value();
    }
  }
  std::vector<kext::ExtractedKext> kexts;
  kexts.reserve(kc->kexts().size());
  for (size_t i = 0; i < kc->kexts().size(); ++i) {
    const auto& k = kc->kexts()[i];
    kext::ExtractedKext e;
    e.bundlePath = k.entry.bundlePath;
    e.info = k.entry.infoPlist();
    e.executable = executables[i] ? &*executables[i] : nullptr;
    kexts.push_back(std::move(e));
  }
  kext::BundlePlan plan = kext::planBundles(kexts, kext::NamingScheme::BundlePath);

  if (o.json) {
    printJson(o, *kc, plan, kexts);
  } else if (o.verbose) {
    std::printf("Found %zu kexts:\n", kc->kexts().size());
    for (const auto& k : kc->kexts())
      std::printf("%s - %s (%s)\n", k.entry.bundlePath.c_str(), k.entry.identifier.c_str(),
                  canonicalVersion(k.entry.version).c_str());
  }
  if (!o.dir.empty()) {
    auto out = io::OutputDir::open(o.dir);
    if (!out) {
      printError(out.error());
      return kExitFailure;
    }
    if (auto st = kext::writeBundles(*out, kexts, plan, ow); !st) {
      printError(st.error());
      return kExitFailure;
    }
  }
  if (!o.kernelOut.empty()) {
    if (auto st = io::writeFileAtomic(o.kernelOut, kc->image(), ow, 0644); !st) {
      printError(st.error());
      return kExitFailure;
    }
  }
  if (!o.prelinkOut.empty()) {
    if (auto st = io::writeFileAtomic(o.prelinkOut, plist::writeXmlPlist(kc->prelinkInfo()), ow, 0644); !st) {
      printError(st.error());
      return kExitFailure;
    }
  }
  return kExitOk;
}

}  // namespace kextkit::tools::mkextunpack
