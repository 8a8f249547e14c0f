// Info.plist and executable validation with IOKitUser's rules, keys and grouping.
#include "kextkit/kext/KextValidation.h"

#include <algorithm>

#include "kextkit/io/MappedFile.h"
#include "kextkit/kext/KmodInfoFormat.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/MachOFile.h"
#include "kextkit/macho/Symbols.h"
#include "kextkit/plist/IOKitXml.h"

namespace kextkit::kext {

namespace {

using plist::Value;

constexpr DiagnosticGroup kValidation = DiagnosticGroup::Validation;
constexpr DiagnosticGroup kWarnings = DiagnosticGroup::Warnings;

enum class Type { String, Number, Bool, Dict, Array, Data };

// The legal values IOKitUser's __OSKextInitialize sets up.
const std::vector<std::string_view>& packageTypeValues() {
  static const std::vector<std::string_view> v = {"KEXT"};
  return v;
}
const std::vector<std::string_view>& requiredValues(VersionEra era) {
  static const std::vector<std::string_view> classic = {"Root", "Local-Root", "Network-Root", "Safe Boot",
                                                        "Console"};
  // Newer xnu (10.15+) adds DriverKit; kextkit accepts it with the 10.14+ grammar.
  static const std::vector<std::string_view> modern = {"Root",      "Local-Root", "Network-Root",
                                                       "Safe Boot", "Console",    "DriverKit"};
  return era == VersionEra::Classic ? classic : modern;
}

std::string joinPath(const std::vector<std::string>& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) out += '.';
    out += path[i];
  }
  return out;
}

bool hasPrefix(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

struct CheckResult {
  bool ok = false;
  const Value* value = nullptr;  // set whenever the key is present, whatever its type (as Apple's valueOut)
  bool nonnil = false;
};

// __OSKextCheckProperty.
class Checker {
 public:
  Checker(const plist::Dict& top, macho::cpu_type_t cputype, Diagnostics& d) : top_(top), cputype_(cputype), d_(d) {}

  CheckResult check(const plist::Dict& dict, std::string_view key, const std::string& diagValue, Type expected,
                    const std::vector<std::string_view>* legal, bool required, bool typeRequired, bool nonnilRequired) {
    CheckResult r;
    // Top-level keys get their arch-specific variants (OSKextGetValueForInfoDictionaryKey).
    const Value* v = &dict == &top_ ? lookupArchKey(dict, key, cputype_) : dict.find(key);
    if (!v) {
      if (!required) {
        r.ok = true;
      } else {
        d_.add(kValidation, diag::kMissingProperty, diagValue);
      }
      return r;
    }
    r.value = v;
    const bool isFloat = v->type() == Value::Type::Real;
    if (!typeMatches(*v, expected) || (expected == Type::Number && isFloat)) {
      std::string note = "should be " + std::string(tag(expected, isFloat));
      d_.add(typeRequired ? kValidation : kWarnings, typeRequired ? diag::kPropertyIsIllegalType : diag::kTypeWarning,
             diagValue + " - " + note);
      return r;
    }
    if (legal) {
      const std::string* s = v->asString();
      if (!s || std::find(legal->begin(), legal->end(), *s) == legal->end())
        d_.add(kValidation, diag::kPropertyIsIllegalValue, diagValue);
    }
    r.nonnil = nonnil(*v, expected);
    if (nonnilRequired && !r.nonnil) {
      d_.add(kValidation, diag::kPropertyIsIllegalValue, diagValue);
      return r;
    }
    r.ok = true;
    return r;
  }

  const plist::Dict& top() const { return top_; }

 private:
  static bool typeMatches(const Value& v, Type t) {
    switch (t) {
      case Type::String: return v.isString();
      case Type::Number: return v.isInteger() || v.type() == Value::Type::Real;
      case Type::Bool: return v.isBool();
      case Type::Dict: return v.isDict();
      case Type::Array: return v.isArray();
      case Type::Data: return v.isData();
    }
    return false;
  }
  static std::string_view tag(Type t, bool isFloat) {
    switch (t) {
      case Type::String: return "<string>";
      case Type::Number: return isFloat ? "<integer> (kexts may not use <real>)" : "<integer>";
      case Type::Data: return "<data>";
      case Type::Bool: return "boolean, <true/> or <false/>";
      case Type::Array: return "<array>";
      case Type::Dict: return "<dict>";
    }
    return "";
  }
  static bool nonnil(const Value& v, Type t) {
    switch (t) {
      case Type::Bool: return *v.asBool();
      case Type::String: return !v.asString()->empty();
      case Type::Data: return !v.asData()->empty();
      case Type::Array: return !v.asArray()->empty();
      case Type::Dict: return !v.asDict()->empty();
      case Type::Number: return v.asInteger() && v.asInteger()->bits != 0;
    }
    return false;
  }

  const plist::Dict& top_;
  macho::cpu_type_t cputype_;
  Diagnostics& d_;
};

// The version __sOSNewKmodInfoKernelVersion holds: libraries older than this need matching
// kmod_info fields.
OSKextVersion newKmodInfoKernelVersion(VersionEra era) { return parseVersion("6.0", era); }

struct Validator {
  const ValidationOptions& opts;
  ValidationResult& res;
  Checker c;
  std::vector<std::string> path;  // the property path being checked (Apple's propPath)

  Validator(const plist::Dict& top, const ValidationOptions& o, ValidationResult& r)
      : opts(o), res(r), c(top, o.arch.cputype, r.diagnostics) {}

  Diagnostics& d() { return res.diagnostics; }
  KextFacts& f() { return res.facts; }

  // __OSKextValidateIOKitPersonalityApplierFunction.
  bool personality(const plist::Dict& personalities, const std::string& name, bool justCheckingIOKitDebug) {
    bool valid = true;
    path.push_back(name);
    CheckResult self = c.check(personalities, name, joinPath(path), Type::Dict, nullptr, false, true, false);
    if (!self.ok) {
      path.pop_back();
      return false;
    }
    const plist::Dict& p = *self.value->asDict();

    path.push_back("IOKitDebug");
    CheckResult dbg = c.check(p, "IOKitDebug", joinPath(path), Type::Number, nullptr, false, true, false);
    valid = valid && dbg.ok;
    if (dbg.ok && dbg.nonnil) f().hasIOKitDebug = true;
    path.pop_back();
    if (justCheckingIOKitDebug) {
      path.pop_back();
      return valid;
    }

    path.push_back("CFBundleIdentifier");
    CheckResult id = c.check(p, "CFBundleIdentifier", joinPath(path), Type::String, nullptr, false, true, true);
    valid = valid && id.ok;
    const std::string* idString = id.value ? id.value->asString() : nullptr;
    if (!id.value) {
      d().add(kWarnings, diag::kPersonalityHasNoBundleIdentifier, name);
    } else if (idString && *idString != f().identifier) {
      d().add(kWarnings, diag::kPersonalityHasDifferentBundleIdentifier, name);
    }
    if (idString) {
      const KextFacts* target = nullptr;
      bool known = true;
      if (opts.findKext)
        target = opts.findKext(*idString);
      else if (*idString == f().identifier)
        target = &f();
      else
        known = false;  // no catalog to look in: say nothing
      if (known && !target)
        d().add(kWarnings, diag::kPersonalityNamesUnknownKext, "'" + name + "' -> '" + *idString + "'");
      else if (known && !target->declaresExecutable)
        d().add(kWarnings, diag::kPersonalityNamesKextWithNoExecutable, "'" + name + "' -> '" + *idString + "'");
    }
    path.pop_back();

    path.push_back("IOClass");
    CheckResult ioclass = c.check(p, "IOClass", joinPath(path), Type::String, nullptr, true, true, true);
    valid = valid && ioclass.ok;
    path.pop_back();

    path.push_back("IOProviderClass");
    CheckResult provider = c.check(p, "IOProviderClass", joinPath(path), Type::String, nullptr, true, true, true);
    valid = valid && provider.ok;
    path.pop_back();
    if (provider.ok && *provider.value->asString() == "IOResources") {
      path.push_back("IOMatchCategory");
      CheckResult cat = c.check(p, "IOMatchCategory", joinPath(path), Type::String, nullptr, false, true, false);
      valid = valid && cat.ok;
      const std::string* classString = ioclass.value ? ioclass.value->asString() : nullptr;
      if (cat.ok && cat.value && classString && *classString != *cat.value->asString())
        d().add(kWarnings, diag::kNonuniqueIOResourcesMatch, name);
      path.pop_back();
    }

    // IOProbeScore: a wrong type is only a warning (it would break shipping kexts).
    path.push_back("IOProbeScore");
    c.check(p, "IOProbeScore", joinPath(path), Type::Number, nullptr, false, false, false);
    path.pop_back();

    path.pop_back();
    return valid;
  }

  bool personalities(bool justCheckingIOKitDebug, const Value* dictValue) {
    if (!dictValue || !dictValue->isDict()) return true;
    bool valid = true;
    path = {"IOKitPersonalities"};
    for (const auto& [name, value] : *dictValue->asDict()) valid = personality(*dictValue->asDict(), name, justCheckingIOKitDebug) && valid;
    path.clear();
    return valid;
  }

  // __OSKextProcessInfoDictionary.
  bool processInfoDictionary() {
    const plist::Dict& top = c.top();
    bool result = true;

    CheckResult pkg = c.check(top, "CFBundlePackageType", "CFBundlePackageType", Type::String, &packageTypeValues(),
                              true, true, true);
    result = result && pkg.ok;
    if (!pkg.ok) return false;  // the rest is not worth checking (Apple's comment)

    CheckResult id = c.check(top, "CFBundleIdentifier", "CFBundleIdentifier", Type::String, nullptr, true, true, true);
    result = result && id.ok;
    if (id.ok && id.value) {
      f().identifier = *id.value->asString();
      f().hasIdentifier = true;
      if (f().identifier.size() > KMOD_MAX_NAME - 1) {
        d().set(kValidation, diag::kIdentifierOrVersionTooLong);
        result = false;
      }
    }

    CheckResult version = c.check(top, "CFBundleVersion", "CFBundleVersion", Type::String, nullptr, true, true, false);
    result = result && version.ok;
    if (version.ok && version.value) {
      const std::string& v = *version.value->asString();
      f().versionString = v;
      if (v.size() > KMOD_MAX_NAME - 1) {
        d().set(kValidation, diag::kIdentifierOrVersionTooLong);
        result = false;
      } else {
        f().version = parseVersion(v, opts.era);
        if (f().version == kVersionInvalid) {
          d().add(kValidation, diag::kPropertyIsIllegalValue, "CFBundleVersion");
          result = false;
        }
      }
    }

    CheckResult compat = c.check(top, "OSBundleCompatibleVersion", "OSBundleCompatibleVersion", Type::String, nullptr,
                                 false, true, false);
    result = result && compat.ok;
    if (compat.ok && compat.value) {
      f().compatibleVersionString = *compat.value->asString();
      f().compatibleVersion = parseVersion(*compat.value->asString(), opts.era);
      if (f().compatibleVersion == kVersionInvalid) {
        // Apple fails the kext here without recording why; kextkit names the property.
        d().add(kValidation, diag::kPropertyIsIllegalValue, "OSBundleCompatibleVersion");
        result = false;
      }
      if (f().compatibleVersion > f().version) {
        d().set(kValidation, diag::kCompatibleVersionLaterThanVersion);
        result = false;
      }
    }

    CheckResult iface = c.check(top, "OSBundleIsInterface", "OSBundleIsInterface", Type::Bool, nullptr, false, true,
                                false);
    result = result && iface.ok;
    if (iface.nonnil) f().isInterface = true;
    const bool isInterfaceSetFalse = iface.value && iface.value->isBool() && !*iface.value->asBool();

    CheckResult kc = c.check(top, "OSKernelResource", "OSKernelResource", Type::Bool, nullptr, false, true, false);
    result = result && kc.ok;
    if (kc.nonnil) f().isKernelComponent = true;
    if (f().isKernelComponent) {
      if (isInterfaceSetFalse) d().set(kWarnings, diag::kKernelComponentNotInterface);
      f().isInterface = true;
    }

    CheckResult exe = c.check(top, "CFBundleExecutable", "CFBundleExecutable", Type::String, nullptr, false, true, true);
    result = result && exe.ok;
    if (exe.nonnil) {
      f().declaresExecutable = true;
      f().executableName = *exe.value->asString();
    }

    CheckResult logging = c.check(top, "OSBundleEnableKextLogging", "OSBundleEnableKextLogging", Type::Bool, nullptr,
                                  false, true, false);
    result = result && logging.ok;
    if (logging.nonnil) f().loggingEnabled = true;

    if (lookupArchKey(top, "OSBundleDebugLevel", opts.arch.cputype))
      d().add(kWarnings, diag::kDeprecatedProperty, "OSBundleDebugLevel");

    CheckResult required = c.check(top, "OSBundleRequired", "OSBundleRequired", Type::String,
                                   &requiredValues(opts.era), false, true, false);
    result = result && required.ok;
    if (required.value && required.value->isString()) f().osBundleRequired = *required.value->asString();
    if (required.nonnil) {
      f().loadableInSafeBoot = true;
    } else if (opts.safeBoot) {
      d().set(DiagnosticGroup::BootLevel, diag::kIneligibleInSafeBoot);
    }

    CheckResult pers = c.check(top, "IOKitPersonalities", "IOKitPersonalities", Type::Dict, nullptr, false, true, false);
    result = result && pers.ok;
    if (pers.ok && pers.value) result = personalities(/*justCheckingIOKitDebug=*/true, pers.value) && result;

    // Not validated by Apple here, but needed later (private-KPI copyright rule).
    if (const Value* s = lookupArchKey(top, "CFBundleGetInfoString", opts.arch.cputype); s && s->isString())
      f().getInfoString = *s->asString();
    if (const Value* s = lookupArchKey(top, "NSHumanReadableCopyright", opts.arch.cputype); s && s->isString())
      f().humanReadableCopyright = *s->asString();
    return result;
  }

  // __OSKextValidate, without the executable (done by the caller, last, as Apple does).
  bool validate() {
    const plist::Dict& top = c.top();
    bool result = processInfoDictionary();

    CheckResult allow = c.check(top, "OSBundleAllowUserLoad", "OSBundleAllowUserLoad", Type::Bool, nullptr, false,
                                true, false);
    result = result && allow.ok;

    const bool needsLibraries = f().declaresExecutable && !f().isKernelComponent;
    CheckResult libs = c.check(top, "OSBundleLibraries", "OSBundleLibraries", Type::Dict, nullptr, needsLibraries, true,
                               needsLibraries);
    result = result && libs.ok;
    const plist::Dict* libDict = libs.ok && libs.value ? libs.value->asDict() : nullptr;
    if (!libDict || libDict->empty()) {
      if (needsLibraries) d().add(kValidation, diag::kMissingProperty, "OSBundleLibraries");
    } else if (f().isKernelComponent) {
      d().add(kValidation, diag::kBadSystemProperty, "OSBundleLibraries");
      result = false;
    } else if (!f().declaresExecutable && !f().isLibrary()) {
      d().set(kWarnings, diag::kCodelessWithLibraries);
    }
    if (libs.ok && libDict) {
      bool kernelStyle = false, kpiStyle = false;
      const OSKextVersion kmodCutoff = newKmodInfoKernelVersion(opts.era);
      for (const auto& [libID, libValue] : *libDict) {
        LibraryRequest req;
        req.identifier = libID;
        if (const std::string* s = libValue.asString()) req.versionString = *s;
        path = {"OSBundleLibraries", libID};
        CheckResult one = c.check(*libDict, libID, joinPath(path), Type::String, nullptr, false, true, true);
        if (!one.ok) {
          result = false;
        } else {
          req.version = parseVersion(req.versionString, opts.era);
          if (req.version == kVersionInvalid) {
            d().add(kValidation, diag::kPropertyIsIllegalValue, joinPath(path));
            result = false;
          }
          if (hasPrefix(libID, "com.apple.kernel")) {
            kernelStyle = true;
            if (req.version < kmodCutoff) f().warnForMismatchedKmodInfo = true;
          } else if (hasPrefix(libID, "com.apple.kpi.")) {
            kpiStyle = true;
            if (req.version < kmodCutoff) f().warnForMismatchedKmodInfo = true;
          }
        }
        f().libraries.push_back(std::move(req));
      }
      path.clear();
      if (kernelStyle && kpiStyle) d().set(kWarnings, diag::kDeclaresBothKernelAndKPIDependencies);
    }

    CheckResult pers = c.check(top, "IOKitPersonalities", "IOKitPersonalities", Type::Dict, nullptr, false, true, false);
    result = result && pers.ok;
    if (pers.ok && pers.value) result = personalities(/*justCheckingIOKitDebug=*/false, pers.value) && result;
    return result;
  }
};

std::string describeNoDictionary(const Value& v) {
  return "the top-level value is " + std::string(Value::typeName(v.type())) + ", expected dict";
}

// Reads the kmod_info name or version field: a C string of at most KMOD_MAX_NAME bytes.
std::string kmodString(io::Bytes field) {
  size_t n = 0;
  while (n < field.size() && field[n] != 0) ++n;
  return std::string(reinterpret_cast<const char*>(field.data()), n);
}

}  // namespace

ValidationResult validateInfoDictionary(const plist::Value& info, const ValidationOptions& options) {
  ValidationResult res;
  if (!info.isDict()) {
    res.diagnostics.add(kValidation, diag::kBadPropertyListXML, describeNoDictionary(info));
    return res;
  }
  res.hasInfoDictionary = true;
  Validator v(*info.asDict(), options, res);
  res.valid = v.validate();
  return res;
}

void validateExecutable(io::Bytes executable, const std::string& displayPath, const ValidationOptions& options,
                        ValidationResult& res) {
  auto bad = [&](const Error& e) {
    res.diagnostics.set(kValidation, diag::kExecutableBad);
    Error withFile = e;
    if (withFile.file.empty()) withFile.file = displayPath;
    res.messages.push_back(withFile.describe());
    res.valid = false;
  };
  auto slice = macho::selectSlice(executable, options.arch);
  if (!slice) {
    if (slice.error().code == ErrorCode::NotFound) {
      // Not a validation failure: the kext simply does not support this arch.
      auto name = macho::archName(options.arch);
      res.diagnostics.add(kWarnings, diag::kExecutableArchNotFound,
                          name ? std::string(*name) : macho::describeArch(options.arch));
      return;
    }
    return bad(slice.error());
  }
  auto file = macho::MachOFile::open(slice->data, slice->offset);
  if (!file) return bad(file.error());
  auto table = macho::SymbolTable::read(*file);
  if (!table) return bad(table.error());
  const macho::Symbol* kmod = table->find(kKmodInfoSymbol);
  if (!kmod || !kmod->isInSection()) {
    res.diagnostics.set(kValidation, diag::kExecutableBad);
    res.valid = false;
    return;
  }
  auto sections = macho::readSections(*file);
  if (!sections) return bad(sections.error());
  // SymbolTable::read checked n_sect against the section count.
  const macho::SectionInfo& sect = (*sections)[kmod->sect - 1];
  const bool lp64 = (options.arch.cputype & macho::CPU_ARCH_ABI64) != 0;
  const uint64_t fieldsEnd = lp64 ? kKmodInfo64VersionOffset + KMOD_MAX_NAME : kKmodInfo32VersionOffset + KMOD_MAX_NAME;
  auto bytes = macho::sectionBytesAt(*file, sect, kmod->value, fieldsEnd);
  if (!bytes) return bad(bytes.error());
  if (!res.facts.warnForMismatchedKmodInfo) return;
  const uint32_t nameAt = lp64 ? kKmodInfo64NameOffset : kKmodInfo32NameOffset;
  const uint32_t versionAt = lp64 ? kKmodInfo64VersionOffset : kKmodInfo32VersionOffset;
  const std::string name = kmodString(bytes->subspan(nameAt, KMOD_MAX_NAME));
  const std::string version = kmodString(bytes->subspan(versionAt, KMOD_MAX_NAME));
  if (name != res.facts.identifier) res.diagnostics.set(kWarnings, diag::kBundleIdentifierMismatch);
  const OSKextVersion v = parseVersionCString(version, options.era);
  if (v < 0 || v != res.facts.version) res.diagnostics.set(kWarnings, diag::kBundleVersionMismatch);
}

ValidationResult validateKext(const KextBundle& bundle, const ValidationOptions& options) {
  ValidationResult res;
  for (const BundleIssue& issue : bundle.issues()) {
    switch (issue.kind) {
      case BundleIssueKind::InfoPlistMissing:
        res.messages.push_back(bundle.path() + " has no Info.plist file.");
        res.diagnostics.set(kValidation, diag::kNotABundle);
        return res;
      case BundleIssueKind::InfoPlistUnreadable:
        res.messages.push_back(issue.error.describe());
        res.diagnostics.add(kValidation, diag::kFileAccess, bundle.infoPlistPath());
        return res;
      case BundleIssueKind::InfoPlistInvalid:
      case BundleIssueKind::InfoPlistNotDict: {
        std::string reason = issue.error.message;
        res.messages.push_back("Can't read info dictionary for " + bundle.path() + ": " + reason + ".");
        res.diagnostics.add(kValidation, diag::kBadPropertyListXML, reason);
        return res;
      }
      default: break;
    }
  }
  if (!bundle.info()) {  // cannot happen without one of the issues above; stay defensive
    res.diagnostics.set(kValidation, diag::kNotABundle);
    return res;
  }
  // IOKitUser reads Info.plist with IOCFUnserialize: binary plists and XML that only a standard
  // parser accepts cannot be read by Apple's tools.
  if (bundle.plistFlavor() && *bundle.plistFlavor() != plist::PlistFlavor::IOKitXml) {
    std::string reason;
    if (*bundle.plistFlavor() == plist::PlistFlavor::Binary) {
      reason = "binary property lists are not read by IOCFUnserialize";
    } else {
      auto text = io::readFile(bundle.infoPlistPath());
      if (text) {
        auto parsed = plist::parseIOKitXml(*text);
        reason = parsed ? std::string("not in the IOKit XML dialect") : parsed.error().message;
      } else {
        reason = text.error().describe();
      }
    }
    res.messages.push_back("Can't read info dictionary for " + bundle.path() + ": " + reason + ".");
    res.diagnostics.add(kValidation, diag::kBadPropertyListXML, reason);
    return res;
  }

  res = validateInfoDictionary(*bundle.info(), options);
  if (!res.hasInfoDictionary || !res.facts.declaresExecutable || res.facts.isInterface) return res;

  // The executable (Apple: __OSKextValidateExecutable, after every plist check).
  const auto& exe = bundle.executable();
  if (!exe || !exe->exists) {
    res.diagnostics.add(kValidation, diag::kExecutableMissing, res.facts.executableName);
    res.valid = false;
    return res;
  }
  auto file = io::MappedFile::open(exe->path);
  if (!file) {
    res.messages.push_back(file.error().describe());
    res.diagnostics.add(kValidation, diag::kFileAccess, exe->path);
    res.valid = false;
    return res;
  }
  validateExecutable(file->bytes(), exe->path, options, res);
  return res;
}

bool isValidAppleCopyright(std::string_view text) {
  constexpr std::string_view kCopyright = "Copyright \xc2\xa9 ";
  constexpr std::string_view kRights = " Apple Inc. All rights reserved.";
  // kxld works on a C string: stop at the first NUL.
  text = text.substr(0, text.find('\0'));
  const size_t c = text.find(kCopyright);
  const size_t r = text.find(kRights);
  if (c == std::string_view::npos || r == std::string_view::npos || c > r) return false;
  const size_t start = c + kCopyright.size();
  if (start > r) return false;  // the two tokens overlap
  const std::string_view dates = text.substr(start, r - start);
  auto isDelimiter = [](char ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r' || ch == ',' || ch == '\0';
  };
  auto isDigits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  };
  // Tokens are the runs between delimiters; each must be YYYY or YYYY-YYYY.
  size_t i = 0;
  while (i < dates.size()) {
    if (isDelimiter(dates[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < dates.size() && !isDelimiter(dates[j])) ++j;
    const std::string_view token = dates.substr(i, j - i);
    const bool year = token.size() == 4 && isDigits(token);
    const bool range = token.size() == 9 && token[4] == '-' && isDigits(token.substr(0, 4)) && isDigits(token.substr(5));
    if (!year && !range) return false;
    i = j;
  }
  return true;
}

}  // namespace kextkit::kext
