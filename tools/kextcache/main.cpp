// kextcache: create mkext archives from kexts, and kernelcache files from prelinked kernels.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>

#include "AppleArgs.h"
#include "KextcacheOptions.h"
#include "Report.h"
#include "../kextstat/SizeOption.h"

using namespace kextkit;
using namespace kextkit::tools::kextcache;

int main(int argc, char** argv) {
  tools::setToolName("kextcache");
  Options o;
  std::string m2, m1;
  std::string maxSize;
  CLI::App app{"Create mkext archives from kexts and repository directories, and kernelcache files from prelinked "
               "kernels.",
               "kextcache"};
  app.set_help_flag("-h,--help", "Print this help and exit");
  auto* mk = app.add_option("-m,--mkext,--mkext2", m2, "Write an mkext2 archive (the newest format) to this path");
  auto* mk1 = app.add_option("--mkext1", m1, "Write an mkext1 (LZSS) archive to this path");
  mk->excludes(mk1);
  app.add_option("-a,--arch", o.archs, "Add a target architecture (repeatable; default: every arch the kexts have)")
      ->allow_extra_args(false);
  app.add_option("-b,--bundle-id", o.bundleIds, "Include only kexts with this CFBundleIdentifier (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("-l,--local-root", o.localRoot, "Repository kexts: include only OSBundleRequired Local-Root (and Root, Console)");
  app.add_flag("-L,--local-root-all", o.localRootAll, "Like -l, applied to named kexts too");
  app.add_flag("-n,--network-root", o.networkRoot, "Repository kexts: include only OSBundleRequired Network-Root (and Root, Console)");
  app.add_flag("-N,--network-root-all", o.networkRootAll, "Like -n, applied to named kexts too");
  app.add_flag("-s,--safe-boot", o.safeBoot, "Repository kexts: include only OSBundleRequired Safe Boot (and Root, Console)");
  app.add_flag("-S,--safe-boot-all", o.safeBootAll, "Like -s, applied to named kexts too");
  app.add_option("--volume-root", o.volumeRoot, "Strip this prefix from the bundle paths stored in the archive");
  app.add_flag("-z,--no-authentication", o.noAuthentication, "Skip the ownership and permission checks");
  app.add_flag("-t,--print-diagnostics", o.printDiagnostics, "Print the diagnostics of every omitted kext");
  app.add_flag("-q,--quiet", o.quiet, "Print nothing but fatal errors");
  app.add_flag("-v,--verbose", o.verbose, "Print what is included and omitted, and the archive written");
  app.add_flag("-f,--force", o.force, "Overwrite the output file if it exists");
  app.add_option("--threads", o.threads, "Compression threads (default: one per core; output is identical for any count)");
  app.add_option("-c,--prelinked-kernel", o.prelinkedPath,
                 "Write a kernelcache (fat; comp lzss/lzvn) of the -kernel prelinked kernel to this path; without "
                 "-kernel, re-encode this existing kernelcache in place (-compressed or -uncompressed)");
  app.add_option("-K,--kernel", o.kernelPath, "The prelinked kernel to wrap (a Mach-O, fat file or existing kernelcache)");
  app.add_flag("--compressed", o.compressed, "Compress the kernelcache (the default; wins over -uncompressed)");
  app.add_flag("--uncompressed", o.uncompressed, "Store the kernel Mach-O uncompressed (still fat-wrapped)");
  app.add_flag("--lzss", o.lzss, "Compress with LZSS ('complzss', the default)");
  app.add_flag("--lzvn", o.lzvn, "Compress with LZVN ('complzvn')");
  app.add_option("--max-size", maxSize, "Refuse input images larger than this once decompressed (default 1G; K, M, G suffixes)");
  app.add_option("kext-or-directory", o.inputs, "A .kext bundle, or a directory whose *.kext children are used");
  const char* usage = "Try 'kextcache -help' for more information.";
  if (auto status = tools::parseAppleCommandLine(app, argc, argv, usage)) return *status;
  if (!m2.empty()) {
    o.mkextPath = m2;
    o.mkextVersion = 2;
  } else if (!m1.empty()) {
    o.mkextPath = m1;
    o.mkextVersion = 1;
  }
  if (!maxSize.empty()) {
    auto v = tools::parseByteSize(maxSize);
    if (!v) {
      tools::printError("--max-size: expected a size such as 1073741824, 512M or 2G, found '" + maxSize + "'");
      return kExitUsage;
    }
    o.maxImageSize = *v;
  }
  if (o.mkextVersion == 0 && o.prelinkedPath.empty()) {
    tools::printError("No work to do; check options and try again.");
    return kExitUsage;
  }
  if (o.quiet) o.verbose = o.printDiagnostics = false;
  if (o.mkextVersion != 0) {
    if (o.inputs.empty()) {
      tools::printError("No kexts or directories specified.");
      return kExitUsage;
    }
    int rc = runMkext(o);
    if (rc != kExitOK || o.prelinkedPath.empty()) return rc;
  }
  return runPrelinkedKernel(o);
}
