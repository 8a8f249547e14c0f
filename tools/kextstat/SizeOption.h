// Parsing byte-size options (--max-size 1G) for the kernelcache tools. Header-only so that
// kextstat, mkextunpack and kextcache share it without a library; a candidate for tools/common.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kextkit::tools {

/// "4096", "64K", "512M", "2G" (binary multiples, case-insensitive, optional trailing "B" or
/// "iB"); nullopt for anything else, for 0, or on overflow.
inline std::optional<uint64_t> parseByteSize(std::string_view s) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  if (i == 0) return std::nullopt;
  std::string_view unit = s.substr(i);
  unsigned shift = 0;
  if (!unit.empty()) {
    switch (unit[0]) {
      case 'k': case 'K': shift = 10; break;
      case 'm': case 'M': shift = 20; break;
      case 'g': case 'G': shift = 30; break;
      case 'b': case 'B': break;
      default: return std::nullopt;
    }
    unit.remove_prefix(1);
    if (shift && (unit == "iB" || unit == "ib" || unit == "B" || unit == "b")) unit = {};
    if (!unit.empty()) return std::nullopt;
  }
  if (v == 0 || (shift && v > (UINT64_MAX >> shift))) return std::nullopt;
  return v << shift;
}

}  // namespace kextkit::tools
