// Temp-file-and-rename output.
#include "kextkit/io/AtomicFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace kextkit::io {

namespace {
Error ioError(const std::string& path, const std::string& what, int err) {
  Error e(ErrorCode::Io, what + ": " + std::strerror(err));
  e.file = path;
  return e;
}

Error existsError(const std::string& path) {
  Error e(ErrorCode::AlreadyExists, "output exists; use -f to overwrite it");
  e.file = path;
  return e;
}

unsigned currentUmask() {
  mode_t m = ::umask(0);
  ::umask(m);
  return m;
}
}  // namespace

Expected<AtomicFile> AtomicFile::create(const std::string& path, Overwrite ow, unsigned mode) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (ow == Overwrite::Refuse) return existsError(path);
    if (S_ISDIR(st.st_mode)) return ioError(path, "cannot replace a directory", EISDIR);
  }
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmpl = dir + "." + name + ".XXXXXX";
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return ioError(path, "cannot create a temporary file in the output directory", errno);
  AtomicFile f;
  f.fd_ = fd;
  f.path_ = path;
  f.tmp_ = std::move(tmpl);
  f.ow_ = ow;
  f.mode_ = mode;
  return f;
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      path_(std::move(o.path_)),
      tmp_(std::move(o.tmp_)),
      ow_(o.ow_),
      mode_(o.mode_),
      size_(o.size_),
      committed_(std::exchange(o.committed_, true)) {}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

static Status writeAll(int fd, const uint8_t* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ioError(path, "write failed", errno);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

Status AtomicFile::write(Bytes data) {
  if (fd_ < 0) return ioError(path_, "file already committed", EBADF);
  KK_TRY(writeAll(fd_, data.data(), data.size(), path_));
  size_ += data.size();
  return {};
}

Status AtomicFile::writeAt(uint64_t offset, Bytes data) {
  if (fd_ < 0) return ioError(path_, "file already committed", EBADF);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      return ioError(path_, "write failed", errno);
    }
    done += static_cast<size_t>(w);
  }
  if (offset + data.size() > size_) size_ = offset + data.size();
  return {};
}

Status AtomicFile::commit() {
  if (fd_ < 0) return ioError(path_, "file already committed", EBADF);
  if (::fchmod(fd_, mode_ & ~currentUmask()) != 0) return ioError(path_, "cannot set mode", errno);
  if (::close(std::exchange(fd_, -1)) != 0) return ioError(path_, "close failed", errno);
  if (ow_ == Overwrite::Refuse) {
    // link() fails with EEXIST instead of replacing, so a file that appeared since create()
    // is never clobbered.
    if (::link(tmp_.c_str(), path_.c_str()) != 0) {
      int err = errno;
      if (err == EEXIST) return existsError(path_);
      return ioError(path_, "cannot move the temporary file into place", err);
    }
    ::unlink(tmp_.c_str());
  } else if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    return ioError(path_, "cannot move the temporary file into place", errno);
  }
  committed_ = true;
  return {};
}

Status writeFileAtomic(const std::string& path, Bytes data, Overwrite ow, unsigned mode) {
  KK_ASSIGN(AtomicFile f, AtomicFile::create(path, ow, mode));
  KK_TRY(f.write(data));
  return f.commit();
}

}  // namespace kextkit::io
