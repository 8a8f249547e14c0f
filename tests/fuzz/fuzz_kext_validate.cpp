// Property: Info.plist validation never crashes on arbitrary bytes read as a plist (binary,
// IOKit XML or standard XML), and a kext it calls valid has what IOKitUser requires of every
// valid kext: a non-empty CFBundleIdentifier of at most 63 characters and a CFBundleVersion
// that parses; a kernel component is an interface. Any violation calls __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <span>

#include "kextkit/kext/KextValidation.h"
#include "kextkit/plist/AnyPlist.h"

using namespace kextkit;
using namespace kextkit::kext;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the options: era, arch, safe boot.
  const uint8_t sel = data[0];
  ValidationOptions o;
  o.era = (sel & 1) ? VersionEra::Classic : VersionEra::Modern;
  if (sel & 2) o.arch = macho::Arch{macho::CPU_TYPE_I386, macho::CPU_SUBTYPE_I386_ALL};
  o.safeBoot = (sel & 4) != 0;
  auto value = plist::parseAnyPlist(std::span<const uint8_t>(data + 1, size - 1));
  if (!value) return 0;
  ValidationResult r = validateInfoDictionary(*value, o);
  if (r.valid) {
    if (!r.hasInfoDictionary || !r.facts.hasIdentifier || r.facts.identifier.empty()) __builtin_trap();
    if (r.facts.identifier.size() > 63 || r.facts.version <= 0) __builtin_trap();
    if (r.facts.isKernelComponent && !r.facts.isInterface) __builtin_trap();
    if (r.facts.compatibleVersion > r.facts.version) __builtin_trap();
  }
  if (!r.hasInfoDictionary && r.valid) __builtin_trap();
  return 0;
}
