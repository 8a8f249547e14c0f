// Kext arguments and kext sources shared by kextutil and kextlibs: path checks as kext_tools'
// checkPath(), and the kexts prelinked in a kernelcache as catalog records (-k).
#pragma once

#include <cstddef>
#include <string>

#include "kextkit/kext/KextCatalog.h"
#include "kextkit/support/Error.h"

namespace kextkit::tools {

/// `path` without trailing slashes ("/" stays "/").
std::string stripTrailingSlashes(std::string path);

/// kext_tools checkPath(): with `kextSuffix`, the name must end in ".kext" (else EX_USAGE);
/// then the path must exist (else EX_NOINPUT, "Can't stat ...") and be a directory (else
/// EX_NOINPUT). Prints Apple's message for a failure; returns 0 when the path is usable.
int checkKextPath(const std::string& path, bool kextSuffix);

/// Opens the kernelcache at `path` (its slice for the catalog's arch) and adds every prelinked
/// kext that has an identifier as a KernelCache record named "<path>:<bundle path>". The
/// records' executables are extracted from the cache on demand; the cache stays open as long
/// as a record needs it. Returns the number of kexts added, or the error of opening the file
/// or the cache (with the file named).
Expected<size_t> addKernelcacheKexts(kext::KextCatalog& catalog, const std::string& path,
                                     const kext::ValidationOptions& validation);

}  // namespace kextkit::tools
