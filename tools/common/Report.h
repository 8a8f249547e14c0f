// How tools report problems: `tool: error: FILE: at offset 0x..: field: message` on stderr.
#pragma once

#include <string>
#include <string_view>

#include "kextkit/support/Error.h"

namespace kextkit::tools {

/// Sets the program name used as the prefix of every message.
void setToolName(std::string_view name);
const std::string& toolName();

/// Prints `tool: error: <describe()>` to stderr.
void printError(const Error& e);
/// Prints `tool: error: <message>` to stderr.
void printError(std::string_view message);
/// Prints `tool: warning: <message>` to stderr.
void printWarning(std::string_view message);

/// sysexits values Apple's tools use.
constexpr int kExUsage = 64;     ///< EX_USAGE
constexpr int kExDataErr = 65;   ///< EX_DATAERR
constexpr int kExNoInput = 66;   ///< EX_NOINPUT
constexpr int kExSoftware = 70;  ///< EX_SOFTWARE
constexpr int kExOsErr = 71;     ///< EX_OSERR
constexpr int kExCantCreat = 73; ///< EX_CANTCREAT
constexpr int kExIoErr = 74;     ///< EX_IOERR
constexpr int kExNoPerm = 77;    ///< EX_NOPERM

}  // namespace kextkit::tools
