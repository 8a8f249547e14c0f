// Apple's LZSS encoder algorithm (Okumura's binary tree), for comparison in `kextkit-bench
// codecs` only; see ReferenceLzss.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace kextkit::bench {

/// Encodes `input` as Apple's kext_tools encoder does (binary-tree match finder, greedy
/// parse). The output is a valid Apple LZSS stream.
std::vector<uint8_t> referenceLzssEncode(std::span<const uint8_t> input);

}  // namespace kextkit::bench
