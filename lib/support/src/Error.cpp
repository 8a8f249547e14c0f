// Error rendering and code names.
#include "kextkit/support/Error.h"

#include <cstdio>

namespace kextkit {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::Truncated: return "truncated";
    case ErrorCode::Malformed: return "malformed";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::ChecksumMismatch: return "checksum-mismatch";
    case ErrorCode::DstTooSmall: return "dst-too-small";
    case ErrorCode::LimitExceeded: return "limit-exceeded";
    case ErrorCode::Io: return "io";
    case ErrorCode::NotFound: return "not-found";
    case ErrorCode::AlreadyExists: return "already-exists";
    case ErrorCode::InvalidArgument: return "invalid-argument";
  }
  return "unknown";
}

Error& Error::inFile(std::string_view path) & {
  if (file.empty()) file = std::string(path);
  return *this;
}

Error&& Error::inFile(std::string_view path) && {
  if (file.empty()) file = std::string(path);
  return std::move(*this);
}

Error&& Error::within(std::string_view context) && {
  if (field.empty())
    field = std::string(context);
  else
    field = std::string(context) + "." + field;
  return std::move(*this);
}

std::string Error::describe() const {
  std::string out;
  if (!file.empty()) out += file + ": ";
  if (offset) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "at offset 0x%llx: ", static_cast<unsigned long long>(*offset));
    out += buf;
  }
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

}  // namespace kextkit
