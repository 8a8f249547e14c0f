// Writing kernelcache files as kextcache -c does (apple-formats.md §2.5, §3.1): one fat slice
// per kernel image, each either a 'comp' container (lzss or lzvn) or the bare Mach-O.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kextkit/kernelcache/CompContainer.h"
#include "kextkit/macho/Arch.h"

namespace kextkit::kernelcache {

/// Wraps kernel images (thin Mach-Os, one per arch) into a kernelcache file: a FAT_MAGIC header
/// (always, even for one arch, as kextcache writes it), slices packed with align 0, each slice
/// compressComp(image, compression, prelinkVersion) — prelinkVersion 1 when the image has an
/// LC_DYSYMTAB — or the image itself for Compression::None. Errors: those of
/// macho::MachOImage::open() for an image that is not a valid thin Mach-O, of compressComp()
/// and of macho::writeFat() (two images of the same arch, offsets beyond 32 bits).
Expected<std::vector<uint8_t>> writeKernelcache(std::span<const io::Bytes> images, Compression compression);

/// Re-encodes a kernelcache file (kextcache -c FILE -compressed|-uncompressed): every slice
/// is decoded (decompressComp() with `options` for 'comp' slices; a bare Mach-O as is) and
/// written again with `compression`. A thin input comes out fat, as kextcache writes it.
Expected<std::vector<uint8_t>> recompressKernelcache(io::Bytes file, Compression compression,
                                                     const DecompressOptions& options = {});

}  // namespace kextkit::kernelcache
