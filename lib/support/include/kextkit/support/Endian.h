// Byte-order helpers: load and store fixed-width integers from unaligned bytes.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace kextkit {

/// Byte order of a field or a whole file.
enum class Endian { Little, Big };

/// Host byte order.
constexpr Endian kHostEndian = std::endian::native == std::endian::little ? Endian::Little : Endian::Big;

constexpr uint16_t byteSwap16(uint16_t v) { return static_cast<uint16_t>((v >> 8) | (v << 8)); }
constexpr uint32_t byteSwap32(uint32_t v) { return __builtin_bswap32(v); }
constexpr uint64_t byteSwap64(uint64_t v) { return __builtin_bswap64(v); }

template <class T>
inline T loadRaw(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// Loads an unsigned integer of type T (uint8/16/32/64_t) in byte order `e` from unaligned `p`.
template <class T>
inline T load(const uint8_t* p, Endian e) {
  T v = loadRaw<T>(p);
  if (e == kHostEndian || sizeof(T) == 1) return v;
  if constexpr (sizeof(T) == 2) return byteSwap16(v);
  if constexpr (sizeof(T) == 4) return byteSwap32(v);
  if constexpr (sizeof(T) == 8) return byteSwap64(v);
  return v;
}

/// Stores `v` in byte order `e` at unaligned `p`.
template <class T>
inline void store(uint8_t* p, T v, Endian e) {
  if (e != kHostEndian) {
    if constexpr (sizeof(T) == 2) v = byteSwap16(v);
    if constexpr (sizeof(T) == 4) v = byteSwap32(v);
    if constexpr (sizeof(T) == 8) v = byteSwap64(v);
  }
  std::memcpy(p, &v, sizeof v);
}

inline uint16_t loadBE16(const uint8_t* p) { return load<uint16_t>(p, Endian::Big); }
inline uint32_t loadBE32(const uint8_t* p) { return load<uint32_t>(p, Endian::Big); }
inline uint64_t loadBE64(const uint8_t* p) { return load<uint64_t>(p, Endian::Big); }
inline uint16_t loadLE16(const uint8_t* p) { return load<uint16_t>(p, Endian::Little); }
inline uint32_t loadLE32(const uint8_t* p) { return load<uint32_t>(p, Endian::Little); }
inline uint64_t loadLE64(const uint8_t* p) { return load<uint64_t>(p, Endian::Little); }
inline void storeBE32(uint8_t* p, uint32_t v) { store<uint32_t>(p, v, Endian::Big); }
inline void storeBE64(uint8_t* p, uint64_t v) { store<uint64_t>(p, v, Endian::Big); }
inline void storeLE16(uint8_t* p, uint16_t v) { store<uint16_t>(p, v, Endian::Little); }
inline void storeLE32(uint8_t* p, uint32_t v) { store<uint32_t>(p, v, Endian::Little); }
inline void storeLE64(uint8_t* p, uint64_t v) { store<uint64_t>(p, v, Endian::Little); }

}  // namespace kextkit
