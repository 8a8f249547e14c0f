// zlib-wrapped deflate through the system zlib, with exact-size output checks for mkext2.
#include "kextkit/compress/Zlib.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "kextkit/support/Format.h"

namespace kextkit::compress {

namespace {

// Deflate's largest expansion: 258 bytes from a match of at least 2 bits (1032 per byte).
constexpr uint64_t kMaxExpansion = 1032;

// zlib counts in uInt (32 bits); feed and drain it in pieces no larger than this.
constexpr uint64_t kZlibChunk = 1u << 30;

std::string plural(uint64_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// Ends an inflate or deflate stream on every return path.
struct InflateGuard {
  z_stream* z;
  ~InflateGuard() { inflateEnd(z); }
};
struct DeflateGuard {
  z_stream* z;
  ~DeflateGuard() { deflateEnd(z); }
};

// RFC 1950 header: CMF (method 8 = deflate, CINFO <= 7 = window <= 32 KiB), FLG with
// (CMF*256 + FLG) % 31 == 0 and FDICT clear. zlib checks the same, but reports it less
// precisely ("incorrect header check" without saying which byte).
Status checkHeader(Bytes src) {
  if (src.size() < 2)
    return truncated("a zlib stream needs a 2-byte header, only " + plural(src.size(), "byte") +
                         " present",
                     "zlib header", 0);
  unsigned cmf = src[0];
  unsigned flg = src[1];
  if ((cmf & 0x0f) != 8 || (cmf >> 4) > 7)
    return malformed("expected CMF with method 8 (deflate) and a window of at most 32 KiB "
                     "(usually 0x78), found " + hex(cmf),
                     "zlib header", 0);
  if ((cmf * 256 + flg) % 31 != 0)
    return malformed("CMF/FLG " + hex(cmf * 256 + flg) + " is not a multiple of 31 (bad FCHECK)",
                     "zlib header", 0);
  if (flg & 0x20)
    return unsupported("the stream needs a preset dictionary (FDICT set); mkext2 never uses one",
                       "zlib header", 1);
  return {};
}

}  // namespace

Expected<std::vector<uint8_t>> zlibDecode(Bytes src, uint64_t expectedSize, uint64_t maxSize) {
  if (expectedSize > maxSize)
    return Error(ErrorCode::LimitExceeded,
                 "expected size " + std::to_string(expectedSize) + " exceeds the limit " +
                     std::to_string(maxSize),
                 "zlib");
  KK_TRY(checkHeader(src));
  // Deflate cannot expand more than 1032:1 (a 258-byte match costs at least 2 bits), so a
  // larger claim cannot be met: refuse it before allocating what the claim asks for.
  if (expectedSize > kMaxExpansion * src.size())
    return truncated("a stream of " + plural(src.size(), "byte") + " inflates to at most " +
                         std::to_string(kMaxExpansion * src.size()) + " (1032 per input byte), " +
                         std::to_string(expectedSize) + " expected",
                     "zlib", src.size());

  std::vector<uint8_t> out(static_cast<size_t>(expectedSize));
  z_stream z{};
  if (inflateInit(&z) != Z_OK)
    return Error(ErrorCode::LimitExceeded, "zlib could not allocate its inflate state", "zlib");
  InflateGuard guard{&z};

  // Invariant: inPos + z.avail_in <= src.size() and outPos + z.avail_out <= out.size() (or
  // z.next_out points at `spill` once out is full); inPos/outPos count what zlib has been
  // handed, so consumed = inPos - z.avail_in.
  size_t inPos = 0;
  size_t outPos = 0;
  uint8_t spill = 0;  // one byte to find out whether the stream wants to produce more
  bool spilling = false;
  for (;;) {
    if (z.avail_in == 0 && inPos < src.size()) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(src.size() - inPos, kZlibChunk));
      z.next_in = const_cast<Bytef*>(src.data() + inPos);
      z.avail_in = static_cast<uInt>(n);
      inPos += n;
    }
    if (z.avail_out == 0) {
      if (outPos < out.size()) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(out.size() - outPos, kZlibChunk));
        z.next_out = out.data() + outPos;
        z.avail_out = static_cast<uInt>(n);
        outPos += n;
      } else {
        z.next_out = &spill;
        z.avail_out = 1;
        spilling = true;
      }
    }
    int rc = inflate(&z, Z_NO_FLUSH);
    uint64_t consumed = inPos - z.avail_in;
    if (spilling && z.avail_out == 0)
      return Error(ErrorCode::DstTooSmall,
                   "the stream produces more than the expected " + plural(expectedSize, "byte"),
                   "zlib", consumed);
    if (rc == Z_STREAM_END) {
      uint64_t produced = spilling ? expectedSize : outPos - z.avail_out;
      if (produced < expectedSize)
        return truncated("the stream ends after producing " + std::to_string(produced) + " of " +
                             plural(expectedSize, "expected byte"),
                         "zlib", consumed);
      if (consumed < src.size())
        return malformed(plural(src.size() - consumed, "byte") +
                             " of trailing data after the end of the zlib stream",
                         "zlib", consumed);
      return out;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      // No progress possible: every input byte was consumed without reaching the end.
      uint64_t produced = spilling ? expectedSize : outPos - z.avail_out;
      return truncated("input ends inside the deflate stream after producing " +
                           std::to_string(produced) + " of " + plural(expectedSize, "expected byte"),
                       "zlib", consumed);
    }
    if (rc == Z_DATA_ERROR) {
      std::string why = z.msg ? z.msg : "unknown error";
      if (why == "incorrect data check")
        return Error(ErrorCode::ChecksumMismatch,
                     "the Adler-32 trailer does not match the inflated data", "zlib", consumed);
      return malformed("corrupt deflate data: " + why, "zlib", consumed);
    }
    if (rc == Z_NEED_DICT)
      return unsupported("the stream needs a preset dictionary", "zlib", consumed);
    return Error(ErrorCode::LimitExceeded, "zlib ran out of memory (inflate returned " +
                                               std::to_string(rc) + ")",
                 "zlib");
  }
}

std::vector<uint8_t> zlibEncode(Bytes src) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
  DeflateGuard guard{&z};

  std::vector<uint8_t> out(deflateBound(&z, static_cast<uLong>(src.size())));
  size_t inPos = 0;
  size_t outPos = 0;
  for (;;) {
    if (z.avail_in == 0 && inPos < src.size()) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(src.size() - inPos, kZlibChunk));
      z.next_in = const_cast<Bytef*>(src.data() + inPos);
      z.avail_in = static_cast<uInt>(n);
      inPos += n;
    }
    if (z.avail_out == 0) {
      if (outPos == out.size()) out.resize(out.size() + 65536);  // deflateBound makes this rare
      size_t n = static_cast<size_t>(std::min<uint64_t>(out.size() - outPos, kZlibChunk));
      z.next_out = out.data() + outPos;
      z.avail_out = static_cast<uInt>(n);
      outPos += n;
    }
    int flush = (inPos == src.size()) ? Z_FINISH : Z_NO_FLUSH;
    int rc = deflate(&z, flush);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::bad_alloc();  // cannot happen on valid memory
  }
  out.resize(outPos - z.avail_out);
  return out;
}

std::optional<std::vector<uint8_t>> zlibCompressIfSmaller(Bytes src) {
  std::vector<uint8_t> packed = zlibEncode(src);
  if (packed.size() >= src.size()) return std::nullopt;
  return packed;
}

}  // namespace kextkit::compress
