// LZVN encoder (apple-containers.md §1.7). Placeholder: literal-only stream, replaced next.
#include "kextkit/compress/Lzvn.h"

#include "kextkit/compress/LzvnFormat.h"

namespace kextkit::compress {

std::vector<uint8_t> lzvnEncode(Bytes src) {
  std::vector<uint8_t> out;
  out.reserve(src.size() + src.size() / 128 + 16);
  size_t p = 0;
  while (p < src.size()) {
    size_t n = std::min<size_t>(src.size() - p, lzvn::kMaxLrgLLiteral);
    if (n > lzvn::kMaxSmlLLiteral) {
      out.push_back(lzvn::kSmlLBase);
      out.push_back(static_cast<uint8_t>(n - 16));
    } else {
      out.push_back(static_cast<uint8_t>(lzvn::kSmlLBase | n));
    }
    out.insert(out.end(), src.begin() + p, src.begin() + p + n);
    p += n;
  }
  out.push_back(lzvn::kEosOpcode);
  out.insert(out.end(), 7, 0);
  return out;
}

}  // namespace kextkit::compress
