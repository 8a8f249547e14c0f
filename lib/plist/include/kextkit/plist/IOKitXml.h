// The IOKit XML plist dialect: OSUnserializeXML/IOCFUnserialize parser and IOCFSerialize writer.
//
// This is the dialect Apple's kext tools use for Info.plist files, mkext plists and
// __PRELINK_INFO. It is NOT standard XML: see apple-formats.md §4.1/§4.2. libplist cannot
// read it (it turns <integer IDREF="0"/> into 0 and <string IDREF="1"/> into "").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kextkit/plist/Value.h"
#include "kextkit/support/Error.h"

namespace kextkit::plist {

/// XNU's OSUnserializeXML limits, enforced when IOKitParseOptions::kernelStrict is set.
inline constexpr uint32_t kKernelMaxObjects = 131071;    ///< MAX_OBJECTS
inline constexpr uint32_t kKernelMaxIdrefUses = 65535;   ///< MAX_REFED_OBJECTS

/// Options of parseIOKitXml. The defaults accept exactly what IOKitUser's IOCFUnserialize
/// (the user-space parser of Info.plists and mkexts) accepts, within resource limits.
struct IOKitParseOptions {
  /// Also apply the kernel's (XNU OSUnserializeXML) extra rules: a duplicate dictionary key is
  /// an error (otherwise the last one wins, as in IOCFUnserialize), at most kKernelMaxObjects
  /// objects and kKernelMaxIdrefUses IDREF uses.
  bool kernelStrict = false;
  /// Maximum container nesting (an empty <array/> at the root is depth 1). Deeper input,
  /// including depth reached through IDREF copies, fails with LimitExceeded. Apple has no
  /// limit; this one keeps recursion (here and in every consumer of Value) bounded.
  unsigned maxDepth = 512;
  /// Upper bound on the estimated memory of the values built, counting every IDREF copy and
  /// the copy kept for each ID (64 bytes per value plus string and data bytes). A document of
  /// a few KB can otherwise expand exponentially through nested IDREFs. LimitExceeded beyond.
  uint64_t maxMaterializedBytes = uint64_t{256} << 20;
  /// Reject <data> content that Apple silently tolerates: characters outside the base64
  /// alphabet and whitespace (Apple skips them) and an incomplete last group (Apple drops it).
  bool strictBase64 = false;
  /// Reject anything but whitespace, comments, <?...?>, <!...> and <plist> tags after the
  /// root value. Apple stops reading at the end of the root value and ignores the rest.
  bool rejectTrailingContent = false;
};

/// Parses text in the IOKit XML dialect.
///
/// Accepts tags dict, key, array, set (read as an array), string, integer, data, <true/>,
/// <false/>; skips <plist> tags, <?...?> and <!...> (DOCTYPE, comments); supports ID/IDREF
/// (forward references are errors; IDREF copies the referenced value). The text ends at its
/// first NUL byte, as Apple's C-string parser does, so IOCFSerialize's trailing NUL is fine.
/// Integers are masked to their size= width as OSNumber does; digits beyond 64 bits wrap, as
/// in Apple's getNumber. Errors are Malformed (or LimitExceeded for the limits above) with
/// the byte offset in Error::offset, "near line N" in the message (like OSUnserializeXML's
/// "<msg> near line N"), and the key path of the value being read in Error::field.
Expected<Value> parseIOKitXml(std::string_view text, const IOKitParseOptions& options = {});

/// Options of writeIOCFSerialize.
struct WriteOptions {
  /// Emit ID/IDREF like IOCFSerialize: a value (not a key, not a bool) that occurs more than
  /// once is written as <tag ID="k">...</tag> the first time and <tag IDREF="k"/> afterwards;
  /// k counts from 0 in emission order. Apple decides "occurs more than once" by object
  /// identity; our value model has none, so structurally identical values (same type, same
  /// content, integers of the same width, dictionaries regardless of key order) count as one
  /// object. Like Apple's pre-scan, values inside a repeated container are counted once per
  /// occurrence of that container, so some IDs may end up never referenced.
  bool emitIds = false;
  /// Append the NUL byte IOCFSerialize counts as part of its output.
  bool trailingNul = true;
  /// Containers nested deeper than this fail with LimitExceeded (keeps recursion bounded).
  unsigned maxDepth = 512;
};

/// Writes `value` as IOCFSerialize does: no header, no whitespace, <integer size="N">0x..</integer>
/// in lowercase hex, <true/>/<false/>, base64 data with padding and no line breaks, only
/// < > & escaped, empty containers as <dict></dict>, a trailing NUL (WriteOptions).
/// Fails with Unsupported for real and date values, which the dialect cannot carry, and with
/// InvalidArgument for an integer width other than 8/16/32/64 or bits that do not fit it, and
/// for a string or key containing a NUL byte (the parser would stop there).
Expected<std::string> writeIOCFSerialize(const Value& value, const WriteOptions& options = {});

}  // namespace kextkit::plist
