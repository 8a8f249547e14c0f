// Base64 as Apple's property-list code writes and reads it (CFPropertyList, IOCFSerialize).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kextkit::plist {

/// Encodes bytes as base64 with '=' padding and no line breaks (IOCFSerialize's form).
std::string encodeBase64(std::span<const uint8_t> bytes);

/// Result of decoding with Apple's lenient decoder.
struct Base64Decoded {
  std::vector<uint8_t> bytes;
  /// Characters outside the base64 alphabet, '=' and XML whitespace that the lenient
  /// decoder skipped (Apple skips them silently).
  size_t skippedJunk = 0;
  /// Alphabet characters left over in an incomplete final group (Apple drops them silently).
  size_t danglingChars = 0;
};

/// Decodes like CFPropertyList's and OSUnserializeXML's `__CFPLDataDecodeTable` loop: each byte
/// is masked to 7 bits, characters outside the table are skipped, every 4 table characters
/// yield 3 bytes, fewer when the group ends with one or two '='. Never fails; the counters say
/// what was ignored so a strict caller can reject it.
Base64Decoded decodeBase64Lenient(std::span<const uint8_t> text);

}  // namespace kextkit::plist
