// Base64 encode and Apple-compatible lenient decode.
#include "kextkit/plist/Base64.h"

namespace kextkit::plist {

namespace {

constexpr char kEncodeTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 6-bit value of an ASCII character, -1 if it is not in the table. '=' decodes as 0, as in
// Apple's __CFPLDataDecodeTable; the '=' run length decides how many bytes a group yields.
int decodeValue(unsigned c) {
  if (c >= 'A' && c <= 'Z') return static_cast<int>(c - 'A');
  if (c >= 'a' && c <= 'z') return static_cast<int>(c - 'a' + 26);
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0' + 52);
  if (c == '+') return 62;
  if (c == '/') return 63;
  if (c == '=') return 0;
  return -1;
}

}  // namespace

std::string encodeBase64(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kEncodeTable[(v >> 18) & 0x3f];
    out += kEncodeTable[(v >> 12) & 0x3f];
    out += kEncodeTable[(v >> 6) & 0x3f];
    out += kEncodeTable[v & 0x3f];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    out += kEncodeTable[(v >> 18) & 0x3f];
    out += kEncodeTable[(v >> 12) & 0x3f];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    out += kEncodeTable[(v >> 18) & 0x3f];
    out += kEncodeTable[(v >> 12) & 0x3f];
    out += kEncodeTable[(v >> 6) & 0x3f];
    out += '=';
  }
  return out;
}

Base64Decoded decodeBase64Lenient(std::span<const uint8_t> text) {
  Base64Decoded r;
  r.bytes.reserve(text.size() / 4 * 3 + 3);
  unsigned numEq = 0, count = 0;
  uint32_t acc = 0;
  for (uint8_t raw : text) {
    unsigned c = raw & 0x7fu;  // Apple masks to 7 bits before the table lookup
    numEq = (c == '=') ? numEq + 1 : 0;
    int v = decodeValue(c);
    if (v < 0) {
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') ++r.skippedJunk;
      continue;
    }
    ++count;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if ((count & 3) == 0) {
      r.bytes.push_back(static_cast<uint8_t>(acc >> 16));
      if (numEq < 2) r.bytes.push_back(static_cast<uint8_t>(acc >> 8));
      if (numEq < 1) r.bytes.push_back(static_cast<uint8_t>(acc));
    }
  }
  r.danglingChars = count & 3;
  return r;
}

}  // namespace kextkit::plist
