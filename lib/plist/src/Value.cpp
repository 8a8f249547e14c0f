// Value model: dictionary operations and type names.
#include "kextkit/plist/Value.h"

#include <algorithm>

namespace kextkit::plist {

const Value* Dict::find(std::string_view key) const {
  for (const auto& e : entries_)
    if (e.first == key) return &e.second;
  return nullptr;
}

Value* Dict::find(std::string_view key) {
  for (auto& e : entries_)
    if (e.first == key) return &e.second;
  return nullptr;
}

void Dict::set(std::string key, Value v) {
  if (Value* existing = find(key)) {
    *existing = std::move(v);
    return;
  }
  entries_.emplace_back(std::move(key), std::move(v));
}

void Dict::append(std::string key, Value v) { entries_.emplace_back(std::move(key), std::move(v)); }

bool Dict::erase(std::string_view key) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.first == key; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

bool Dict::operator==(const Dict& o) const {
  if (entries_.size() != o.entries_.size()) return false;
  for (const auto& e : entries_) {
    const Value* other = o.find(e.first);
    if (!other || !(*other == e.second)) return false;
  }
  return true;
}

std::string_view Value::typeName(Type t) {
  switch (t) {
    case Type::Dict: return "dict";
    case Type::Array: return "array";
    case Type::String: return "string";
    case Type::Integer: return "integer";
    case Type::Bool: return "bool";
    case Type::Data: return "data";
    case Type::Real: return "real";
    case Type::Date: return "date";
  }
  return "unknown";
}

}  // namespace kextkit::plist
