// Layout of struct kmod_info (XNU osfmk/mach/kmod.h, packed to 4 bytes; apple-formats.md §3.4):
// the fields kext validation reads from an executable's _kmod_info.
#pragma once

#include <cstdint>

namespace kextkit::kext {

// NOLINTBEGIN(readability-identifier-naming)

/// KMOD_MAX_NAME: size of kmod_info.name and kmod_info.version, NUL included.
constexpr uint32_t KMOD_MAX_NAME = 64;

/// The symbol every kext executable defines (in a section) for its kmod_info.
constexpr const char* kKmodInfoSymbol = "_kmod_info";

/// kmod_info_32_v1: next@0(4), info_version@4, id@8, name@12[64], version@76[64], ... 168 bytes.
constexpr uint32_t kKmodInfo32NameOffset = 12;
constexpr uint32_t kKmodInfo32VersionOffset = 76;
constexpr uint32_t kKmodInfo32Size = 168;

/// kmod_info_64_v1: next@0(8), info_version@8, id@12, name@16[64], version@80[64], ... 196 bytes.
constexpr uint32_t kKmodInfo64NameOffset = 16;
constexpr uint32_t kKmodInfo64VersionOffset = 80;
constexpr uint32_t kKmodInfo64Size = 196;

// NOLINTEND(readability-identifier-naming)

}  // namespace kextkit::kext
