// The one property-list value model shared by every reader and writer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace kextkit::plist {

class Value;

/// Dictionary: keys in document order (lookups are linear; kext plists are small).
/// Equality ignores order. Duplicate keys are not stored: the last one set wins.
class Dict {
 public:
  using Entry = std::pair<std::string, Value>;
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  /// Inserts or replaces.
  void set(std::string key, Value v);
  /// Appends without looking for an existing entry: the caller guarantees `key` is absent
  /// (parsers track their keys in a hash set, so large dictionaries stay linear to build).
  void append(std::string key, Value v);
  bool erase(std::string_view key);
  size_t size() const;  // defined after Value: clang needs Value complete here
  bool empty() const;
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }
  auto begin() { return entries_.begin(); }
  auto end() { return entries_.end(); }
  bool operator==(const Dict& o) const;

 private:
  std::vector<Entry> entries_;
};

using Array = std::vector<Value>;
using Data = std::vector<uint8_t>;

/// Integer with the OSNumber width it was read or will be written with (8, 16, 32, 64).
/// The value is kept as unsigned 64-bit bits, as OSNumber does; `asSigned()` reinterprets.
struct Integer {
  uint64_t bits = 0;
  unsigned width = 64;
  int64_t asSigned() const { return static_cast<int64_t>(bits); }
  bool operator==(const Integer& o) const { return bits == o.bits; }  // width is presentation
};

/// A plist value: dict, array, string, integer, bool or data. Sets are read as arrays.
/// Real and date values exist only so standard plists can be read; the IOKit dialect
/// rejects them and its writer refuses them.
class Value {
 public:
  enum class Type { Dict, Array, String, Integer, Bool, Data, Real, Date };
  struct Real { double v = 0; bool operator==(const Real&) const = default; };
  struct Date { double secondsSince2001 = 0; bool operator==(const Date&) const = default; };

  Value() : v_(std::string()) {}
  Value(Dict d) : v_(std::move(d)) {}
  Value(Array a) : v_(std::move(a)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(Integer i) : v_(i) {}
  Value(bool b) : v_(b) {}
  Value(Data d) : v_(std::move(d)) {}
  Value(Real r) : v_(r) {}
  Value(Date d) : v_(d) {}
  static Value integer(uint64_t bits, unsigned width = 64) { return Value(Integer{bits, width}); }

  Type type() const { return static_cast<Type>(v_.index()); }
  bool isDict() const { return type() == Type::Dict; }
  bool isArray() const { return type() == Type::Array; }
  bool isString() const { return type() == Type::String; }
  bool isInteger() const { return type() == Type::Integer; }
  bool isBool() const { return type() == Type::Bool; }
  bool isData() const { return type() == Type::Data; }

  /// Typed access; nullptr when the value has another type.
  const Dict* asDict() const { return std::get_if<Dict>(&v_); }
  Dict* asDict() { return std::get_if<Dict>(&v_); }
  const Array* asArray() const { return std::get_if<Array>(&v_); }
  Array* asArray() { return std::get_if<Array>(&v_); }
  const std::string* asString() const { return std::get_if<std::string>(&v_); }
  const Integer* asInteger() const { return std::get_if<Integer>(&v_); }
  const bool* asBool() const { return std::get_if<bool>(&v_); }
  const Data* asData() const { return std::get_if<Data>(&v_); }
  const Real* asReal() const { return std::get_if<Real>(&v_); }
  const Date* asDate() const { return std::get_if<Date>(&v_); }

  /// Dict lookup shorthand: nullptr if this is not a dict or the key is absent.
  const Value* get(std::string_view key) const {
    const Dict* d = asDict();
    return d ? d->find(key) : nullptr;
  }

  bool operator==(const Value& o) const { return v_ == o.v_; }

  /// Name of a type for messages: "dict", "array", "string", "integer", "bool", "data", ...
  static std::string_view typeName(Type t);

 private:
  std::variant<Dict, Array, std::string, Integer, bool, Data, Real, Date> v_;
};

inline size_t Dict::size() const { return entries_.size(); }
inline bool Dict::empty() const { return entries_.empty(); }

}  // namespace kextkit::plist
