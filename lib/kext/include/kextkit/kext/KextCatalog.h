// The set of kexts dependency resolution and library search draw from: bundles on disk and kexts
// prelinked in a kernelcache, behind one abstract "library provider" record.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/kext/Authentication.h"
#include "kextkit/kext/KextBundle.h"
#include "kextkit/kext/KextValidation.h"

namespace kextkit::kext {

/// Where a kext came from, from the most preferred to the least: among kexts with the same
/// identifier and version, one named with -d wins over one from a -r repository, which wins
/// over one prelinked in a -k kernelcache, which wins over a kext named on the command line.
/// (Apple's "last opened wins" with kextutil's scan order, plus the kernelcache.)
enum class KextOrigin {
  Dependency = 0,   ///< kextutil -d
  Repository = 1,   ///< -r, or a default extensions folder
  KernelCache = 2,  ///< -k
  Named = 3,        ///< a kext argument
};

/// "dependency", "repository", "kernelcache" or "named".
std::string_view kextOriginName(KextOrigin origin);

/// Executable bytes with whatever keeps them alive (a mapped file, a kernelcache image).
struct ExecutableBytes {
  io::Bytes bytes;
  std::shared_ptr<const void> owner;
};

/// One kext as the resolver and the symbol search see it. Anything that can fill these fields
/// (a bundle, a prelinked kext) is a library provider.
struct KextRecord {
  std::string path;        ///< bundle path, for messages (a kernelcache kext: its recorded bundle path)
  KextOrigin origin = KextOrigin::Repository;
  KextFacts facts;         ///< identifier, versions, flags, OSBundleLibraries (for the catalog's arch)
  bool supportsArch = true;///< codeless, or the executable has a slice for the catalog's arch
  /// Full validation (Info.plist and executable); run at most once, on first need.
  std::function<ValidationResult()> validate;
  /// Authentication walk; unset for kexts that have no files of their own (kernelcache kexts,
  /// which count as authentic).
  std::function<std::vector<AuthIssue>()> authenticate;
  /// The whole executable (fat or thin); unset for codeless kexts.
  std::function<Expected<ExecutableBytes>()> executable;
};

/// A catalog of kexts with an identifier index. Records are never removed; indices are stable.
class KextCatalog {
 public:
  /// `arch` selects arch-specific Info.plist keys, executable slices and the LP64 rules.
  explicit KextCatalog(macho::Arch arch, VersionEra era = VersionEra::Modern) : arch_(arch), era_(era) {}

  /// The architecture the catalog's records describe.
  macho::Arch arch() const { return arch_; }
  /// The version grammar of the catalog's records.
  VersionEra era() const { return era_; }

  /// Adds a record; returns its index.
  size_t add(KextRecord record);

  /// Adds a bundle read from disk (its Info.plist must be a dictionary in the IOKit dialect:
  /// IOKitUser cannot create a kext otherwise; returns nullopt then). The bundle is shared
  /// with the record's callbacks. `authOptions` is used by the record's authenticate().
  std::optional<size_t> addBundle(std::shared_ptr<const KextBundle> bundle, KextOrigin origin,
                                  const ValidationOptions& validation, const AuthOptions& authOptions = {});

  /// Adds a kext prelinked in a kernelcache: `info` is its Info.plist dictionary (the prelink
  /// info entry without its `_Prelink*` keys), `path` names it in messages, `executable` gives
  /// its linked executable when the cache holds code for it (unset otherwise). Prelinked kexts
  /// have no files of their own, so they count as authentic; they are valid when their
  /// Info.plist is (the kernel linker already accepted their executables, whose symbol tables
  /// are usually stripped). Kernel components and interfaces need no code to support the arch.
  size_t addPrelinked(const plist::Value& info, std::string path, std::function<Expected<ExecutableBytes>()> executable,
                      const ValidationOptions& validation);

  /// Number of records.
  size_t size() const { return records_.size(); }
  /// Record `i` (i < size()).
  const KextRecord& record(size_t i) const { return records_[i]; }
  /// Facts of record `i`.
  const KextFacts& facts(size_t i) const { return records_[i].facts; }

  /// The kexts with this identifier, the one Apple's lookups pick first: highest version, then
  /// most preferred origin, then the most recently added.
  const std::vector<size_t>& withIdentifier(std::string_view identifier) const;
  /// OSKextGetKextWithIdentifier: the first of withIdentifier(), or nullopt.
  std::optional<size_t> find(std::string_view identifier) const;
  /// OSKextGetCompatibleKextWithIdentifier: the first of withIdentifier() whose
  /// compatibleVersion > 0 and compatibleVersion <= requested <= version.
  std::optional<size_t> findCompatible(std::string_view identifier, OSKextVersion requested) const;

  /// The full validation of a record (cached). Records without a validate() callback are valid.
  const ValidationResult& validation(size_t i);
  /// __OSKextIsValid.
  bool isValid(size_t i) { return validation(i).valid; }
  /// The authentication issues of a record (cached); empty for records without authenticate().
  const std::vector<AuthIssue>& authentication(size_t i);
  /// OSKextIsAuthentic.
  bool isAuthentic(size_t i) { return kext::isAuthentic(authentication(i)); }

 private:
  macho::Arch arch_;
  VersionEra era_;
  std::vector<KextRecord> records_;
  std::map<std::string, std::vector<size_t>, std::less<>> byId_;
  std::map<size_t, ValidationResult> validations_;
  std::map<size_t, std::vector<AuthIssue>> authentications_;
};

/// True if a bundle can run on `arch`: codeless, or its executable has a matching slice.
bool bundleSupportsArch(const KextBundle& bundle, macho::Arch arch);

}  // namespace kextkit::kext
