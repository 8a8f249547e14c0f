// One entry point for Info.plist-like input: binary, IOKit dialect, or standard XML.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kextkit/plist/IOKitXml.h"
#include "kextkit/plist/StandardPlist.h"
#include "kextkit/plist/Value.h"
#include "kextkit/support/Error.h"

namespace kextkit::plist {

/// Which reader accepted a plist.
enum class PlistFlavor {
  Binary,       ///< "bplist00", read by libplist
  IOKitXml,     ///< accepted by the IOKit dialect parser (what Apple's kext tools require)
  StandardXml,  ///< rejected by the IOKit dialect, accepted as standard XML by libplist
};

/// "binary", "iokit-xml" or "standard-xml".
std::string_view plistFlavorName(PlistFlavor f);

/// Options of parseAnyPlist.
struct AnyPlistOptions {
  IOKitParseOptions iokit;
  StandardParseOptions standard;
};

/// Parses binary plists (by their "bplist00" magic) with libplist; anything else first in the
/// IOKit dialect (as IOKitUser does for Info.plist), and only if that fails as standard XML.
/// On success `*detected` (if not null) says which reader accepted it; a result of
/// StandardXml means Apple's kext tools would reject the file. When both XML readers fail,
/// the IOKit dialect's error is returned (it has a line and offset; libplist gives no reason).
/// Input larger than options.standard.maxInputSize fails with LimitExceeded.
Expected<Value> parseAnyPlist(std::span<const uint8_t> bytes, PlistFlavor* detected = nullptr,
                              const AnyPlistOptions& options = {});

}  // namespace kextkit::plist
