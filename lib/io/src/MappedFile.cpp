// mmap-backed read-only files.
#include "kextkit/io/MappedFile.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace kextkit::io {

namespace {
Error osError(const std::string& path, const char* what, int err) {
  Error e(err == ENOENT ? ErrorCode::NotFound : ErrorCode::Io, std::string(what) + ": " + std::strerror(err));
  e.file = path;
  return e;
}
}  // namespace

Expected<MappedFile> MappedFile::open(const std::string& path, uint64_t maxSize) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return osError(path, "cannot open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return osError(path, "cannot stat", err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    Error e(ErrorCode::InvalidArgument, "is a directory, expected a file");
    e.file = path;
    return e;
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > maxSize) {
    ::close(fd);
    Error e(ErrorCode::LimitExceeded, "file is " + std::to_string(size) + " bytes, more than the limit of " +
                                          std::to_string(maxSize));
    e.file = path;
    return e;
  }
  MappedFile f;
  f.path_ = path;
  f.size_ = static_cast<size_t>(size);
  if (size > 0) {
    void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return osError(path, "cannot map", err);
    }
    f.data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return f;
}

MappedFile::MappedFile(MappedFile&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)), path_(std::move(o.path_)) {}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    path_ = std::move(o.path_);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

Expected<std::string> readFile(const std::string& path, uint64_t maxSize) {
  KK_ASSIGN(MappedFile f, MappedFile::open(path, maxSize));
  return std::string(reinterpret_cast<const char*>(f.bytes().data()), f.size());
}

}  // namespace kextkit::io
