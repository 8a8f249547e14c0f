// Standard XML plist writer in CFPropertyList's layout (_CFAppendXML0 and
// _XMLPlistAppendDataUsingBase64 in CoreFoundation's CFPropertyList.c).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "kextkit/plist/Base64.h"
#include "kextkit/plist/StandardPlist.h"

namespace kextkit::plist {

namespace {

constexpr size_t kMaxLineLength = 76;  // MAXLINELEN

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

// Seconds since 2001-01-01T00:00:00Z to the Gregorian date CF prints (seconds truncated
// toward negative infinity, as CFAbsoluteTimeGetGregorianDate does).
std::string formatDate(double secondsSince2001) {
  constexpr double kSince1970 = 978307200.0;
  double t = std::isnan(secondsSince2001) ? 0.0 : std::clamp(secondsSince2001, -6.3e10, 2.5e11);  // years 0..9900
  t = std::floor(t + kSince1970);
  auto secs = static_cast<int64_t>(t);
  // Days from civil (Howard Hinnant's algorithm, proleptic Gregorian).
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  return buf;
}

std::string formatReal(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "+infinity" : "-infinity";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

class XmlWriter {
 public:
  explicit XmlWriter(const XmlWriteOptions& o) : opt_(o) {}

  std::string run(const Value& v) {
    out_ =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
        "<plist version=\"1.0\">\n";
    emit(v, 0);
    out_ += "</plist>\n";
    return std::move(out_);
  }

 private:
  void indent(size_t n) { out_.append(n, '\t'); }

  void emitData(const Data& d, size_t level) {
    size_t ind = std::min<size_t>(level, 8);  // CF refuses to indent more than 8 levels here
    size_t lineLen = kMaxLineLength - 8 * ind;
    std::string b64 = encodeBase64(d);
    for (size_t i = 0; i < b64.size(); i += lineLen) {
      indent(ind);
      out_.append(b64, i, lineLen);
      out_ += '\n';
    }
  }

  void emit(const Value& v, size_t level) {
    indent(level);
    switch (v.type()) {
      case Value::Type::String:
        out_ += "<string>";
        appendEscaped(out_, *v.asString());
        out_ += "</string>\n";
        return;
      case Value::Type::Integer: {
        char buf[32];
        uint64_t bits = v.asInteger()->bits;
        if (opt_.signedIntegers)
          std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(static_cast<int64_t>(bits)));
        else
          std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(bits));
        out_ += std::string("<integer>") + buf + "</integer>\n";
        return;
      }
      case Value::Type::Bool:
        out_ += *v.asBool() ? "<true/>\n" : "<false/>\n";
        return;
      case Value::Type::Real:
        out_ += "<real>" + formatReal(v.asReal()->v) + "</real>\n";
        return;
      case Value::Type::Date:
        out_ += "<date>" + formatDate(v.asDate()->secondsSince2001) + "</date>\n";
        return;
      case Value::Type::Data:
        out_ += "<data>\n";
        emitData(*v.asData(), level);
        indent(level);
        out_ += "</data>\n";
        return;
      case Value::Type::Array: {
        const Array& a = *v.asArray();
        if (a.empty()) {
          out_ += "<array/>\n";
          return;
        }
        out_ += "<array>\n";
        for (const Value& child : a) emit(child, level + 1);
        indent(level);
        out_ += "</array>\n";
        return;
      }
      case Value::Type::Dict: {
        const Dict& d = *v.asDict();
        if (d.empty()) {
          out_ += "<dict/>\n";
          return;
        }
        out_ += "<dict>\n";
        std::vector<const Dict::Entry*> entries;
        entries.reserve(d.size());
        for (const auto& e : d) entries.push_back(&e);
        if (opt_.sortKeys)
          std::stable_sort(entries.begin(), entries.end(),
                           [](const Dict::Entry* a, const Dict::Entry* b) { return a->first < b->first; });
        for (const Dict::Entry* e : entries) {
          indent(level + 1);
          out_ += "<key>";
          appendEscaped(out_, e->first);
          out_ += "</key>\n";
          emit(e->second, level + 1);
        }
        indent(level);
        out_ += "</dict>\n";
        return;
      }
    }
  }

  const XmlWriteOptions& opt_;
  std::string out_;
};

}  // namespace

std::string writeXmlPlist(const Value& value, const XmlWriteOptions& options) { return XmlWriter(options).run(value); }

}  // namespace kextkit::plist
