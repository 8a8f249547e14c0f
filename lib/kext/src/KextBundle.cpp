// Reading one kext bundle: Info.plist location and parse, executable headers, issues.
#include "kextkit/kext/KextBundle.h"

#include <filesystem>
#include <system_error>

#include "kextkit/io/MappedFile.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/support/Format.h"

namespace kextkit::kext {

namespace fs = std::filesystem;

std::string_view bundleLayoutName(BundleLayout layout) {
  return layout == BundleLayout::Contents ? "contents" : "flat";
}

std::string_view bundleIssueKindName(BundleIssueKind kind) {
  switch (kind) {
    case BundleIssueKind::InfoPlistMissing: return "info-plist-missing";
    case BundleIssueKind::InfoPlistUnreadable: return "info-plist-unreadable";
    case BundleIssueKind::InfoPlistInvalid: return "info-plist-invalid";
    case BundleIssueKind::InfoPlistNotDict: return "info-plist-not-dict";
    case BundleIssueKind::ExecutableNameInvalid: return "executable-name-invalid";
    case BundleIssueKind::ExecutableMissing: return "executable-missing";
    case BundleIssueKind::ExecutableUnreadable: return "executable-unreadable";
    case BundleIssueKind::ExecutableNotMachO: return "executable-not-macho";
    case BundleIssueKind::ExecutableMalformed: return "executable-malformed";
    case BundleIssueKind::PluginsUnreadable: return "plugins-unreadable";
  }
  return "unknown";
}

namespace {

// exists() that follows symlinks and treats errors (EACCES, ELOOP, a dangling link) as absent.
bool pathExists(const std::string& p) {
  std::error_code ec;
  return fs::exists(fs::path(p), ec) && !ec;
}

bool isDirectory(const std::string& p) {
  std::error_code ec;
  return fs::is_directory(fs::path(p), ec) && !ec;
}

Error withFile(Error e, const std::string& file) {
  e.file = file;
  return e;
}

}  // namespace

KextBundle KextBundle::load(std::string path, std::optional<size_t> parentIndex, std::string parentPath,
                            const BundleLoadOptions& options) {
  KextBundle b;
  b.path_ = std::move(path);
  b.parentIndex_ = parentIndex;
  b.parentPath_ = std::move(parentPath);
  b.readInfoPlist(options);
  if (b.info_) b.readExecutable(options);
  return b;
}

std::string KextBundle::name() const {
  size_t slash = path_.find_last_of('/');
  return slash == std::string::npos ? path_ : path_.substr(slash + 1);
}

void KextBundle::addIssue(BundleIssueKind kind, Error error) { issues_.push_back(BundleIssue{kind, std::move(error)}); }

bool KextBundle::hasIssue(BundleIssueKind kind) const {
  for (const auto& i : issues_)
    if (i.kind == kind) return true;
  return false;
}

const std::string* KextBundle::infoString(std::string_view key) const {
  if (!info_) return nullptr;
  const plist::Value* v = info_->get(key);
  return v ? v->asString() : nullptr;
}

bool KextBundle::declaresExecutable() const { return info_ && info_->get("CFBundleExecutable") != nullptr; }

const plist::Value* KextBundle::infoValue(std::string_view key, macho::cpu_type_t cputype) const {
  if (!info_ || !info_->asDict()) return nullptr;
  return lookupArchKey(*info_->asDict(), key, cputype);
}

const plist::Value* lookupArchKey(const plist::Dict& dict, std::string_view key, macho::cpu_type_t cputype) {
  // IOKitUser OSKextGetValueForInfoDictionaryKey: only OS* and IO* keys have arch variants.
  if (key.substr(0, 2) == "OS" || key.substr(0, 2) == "IO") {
    if (auto arch = macho::genericArchName(cputype)) {
      std::string archKey = std::string(key) + "_" + std::string(*arch);
      if (const plist::Value* v = dict.find(archKey)) return v;
    }
  }
  return dict.find(key);
}

void KextBundle::readInfoPlist(const BundleLoadOptions& options) {
  // CFBundle rules: a bundle with Contents/ keeps Info.plist there; a flat ("shallow") bundle
  // keeps it at the root. Contents/Info.plist wins when both exist.
  const std::string contentsPlist = path_ + "/Contents/Info.plist";
  const std::string flatPlist = path_ + "/Info.plist";
  const bool hasContents = pathExists(contentsPlist);
  const bool hasFlat = pathExists(flatPlist);
  bothLayouts_ = hasContents && hasFlat;
  if (hasContents) {
    layout_ = BundleLayout::Contents;
    infoPlistPath_ = contentsPlist;
  } else if (hasFlat) {
    layout_ = BundleLayout::Flat;
    infoPlistPath_ = flatPlist;
  } else {
    layout_ = isDirectory(path_ + "/Contents") ? BundleLayout::Contents : BundleLayout::Flat;
    infoPlistPath_ = layout_ == BundleLayout::Contents ? contentsPlist : flatPlist;
    addIssue(BundleIssueKind::InfoPlistMissing,
             withFile(Error(ErrorCode::NotFound, "no Info.plist: neither Contents/Info.plist nor Info.plist exists"),
                      path_));
    return;
  }

  auto text = io::readFile(infoPlistPath_, options.maxInfoPlistSize);
  if (!text) {
    addIssue(BundleIssueKind::InfoPlistUnreadable, withFile(std::move(text).error(), infoPlistPath_));
    return;
  }
  plist::PlistFlavor flavor{};
  auto value = plist::parseAnyPlist(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text->data()), text->size()), &flavor);
  if (!value) {
    addIssue(BundleIssueKind::InfoPlistInvalid, withFile(std::move(value).error(), infoPlistPath_));
    return;
  }
  flavor_ = flavor;
  if (!value->isDict()) {
    addIssue(BundleIssueKind::InfoPlistNotDict,
             withFile(malformed("the top-level value is " + std::string(plist::Value::typeName(value->type())) +
                                ", expected dict"),
                      infoPlistPath_));
    return;
  }
  info_ = std::move(*value);
}

void KextBundle::readExecutable(const BundleLoadOptions& options) {
  const plist::Value* exe = info_->get("CFBundleExecutable");
  if (!exe) return;  // a codeless kext
  const std::string* name = exe->asString();
  if (!name) {
    addIssue(BundleIssueKind::ExecutableNameInvalid,
             withFile(malformed("is " + std::string(plist::Value::typeName(exe->type())) + ", expected string",
                                "CFBundleExecutable"),
                      infoPlistPath_));
    return;
  }
  // The name comes from an untrusted plist: it must not climb out of the bundle.
  if (name->empty() || *name == "." || *name == ".." || name->find('/') != std::string::npos ||
      name->find('\0') != std::string::npos) {
    addIssue(BundleIssueKind::ExecutableNameInvalid,
             withFile(malformed("\"" + *name + "\" is not a plain file name", "CFBundleExecutable"), infoPlistPath_));
    return;
  }
  ExecutableInfo ei;
  ei.path = layout_ == BundleLayout::Contents ? path_ + "/Contents/MacOS/" + *name : path_ + "/" + *name;
  ei.exists = pathExists(ei.path);
  if (!ei.exists) {
    addIssue(BundleIssueKind::ExecutableMissing,
             withFile(Error(ErrorCode::NotFound, "does not exist (named by CFBundleExecutable)"), ei.path));
    executable_ = std::move(ei);
    return;
  }
  if (!options.readExecutable) {
    executable_ = std::move(ei);
    return;
  }
  auto file = io::MappedFile::open(ei.path, options.maxExecutableSize);
  if (!file) {
    addIssue(BundleIssueKind::ExecutableUnreadable, withFile(std::move(file).error(), ei.path));
    executable_ = std::move(ei);
    return;
  }
  const io::Bytes bytes = file->bytes();
  ei.fileSize = bytes.size();
  ei.fat = macho::isFat(bytes);
  if (!ei.fat) {
    auto magicBE = io::ByteReader(bytes, 0, Endian::Big).u32("magic");
    bool thin = magicBE && (*magicBE == macho::MH_MAGIC || *magicBE == macho::MH_CIGAM ||
                            *magicBE == macho::MH_MAGIC_64 || *magicBE == macho::MH_CIGAM_64);
    if (!thin) {
      std::string found = !magicBE ? "is " + std::to_string(bytes.size()) + " bytes long"
                                   : "starts with " + hex(*magicBE);
      addIssue(BundleIssueKind::ExecutableNotMachO,
               withFile(malformed("is not a Mach-O file: expected a fat or Mach-O magic, but the file " + found, {}, 0),
                        ei.path));
      executable_ = std::move(ei);
      return;
    }
  }
  auto slices = macho::listSlices(bytes);
  if (!slices) {
    addIssue(BundleIssueKind::ExecutableMalformed, withFile(std::move(slices).error(), ei.path));
    executable_ = std::move(ei);
    return;
  }
  for (const auto& s : *slices) {
    ExecutableSlice es;
    es.arch = s.arch;
    es.offset = s.offset;
    es.size = s.size;
    auto m = macho::MachOFile::open(s.data, s.offset);
    if (!m) {
      Error e = std::move(m).error();
      if (ei.fat) e.field = macho::describeArch(s.arch) + " slice" + (e.field.empty() ? "" : ": " + e.field);
      addIssue(BundleIssueKind::ExecutableMalformed, withFile(std::move(e), ei.path));
    } else if (ei.fat && !macho::archMatches(m->arch(), s.arch)) {
      addIssue(BundleIssueKind::ExecutableMalformed,
               withFile(malformed("the fat table says " + macho::describeArch(s.arch) + " but the slice's header says " +
                                      macho::describeArch(m->arch()),
                                  "fat_arch[" + std::to_string(s.index) + "]", s.offset),
                        ei.path));
    } else {
      es.parsed = true;
      es.filetype = m->filetype();
      es.is64 = m->is64();
      es.uuid = m->uuid();
    }
    ei.slices.push_back(es);
  }
  executable_ = std::move(ei);
}

}  // namespace kextkit::kext
