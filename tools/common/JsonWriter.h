// A small streaming JSON writer for the tools' --json output (two-space indent, stable order).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kextkit::tools {

/// Builds JSON text. Calls must nest properly: beginObject/endObject, beginArray/endArray;
/// inside an object every value is preceded by key().
class JsonWriter {
 public:
  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(unsigned v) { return value(static_cast<uint64_t>(v)); }
  JsonWriter& value(bool b);
  JsonWriter& null();
  /// The text so far, with a trailing newline once the top-level value is complete.
  std::string str() const;

  /// JSON string literal for s (with quotes), escaping control characters and non-UTF-8 bytes.
  static std::string quote(std::string_view s);

 private:
  void beforeValue();
  void newline();
  std::string out_;
  struct Level {
    bool isObject;
    bool empty;
  };
  std::vector<Level> stack_;
  bool afterKey_ = false;
};

}  // namespace kextkit::tools
