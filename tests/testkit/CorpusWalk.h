// Walking a kext corpus laid out as repositories (`kexts/<owner>__<repo>[/<commit>]/X.kext`):
// shared by the corpus tests and kextkit-bench.
#pragma once

#include <string>
#include <vector>

namespace kextkit::testkit {

/// Every directory below `root` (itself included) that directly holds *.kext bundles, sorted.
/// Bundles are not entered: their plugins are for kext discovery to find.
std::vector<std::string> kextRepositories(const std::string& root);

/// Every directory named *.kext below `root`, plugins and bundles nested anywhere included,
/// sorted: an independent census of what discovery should find.
std::vector<std::string> allKextDirectories(const std::string& root);

}  // namespace kextkit::testkit
