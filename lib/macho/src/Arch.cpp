// The architecture table and slice matching rules.
#include "kextkit/macho/Arch.h"

#include "kextkit/support/Format.h"

namespace kextkit::macho {

const std::vector<ArchInfo>& knownArchs() {
  // Names as in cctools' arch table (NXGetArchInfoFromName). The first row of each cputype is
  // its generic arch, so archName() of a subtype-ALL value yields the generic name.
  static const std::vector<ArchInfo> table = {
      {"any", {CPU_TYPE_ANY, CPU_SUBTYPE_MULTIPLE}},
      {"i386", {CPU_TYPE_I386, CPU_SUBTYPE_I386_ALL}},
      {"x86_64", {CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL}},
      {"x86_64h", {CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_H}},
      {"ppc", {CPU_TYPE_POWERPC, CPU_SUBTYPE_POWERPC_ALL}},
      {"ppc7400", {CPU_TYPE_POWERPC, CPU_SUBTYPE_POWERPC_7400}},
      {"ppc7450", {CPU_TYPE_POWERPC, CPU_SUBTYPE_POWERPC_7450}},
      {"ppc970", {CPU_TYPE_POWERPC, CPU_SUBTYPE_POWERPC_970}},
      {"ppc64", {CPU_TYPE_POWERPC64, CPU_SUBTYPE_POWERPC_ALL}},
      {"arm", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_ALL}},
      {"armv4t", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_V4T}},
      {"armv5", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_V5TEJ}},
      {"armv6", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_V6}},
      {"armv6m", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_V6M}},
      {"armv7", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_V7}},
      {"armv7f", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_V7F}},
      {"armv7s", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_V7S}},
      {"armv7k", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_V7K}},
      {"armv7m", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_V7M}},
      {"armv7em", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_V7EM}},
      {"armv8", {CPU_TYPE_ARM, CPU_SUBTYPE_ARM_V8}},
      {"arm64", {CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_ALL}},
      {"arm64v8", {CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_V8}},
      {"arm64e", {CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64E}},
      {"arm64_32", {CPU_TYPE_ARM64_32, CPU_SUBTYPE_ARM64_32_V8}},
  };
  return table;
}

std::optional<Arch> archFromName(std::string_view name) {
  for (const auto& row : knownArchs())
    if (row.name == name) return row.arch;
  return std::nullopt;
}

std::optional<std::string_view> archName(Arch arch) {
  for (const auto& row : knownArchs())
    if (row.arch.cputype == arch.cputype && maskedSubtype(row.arch.cpusubtype) == maskedSubtype(arch.cpusubtype))
      return row.name;
  return std::nullopt;
}

std::optional<std::string_view> genericArchName(cpu_type_t cputype) {
  switch (cputype) {
    case CPU_TYPE_I386: return "i386";
    case CPU_TYPE_X86_64: return "x86_64";
    case CPU_TYPE_POWERPC: return "ppc";
    case CPU_TYPE_POWERPC64: return "ppc64";
    case CPU_TYPE_ARM: return "arm";
    case CPU_TYPE_ARM64: return "arm64";
    case CPU_TYPE_ARM64_32: return "arm64_32";
    default: return std::nullopt;
  }
}

std::string describeArch(Arch arch) {
  if (auto n = archName(arch)) return std::string(*n);
  return "cputype " + hex(static_cast<uint32_t>(arch.cputype)) + " cpusubtype " +
         hex(static_cast<uint32_t>(arch.cpusubtype));
}

bool archMatches(Arch slice, Arch wanted) {
  if (wanted.cputype == CPU_TYPE_ANY) return true;
  if (slice.cputype != wanted.cputype) return false;
  if (wanted.cpusubtype == CPU_SUBTYPE_MULTIPLE) return true;
  return maskedSubtype(slice.cpusubtype) == maskedSubtype(wanted.cpusubtype);
}

std::optional<cpu_subtype_t> allSubtype(cpu_type_t cputype) {
  switch (cputype) {
    case CPU_TYPE_I386: return CPU_SUBTYPE_I386_ALL;
    case CPU_TYPE_X86_64: return CPU_SUBTYPE_X86_64_ALL;
    case CPU_TYPE_POWERPC:
    case CPU_TYPE_POWERPC64: return CPU_SUBTYPE_POWERPC_ALL;
    case CPU_TYPE_ARM: return CPU_SUBTYPE_ARM_ALL;
    case CPU_TYPE_ARM64: return CPU_SUBTYPE_ARM64_ALL;
    case CPU_TYPE_ARM64_32: return CPU_SUBTYPE_ARM64_32_ALL;
    default: return std::nullopt;
  }
}

}  // namespace kextkit::macho
