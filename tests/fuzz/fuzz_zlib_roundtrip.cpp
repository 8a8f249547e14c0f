// Property: zlibDecode(zlibEncode(x), |x|) == x for every input x, and zlibCompressIfSmaller
// returns a stream only when it is strictly shorter than x, equal to zlibEncode(x). A
// violation calls __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kextkit/compress/Zlib.h"

using namespace kextkit::compress;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Bytes input(data, size);
  std::vector<uint8_t> packed = zlibEncode(input);
  auto back = zlibDecode(packed, size);
  if (!back.ok() || *back != std::vector<uint8_t>(data, data + size)) __builtin_trap();
  auto smaller = zlibCompressIfSmaller(input);
  if (smaller.has_value() != (packed.size() < size)) __builtin_trap();
  if (smaller && *smaller != packed) __builtin_trap();
  return 0;
}
