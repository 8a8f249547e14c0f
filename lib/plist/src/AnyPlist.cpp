// Flavor detection for plists: binary magic, then IOKit dialect, then standard XML.
#include "kextkit/plist/AnyPlist.h"

#include <cstring>

#include "kextkit/plist/BinaryPlistFormat.h"

namespace kextkit::plist {

std::string_view plistFlavorName(PlistFlavor f) {
  switch (f) {
    case PlistFlavor::Binary: return "binary";
    case PlistFlavor::IOKitXml: return "iokit-xml";
    case PlistFlavor::StandardXml: return "standard-xml";
  }
  return "unknown";
}

Expected<Value> parseAnyPlist(std::span<const uint8_t> bytes, PlistFlavor* detected, const AnyPlistOptions& options) {
  if (bytes.size() > options.standard.maxInputSize)
    return Error(ErrorCode::LimitExceeded,
                 "plist of " + std::to_string(bytes.size()) + " bytes is larger than the limit of " +
                     std::to_string(options.standard.maxInputSize) + " bytes");
  if (bytes.size() >= sizeof kBinaryPlistMagic &&
      std::memcmp(bytes.data(), kBinaryPlistMagic, sizeof kBinaryPlistMagic) == 0) {
    KK_ASSIGN(Value v, parseStandardPlist(bytes, options.standard));
    if (detected) *detected = PlistFlavor::Binary;
    return v;
  }
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  auto iokit = parseIOKitXml(text, options.iokit);
  if (iokit) {
    if (detected) *detected = PlistFlavor::IOKitXml;
    return std::move(iokit).value();
  }
  auto standard = parseStandardPlist(bytes, options.standard);
  if (standard) {
    if (detected) *detected = PlistFlavor::StandardXml;
    return std::move(standard).value();
  }
  return std::move(iokit).error();
}

}  // namespace kextkit::plist
