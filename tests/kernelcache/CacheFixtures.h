// Test fixtures for kernelcache tests: builder input from testdata/ and corpus kexts, and the
// cache files made of a built kernel.
#pragma once

#include <string>
#include <vector>

#include "TestPaths.h"
#include "kextkit/kernelcache/KernelcacheWriter.h"
#include "kextkit/kernelcache/PrelinkedKernelBuilder.h"
#include "kextkit/kext/KextDiscovery.h"

namespace kextkit::testkit {

/// The kpi pseudo-kexts the testdata kexts link against (System.kext is not in testdata/).
inline std::vector<std::pair<std::string, std::string>> kpiResources() {
  return {{"com.apple.kpi.bsd", "13.0.0"},
          {"com.apple.kpi.iokit", "13.0.0"},
          {"com.apple.kpi.libkern", "13.0.0"},
          {"com.apple.kpi.mach", "13.0.0"}};
}

/// Builder input from every kext of a folder (repository directory), for `arch`.
inline std::vector<kernelcache::BuilderKext> kextsFrom(const std::string& dir, const std::string& prefix,
                                                      macho::Arch arch = {macho::CPU_TYPE_X86_64,
                                                                          macho::CPU_SUBTYPE_X86_64_ALL},
                                                      std::vector<std::string>* skipped = nullptr) {
  auto bundles = kext::discoverKexts(dir);
  if (!bundles) throw std::runtime_error(bundles.error().describe());
  return kernelcache::builderKextsFromBundles(*bundles, arch, dir, prefix, skipped);
}

/// The testdata/kexts sample kexts.
inline std::vector<kernelcache::BuilderKext> testdataKexts(macho::Arch arch = {macho::CPU_TYPE_X86_64,
                                                                                macho::CPU_SUBTYPE_X86_64_ALL}) {
  return kextsFrom(testdataDir() + "/kexts", "/Library/Extensions", arch);
}

/// Build options for a layout, with the kpi resources of the testdata kexts.
inline kernelcache::BuildOptions buildOptions(kernelcache::Layout layout, bool withKpi = true) {
  kernelcache::BuildOptions o;
  o.layout = layout;
  if (layout == kernelcache::Layout::Merged) o.arch = {macho::CPU_TYPE_ARM64, macho::CPU_SUBTYPE_ARM64_ALL};
  if (withKpi) o.kernelResources = kpiResources();
  return o;
}

/// Builds a kernel or throws.
inline kernelcache::BuiltKernel build(const std::vector<kernelcache::BuilderKext>& kexts,
                                      const kernelcache::BuildOptions& o) {
  auto b = kernelcache::buildPrelinkedKernel(kexts, o);
  if (!b) throw std::runtime_error(b.error().describe());
  return std::move(b).value();
}

/// A kernelcache file (fat, one slice) holding `image`.
inline std::vector<uint8_t> cacheFile(const std::vector<uint8_t>& image, kernelcache::Compression c) {
  io::Bytes one[] = {io::Bytes(image)};
  auto f = kernelcache::writeKernelcache(one, c);
  if (!f) throw std::runtime_error(f.error().describe());
  return std::move(f).value();
}

}  // namespace kextkit::testkit
