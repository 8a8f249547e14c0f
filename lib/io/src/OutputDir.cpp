// Output directory confinement.
#include "kextkit/io/OutputDir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace kextkit::io {

std::string sanitizeComponent(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return "_";
  std::string out(name);
  for (char& c : out)
    if (c == '/' || c == '\0' || c == '\\') c = '_';
  return out;
}

std::string sanitizeRelativePath(std::string_view path) {
  std::string out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view comp = path.substr(i, j - i);
    if (!comp.empty() && comp != "." && comp != "..") {
      if (!out.empty()) out += '/';
      out += sanitizeComponent(comp);
    }
    i = j + 1;
  }
  return out;
}

Expected<OutputDir> OutputDir::open(const std::string& root) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) {
    Error e(errno == ENOENT ? ErrorCode::NotFound : ErrorCode::Io,
            std::string("output directory: ") + std::strerror(errno));
    e.file = root;
    return e;
  }
  if (!S_ISDIR(st.st_mode)) {
    Error e(ErrorCode::InvalidArgument, "output directory: not a directory");
    e.file = root;
    return e;
  }
  OutputDir d;
  d.root_ = root;
  while (d.root_.size() > 1 && d.root_.back() == '/') d.root_.pop_back();
  return d;
}

std::string OutputDir::pathFor(std::string_view rel) const {
  std::string clean = sanitizeRelativePath(rel);
  return clean.empty() ? root_ : root_ + "/" + clean;
}

Status OutputDir::makeDirs(std::string_view rel) const {
  std::string clean = sanitizeRelativePath(rel);
  std::string cur = root_;
  size_t i = 0;
  while (i < clean.size()) {
    size_t j = clean.find('/', i);
    if (j == std::string::npos) j = clean.size();
    cur += "/" + clean.substr(i, j - i);
    struct stat st {};
    if (::lstat(cur.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
        Error e(ErrorCode::AlreadyExists, "exists and is not a directory (refusing to follow or replace it)");
        e.file = cur;
        return e;
      }
    } else if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
      Error e(ErrorCode::Io, std::string("cannot create directory: ") + std::strerror(errno));
      e.file = cur;
      return e;
    }
    i = j + 1;
  }
  return {};
}

}  // namespace kextkit::io
