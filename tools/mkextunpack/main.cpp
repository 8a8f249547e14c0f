// mkextunpack: list or extract the kexts of an mkext archive (Apple's options and output) or of
// a kernelcache (KernelcacheUnpack.cpp).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "AppleArgs.h"
#include "JsonWriter.h"
#include "MkextunpackOptions.h"
#include "Report.h"
#include "../kextstat/SizeOption.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/io/OutputDir.h"
#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/kext/BundleExtractor.h"
#include "kextkit/kext/KextVersion.h"
#include "kextkit/macho/Arch.h"
#include "kextkit/mkext/MkextArchive.h"

using namespace kextkit;
namespace tools = kextkit::tools;
using tools::mkextunpack::kExitFailure;
using tools::mkextunpack::kExitOk;
using tools::mkextunpack::Options;

namespace {

/// Apple prints the canonical form of CFBundleVersion for mkext2 kexts.
std::string canonicalVersion(const std::string& raw) {
  // The 10.14+ grammar accepts every classic version and prints it the same way.
  return kext::versionToString(kext::parseVersion(raw, kext::VersionEra::Modern), kext::VersionEra::Modern);
}

/// The slice to use: the one matching -a, else (fat) x86_64 when present, as Apple's
/// mkextunpack picks the host arch on an Intel Mac, else the first slice.
Expected<const mkext::MkextSlice*> chooseSlice(const mkext::MkextFile& f, const std::string& archName) {
  if (!archName.empty()) {
    auto wanted = macho::archFromName(archName);
    if (!wanted) return Error(ErrorCode::InvalidArgument, "unknown architecture '" + archName + "'");
    for (const auto& s : f.slices)
      if (macho::archMatches(macho::Arch{s.cputype, s.cpusubtype}, *wanted) ||
          (s.cputype == wanted->cputype && f.slices.size() == 1))
        return &s;
    return Error(ErrorCode::NotFound, "archive has no " + archName + " slice");
  }
  if (f.slices.size() > 1)
    for (const auto& s : f.slices)
      if (s.cputype == macho::CPU_TYPE_X86_64) return &s;
  return &f.slices.front();
}

std::string sliceArchName(const mkext::MkextSlice& s) {
  return macho::describeArch(macho::Arch{s.cputype, s.cpusubtype});
}

void printJson(const Options& o, const mkext::MkextFile& f, const mkext::MkextSlice& s,
               const kext::BundlePlan& plan, const std::vector<kext::ExtractedKext>& kexts) {
  tools::JsonWriter j;
  j.beginObject();
  j.key("file").value(o.file);
  j.key("format").value(s.version == mkext::MkextVersion::V2 ? "mkext2" : "mkext1");
  j.key("fat").value(f.fat);
  j.key("slices").beginArray();
  for (const auto& sl : f.slices) j.value(sliceArchName(sl));
  j.endArray();
  j.key("arch").value(sliceArchName(s));
  j.key("adler32").value(static_cast<uint64_t>(s.adler32));
  j.key("length").value(static_cast<uint64_t>(s.length));
  j.key("kexts").beginArray();
  for (size_t i = 0; i < s.kexts.size(); ++i) {
    const auto& k = s.kexts[i];
    j.beginObject();
    j.key("name").value(plan.names[i]);
    j.key("bundle_id").value(k.bundleId());
    j.key("version").value(k.bundleVersion());
    if (s.version == mkext::MkextVersion::V2) j.key("bundle_path").value(k.bundlePath);
    j.key("executable").value(k.executableName());
    if (k.executable) {
      j.key("executable_size").value(static_cast<uint64_t>(k.executable->size()));
      j.key("executable_offset").value(k.executableOffset);
    } else {
      j.key("executable_size").null();
    }
    if (!o.dir.empty()) j.key("output").value(o.dir + "/" + plan.bundleDirs[i]);
    j.endObject();
  }
  j.endArray();
  j.endObject();
  (void)kexts;
  std::fputs(j.str().c_str(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  tools::setToolName("mkextunpack");
  Options o;
  std::string maxSize;
  CLI::App app{"List or extract the kexts in an mkext archive (mkext1 or mkext2, thin or fat) or in a "
               "kernelcache (prelinked kernel or kernel collection; fat, comp lzss/lzvn or bare Mach-O).",
               "mkextunpack"};
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.add_flag("-v,--verbose", o.verbose, "List the kexts: 'Found N kexts:' then one line per kext");
  app.add_option("-a,--arch", o.arch, "Use the slice of this architecture (default: x86_64 if present, else the first)");
  app.add_option("-d,--directory", o.dir, "Extract every kext as a bundle into this existing directory");
  app.add_flag("--json", o.json, "Print the listing as JSON instead of text");
  app.add_flag("-f,--force", o.force, "Overwrite files that already exist in the output directory");
  app.add_option("--kernel", o.kernelOut, "Kernelcaches: write the decompressed kernel Mach-O to this file");
  app.add_option("--prelink-info", o.prelinkOut, "Kernelcaches: write the prelink info as a standard XML plist to this file");
  app.add_option("--max-size", maxSize, "Kernelcaches: refuse images larger than this once decompressed (default 1G; K, M, G suffixes)");
  app.add_option("mkextfile", o.file, "The mkext archive or kernelcache")->required();
  const char* usage = "usage: mkextunpack [-v] [-a arch] [-d output_dir] [--json] [-f] [-kernel file] [-prelink-info file] [--max-size N] mkextfile";
  if (auto status = tools::parseAppleCommandLine(app, argc, argv, usage)) return *status;
  if (!maxSize.empty()) {
    auto v = tools::parseByteSize(maxSize);
    if (!v) {
      tools::printError("--max-size: expected a size such as 1073741824, 512M or 2G, found '" + maxSize + "'");
      return tools::kExUsage;
    }
    o.maxImageSize = *v;
  }
  if (!o.verbose && o.dir.empty() && !o.json && o.kernelOut.empty() && o.prelinkOut.empty()) {
    tools::printError("no work to do; please specify -d or -v");
    return tools::kExUsage;
  }

  std::optional<io::OutputDir> out;
  if (!o.dir.empty()) {
    auto d = io::OutputDir::open(o.dir);
    if (!d) {
      tools::printError(d.error());
      return kExitFailure;
    }
    out = std::move(d).value();
  }

  auto mapped = io::MappedFile::open(o.file);
  if (!mapped) {
    tools::printError(mapped.error());
    return kExitFailure;
  }
  if (!mkext::looksLikeMkext(mapped->bytes()) && kernelcache::looksLikeKernelcache(mapped->bytes()))
    return tools::mkextunpack::unpackKernelcache(o, mapped->bytes());
  if (!o.kernelOut.empty() || !o.prelinkOut.empty()) {
    tools::printError("-kernel and -prelink-info apply to kernelcaches; " + o.file + " is not one");
    return tools::kExUsage;
  }
  auto archive = mkext::readMkext(mapped->bytes());
  if (!archive) {
    tools::printError(std::move(archive).error().inFile(o.file));
    return kExitFailure;
  }
  auto slice = chooseSlice(*archive, o.arch);
  if (!slice) {
    tools::printError(std::move(slice).error().inFile(o.file));
    return kExitFailure;
  }
  const mkext::MkextSlice& s = **slice;

  std::vector<kext::ExtractedKext> kexts;
  kexts.reserve(s.kexts.size());
  for (const auto& k : s.kexts) {
    kext::ExtractedKext e;
    e.bundlePath = k.bundlePath;
    e.info = k.info;
    if (s.version == mkext::MkextVersion::V1) e.rawInfoPlist = k.rawInfoPlist;
    e.executable = k.executable ? &*k.executable : nullptr;
    kexts.push_back(std::move(e));
  }
  const bool v1 = s.version == mkext::MkextVersion::V1;
  kext::BundlePlan plan =
      kext::planBundles(kexts, v1 ? kext::NamingScheme::ExecutableName : kext::NamingScheme::BundlePath);

  if (o.json) {
    printJson(o, *archive, s, plan, kexts);
  } else if (o.verbose) {
    std::printf("Found %zu kexts:\n", s.kexts.size());
    for (size_t i = 0; i < s.kexts.size(); ++i) {
      const auto& k = s.kexts[i];
      if (v1)
        std::printf("%s - %s (%s)\n", plan.names[i].c_str(), k.bundleId().c_str(), k.bundleVersion().c_str());
      else
        std::printf("%s - %s (%s)\n", k.bundlePath.c_str(), k.bundleId().c_str(),
                    canonicalVersion(k.bundleVersion()).c_str());
    }
  }
  if (out) {
    auto st = kext::writeBundles(*out, kexts, plan, o.force ? io::Overwrite::Allow : io::Overwrite::Refuse);
    if (!st) {
      tools::printError(st.error());
      return kExitFailure;
    }
  }
  return kExitOk;
}
