// Small formatting helpers used in error messages.
#pragma once

#include <cstdint>
#include <string>

namespace kextkit {

/// "0x1f" style lowercase hex.
std::string hex(uint64_t v);

/// Four-character code as text for a big-endian magic ('MKXT' for 0x4d4b5854); non-printable
/// bytes become '.'.
std::string fourCC(uint32_t v);

}  // namespace kextkit
