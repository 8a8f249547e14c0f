// On-disk layout of mkext archives, spelled as in xnu libkern/libkern/mkext.h.
// Every field is big-endian. Offsets are from the start of the mkext (one fat slice).
#pragma once

#include <cstdint>

namespace kextkit::mkext {

constexpr uint32_t MKEXT_MAGIC = 0x4d4b5854;   // 'MKXT'
constexpr uint32_t MKEXT_SIGN = 0x4d4f5358;    // 'MOSX'
constexpr uint32_t MKEXT_VERS_1 = 0x01008000;  // "1.0.0" in 'vers' style (LZSS archives)
constexpr uint32_t MKEXT_VERS_2 = 0x02002001;  // "2.0d1" (zlib + XML plist archives)

/// mkext_basic_header: shared by v1 and v2 (32 bytes).
struct mkext_basic_header {
  static constexpr uint32_t kSize = 32;
  static constexpr uint32_t kMagicOff = 0;      // magic      'MKXT'
  static constexpr uint32_t kSignatureOff = 4;  // signature  'MOSX'
  static constexpr uint32_t kLengthOff = 8;     // length of this mkext (slice), header included
  static constexpr uint32_t kAdler32Off = 12;   // adler32 of bytes [16, length)
  static constexpr uint32_t kVersionOff = 16;   // MKEXT_VERS_1 or MKEXT_VERS_2
  static constexpr uint32_t kNumKextsOff = 20;  // numkexts
  static constexpr uint32_t kCpuTypeOff = 24;   // cputype (int32)
  static constexpr uint32_t kCpuSubtypeOff = 28;// cpusubtype (int32)
};

/// First byte covered by the adler32 (the version field).
constexpr uint32_t kMkextChecksumStart = 16;

/// mkext2_header: basic header plus the plist location (44 bytes).
struct mkext2_header {
  static constexpr uint32_t kSize = 44;
  static constexpr uint32_t kPlistOffsetOff = 32;          // plist_offset
  static constexpr uint32_t kPlistCompressedSizeOff = 36;  // plist_compressed_size, 0 = stored
  static constexpr uint32_t kPlistFullSizeOff = 40;        // plist_full_size, NUL included
};

/// mkext2_file_entry: compressed_size (0 = stored), full_size, then the data (8-byte header).
struct mkext2_file_entry {
  static constexpr uint32_t kHeaderSize = 8;
};

/// mkext_file (v1): offset, compsize (0 = stored), realsize, modifiedsecs (16 bytes).
/// mkext_kext (v1): a plist mkext_file followed by a module (executable) mkext_file.
struct mkext_file {
  static constexpr uint32_t kSize = 16;
};
struct mkext_kext {
  static constexpr uint32_t kSize = 32;
};

/// Keys of the mkext2 plist (IOKitUser OSKext.c).
constexpr const char* kMKEXTInfoDictionariesKey = "_MKEXTInfoDictionaries";
constexpr const char* kMKEXTBundlePathKey = "_MKEXTBundlePath";
constexpr const char* kMKEXTExecutableRelativePathKey = "_MKEXTExecutableRelativePath";
constexpr const char* kMKEXTExecutableKey = "_MKEXTExecutable";
/// Prefix shared by every key the archive adds to an Info dictionary.
constexpr const char* kMKEXTKeyPrefix = "_MKEXT";

/// kOpenFirmwareMaxFileSize: Apple's cap on ppc (and, in old kext_tools, fat) mkexts.
constexpr uint64_t kOpenFirmwareMaxFileSize = 16 * 1024 * 1024;

}  // namespace kextkit::mkext
