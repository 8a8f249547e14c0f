// The bounded span reader: the only way kextkit reads untrusted bytes.
//
// Invariant: pos_ <= data_.size() at all times. Every read first checks
// `n > remaining()`, so no read or pointer ever goes past the end. Offsets reported
// in errors are absolute (base_ + pos_), so a reader over a slice of a file still names
// the file offset.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kextkit/support/Endian.h"
#include "kextkit/support/Error.h"

namespace kextkit::io {

using Bytes = std::span<const uint8_t>;

/// Sequential, bounds-checked reader over a byte span it does not own.
class ByteReader {
 public:
  ByteReader() = default;
  /// `base` is the absolute offset of data[0] in the enclosing file, used in errors.
  explicit ByteReader(Bytes data, uint64_t base = 0, Endian endian = Endian::Little)
      : data_(data), base_(base), endian_(endian) {}

  size_t size() const { return data_.size(); }
  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool atEnd() const { return pos_ == data_.size(); }
  /// Absolute offset of the next byte (base + position).
  uint64_t offset() const { return base_ + pos_; }
  uint64_t base() const { return base_; }
  Bytes data() const { return data_; }
  Endian endian() const { return endian_; }
  void setEndian(Endian e) { endian_ = e; }

  /// Moves to `pos` (relative to the start of this reader). Truncated if past the end.
  Status seek(uint64_t pos, std::string_view field = {});
  /// Skips n bytes.
  Status skip(uint64_t n, std::string_view field = {});

  /// Reads integers in this reader's byte order.
  Expected<uint8_t> u8(std::string_view field = {});
  Expected<uint16_t> u16(std::string_view field = {});
  Expected<uint32_t> u32(std::string_view field = {});
  Expected<uint64_t> u64(std::string_view field = {});
  /// Reads integers in an explicit byte order.
  Expected<uint16_t> u16be(std::string_view field = {}) { return readInt<uint16_t>(Endian::Big, field); }
  Expected<uint32_t> u32be(std::string_view field = {}) { return readInt<uint32_t>(Endian::Big, field); }
  Expected<uint64_t> u64be(std::string_view field = {}) { return readInt<uint64_t>(Endian::Big, field); }
  Expected<uint16_t> u16le(std::string_view field = {}) { return readInt<uint16_t>(Endian::Little, field); }
  Expected<uint32_t> u32le(std::string_view field = {}) { return readInt<uint32_t>(Endian::Little, field); }
  Expected<uint64_t> u64le(std::string_view field = {}) { return readInt<uint64_t>(Endian::Little, field); }

  /// Returns the next n bytes and advances.
  Expected<Bytes> bytes(uint64_t n, std::string_view field = {});
  /// Returns the next n bytes without advancing.
  Expected<Bytes> peek(uint64_t n, std::string_view field = {}) const;
  /// Reads a fixed-size char field (like segname[16]) up to its first NUL.
  Expected<std::string> fixedString(uint64_t n, std::string_view field = {});

  /// A reader over [offset, offset+length) of this reader's span (relative offsets),
  /// with absolute offsets preserved for errors. Fails if the range does not fit.
  Expected<ByteReader> sub(uint64_t offset, uint64_t length, std::string_view field = {}) const;
  /// The bytes [offset, offset+length) of this reader's span, checked.
  Expected<Bytes> slice(uint64_t offset, uint64_t length, std::string_view field = {}) const;

  /// The Truncated error this reader reports when `need` bytes are wanted at `pos`.
  Error truncatedAt(uint64_t pos, uint64_t need, std::string_view field) const;

 private:
  template <class T>
  Expected<T> readInt(Endian e, std::string_view field) {
    if (sizeof(T) > remaining()) return truncatedAt(pos_, sizeof(T), field);
    T v = load<T>(data_.data() + pos_, e);
    pos_ += sizeof(T);
    return v;
  }

  Bytes data_;
  size_t pos_ = 0;
  uint64_t base_ = 0;
  Endian endian_ = Endian::Little;
};

/// Checked sub-span of `data`: [offset, offset+length). Errors name `field` and offsets.
Expected<Bytes> sliceBytes(Bytes data, uint64_t offset, uint64_t length, std::string_view field = {});

}  // namespace kextkit::io
