// Standard Apple property lists: XML and binary (bplist00) reading via libplist 2.2, and an
// XML writer that produces CFPropertyList's layout.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kextkit/plist/Value.h"
#include "kextkit/support/Error.h"

namespace kextkit::plist {

/// Limits that keep libplist 2.2 away from input it mishandles. Measured on libplist 2.2.0:
/// its binary reader recurses once per nesting level and overflows the stack near 100,000
/// levels, and it expands shared references (a DAG) without bound, so 30 objects that each
/// reference the next twice take minutes and gigabytes; its XML reader is iterative but
/// plist_free() recurses and crashes on about 1,000,000 nested arrays; it takes uint32_t lengths.
struct StandardParseOptions {
  /// Larger input fails with LimitExceeded (never above 4 GiB - 1, libplist's uint32_t).
  uint64_t maxInputSize = uint64_t{64} << 20;
  /// Maximum container nesting, checked on the raw bytes before libplist sees them.
  unsigned maxDepth = 512;
  /// Binary plists: maximum number of values after expanding shared references.
  uint64_t maxValues = uint64_t{4} << 20;
};

/// Parses a standard property list: binary when it starts with "bplist00", else XML (UTF-8).
/// Integers get width 64 (their bits as libplist stores them: negative numbers in two's
/// complement); <real> and <date> become Value::Real and Value::Date (seconds since
/// 2001-01-01, libplist's resolution is 1 µs). Keyed-archiver UIDs are Unsupported.
/// libplist 2.2 reports no reason for a failure, so a parse failure is a Malformed error that
/// says only which reader refused the input.
Expected<Value> parseStandardPlist(std::span<const uint8_t> bytes, const StandardParseOptions& options = {});

/// Options of writeXmlPlist.
struct XmlWriteOptions {
  /// Sort dictionary keys by byte value as CFPropertyList does (CFStringCompare gives the same
  /// order for ASCII keys); false keeps the Value's own order.
  bool sortKeys = true;
  /// Print integers as signed 64-bit, as CF prints an SInt64 CFNumber: the bits
  /// 0xffffffffffffffff print as -1 (and read back to the same bits). False prints unsigned.
  bool signedIntegers = true;
};

/// Writes Apple's standard XML layout: the XML declaration, the PropertyList-1.0 DOCTYPE,
/// <plist version="1.0">, one tab per level, <true/>/<false/>, empty containers as <dict/> and
/// <array/>, only < > & escaped, data as base64 lines of 76 - 8 x indent characters (indent
/// capped at 8) each on its own indented line, reals with 17 significant digits, dates as
/// YYYY-MM-DDTHH:MM:SSZ (fractional seconds dropped, as CF does). Strings are written as
/// their bytes; a caller that needs valid XML must not put control characters in them.
/// Precondition: nesting within the limits the readers enforce (the writer recurses).
std::string writeXmlPlist(const Value& value, const XmlWriteOptions& options = {});

}  // namespace kextkit::plist
