// Property: readMkext on arbitrary bytes (thin v1, thin v2 or fat) never crashes, never
// allocates past its limits, and every kext it returns carries only bytes it decoded; a
// successful read re-reads identically (the reader is deterministic).
#include <cstddef>
#include <cstdint>

#include "kextkit/mkext/MkextArchive.h"

using namespace kextkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mkext::ReadOptions opts;
  opts.maxEntrySize = 4 << 20;
  opts.maxTotalSize = 16 << 20;
  // Fuzzed inputs rarely carry a valid adler32; check the parsers behind it too.
  opts.verifyChecksum = size > 0 && (data[size - 1] & 1);
  auto r = mkext::readMkext(io::Bytes(data, size), opts);
  if (!r) return 0;
  uint64_t total = 0;
  for (const auto& s : r->slices)
    for (const auto& k : s.kexts)
      if (k.executable) total += k.executable->size();
  if (total > opts.maxTotalSize) __builtin_trap();
  auto again = mkext::readMkext(io::Bytes(data, size), opts);
  if (!again || again->slices.size() != r->slices.size()) __builtin_trap();
  return 0;
}
