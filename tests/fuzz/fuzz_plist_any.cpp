// Property: parseAnyPlist (the Info.plist reader: binary via libplist behind its shape checks,
// the IOKit dialect, standard XML via libplist behind its nesting check) never crashes, hangs
// or reads out of bounds on any bytes; it either fails cleanly or returns a value that the
// standard XML writer can print.
#include <cstddef>
#include <cstdint>
#include <span>

#include "kextkit/plist/AnyPlist.h"

using namespace kextkit::plist;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  AnyPlistOptions o;
  o.iokit.maxMaterializedBytes = 4u << 20;
  o.standard.maxValues = 1u << 16;
  PlistFlavor flavor{};
  auto v = parseAnyPlist(std::span<const uint8_t>(data, size), &flavor, o);
  if (v) (void)writeXmlPlist(*v);
  return 0;
}
