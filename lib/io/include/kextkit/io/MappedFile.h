// Read-only view of an input file: memory-mapped when possible.
#pragma once

#include <cstdint>
#include <string>

#include "kextkit/io/ByteReader.h"

namespace kextkit::io {

/// A read-only mapping of a whole file. Move-only; unmaps on destruction.
class MappedFile {
 public:
  /// Opens and maps `path`. Errors (code Io or NotFound) name the path and the OS reason.
  /// Files larger than `maxSize` are refused with LimitExceeded. Directories are refused.
  static Expected<MappedFile> open(const std::string& path, uint64_t maxSize = kDefaultMaxSize);

  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  Bytes bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  /// A reader over the whole file.
  ByteReader reader(Endian e = Endian::Little) const { return ByteReader(bytes(), 0, e); }

  /// 4 GiB: larger than any kext, mkext or kernelcache seen in practice.
  static constexpr uint64_t kDefaultMaxSize = 4ull << 30;

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

/// Reads a whole (small) file into memory, with the same errors and limit as MappedFile.
Expected<std::string> readFile(const std::string& path, uint64_t maxSize = MappedFile::kDefaultMaxSize);

}  // namespace kextkit::io
