// Property: decompressComp never crashes, never allocates more than its limit (1 MiB here,
// whatever the header claims), and on success returns exactly the header's uncompressedSize
// bytes whose Adler-32 matches; and compressComp -> decompressComp is the identity (the first
// input byte selects lzss or lzvn, the rest is the image). Violations call __builtin_trap().
#include <cstddef>
#include <cstdint>

#include "kextkit/compress/Adler32.h"
#include "kextkit/kernelcache/CompContainer.h"

using namespace kextkit;
using namespace kextkit::kernelcache;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  io::Bytes in(data, size);
  DecompressOptions o;
  o.maxImageSize = uint64_t{1} << 20;
  if (auto h = parseCompHeader(in)) {
    auto out = decompressComp(in, 0, o);
    if (out) {
      if (out->size() != h->uncompressedSize || out->size() > o.maxImageSize) __builtin_trap();
      if (compress::adler32(*out) != h->adler32) __builtin_trap();
    } else if (h->uncompressedSize > o.maxImageSize && out.error().code != ErrorCode::LimitExceeded) {
      __builtin_trap();
    }
  }
  if (size == 0 || size > (64u << 10)) return 0;
  const Compression c = (data[0] & 1) ? Compression::Lzvn : Compression::Lzss;
  io::Bytes image = in.subspan(1);
  if (image.empty() || isComp(image)) return 0;
  auto slice = compressComp(image, c, data[0] >> 7);
  if (!slice) __builtin_trap();
  auto back = decompressComp(*slice, 0, o);
  if (!back || back->size() != image.size()) __builtin_trap();
  for (size_t i = 0; i < image.size(); ++i)
    if ((*back)[i] != image[i]) __builtin_trap();
  return 0;
}
