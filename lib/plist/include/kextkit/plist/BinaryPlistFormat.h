// On-disk layout of binary property lists (CoreFoundation CFBinaryPList.c), Apple's spelling.
#pragma once

#include <cstdint>

namespace kextkit::plist {

/// File header: the 8 bytes "bplist00".
inline constexpr char kBinaryPlistMagic[8] = {'b', 'p', 'l', 'i', 's', 't', '0', '0'};  // "bplist00"

/// CFBinaryPlistTrailer: the last 32 bytes of the file, all fields big-endian.
struct CFBinaryPlistTrailer {
  uint8_t _unused[5];
  uint8_t _sortVersion;
  uint8_t _offsetIntSize;       ///< bytes per offset-table entry: 1, 2, 4 or 8
  uint8_t _objectRefSize;       ///< bytes per object reference: 1, 2, 4 or 8
  uint64_t _numObjects;
  uint64_t _topObject;          ///< index of the root object
  uint64_t _offsetTableOffset;  ///< file offset of the offset table
};
inline constexpr unsigned kCFBinaryPlistTrailerSize = 32;
/// Byte offsets of the trailer fields within the 32 trailer bytes.
inline constexpr unsigned kTrailerOffsetIntSizeAt = 6;
inline constexpr unsigned kTrailerObjectRefSizeAt = 7;
inline constexpr unsigned kTrailerNumObjectsAt = 8;
inline constexpr unsigned kTrailerTopObjectAt = 16;
inline constexpr unsigned kTrailerOffsetTableOffsetAt = 24;

/// Object marker high nibbles (kCFBinaryPlistMarker*). The low nibble is a count or size;
/// 0xf means an integer object with the real count follows.
inline constexpr uint8_t kCFBinaryPlistMarkerInt = 0x10;
inline constexpr uint8_t kCFBinaryPlistMarkerASCIIString = 0x50;
inline constexpr uint8_t kCFBinaryPlistMarkerUnicode16String = 0x60;
inline constexpr uint8_t kCFBinaryPlistMarkerArray = 0xA0;
inline constexpr uint8_t kCFBinaryPlistMarkerSet = 0xC0;
inline constexpr uint8_t kCFBinaryPlistMarkerDict = 0xD0;

}  // namespace kextkit::plist
