// The one error type of kextkit: a stable code plus a message naming file, field and offset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kextkit {

/// Stable error codes. Values never change once released; tools map them to exit codes.
enum class ErrorCode : int {
  Truncated = 1,         ///< input ends before a structure or field it declares
  Malformed = 2,         ///< a field holds a value the format forbids
  Unsupported = 3,       ///< well-formed but a variant kextkit does not handle
  ChecksumMismatch = 4,  ///< a stored checksum differs from the computed one
  DstTooSmall = 5,       ///< output would exceed the size the caller allowed
  LimitExceeded = 6,     ///< a field asks for more than a configured limit
  Io = 7,                ///< the operating system refused a read or write
  NotFound = 8,          ///< a named file, arch, key or bundle does not exist
  AlreadyExists = 9,     ///< an output exists and overwriting was not allowed
  InvalidArgument = 10,  ///< a caller (usually a user option) asked for something invalid
};

/// Short stable name of a code ("truncated", "malformed", ...), for JSON and tests.
std::string_view errorCodeName(ErrorCode code);

/// An error: code, what went wrong, and where. `describe()` renders
/// "FILE: at offset 0xOFF: FIELD: MESSAGE", leaving out the parts that are unknown.
struct Error {
  ErrorCode code;
  std::string message;            ///< what was expected and what was found
  std::string field;              ///< on-disk field or structure, e.g. "fat_arch[1].offset"
  std::optional<uint64_t> offset; ///< byte offset in the file (or stream) where it was found
  std::string file;               ///< input path, filled in by whoever knows it

  Error(ErrorCode c, std::string msg, std::string fld = {}, std::optional<uint64_t> off = {})
      : code(c), message(std::move(msg)), field(std::move(fld)), offset(off) {}

  /// Sets `file` if it is still empty and returns *this (for `return err.inFile(path)`).
  Error& inFile(std::string_view path) &;
  Error&& inFile(std::string_view path) &&;
  /// Prefixes the field with a context ("entry 3: " + field) so nested parsers stay precise.
  Error&& within(std::string_view context) &&;

  /// Human-readable one-line rendering (see class comment).
  std::string describe() const;
};

/// Either a value or an Error. A minimal std::expected for C++20.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Expected(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error& error() & { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

/// Expected<void>: success or an Error.
template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : e_(std::move(error)) {}
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return *e_; }
  Error& error() & { return *e_; }
  Error&& error() && { return std::move(*e_); }

 private:
  std::optional<Error> e_;
};

using Status = Expected<void>;

/// Shorthands for building errors.
inline Error truncated(std::string msg, std::string field = {}, std::optional<uint64_t> off = {}) {
  return Error(ErrorCode::Truncated, std::move(msg), std::move(field), off);
}
inline Error malformed(std::string msg, std::string field = {}, std::optional<uint64_t> off = {}) {
  return Error(ErrorCode::Malformed, std::move(msg), std::move(field), off);
}
inline Error unsupported(std::string msg, std::string field = {}, std::optional<uint64_t> off = {}) {
  return Error(ErrorCode::Unsupported, std::move(msg), std::move(field), off);
}

}  // namespace kextkit

/// Propagates an error from an Expected expression: `KK_TRY(r.u32be("magic"));`
#define KK_TRY(expr)                               \
  do {                                             \
    auto&& kk_try_r_ = (expr);                     \
    if (!kk_try_r_) return std::move(kk_try_r_).error(); \
  } while (0)

/// Declares `var` from an Expected expression or returns its error.
#define KK_ASSIGN(var, expr) KK_ASSIGN_IMPL_(var, expr, KK_CONCAT_(kk_tmp_, __LINE__))
#define KK_CONCAT_IMPL_(a, b) a##b
#define KK_CONCAT_(a, b) KK_CONCAT_IMPL_(a, b)
#define KK_ASSIGN_IMPL_(var, expr, tmp)     \
  auto tmp = (expr);                        \
  if (!tmp) return std::move(tmp).error();  \
  var = std::move(tmp).value()
