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

/// The commands that apply `fixes`: one "chown 0:0 PATH..." listing every item whose owner is
/// wrong, then one "chmod MODE PATH..." per target mode (octal), in first-occurrence order.
std::vector<std::string> fixCommands(const std::vector<kext::PermissionFix>& fixes);

}  // namespace kextkit::tools::kextutil
