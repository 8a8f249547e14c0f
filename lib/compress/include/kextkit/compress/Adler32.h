// Adler-32 as Apple's mkext and kernelcache headers use it (apple-formats.md §1.1).
#pragma once

#include <cstdint>

#include "kextkit/io/ByteReader.h"

namespace kextkit::compress {

using io::Bytes;

/// Adler-32 of `data`, continuing from `init` (1 for a fresh checksum). Identical to zlib's
/// `adler32(init, data, size)`: s1 starts at init & 0xffff, s2 at init >> 16, modulus 65521,
/// result (s2 << 16) | s1. adler32({}) == 1. Safe for any length (no limit of its own;
/// mkext readers enforce Apple's INT32_MAX rule themselves).
uint32_t adler32(Bytes data, uint32_t init = 1);

}  // namespace kextkit::compress
