// The 'comp' container: header, decode with limits and checksum, encode.
#include "kextkit/kernelcache/CompContainer.h"

#include <cstring>

#include "kextkit/compress/Adler32.h"
#include "kextkit/compress/Lzss.h"
#include "kextkit/compress/Lzvn.h"
#include "kextkit/kernelcache/KernelcacheFormat.h"
#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Format.h"

namespace kextkit::kernelcache {

std::string_view compressionName(Compression c) {
  switch (c) {
    case Compression::None: return "none";
    case Compression::Lzss: return "lzss";
    case Compression::Lzvn: return "lzvn";
  }
  return "none";
}

bool isComp(Bytes slice) {
  io::ByteReader r(slice);
  auto sig = r.u32be();
  return sig && *sig == PLATFORM_SIGNATURE_COMP;
}

Expected<CompHeader> parseCompHeader(Bytes slice, uint64_t base) {
  io::ByteReader r(slice, base, Endian::Big);
  KK_TRY(r.peek(kPrelinkedKernelHeaderSize, "prelinked_kernel_header"));
  CompHeader h;
  KK_ASSIGN(uint32_t sig, r.u32("prelinked_kernel_header.signature"));
  if (sig != PLATFORM_SIGNATURE_COMP)
    return malformed("expected 'comp' (" + hex(PLATFORM_SIGNATURE_COMP) + "), found '" + fourCC(sig) + "' (" + hex(sig) + ")",
                     "prelinked_kernel_header.signature", base);
  KK_ASSIGN(h.compressType, r.u32("prelinked_kernel_header.compressType"));
  if (h.compressType == COMP_TYPE_LZSS)
    h.compression = Compression::Lzss;
  else if (h.compressType == COMP_TYPE_LZVN)
    h.compression = Compression::Lzvn;
  else
    return unsupported("expected 'lzss' or 'lzvn', found '" + fourCC(h.compressType) + "' (" + hex(h.compressType) + ")",
                       "prelinked_kernel_header.compressType", base + 4);
  KK_ASSIGN(h.adler32, r.u32("prelinked_kernel_header.adler32"));
  KK_ASSIGN(h.uncompressedSize, r.u32("prelinked_kernel_header.uncompressedSize"));
  KK_ASSIGN(h.compressedSize, r.u32("prelinked_kernel_header.compressedSize"));
  KK_ASSIGN(h.prelinkVersion, r.u32("prelinked_kernel_header.prelinkVersion"));
  const uint64_t avail = slice.size() - kPrelinkedKernelHeaderSize;
  if (h.compressedSize > avail)
    return truncated("payload of " + hex(h.compressedSize) + " bytes at " + hex(base + kPrelinkedKernelHeaderSize) +
                         " extends past the end of the slice (" + hex(avail) + " bytes follow the header)",
                     "prelinked_kernel_header.compressedSize", base + 16);
  if (h.uncompressedSize == 0)
    return malformed("is 0: an image cannot be empty", "prelinked_kernel_header.uncompressedSize", base + 12);
  return h;
}

Expected<std::vector<uint8_t>> decompressComp(Bytes slice, uint64_t base, const DecompressOptions& options) {
  KK_ASSIGN(CompHeader h, parseCompHeader(slice, base));
  if (h.uncompressedSize > options.maxImageSize)
    return Error(ErrorCode::LimitExceeded,
                 "uncompressed size " + hex(h.uncompressedSize) + " exceeds the limit of " + hex(options.maxImageSize) +
                     " bytes (raise it with --max-size)",
                 "prelinked_kernel_header.uncompressedSize", base + 12);
  Bytes payload = slice.subspan(kPrelinkedKernelHeaderSize, h.compressedSize);
  auto decoded = h.compression == Compression::Lzvn
                     ? compress::lzvnDecode(payload, h.uncompressedSize, options.maxImageSize)
                     : compress::lzssDecode(payload, h.uncompressedSize, options.maxImageSize);
  if (!decoded) {
    Error e = std::move(decoded).error();
    // Codec offsets are relative to the payload; make them file offsets.
    if (e.offset) e.offset = *e.offset + base + kPrelinkedKernelHeaderSize;
    const std::string ctx = std::string(compressionName(h.compression)) + " payload";
    e.field = e.field.empty() ? ctx : ctx + ": " + e.field;
    return e;
  }
  if (options.verifyChecksum) KK_TRY(checkCompChecksum(h, compress::adler32(*decoded), base));
  return decoded;
}

Status checkCompChecksum(const CompHeader& h, uint32_t got, uint64_t base) {
  if (got == h.adler32) return {};
  return Error(ErrorCode::ChecksumMismatch,
               "header says " + hex(h.adler32) + ", the " + std::to_string(h.uncompressedSize) +
                   " uncompressed bytes give " + hex(got),
               "prelinked_kernel_header.adler32", base + 8);
}

Expected<std::vector<uint8_t>> compressComp(Bytes image, Compression compression, uint32_t prelinkVersion) {
  if (compression == Compression::None)
    return Error(ErrorCode::InvalidArgument, "a 'comp' slice needs lzss or lzvn compression");
  if (isComp(image))
    return Error(ErrorCode::InvalidArgument, "the image is already a compressed ('comp') kernelcache");
  if (image.size() > UINT32_MAX)
    return Error(ErrorCode::LimitExceeded, "an image of " + hex(image.size()) + " bytes does not fit the 32-bit uncompressedSize");
  std::vector<uint8_t> payload = compression == Compression::Lzvn ? compress::lzvnEncode(image) : compress::lzssEncode(image);
  if (payload.size() > UINT32_MAX - kPrelinkedKernelHeaderSize)
    return Error(ErrorCode::LimitExceeded, "a payload of " + hex(payload.size()) + " bytes does not fit compressedSize");
  std::vector<uint8_t> out(kPrelinkedKernelHeaderSize + payload.size(), 0);
  storeBE32(&out[0], PLATFORM_SIGNATURE_COMP);
  storeBE32(&out[4], compression == Compression::Lzvn ? COMP_TYPE_LZVN : COMP_TYPE_LZSS);
  storeBE32(&out[8], compress::adler32(image));
  storeBE32(&out[12], static_cast<uint32_t>(image.size()));
  storeBE32(&out[16], static_cast<uint32_t>(payload.size()));
  storeBE32(&out[20], prelinkVersion);
  std::memcpy(out.data() + kPrelinkedKernelHeaderSize, payload.data(), payload.size());
  return out;
}

}  // namespace kextkit::kernelcache
