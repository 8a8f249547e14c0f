// Architectures: (cputype, cpusubtype) pairs, their canonical names, and slice matching.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kextkit/macho/MachOFormat.h"

namespace kextkit::macho {

/// A CPU architecture as stored in Mach-O and fat headers. Equality is exact (capability
/// bits included); use archMatches() to compare the way slice selection does.
struct Arch {
  cpu_type_t cputype = 0;
  cpu_subtype_t cpusubtype = 0;
  bool operator==(const Arch&) const = default;
};

/// `cpusubtype` without its capability bits (CPU_SUBTYPE_MASK).
constexpr cpu_subtype_t maskedSubtype(cpu_subtype_t s) { return s & ~CPU_SUBTYPE_MASK; }

/// One row of the arch table: the canonical name (as NXGetArchInfoFromName, lipo and
/// kextstat spell it) and its values.
struct ArchInfo {
  std::string_view name;
  Arch arch;
};

/// The known architectures: any, i386, x86_64, x86_64h, ppc, ppc64, ppc7400, ppc7450, ppc970,
/// arm, armv4t, armv5, armv6, armv6m, armv7, armv7f, armv7s, armv7k, armv7m, armv7em, armv8,
/// arm64, arm64v8, arm64e, arm64_32. Generic names ("arm", "any") use subtype
/// CPU_SUBTYPE_MULTIPLE for "any" and the ALL subtype otherwise.
const std::vector<ArchInfo>& knownArchs();

/// Looks an arch up by its canonical name (exact, case-sensitive); nullopt if unknown.
std::optional<Arch> archFromName(std::string_view name);

/// Canonical name of an arch ("x86_64", "arm64e"), ignoring the subtype capability bits;
/// nullopt if the (cputype, masked subtype) pair is not in the table.
std::optional<std::string_view> archName(Arch arch);

/// Name of the generic arch of a cputype (the name NXGetArchInfoFromCpuType gives for
/// CPU_SUBTYPE_MULTIPLE): "i386", "x86_64", "ppc", "ppc64", "arm", "arm64", "arm64_32".
/// This is the suffix of arch-specific Info.plist keys (apple-formats §5.2). nullopt if unknown.
std::optional<std::string_view> genericArchName(cpu_type_t cputype);

/// archName(arch), or "cputype 0x... cpusubtype 0x..." when the pair is unknown. For messages.
std::string describeArch(Arch arch);

/// True if a slice of arch `slice` satisfies a request for `wanted`:
/// - wanted.cputype == CPU_TYPE_ANY matches every slice;
/// - otherwise the cputypes must be equal, and then wanted.cpusubtype == CPU_SUBTYPE_MULTIPLE
///   matches any subtype, else the subtypes must be equal once the capability bits are masked
///   (so arm64e 0x80000002 matches a request for arm64e 2, but arm64 never matches arm64e).
bool archMatches(Arch slice, Arch wanted);

/// The ALL subtype of a cputype (CPU_SUBTYPE_X86_ALL for i386 and x86_64, 0 for ppc, arm and
/// arm64); nullopt for unknown cputypes. Used as the fallback of slice selection.
std::optional<cpu_subtype_t> allSubtype(cpu_type_t cputype);

}  // namespace kextkit::macho
