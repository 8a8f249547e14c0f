// Property: reading an mkext2 file entry (compressed_size, full_size, data; big-endian) from
// arbitrary bytes never reads or writes out of bounds, and zlibDecode either fails cleanly or
// returns exactly full_size bytes; claims over the 1 MiB limit fail with LimitExceeded
// without allocating. A violation calls __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kextkit/compress/Zlib.h"
#include "kextkit/io/ByteReader.h"

using namespace kextkit;
using namespace kextkit::compress;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  io::ByteReader reader(Bytes(data, size));
  auto compressedSize = reader.u32be("compressed_size");
  auto fullSize = reader.u32be("full_size");
  if (!compressedSize || !fullSize) return 0;
  if (*compressedSize == 0) return 0;  // stored raw: nothing to inflate
  // The entry reader hands the decoder at most what the file holds.
  uint64_t take = *compressedSize <= reader.remaining() ? *compressedSize : reader.remaining();
  auto payload = reader.bytes(take, "data");
  if (!payload) __builtin_trap();

  constexpr uint64_t kLimit = 1u << 20;
  auto r = zlibDecode(*payload, *fullSize, kLimit);
  if (*fullSize > kLimit) {
    if (r.ok() || r.error().code != ErrorCode::LimitExceeded) __builtin_trap();
    return 0;
  }
  if (r.ok() && r->size() != *fullSize) __builtin_trap();
  return 0;
}
