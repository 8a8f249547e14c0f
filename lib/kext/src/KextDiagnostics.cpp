// Grouped kext diagnostics.
#include "kextkit/kext/KextDiagnostics.h"

#include <algorithm>

namespace kextkit::kext {

std::string_view diagnosticGroupTitle(DiagnosticGroup group) {
  switch (group) {
    case DiagnosticGroup::Validation: return "Validation Failures";
    case DiagnosticGroup::Authentication: return "Authentication Failures";
    case DiagnosticGroup::Dependencies: return "Dependency Resolution Failures";
    case DiagnosticGroup::Warnings: return "Warnings";
    case DiagnosticGroup::BootLevel: return "Boot Level Restrictions";
  }
  return "";
}

DiagnosticEntry& Diagnostics::entry(DiagnosticGroup group, std::string_view key) {
  auto& list = groups_[index(group)];
  for (auto& e : list)
    if (e.key == key) return e;
  list.push_back(DiagnosticEntry{std::string(key), false, {}});
  return list.back();
}

void Diagnostics::add(DiagnosticGroup group, std::string_view key, std::string value) {
  DiagnosticEntry& e = entry(group, key);
  if (std::find(e.values.begin(), e.values.end(), value) == e.values.end()) e.values.push_back(std::move(value));
}

void Diagnostics::set(DiagnosticGroup group, std::string_view key) { entry(group, key).flag = true; }

bool Diagnostics::empty() const {
  return std::all_of(groups_.begin(), groups_.end(), [](const auto& g) { return g.empty(); });
}

const DiagnosticEntry* Diagnostics::find(DiagnosticGroup group, std::string_view key) const {
  for (const auto& e : entries(group))
    if (e.key == key) return &e;
  return nullptr;
}

void Diagnostics::merge(const Diagnostics& other) {
  for (DiagnosticGroup g : kDiagnosticGroups)
    for (const DiagnosticEntry& e : other.entries(g)) {
      if (e.flag) set(g, e.key);
      for (const std::string& v : e.values) add(g, e.key, v);
    }
}

}  // namespace kextkit::kext
