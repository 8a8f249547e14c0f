// Property: for any input, lzvnEncode produces a stream that lzvnDecode turns back into exactly
// the input (and that ends with the 8-byte end-of-stream opcode). A mismatch calls
// __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kextkit/compress/Lzvn.h"

using namespace kextkit::compress;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Bytes in(data, size);
  std::vector<uint8_t> enc = lzvnEncode(in);
  static const uint8_t kEos[8] = {0x06, 0, 0, 0, 0, 0, 0, 0};
  if (enc.size() < 8 || std::memcmp(enc.data() + enc.size() - 8, kEos, 8) != 0) __builtin_trap();
  auto dec = lzvnDecode(enc, size);
  if (!dec.ok() || dec->size() != size) __builtin_trap();
  if (size != 0 && std::memcmp(dec->data(), data, size) != 0) __builtin_trap();
  return 0;
}
