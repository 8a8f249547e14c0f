// JSON writer.
#include "JsonWriter.h"

#include <cstdio>

namespace kextkit::tools {

void JsonWriter::newline() {
  out_ += '\n';
  out_.append(stack_.size() * 2, ' ');
}

void JsonWriter::beforeValue() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  if (!stack_.empty()) {
    if (!stack_.back().empty) out_ += ',';
    stack_.back().empty = false;
    newline();
  }
}

JsonWriter& JsonWriter::beginObject() {
  beforeValue();
  out_ += '{';
  stack_.push_back({true, true});
  return *this;
}

JsonWriter& JsonWriter::endObject() {
  bool empty = stack_.back().empty;
  bool isObject = stack_.back().isObject;
  stack_.pop_back();
  if (!empty) newline();
  out_ += isObject ? '}' : ']';
  return *this;
}

JsonWriter& JsonWriter::beginArray() {
  beforeValue();
  out_ += '[';
  stack_.push_back({false, true});
  return *this;
}

JsonWriter& JsonWriter::endArray() { return endObject(); }

JsonWriter& JsonWriter::key(std::string_view k) {
  beforeValue();
  out_ += quote(k);
  out_ += ": ";
  afterKey_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  beforeValue();
  out_ += quote(s);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t v) {
  beforeValue();
  out_ += std::to_string(v);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t v) {
  beforeValue();
  out_ += std::to_string(v);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  beforeValue();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  beforeValue();
  out_ += "null";
  return *this;
}

std::string JsonWriter::str() const { return stack_.empty() ? out_ + "\n" : out_; }

std::string JsonWriter::quote(std::string_view s) {
  std::string o = "\"";
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c == '\n') {
      o += "\\n";
    } else if (c == '\t') {
      o += "\\t";
    } else if (c == '\r') {
      o += "\\r";
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else if (c < 0x80) {
      o += static_cast<char>(c);
    } else {
      // Copy a valid UTF-8 sequence; replace an invalid byte with U+FFFD.
      size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
      bool valid = len > 0 && i + len <= s.size();
      for (size_t k = 1; valid && k < len; ++k)
        valid = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
      if (valid) {
        o.append(s.substr(i, len));
        i += len;
        continue;
      }
      o += "\xef\xbf\xbd";
    }
    ++i;
  }
  o += '"';
  return o;
}

}  // namespace kextkit::tools
