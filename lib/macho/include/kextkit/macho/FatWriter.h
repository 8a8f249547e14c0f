// Writing fat (universal) files the way kext_tools writes mkexts and kernelcaches.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/macho/Arch.h"

namespace kextkit::macho {

/// One slice to put into a fat file.
struct FatInput {
  Arch arch;
  io::Bytes data;
};

/// Lays out a fat file as kext_tools' writeFatFileWithValidation does (apple-formats.md §2.5):
/// FAT_MAGIC header (big-endian), one 20-byte fat_arch per slice with align 0, slices packed
/// back to back right after the table, in the given order, with no padding.
/// Errors: InvalidArgument for no slices or two slices of the same arch; LimitExceeded when a
/// slice offset or size would not fit the 32-bit fat_arch fields.
Expected<std::vector<uint8_t>> writeFat(std::span<const FatInput> slices);

}  // namespace kextkit::macho
