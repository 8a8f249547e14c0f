// The 'comp' container: round trips, every header diagnostic, limits, checksum, decoder errors,
// and kernelcache files checked by an independent decoder written from apple-formats.md §3.1.
#include <catch2/catch.hpp>

#include <zlib.h>

#include "CacheFixtures.h"
#include "kextkit/compress/Lzss.h"
#include "kextkit/compress/Lzvn.h"
#include "kextkit/kernelcache/CompContainer.h"
#include "kextkit/kernelcache/KernelcacheWriter.h"
#include "kextkit/support/Endian.h"
#include "kextkit/support/Format.h"

using namespace kextkit;
using namespace kextkit::kernelcache;
using namespace kextkit::testkit;

namespace {

/// A small valid image: a kernel built from the testdata kexts.
const std::vector<uint8_t>& image() {
  static const std::vector<uint8_t> img = build(testdataKexts(), buildOptions(Layout::Split)).image;
  return img;
}

std::vector<uint8_t> comp(Compression c) {
  auto r = compressComp(image(), c, 1);
  REQUIRE(r);
  return *r;
}

std::string describe(const Expected<std::vector<uint8_t>>& r) { return r ? "ok" : r.error().describe(); }

/// Reads a kernelcache file as §3.1 and §2.5 describe it, with nothing from lib/kernelcache:
/// fat header (big-endian), first fat_arch, then the 384-byte big-endian header, then the
/// payload; decoded with the raw codecs and checked with zlib's adler32.
std::vector<uint8_t> independentDecode(const std::vector<uint8_t>& file, uint32_t* prelinkVersion) {
  REQUIRE(file.size() >= 28);
  REQUIRE(loadBE32(&file[0]) == 0xcafebabe);
  REQUIRE(loadBE32(&file[4]) == 1);
  const uint32_t off = loadBE32(&file[16]), size = loadBE32(&file[20]);
  REQUIRE(loadBE32(&file[24]) == 0);  // align 0, as kextcache writes it
  REQUIRE(off == 28);
  REQUIRE(uint64_t{off} + size == file.size());
  const uint8_t* h = &file[off];
  REQUIRE(std::string(reinterpret_cast<const char*>(h), 4) == "comp");
  const std::string type(reinterpret_cast<const char*>(h + 4), 4);
  const uint32_t adler = loadBE32(h + 8), usize = loadBE32(h + 12), csize = loadBE32(h + 16);
  *prelinkVersion = loadBE32(h + 20);
  for (size_t i = 24; i < 384; ++i) REQUIRE(h[i] == 0);
  REQUIRE(384 + uint64_t{csize} == size);
  io::Bytes payload(h + 384, csize);
  auto out = type == "lzvn" ? compress::lzvnDecode(payload, usize) : compress::lzssDecode(payload, usize);
  REQUIRE(type == (type == "lzvn" ? "lzvn" : "lzss"));
  REQUIRE(out);
  REQUIRE(::adler32(1, out->data(), static_cast<uInt>(out->size())) == adler);
  return *out;
}

}  // namespace

TEST_CASE("comp round trips and the header fields") {
  for (Compression c : {Compression::Lzss, Compression::Lzvn}) {
    DYNAMIC_SECTION(compressionName(c)) {
      std::vector<uint8_t> slice = comp(c);
      CHECK(isComp(slice));
      auto h = parseCompHeader(slice);
      REQUIRE(h);
      CHECK(h->compression == c);
      CHECK(h->uncompressedSize == image().size());
      CHECK(h->compressedSize == slice.size() - 384);
      CHECK(h->prelinkVersion == 1);
      CHECK(h->adler32 == ::adler32(1, image().data(), static_cast<uInt>(image().size())));
      auto back = decompressComp(slice);
      REQUIRE(back);
      CHECK(*back == image());
      // Bytes after the payload are allowed (some caches carry data there).
      slice.resize(slice.size() + 100, 0x77);
      CHECK(decompressComp(slice));
    }
  }
  CHECK_FALSE(isComp(image()));
  CHECK(describe(compressComp(comp(Compression::Lzss), Compression::Lzvn, 0)) ==
        "the image is already a compressed ('comp') kernelcache");
  CHECK(describe(compressComp(image(), Compression::None, 0)) == "a 'comp' slice needs lzss or lzvn compression");
}

TEST_CASE("comp header diagnostics, in kext_tools' order") {
  struct Case {
    const char* what;
    std::function<void(std::vector<uint8_t>&)> patch;
    const char* message;
  };
  const Case cases[] = {
      {"short header", [](auto& s) { s.resize(100); },
       "at offset 0x1000: prelinked_kernel_header: needs 384 bytes, only 100 remain"},
      {"signature", [](auto& s) { std::copy_n("COMP", 4, s.begin()); },
       "at offset 0x1000: prelinked_kernel_header.signature: expected 'comp' (0x636f6d70), found 'COMP' (0x434f4d50)"},
      {"type", [](auto& s) { std::copy_n("lz4 ", 4, s.begin() + 4); },
       "at offset 0x1004: prelinked_kernel_header.compressType: expected 'lzss' or 'lzvn', found 'lz4 ' (0x6c7a3420)"},
      {"payload past the end", [](auto& s) { storeBE32(&s[16], static_cast<uint32_t>(s.size())); },
       nullptr},
      {"empty image", [](auto& s) { storeBE32(&s[12], 0); },
       "at offset 0x100c: prelinked_kernel_header.uncompressedSize: is 0: an image cannot be empty"},
      {"over the limit", [](auto& s) { storeBE32(&s[12], 0x40000001); },
       "at offset 0x100c: prelinked_kernel_header.uncompressedSize: uncompressed size 0x40000001 exceeds the limit of "
       "0x40000000 bytes (raise it with --max-size)"},
      {"checksum", [](auto& s) { s[8] ^= 0x80; }, nullptr},
  };
  for (Compression c : {Compression::Lzss, Compression::Lzvn}) {
    for (const Case& k : cases) {
      DYNAMIC_SECTION(compressionName(c) << ": " << k.what) {
        std::vector<uint8_t> s = comp(c);
        k.patch(s);
        std::string got = describe(decompressComp(s, 0x1000));
        std::string want;
        if (k.message) {
          want = k.message;
        } else if (std::string(k.what) == "payload past the end") {
          want = "at offset 0x1010: prelinked_kernel_header.compressedSize: payload of " + hex(s.size()) +
                 " bytes at 0x1180 extends past the end of the slice (" + hex(s.size() - 384) +
                 " bytes follow the header)";
        } else if (std::string(k.what) == "checksum") {
          const uint32_t right = ::adler32(1, image().data(), static_cast<uInt>(image().size()));
          want = "at offset 0x1008: prelinked_kernel_header.adler32: header says " + hex(right ^ 0x80000000u) + ", the " +
                 std::to_string(image().size()) + " uncompressed bytes give " + hex(right);
        }
        CHECK(got == want);
      }
    }
  }
  DecompressOptions lax;
  lax.verifyChecksum = false;
  std::vector<uint8_t> s = comp(Compression::Lzvn);
  s[8] ^= 1;
  CHECK(decompressComp(s, 0, lax));
  DecompressOptions tight;
  tight.maxImageSize = image().size() - 1;
  CHECK(decompressComp(comp(Compression::Lzvn), 0, tight).error().code == ErrorCode::LimitExceeded);
}

TEST_CASE("comp: the promised size must be exactly what the stream gives (hand-made streams)") {
  // 16 bytes "a".."p": LZSS as two all-literal groups; LZVN as sml_l 15 + sml_l 1 + eos.
  std::vector<uint8_t> img;
  for (int i = 0; i < 16; ++i) img.push_back(static_cast<uint8_t>('a' + i));
  std::vector<uint8_t> lzss{0xff};
  lzss.insert(lzss.end(), img.begin(), img.begin() + 8);
  lzss.push_back(0xff);
  lzss.insert(lzss.end(), img.begin() + 8, img.end());
  std::vector<uint8_t> lzvn{0xef};
  lzvn.insert(lzvn.end(), img.begin(), img.begin() + 15);
  lzvn.push_back(0xe1);
  lzvn.push_back(img[15]);
  lzvn.insert(lzvn.end(), {6, 0, 0, 0, 0, 0, 0, 0});
  auto slice = [&](const char* type, const std::vector<uint8_t>& payload, uint32_t usize) {
    std::vector<uint8_t> s(384, 0);
    std::copy_n("comp", 4, s.begin());
    std::copy_n(type, 4, s.begin() + 4);
    storeBE32(&s[8], ::adler32(1, img.data(), static_cast<uInt>(img.size())));
    storeBE32(&s[12], usize);
    storeBE32(&s[16], static_cast<uint32_t>(payload.size()));
    s.insert(s.end(), payload.begin(), payload.end());
    return s;
  };
  auto ok = decompressComp(slice("lzss", lzss, 16), 0x1000);
  REQUIRE(ok);
  CHECK(*ok == img);
  auto ok2 = decompressComp(slice("lzvn", lzvn, 16), 0x1000);
  REQUIRE(ok2);
  CHECK(*ok2 == img);
  CHECK(describe(decompressComp(slice("lzss", lzss, 17), 0x1000)) ==
        "at offset 0x1192: lzss payload: lzss: the stream ends after 16 of 17 output bytes; a flag byte was expected");
  CHECK(describe(decompressComp(slice("lzvn", lzvn, 17), 0x1000)) ==
        "at offset 0x1192: lzvn payload: lzvn eos: stream ended after 16 bytes, expected 17");
  CHECK(describe(decompressComp(slice("lzss", lzss, 15), 0x1000)) ==
        "at offset 0x1191: lzss payload: lzss: the stream continues after the expected 15 output bytes");
  CHECK(describe(decompressComp(slice("lzvn", lzvn, 15), 0x1000)) ==
        "at offset 0x1190: lzvn payload: lzvn sml_l: opcode 0xe1: a literal of 1 byte at output offset 15 exceeds the "
        "15-byte output");
}

TEST_CASE("comp: a claimed 4 GiB image is refused by the limit, not allocated") {
  std::vector<uint8_t> s(384 + 16, 0);
  std::copy_n("complzvn", 8, s.begin());
  storeBE32(&s[12], 0xffffffff);
  storeBE32(&s[16], 16);
  auto r = decompressComp(s);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::LimitExceeded);
  // With the limit raised, the LZVN decoder still refuses sizes 16 bytes cannot expand to.
  DecompressOptions big;
  big.maxImageSize = uint64_t{8} << 30;
  auto r2 = decompressComp(s, 0, big);
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == ErrorCode::Truncated);
}

TEST_CASE("kernelcache files as kextcache writes them, checked by an independent decoder") {
  for (Compression c : {Compression::Lzss, Compression::Lzvn}) {
    DYNAMIC_SECTION(compressionName(c)) {
      std::vector<uint8_t> file = cacheFile(image(), c);
      uint32_t pv = 99;
      CHECK(independentDecode(file, &pv) == image());
      CHECK(pv == 1);  // the kernel has an LC_DYSYMTAB
    }
  }
  // Uncompressed: the fat slice is the Mach-O.
  std::vector<uint8_t> raw = cacheFile(image(), Compression::None);
  REQUIRE(raw.size() == 28 + image().size());
  CHECK(std::equal(image().begin(), image().end(), raw.begin() + 28));
  // Re-encoding goes both ways and back.
  auto u = recompressKernelcache(cacheFile(image(), Compression::Lzvn), Compression::None);
  REQUIRE(u);
  CHECK(*u == raw);
  auto z = recompressKernelcache(*u, Compression::Lzss);
  REQUIRE(z);
  CHECK(*z == cacheFile(image(), Compression::Lzss));
  // A thin bare Mach-O comes out fat.
  auto t = recompressKernelcache(image(), Compression::Lzvn);
  REQUIRE(t);
  CHECK(*t == cacheFile(image(), Compression::Lzvn));
}

TEST_CASE("writeKernelcache: several arches, and refusals") {
  BuildOptions arm = buildOptions(Layout::Split);
  arm.arch = {macho::CPU_TYPE_ARM64, macho::CPU_SUBTYPE_ARM64_ALL};
  std::vector<uint8_t> armImage = build({}, arm).image;
  io::Bytes two[] = {io::Bytes(image()), io::Bytes(armImage)};
  auto f = writeKernelcache(two, Compression::Lzvn);
  REQUIRE(f);
  CHECK(loadBE32(&(*f)[4]) == 2);
  io::Bytes same[] = {io::Bytes(image()), io::Bytes(image())};
  auto dup = writeKernelcache(same, Compression::Lzss);
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == ErrorCode::InvalidArgument);
  std::vector<uint8_t> junk(64, 0x41);
  io::Bytes bad[] = {io::Bytes(junk)};
  CHECK(describe(writeKernelcache(bad, Compression::Lzss)) ==
        "at offset 0x0: kernel image 0: mach_header.magic: 0x41414141 is not a Mach-O magic (MH_MAGIC, MH_CIGAM, "
        "MH_MAGIC_64 or MH_CIGAM_64)");
}
