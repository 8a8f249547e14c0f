// Kext arguments and kext sources shared by kextutil and kextlibs.
#include "KextInputs.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>

#include "Report.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/kext/KextDiscovery.h"

namespace kextkit::tools {

std::string stripTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

int checkKextPath(const std::string& path, bool kextSuffix) {
  const std::string p = stripTrailingSlashes(path);
  if (kextSuffix && !kext::isKextName(std::filesystem::path(p).filename().string())) {
    printError(path + " not of type 'kext'.");
    return kExUsage;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    printError("Can't stat " + path + " - " + std::strerror(errno) + ".");
    return kExNoInput;
  }
  if (!S_ISDIR(st.st_mode)) {
    printError(path + " is not a directory.");
    return kExNoInput;
  }
  return 0;
}

Expected<size_t> addKernelcacheKexts(kext::KextCatalog& catalog, const std::string& path,
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
