// Prelink info parsing (IOKit XML dialect) and library resolution.
#include "kextkit/kernelcache/PrelinkInfo.h"

#include <algorithm>
#include <map>

#include "kextkit/kernelcache/KernelcacheFormat.h"
#include "kextkit/kext/KextBundle.h"
#include "kextkit/kext/KextVersion.h"
#include "kextkit/plist/IOKitXml.h"
#include "kextkit/support/Format.h"

namespace kextkit::kernelcache {

namespace {

/// Reads typed keys of one entry, naming "kext N (id): key" in errors.
class EntryReader {
 public:
  EntryReader(const plist::Dict& d, size_t index, uint64_t base) : d_(d), index_(index), base_(base) {}

  void setIdentifier(const std::string& id) { id_ = id; }

  Error wrongType(std::string_view key, const char* expected, const plist::Value& v) const {
    return malformed(std::string("expected ") + expected + ", found " + std::string(plist::Value::typeName(v.type())),
                     where(key), base_);
  }

  std::string where(std::string_view key) const {
    std::string w = "kext " + std::to_string(index_);
    if (!id_.empty()) w += " (" + id_ + ")";
    return w + ": " + std::string(key);
  }

  Expected<std::string> string(std::string_view key) const {
    const plist::Value* v = d_.find(key);
    if (!v) return std::string();
    if (const std::string* s = v->asString()) return *s;
    return wrongType(key, "a string", *v);
  }

  Expected<std::optional<uint64_t>> integer(std::string_view key) const {
    const plist::Value* v = d_.find(key);
    if (!v) return std::optional<uint64_t>();
    if (const plist::Integer* i = v->asInteger()) return std::optional<uint64_t>(i->bits);
    return wrongType(key, "an integer", *v);
  }

  Expected<bool> boolean(std::string_view key) const {
    const plist::Value* v = d_.find(key);
    if (!v) return false;
    if (const bool* b = v->asBool()) return *b;
    return wrongType(key, "a bool", *v);
  }

  Expected<std::optional<std::vector<uint8_t>>> data(std::string_view key) const {
    const plist::Value* v = d_.find(key);
    if (!v) return std::optional<std::vector<uint8_t>>();
    if (const plist::Data* dd = v->asData()) return std::optional<std::vector<uint8_t>>(*dd);
    return wrongType(key, "data", *v);
  }

 private:
  const plist::Dict& d_;
  size_t index_;
  uint64_t base_;
  std::string id_;
};

Expected<PrelinkEntry> readEntry(plist::Value& v, size_t index, uint64_t base, const PrelinkInfoOptions& options) {
  const plist::Dict* d = v.asDict();
  if (!d)
    return malformed("expected a dict, found " + std::string(plist::Value::typeName(v.type())),
                     std::string(kPrelinkInfoDictionaryKey) + "[" + std::to_string(index) + "]", base);
  PrelinkEntry e;
  e.index = index;
  EntryReader r(*d, index, base);
  KK_ASSIGN(e.identifier, r.string("CFBundleIdentifier"));
  r.setIdentifier(e.identifier);
  KK_ASSIGN(e.version, r.string("CFBundleVersion"));
  KK_ASSIGN(e.executableName, r.string("CFBundleExecutable"));
  KK_ASSIGN(e.bundlePath, r.string(kPrelinkBundlePathKey));
  KK_ASSIGN(e.executableRelativePath, r.string(kPrelinkExecutableRelativePathKey));
  KK_ASSIGN(e.loadAddress, r.integer(kPrelinkExecutableLoadKey));
  KK_ASSIGN(e.sourceAddress, r.integer(kPrelinkExecutableSourceKey));
  KK_ASSIGN(e.executableSize, r.integer(kPrelinkExecutableSizeKey));
  KK_ASSIGN(e.kmodInfoAddress, r.integer(kPrelinkKmodInfoKey));
  KK_ASSIGN(e.interfaceUuid, r.data(kPrelinkInterfaceUUIDKey));
  KK_ASSIGN(e.moduleIndex, r.integer(kModuleIndexKey));
  KK_ASSIGN(e.kernelResource, r.boolean("OSKernelResource"));
  KK_ASSIGN(e.isInterface, r.boolean("OSBundleIsInterface"));

  // OSBundleLibraries, the arch-specific variant first (IOKitUser OSKextGetValueForInfoDictionaryKey).
  const plist::Value* libs = kext::lookupArchKey(*d, "OSBundleLibraries", options.cputype);
  if (libs) {
    const plist::Dict* ld = libs->asDict();
    if (!ld) return r.wrongType("OSBundleLibraries", "a dict", *libs);
    for (const auto& [id, ver] : *ld) {
      const std::string* s = ver.asString();
      if (!s) return r.wrongType("OSBundleLibraries." + id, "a string", ver);
      e.libraries.push_back(LibraryRef{id, *s, std::nullopt});
    }
    std::sort(e.libraries.begin(), e.libraries.end(),
              [](const LibraryRef& a, const LibraryRef& b) { return a.identifier < b.identifier; });
  }
  e.info = std::move(v);  // kept once: the caller's array keeps an empty placeholder
  return e;
}

}  // namespace

bool PrelinkEntry::hasExecutable() const {
  if (moduleIndex) return true;
  return loadAddress && *loadAddress != kPrelinkCodelessLoadAddr && executableSize && *executableSize > 0;
}

plist::Value PrelinkEntry::infoPlist() const {
  plist::Value out = info;
  if (plist::Dict* d = out.asDict()) {
    std::vector<std::string> drop;
    for (const auto& [k, v] : *d)
      if (k.compare(0, kPrelinkKeyPrefix.size(), kPrelinkKeyPrefix) == 0) drop.push_back(k);
    for (const auto& k : drop) d->erase(k);
  }
  return out;
}

Expected<PrelinkInfo> parsePrelinkInfo(std::string_view text, uint64_t base, const PrelinkInfoOptions& options) {
  auto parsed = plist::parseIOKitXml(text);
  if (!parsed) {
    Error e = std::move(parsed).error();
    if (e.offset) e.offset = *e.offset + base;
    e.field = e.field.empty() ? "__PRELINK_INFO,__info" : "__PRELINK_INFO,__info: " + e.field;
    return e;
  }
  PrelinkInfo info;
  info.top = std::move(parsed).value();
  const plist::Dict* top = info.top.asDict();
  if (!top)
    return malformed("expected a dict at the top, found " + std::string(plist::Value::typeName(info.top.type())),
                     "__PRELINK_INFO,__info", base);
  plist::Value* list = info.top.asDict()->find(kPrelinkInfoDictionaryKey);
  if (!list) return malformed("the prelink info has no " + std::string(kPrelinkInfoDictionaryKey) + " key", "__PRELINK_INFO,__info", base);
  plist::Array* arr = list->asArray();
  if (!arr)
    return malformed("expected an array, found " + std::string(plist::Value::typeName(list->type())),
                     std::string(kPrelinkInfoDictionaryKey), base);
  if (arr->size() > options.maxKexts)
    return Error(ErrorCode::LimitExceeded,
                 std::to_string(arr->size()) + " kexts exceed the limit of " + std::to_string(options.maxKexts),
                 std::string(kPrelinkInfoDictionaryKey), base);
  info.kexts.reserve(arr->size());
  for (size_t i = 0; i < arr->size(); ++i) {
    KK_ASSIGN(PrelinkEntry e, readEntry((*arr)[i], i, base, options));
    info.kexts.push_back(std::move(e));
  }
  arr->clear();
  resolveLibraries(info.kexts);
  return info;
}

plist::Value assemblePrelinkInfo(const plist::Value& top, const std::vector<const plist::Value*>& entries) {
  plist::Value out = top;
  if (plist::Dict* d = out.asDict()) {
    plist::Array arr;
    arr.reserve(entries.size());
    for (const plist::Value* e : entries) arr.push_back(*e);
    d->set(std::string(kPrelinkInfoDictionaryKey), plist::Value(std::move(arr)));
  }
  return out;
}

plist::Value PrelinkInfo::toValue() const {
  std::vector<const plist::Value*> entries;
  for (const PrelinkEntry& e : kexts) entries.push_back(&e.info);
  return assemblePrelinkInfo(top, entries);
}

void resolveLibraries(std::vector<PrelinkEntry>& kexts) {
  std::map<std::string, std::vector<size_t>> byId;
  for (size_t i = 0; i < kexts.size(); ++i)
    if (!kexts[i].identifier.empty()) byId[kexts[i].identifier].push_back(i);
  // The 10.14+ grammar accepts every classic version and orders them the same way.
  constexpr auto era = kext::VersionEra::Modern;
  auto compatible = [&](const PrelinkEntry& lib, const std::string& requested) {
    const plist::Value* cv = lib.info.get("OSBundleCompatibleVersion");
    const std::string* cs = cv ? cv->asString() : nullptr;
    if (!cs) return false;
    return kext::isCompatibleVersion(kext::parseVersion(lib.version, era), kext::parseVersion(*cs, era),
                                     kext::parseVersion(requested, era));
  };
  for (size_t i = 0; i < kexts.size(); ++i) {
    for (LibraryRef& ref : kexts[i].libraries) {
      ref.resolved.reset();
      auto it = byId.find(ref.identifier);
      if (it == byId.end()) continue;
      std::optional<size_t> first;
      for (size_t j : it->second) {
        if (j == i) continue;
        if (!first) first = j;
        if (compatible(kexts[j], ref.version)) {
          ref.resolved = j;
          break;
        }
      }
      if (!ref.resolved) ref.resolved = first;
    }
  }
}

}  // namespace kextkit::kernelcache
