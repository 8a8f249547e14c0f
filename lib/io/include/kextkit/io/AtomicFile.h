// Output files that appear whole or not at all: write to a temp file beside the target,
// then rename it into place.
#pragma once

#include <cstdint>
#include <string>

#include "kextkit/io/ByteReader.h"

namespace kextkit::io {

/// How an output may treat an existing file at its path.
enum class Overwrite { Refuse, Allow };

/// A temp file `<dir>/.<name>.XXXXXX` that becomes `path` on commit(). If it is destroyed
/// without commit() (an error, an exception), the temp file is removed and `path` is untouched.
class AtomicFile {
 public:
  /// Creates the temp file. Fails with AlreadyExists if `path` exists and `ow` is Refuse,
  /// with Io if the directory is not writable. `mode` is applied (masked by umask) on commit.
  static Expected<AtomicFile> create(const std::string& path, Overwrite ow = Overwrite::Refuse,
                                     unsigned mode = 0644);

  AtomicFile(AtomicFile&& o) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  /// Appends bytes.
  Status write(Bytes data);
  Status write(std::string_view data) {
    return write(Bytes(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
  /// Overwrites bytes at `offset` (for headers and checksums written last).
  Status writeAt(uint64_t offset, Bytes data);
  /// Bytes written so far.
  uint64_t size() const { return size_; }
  /// Flushes and renames into place. With Overwrite::Refuse the rename does not replace a
  /// file that appeared meanwhile (AlreadyExists).
  Status commit();
  const std::string& path() const { return path_; }

 private:
  AtomicFile() = default;
  int fd_ = -1;
  std::string path_, tmp_;
  Overwrite ow_ = Overwrite::Refuse;
  unsigned mode_ = 0644;
  uint64_t size_ = 0;
  bool committed_ = false;
};

/// Writes `data` to `path` atomically (AtomicFile create + write + commit).
Status writeFileAtomic(const std::string& path, Bytes data, Overwrite ow = Overwrite::Refuse,
                       unsigned mode = 0644);
inline Status writeFileAtomic(const std::string& path, std::string_view data, Overwrite ow = Overwrite::Refuse,
                              unsigned mode = 0644) {
  return writeFileAtomic(path, Bytes(reinterpret_cast<const uint8_t*>(data.data()), data.size()), ow, mode);
}

}  // namespace kextkit::io
