// Property: parsing arbitrary bytes as a kext version never crashes, in either era and either
// form (C string, CFString); every valid result v satisfies parse(print(v)) == v and prints
// shorter than kVersionMaxLength; printing any 64-bit value never crashes. A mismatch calls
// __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "kextkit/kext/KextVersion.h"

using namespace kextkit::kext;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (VersionEra era : {VersionEra::Classic, VersionEra::Modern}) {
    OSKextVersion c = parseVersionCString(text, era);
    OSKextVersion cf = parseVersion(text, era);
    if (cf != kVersionInvalid && cf != c) __builtin_trap();  // the CF form only adds rejections
    for (OSKextVersion v : {c, cf}) {
      if (v == kVersionInvalid) continue;
      if (v < 0) __builtin_trap();
      std::string printed = versionToString(v, era);
      if (printed.size() >= kVersionMaxLength) __builtin_trap();
      if (parseVersion(printed, era) != v) __builtin_trap();
      VersionParts parts;
      if (!decomposeVersion(v, era, parts) || composeVersion(parts, era) != v) __builtin_trap();
    }
    if (size >= 8) {
      int64_t raw;
      std::memcpy(&raw, data, sizeof raw);
      (void)versionToString(raw, era);
    }
  }
  return 0;
}
