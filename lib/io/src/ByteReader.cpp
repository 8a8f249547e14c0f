// Bounded span reader implementation.
#include "kextkit/io/ByteReader.h"

#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Format.h"

namespace kextkit::io {

Error ByteReader::truncatedAt(uint64_t pos, uint64_t need, std::string_view field) const {
  uint64_t have = pos <= data_.size() ? data_.size() - pos : 0;
  return truncated("needs " + std::to_string(need) + " bytes, only " + std::to_string(have) +
                       " remain",
                   std::string(field), base_ + pos);
}

Status ByteReader::seek(uint64_t pos, std::string_view field) {
  if (pos > data_.size())
    return truncated("offset " + hex(base_ + pos) + " is past the end (size " + hex(base_ + data_.size()) + ")",
                     std::string(field), base_ + pos);
  pos_ = static_cast<size_t>(pos);
  return {};
}

Status ByteReader::skip(uint64_t n, std::string_view field) {
  if (n > remaining()) return truncatedAt(pos_, n, field);
  pos_ += static_cast<size_t>(n);
  return {};
}

Expected<uint8_t> ByteReader::u8(std::string_view field) { return readInt<uint8_t>(endian_, field); }
Expected<uint16_t> ByteReader::u16(std::string_view field) { return readInt<uint16_t>(endian_, field); }
Expected<uint32_t> ByteReader::u32(std::string_view field) { return readInt<uint32_t>(endian_, field); }
Expected<uint64_t> ByteReader::u64(std::string_view field) { return readInt<uint64_t>(endian_, field); }

Expected<Bytes> ByteReader::bytes(uint64_t n, std::string_view field) {
  if (n > remaining()) return truncatedAt(pos_, n, field);
  Bytes out = data_.subspan(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return out;
}

Expected<Bytes> ByteReader::peek(uint64_t n, std::string_view field) const {
  if (n > remaining()) return truncatedAt(pos_, n, field);
  return data_.subspan(pos_, static_cast<size_t>(n));
}

Expected<std::string> ByteReader::fixedString(uint64_t n, std::string_view field) {
  KK_ASSIGN(Bytes raw, bytes(n, field));
  size_t len = 0;
  while (len < raw.size() && raw[len] != 0) ++len;
  return std::string(reinterpret_cast<const char*>(raw.data()), len);
}

Expected<Bytes> ByteReader::slice(uint64_t offset, uint64_t length, std::string_view field) const {
  if (!rangeFits(offset, length, data_.size())) {
    auto end = checkedAdd(offset, length);
    return truncated("range [" + hex(base_ + offset) + ", " +
                         (end ? hex(base_ + *end) : std::string("overflow")) + ") extends past the end (" +
                         hex(base_ + data_.size()) + ")",
                     std::string(field), base_ + offset);
  }
  return data_.subspan(static_cast<size_t>(offset), static_cast<size_t>(length));
}

Expected<ByteReader> ByteReader::sub(uint64_t offset, uint64_t length, std::string_view field) const {
  KK_ASSIGN(Bytes s, slice(offset, length, field));
  return ByteReader(s, base_ + offset, endian_);
}

Expected<Bytes> sliceBytes(Bytes data, uint64_t offset, uint64_t length, std::string_view field) {
  return ByteReader(data).slice(offset, length, field);
}

}  // namespace kextkit::io
