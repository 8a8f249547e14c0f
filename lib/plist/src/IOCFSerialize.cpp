// Writer for the IOKit XML dialect, byte-compatible in form with IOKitUser's IOCFSerialize.c.
#include <cstdio>
#include <string>
#include <unordered_map>

#include "KeyPath.h"
#include "kextkit/plist/Base64.h"
#include "kextkit/plist/IOKitXml.h"

namespace kextkit::plist {

namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

uint64_t hashBytes(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

const char* tagName(Value::Type t) {
  switch (t) {
    case Value::Type::Dict: return "dict";
    case Value::Type::Array: return "array";
    case Value::Type::String: return "string";
    case Value::Type::Integer: return "integer";
    case Value::Type::Data: return "data";
    default: return "";
  }
}

void appendEscaped(std::string& out, const std::string& s) {
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      default: out += c; break;
    }
  }
}

class Writer {
 public:
  explicit Writer(const WriteOptions& o) : opt_(o) {}

  Expected<std::string> run(const Value& root) {
    KK_TRY(check(root, 0));
    if (opt_.emitIds) {
      hashes_.reserve(1024);
      computeHash(root);
      scan(root);
    }
    emit(root);
    if (opt_.trailingNul) out_ += '\0';
    return std::move(out_);
  }

 private:
  // Validates everything the dialect cannot carry before writing a byte, and bounds depth
  // (`level` = number of enclosing containers).
  Status check(const Value& v, unsigned level) {
    switch (v.type()) {
      case Value::Type::Dict:
      case Value::Type::Array:
        if (level + 1 > opt_.maxDepth)
          return Error(ErrorCode::LimitExceeded,
                       "containers nested deeper than " + std::to_string(opt_.maxDepth) + " levels", path_.str());
        if (const Dict* d = v.asDict()) {
          for (const auto& [k, child] : *d) {
            path_.pushKey(k);
            if (k.find('\0') != std::string::npos)
              return Error(ErrorCode::InvalidArgument, "key contains a NUL byte, which ends IOKit XML text",
                           path_.str());
            KK_TRY(check(child, level + 1));
            path_.pop();
          }
        } else {
          const Array& a = *v.asArray();
          for (size_t i = 0; i < a.size(); ++i) {
            path_.pushIndex(i);
            KK_TRY(check(a[i], level + 1));
            path_.pop();
          }
        }
        return {};
      case Value::Type::String:
        if (v.asString()->find('\0') != std::string::npos)
          return Error(ErrorCode::InvalidArgument, "string contains a NUL byte, which ends IOKit XML text",
                       path_.str());
        return {};
      case Value::Type::Integer: {
        const Integer& i = *v.asInteger();
        if (i.width != 8 && i.width != 16 && i.width != 32 && i.width != 64)
          return Error(ErrorCode::InvalidArgument,
                       "integer width " + std::to_string(i.width) + " is not 8, 16, 32 or 64", path_.str());
        if (i.width < 64 && (i.bits >> i.width) != 0)
          return Error(ErrorCode::InvalidArgument,
                       "integer bits 0x" + hexOf(i.bits) + " do not fit its width " + std::to_string(i.width),
                       path_.str());
        return {};
      }
      case Value::Type::Bool:
      case Value::Type::Data:
        return {};
      case Value::Type::Real:
      case Value::Type::Date:
        return Error(ErrorCode::Unsupported,
                     std::string("a ") + std::string(Value::typeName(v.type())) +
                         " value cannot be written in the IOKit XML dialect (it has no <real> or <date>)",
                     path_.str());
    }
    return {};
  }

  static std::string hexOf(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
    return buf;
  }

  // ---- ID/IDREF: structural identity ----------------------------------------------------

  uint64_t computeHash(const Value& v) {
    uint64_t h = static_cast<uint64_t>(v.type()) * 0x100000001b3ull;
    switch (v.type()) {
      case Value::Type::Dict: {
        uint64_t sum = 0;  // order-independent: dictionaries compare regardless of key order
        for (const auto& [k, child] : *v.asDict()) sum += mix(hashBytes(k.data(), k.size()), computeHash(child));
        h = mix(h, sum);
        break;
      }
      case Value::Type::Array:
        for (const Value& child : *v.asArray()) h = mix(h, computeHash(child));
        break;
      case Value::Type::String: h = mix(h, hashBytes(v.asString()->data(), v.asString()->size())); break;
      case Value::Type::Integer: h = mix(mix(h, v.asInteger()->bits), v.asInteger()->width); break;
      case Value::Type::Data: h = mix(h, hashBytes(v.asData()->data(), v.asData()->size())); break;
      case Value::Type::Bool: h = mix(h, *v.asBool()); break;
      default: break;
    }
    hashes_[&v] = h;
    return h;
  }

  // Same type and content; integers must also have the same width (so an IDREF never
  // changes how a number is written); dictionaries compare regardless of key order.
  bool identical(const Value& a, const Value& b) const {
    if (&a == &b) return true;
    if (a.type() != b.type() || hashes_.at(&a) != hashes_.at(&b)) return false;
    switch (a.type()) {
      case Value::Type::Dict: {
        const Dict& da = *a.asDict();
        const Dict& db = *b.asDict();
        if (da.size() != db.size()) return false;
        for (const auto& [k, child] : da) {
          const Value* other = db.find(k);
          if (!other || !identical(child, *other)) return false;
        }
        return true;
      }
      case Value::Type::Array: {
        const Array& xa = *a.asArray();
        const Array& xb = *b.asArray();
        if (xa.size() != xb.size()) return false;
        for (size_t i = 0; i < xa.size(); ++i)
          if (!identical(xa[i], xb[i])) return false;
        return true;
      }
      case Value::Type::Integer:
        return a.asInteger()->bits == b.asInteger()->bits && a.asInteger()->width == b.asInteger()->width;
      default:
        return a == b;
    }
  }

  struct PtrHash {
    const Writer* w;
    size_t operator()(const Value* v) const { return static_cast<size_t>(w->hashes_.at(v)); }
  };
  struct PtrEqual {
    const Writer* w;
    bool operator()(const Value* a, const Value* b) const { return w->identical(*a, *b); }
  };
  struct Entry {
    unsigned count = 0;
    long id = -1;
  };

  // DoIdrefScan: every value but keys and booleans, descending into every occurrence.
  void scan(const Value& v) {
    if (v.isBool()) return;
    ++entries_[&v].count;
    if (const Dict* d = v.asDict())
      for (const auto& e : *d) scan(e.second);
    if (const Array* a = v.asArray())
      for (const Value& child : *a) scan(child);
  }

  // ---- emission -------------------------------------------------------------------------

  // Returns true if the value was written as an IDREF; otherwise writes the start tag.
  bool startTag(const Value& v, const char* extra) {
    const char* tag = tagName(v.type());
    std::string idAttr;
    if (opt_.emitIds) {
      Entry& e = entries_.at(&v);
      if (e.id >= 0) {
        out_ += std::string("<") + tag + " IDREF=\"" + std::to_string(e.id) + "\"/>";
        return true;
      }
      if (e.count >= 2) {
        e.id = nextId_++;
        idAttr = " ID=\"" + std::to_string(e.id) + "\"";
      }
    }
    out_ += std::string("<") + tag + idAttr + extra + ">";
    return false;
  }

  void endTag(const Value& v) { out_ += std::string("</") + tagName(v.type()) + ">"; }

  void emit(const Value& v) {
    switch (v.type()) {
      case Value::Type::Bool:
        out_ += *v.asBool() ? "<true/>" : "<false/>";
        return;
      case Value::Type::Integer: {
        const Integer& i = *v.asInteger();
        std::string size = " size=\"" + std::to_string(i.width) + "\"";
        if (startTag(v, size.c_str())) return;
        out_ += "0x" + hexOf(i.bits);
        endTag(v);
        return;
      }
      case Value::Type::String:
        if (startTag(v, "")) return;
        appendEscaped(out_, *v.asString());
        endTag(v);
        return;
      case Value::Type::Data:
        if (startTag(v, "")) return;
        out_ += encodeBase64(*v.asData());
        endTag(v);
        return;
      case Value::Type::Array:
        if (startTag(v, "")) return;
        for (const Value& child : *v.asArray()) emit(child);
        endTag(v);
        return;
      case Value::Type::Dict:
        if (startTag(v, "")) return;
        for (const auto& [k, child] : *v.asDict()) {
          out_ += "<key>";
          appendEscaped(out_, k);
          out_ += "</key>";
          emit(child);
        }
        endTag(v);
        return;
      default:
        return;  // rejected by check()
    }
  }

  const WriteOptions& opt_;
  std::string out_;
  detail::KeyPath path_;
  std::unordered_map<const Value*, uint64_t> hashes_;
  std::unordered_map<const Value*, Entry, PtrHash, PtrEqual> entries_{16, PtrHash{this}, PtrEqual{this}};
  long nextId_ = 0;
};

}  // namespace

Expected<std::string> writeIOCFSerialize(const Value& value, const WriteOptions& options) {
  return Writer(options).run(value);
}

}  // namespace kextkit::plist
