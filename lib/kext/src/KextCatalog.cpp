// Kext catalog: records, identifier index in Apple's lookup order, cached validation/authentication.
#include "kextkit/kext/KextCatalog.h"

#include <algorithm>

#include "kextkit/io/MappedFile.h"

namespace kextkit::kext {

std::string_view kextOriginName(KextOrigin origin) {
  switch (origin) {
    case KextOrigin::Dependency: return "dependency";
    case KextOrigin::Repository: return "repository";
    case KextOrigin::KernelCache: return "kernelcache";
    case KextOrigin::Named: return "named";
  }
  return "";
}

size_t KextCatalog::add(KextRecord record) {
  const size_t index = records_.size();
  records_.push_back(std::move(record));
  const KextFacts& f = records_.back().facts;
  if (!f.hasIdentifier) return index;
  auto& list = byId_[f.identifier];
  // IOKitUser inserts a kext before the first one with the same or a lower version, so the
  // newest comes first and, among equal versions, the last one opened. kextkit ranks equal
  // versions by origin first (see KextOrigin), then by recency.
  auto before = [&](size_t a, size_t b) {
    const KextRecord& x = records_[a];
    const KextRecord& y = records_[b];
    if (x.facts.version != y.facts.version) return x.facts.version > y.facts.version;
    if (x.origin != y.origin) return static_cast<int>(x.origin) < static_cast<int>(y.origin);
    return a > b;
  };
  list.insert(std::upper_bound(list.begin(), list.end(), index, before), index);
  return index;
}

bool bundleSupportsArch(const KextBundle& bundle, macho::Arch arch) {
  const plist::Value* exe = bundle.info() ? bundle.info()->get("CFBundleExecutable") : nullptr;
  const std::string* name = exe ? exe->asString() : nullptr;
  if (!name || name->empty()) return true;  // codeless
  const auto& info = bundle.executable();
  if (!info) return false;
  for (const ExecutableSlice& s : info->slices)
    if (macho::archMatches(s.arch, arch)) return true;
  return false;
}

std::optional<size_t> KextCatalog::addBundle(std::shared_ptr<const KextBundle> bundle, KextOrigin origin,
                                             const ValidationOptions& validation, const AuthOptions& authOptions) {
  if (!bundle->info() || bundle->plistFlavor() != plist::PlistFlavor::IOKitXml) return std::nullopt;
  KextRecord r;
  r.path = bundle->path();
  r.origin = origin;
  r.facts = validateInfoDictionary(*bundle->info(), validation).facts;
  r.supportsArch = bundleSupportsArch(*bundle, arch_);
  r.validate = [bundle, validation] { return validateKext(*bundle, validation); };
  r.authenticate = [path = bundle->path(), authOptions] { return authenticateBundle(path, authOptions); };
  if (r.facts.declaresExecutable) {
    r.executable = [bundle]() -> Expected<ExecutableBytes> {
      const auto& exe = bundle->executable();
      if (!exe) {
        Error e(ErrorCode::NotFound, "the kext declares no valid executable");
        e.file = bundle->path();
        return e;
      }
      auto file = io::MappedFile::open(exe->path);
      if (!file) return std::move(file).error();
      auto owner = std::make_shared<io::MappedFile>(std::move(*file));
      return ExecutableBytes{owner->bytes(), owner};
    };
  }
  return add(std::move(r));
}

size_t KextCatalog::addPrelinked(const plist::Value& info, std::string path,
                                 std::function<Expected<ExecutableBytes>()> executable,
                                 const ValidationOptions& validation) {
  KextRecord r;
  r.path = std::move(path);
  r.origin = KextOrigin::KernelCache;
  ValidationResult v = validateInfoDictionary(info, validation);
  r.facts = v.facts;
  r.supportsArch = !r.facts.declaresExecutable || r.facts.isInterface || static_cast<bool>(executable);
  r.validate = [v] { return v; };
  r.executable = std::move(executable);
  return add(std::move(r));
}

const std::vector<size_t>& KextCatalog::withIdentifier(std::string_view identifier) const {
  static const std::vector<size_t> none;
  auto it = byId_.find(identifier);
  return it == byId_.end() ? none : it->second;
}

std::optional<size_t> KextCatalog::find(std::string_view identifier) const {
  const auto& list = withIdentifier(identifier);
  if (list.empty()) return std::nullopt;
  return list.front();
}

std::optional<size_t> KextCatalog::findCompatible(std::string_view identifier, OSKextVersion requested) const {
  for (size_t i : withIdentifier(identifier)) {
    const KextFacts& f = records_[i].facts;
    if (isCompatibleVersion(f.version, f.compatibleVersion, requested)) return i;
  }
  return std::nullopt;
}

const ValidationResult& KextCatalog::validation(size_t i) {
  auto it = validations_.find(i);
  if (it != validations_.end()) return it->second;
  ValidationResult r;
  if (records_[i].validate) {
    r = records_[i].validate();
  } else {
    r.hasInfoDictionary = true;
    r.valid = true;
    r.facts = records_[i].facts;
  }
  return validations_.emplace(i, std::move(r)).first->second;
}

const std::vector<AuthIssue>& KextCatalog::authentication(size_t i) {
  auto it = authentications_.find(i);
  if (it != authentications_.end()) return it->second;
  std::vector<AuthIssue> issues;
  if (records_[i].authenticate) issues = records_[i].authenticate();
  return authentications_.emplace(i, std::move(issues)).first->second;
}

}  // namespace kextkit::kext
