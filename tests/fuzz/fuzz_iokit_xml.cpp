// Property: parseIOKitXml never reads out of bounds, crashes or exhausts the stack on any
// bytes; and whenever it accepts the input, writeIOCFSerialize (with and without IDs, chosen by
// the first byte) followed by parseIOKitXml gives back an equal value (__builtin_trap()
// otherwise). A re-parse that only hits the IDREF expansion limit is not a mismatch: IDs the
// writer adds for repeated containers can make the copies it keeps larger than the input's.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kextkit/plist/IOKitXml.h"

using namespace kextkit;
using namespace kextkit::plist;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  IOKitParseOptions o;
  o.maxMaterializedBytes = 4u << 20;
  o.kernelStrict = size > 0 && (data[0] & 2);
  auto v = parseIOKitXml(text, o);
  if (!v) return 0;
  WriteOptions w;
  w.emitIds = size > 0 && (data[0] & 1);
  auto out = writeIOCFSerialize(*v, w);
  if (!out) __builtin_trap();  // everything the parser yields is writable
  IOKitParseOptions again;
  again.maxMaterializedBytes = 64u << 20;
  auto back = parseIOKitXml(*out, again);
  if (!back) {
    if (back.error().code == ErrorCode::LimitExceeded) return 0;
    __builtin_trap();
  }
  if (!(*back == *v)) __builtin_trap();
  return 0;
}
