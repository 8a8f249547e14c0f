// kextutil's text rendering of kext diagnostics (kext_tools printPList_new, kPListStyleDiagnostics)
// and of the chown/chmod commands that fix authentication failures.
#pragma once

#include <string>
#include <vector>

#include "kextkit/kext/Authentication.h"
#include "kextkit/kext/KextDiagnostics.h"

namespace kextkit::tools::kextutil {

/// Renders the non-empty groups of `d` selected by `groups` as Apple's OSKextLogDiagnostics does:
/// "<Group>: " on its own line, each key indented 4 spaces ("<key>: " when it has values, the
/// bare key for a flag), each value indented 8; a blank line between groups. The text ends with
/// a newline; Apple's logger adds one more, which callers print. Empty if nothing is selected.
std::string formatDiagnostics(const kext::Diagnostics& d, const std::vector<kext::DiagnosticGroup>& groups);

/// Shell-quotes a path with single quotes ('it'\''s').
std::string shellQuote(const std::string& s);

/// Shell text of each command: "chown -R 0:0 'PATH'", "chmod -R go-w 'PATH'", "chmod 644 'PATH'".
std::vector<std::string> fixCommands(const std::vector<kext::PermissionCommand>& commands);

}  // namespace kextkit::tools::kextutil
