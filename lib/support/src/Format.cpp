// Formatting helpers for messages.
#include "kextkit/support/Format.h"

#include <cstdio>

namespace kextkit {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string fourCC(uint32_t v) {
  std::string s(4, '.');
  for (int i = 0; i < 4; ++i) {
    unsigned char c = static_cast<unsigned char>(v >> (24 - 8 * i));
    if (c >= 0x20 && c < 0x7f) s[static_cast<size_t>(i)] = static_cast<char>(c);
  }
  return s;
}

}  // namespace kextkit
