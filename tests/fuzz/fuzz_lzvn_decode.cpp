// Property: LZVN decoding of arbitrary bytes never reads or writes out of bounds and either
// fails cleanly or returns exactly the expected size; lzvnDecodeInto accepts what lzvnDecode
// accepts, with the same output, when it decodes after a prefilled history, which it never
// touches. The first 4 bytes (LE) give the expected size, capped at 1 MiB; the rest is the
// stream. A violation calls __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kextkit/compress/Lzvn.h"

using namespace kextkit::compress;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t raw;
  std::memcpy(&raw, data, 4);
  const uint64_t expected = raw % ((1u << 20) + 1);
  const Bytes stream(data + 4, size - 4);

  auto r = lzvnDecode(stream, expected, 1u << 20);
  if (r.ok() && r->size() != expected) __builtin_trap();

  // The same stream after 7 bytes of history, into a buffer with 5 spare bytes at the end:
  // whatever lzvnDecode accepts, lzvnDecodeInto accepts with the same output (distances are
  // only more permissive there), and it never touches the history.
  std::vector<uint8_t> dst(7 + expected + 5, 0xa5);
  auto into = lzvnDecodeInto(dst, 7, stream);
  for (size_t i = 0; i < 7; ++i)
    if (dst[i] != 0xa5) __builtin_trap();
  if (into.ok() && (into->dstWritten > expected + 5 || into->srcConsumed > stream.size())) __builtin_trap();
  if (r.ok() && (!into.ok() || into->dstWritten != expected ||
                 (expected != 0 && std::memcmp(dst.data() + 7, r->data(), expected) != 0)))
    __builtin_trap();
  return 0;
}
