// Adding the kexts prelinked in a kernelcache to a kext catalog (kextutil -k, kextlibs -k).
// Header-only so both tools can include it.
#pragma once

#include <memory>
#include <string>

#include "kextkit/io/MappedFile.h"
#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/kext/KextCatalog.h"

namespace kextkit::tools {

/// Opens the kernelcache at `path` (its slice for the catalog's arch) and adds every prelinked
/// kext that has an identifier as a KernelCache record named "<path>:<bundle path>". The
/// records' executables are extracted from the cache on demand; the cache stays open as long
/// as a record needs it. Returns the number of kexts added, or the error of opening the file
/// or the cache (with the file named).
inline Expected<size_t> addKernelcacheKexts(kext::KextCatalog& catalog, const std::string& path,
                                            const kext::ValidationOptions& validation) {
  auto mapped = io::MappedFile::open(path);
  if (!mapped) return std::move(mapped).error();
  // The mapping (and so the bytes the cache may view) does not move with the object.
  auto file = std::make_shared<io::MappedFile>(std::move(*mapped));
  kernelcache::OpenOptions options;
  options.arch = catalog.arch();
  auto opened = kernelcache::Kernelcache::open(file->bytes(), options);
  if (!opened) return std::move(opened).error().inFile(path);
  auto cache = std::make_shared<kernelcache::Kernelcache>(std::move(*opened));
  size_t added = 0;
  for (size_t i = 0; i < cache->kexts().size(); ++i) {
    const kernelcache::PrelinkedKext& k = cache->kexts()[i];
    if (k.entry.identifier.empty()) continue;
    std::function<Expected<kext::ExecutableBytes>()> executable;
    if (k.hasExecutable) {
      executable = [cache, file, i]() -> Expected<kext::ExecutableBytes> {
        auto bytes = cache->extractExecutable(cache->kexts()[i]);
        if (!bytes) return std::move(bytes).error();
        auto owned = std::make_shared<std::vector<uint8_t>>(std::move(*bytes));
        return kext::ExecutableBytes{io::Bytes(*owned), owned};
      };
    }
    catalog.addPrelinked(k.entry.infoPlist(), path + ":" + k.entry.bundlePath, std::move(executable), validation);
    ++added;
  }
  return added;
}

}  // namespace kextkit::tools
