// Overflow-checked unsigned arithmetic for offsets and sizes taken from files.
#pragma once

#include <cstdint>
#include <optional>

namespace kextkit {

/// a + b, or nullopt if it overflows 64 bits.
constexpr std::optional<uint64_t> checkedAdd(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

/// a * b, or nullopt if it overflows 64 bits.
constexpr std::optional<uint64_t> checkedMul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

/// True if [offset, offset+length) lies inside [0, total). Never overflows.
constexpr bool rangeFits(uint64_t offset, uint64_t length, uint64_t total) {
  return offset <= total && length <= total - offset;
}

/// Rounds v up to a multiple of align (a power of two), or nullopt on overflow.
constexpr std::optional<uint64_t> alignUp(uint64_t v, uint64_t align) {
  auto sum = checkedAdd(v, align - 1);
  if (!sum) return std::nullopt;
  return *sum & ~(align - 1);
}

}  // namespace kextkit
