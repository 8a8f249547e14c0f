// Inputs shared by the LZSS, zlib and registry tests: random, zeros, text and real code.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "TestPaths.h"

namespace kextkit::testdata {

/// True in ASan/UBSan builds, where big round trips are scaled down.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

/// n bytes of English-like text (words from a small list, deterministic).
inline std::vector<uint8_t> textBytes(size_t n, uint64_t seed) {
  static const char* const kWords[] = {
      "the ",     "kernel ",  "extension ", "bundle ",  "loads ",   "IOKit ",  "personality ",
      "matches ", "a ",       "driver ",    "and ",     "its ",     "plist ",  "names ",
      "CFBundleIdentifier ",  "com.apple.", "version ", "1.0.0 ",   "of ",     "mkext\n"};
  std::vector<uint8_t> out;
  out.reserve(n + 32);
  uint64_t x = seed | 1;
  while (out.size() < n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const std::string w = kWords[x % (sizeof kWords / sizeof kWords[0])];
    out.insert(out.end(), w.begin(), w.end());
  }
  out.resize(n);
  return out;
}

/// n bytes of real machine code and data: this test executable, repeated as needed.
inline std::vector<uint8_t> binaryBytes(size_t n) {
  static const std::vector<uint8_t> self = testkit::readBytes("/proc/self/exe");
  std::vector<uint8_t> out;
  out.reserve(n);
  while (out.size() < n) {
    size_t take = std::min(self.size(), n - out.size());
    out.insert(out.end(), self.begin(), self.begin() + static_cast<std::ptrdiff_t>(take));
  }
  return out;
}

/// A named input kind for table-driven round trips.
enum class Kind { Random, Zeros, Text, Binary };

inline const char* kindName(Kind k) {
  switch (k) {
    case Kind::Random: return "random";
    case Kind::Zeros: return "zeros";
    case Kind::Text: return "text";
    case Kind::Binary: return "binary";
  }
  return "?";
}

inline std::vector<uint8_t> makeInput(Kind k, size_t n, uint64_t seed) {
  switch (k) {
    case Kind::Random: return testkit::randomBytes(n, seed);
    case Kind::Zeros: return std::vector<uint8_t>(n, 0);
    case Kind::Text: return textBytes(n, seed);
    case Kind::Binary: return binaryBytes(n);
  }
  return {};
}

}  // namespace kextkit::testdata
