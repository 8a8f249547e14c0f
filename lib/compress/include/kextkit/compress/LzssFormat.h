// Constants of Apple's LZSS (Okumura's 1989 LZSS as in XNU libkern/mkext.c and kext_tools
// compression.c), spelled as there; apple-formats.md §1.2.
#pragma once

#include <cstdint>

namespace kextkit::compress::lzss {

constexpr uint32_t N = 4096;         ///< ring buffer size (12-bit positions)
constexpr uint32_t F = 18;           ///< longest match
constexpr uint32_t THRESHOLD = 2;    ///< matches are emitted only when longer than this
constexpr uint32_t kMinMatch = THRESHOLD + 1;  ///< 3: the shortest match; stored as len - 3
constexpr uint32_t kInitialR = N - F;          ///< 4078: first ring position written
constexpr uint8_t kInitialFill = 0x20;         ///< ring bytes 0..4077 start as ' '
// Ring bytes 4078..4095 are undefined in Apple's decoder; kextkit treats them as zero, as
// Apple's encoder does.

/// Largest size of one flag group: a flag byte plus 8 two-byte matches.
constexpr uint32_t kMaxGroupBytes = 1 + 8 * 2;

}  // namespace kextkit::compress::lzss
