// Property: lzssDecode(lzssEncode(x), |x|) == x for every input x, and the encoded stream is
// never longer than |x| + ceil(|x| / 8) (one flag byte per 8 literals). A violation calls
// __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kextkit/compress/Lzss.h"

using namespace kextkit::compress;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Bytes input(data, size);
  std::vector<uint8_t> packed = lzssEncode(input);
  if (packed.size() > size + (size + 7) / 8) __builtin_trap();
  auto back = lzssDecode(packed, size);
  if (!back.ok() || *back != std::vector<uint8_t>(data, data + size)) __builtin_trap();
  return 0;
}
