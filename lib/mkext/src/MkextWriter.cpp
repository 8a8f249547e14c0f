// mkext writer: compress entries in parallel, lay out, emit, checksum last.
#include "kextkit/mkext/MkextWriter.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <numeric>
#include <thread>

#include "kextkit/compress/Adler32.h"
#include "kextkit/compress/Lzss.h"
#include "kextkit/compress/Zlib.h"
#include "kextkit/mkext/MkextFormat.h"
#include "kextkit/plist/IOKitXml.h"
#include "kextkit/plist/StandardPlist.h"
#include "kextkit/support/Endian.h"

namespace kextkit::mkext {

namespace {

constexpr int32_t kCpuTypePowerPC = 18;  // CPU_TYPE_POWERPC

/// Runs job(i) for i in [0, n) on `threads` workers, biggest jobs first (by `weight`).
/// Each job writes only its own result slot, so the output does not depend on scheduling.
void parallelFor(size_t n, unsigned threads, const std::function<uint64_t(size_t)>& weight,
                 const std::function<void(size_t)>& job) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return weight(a) > weight(b); });
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k = next++; k < n; k = next++) job(order[k]);
  };
  unsigned extra = static_cast<unsigned>(std::min<size_t>(threads, n)) ;
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < extra; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

void putBE32(std::vector<uint8_t>& out, size_t at, uint32_t v) { storeBE32(out.data() + at, v); }
void appendBE32(std::vector<uint8_t>& out, uint32_t v) {
  uint8_t b[4];
  storeBE32(b, v);
  out.insert(out.end(), b, b + 4);
}

Status checkSize(uint64_t size, int32_t cputype) {
  if (size > UINT32_MAX)
    return Error(ErrorCode::LimitExceeded,
                 "archive would be " + std::to_string(size) + " bytes; mkext offsets are 32-bit", "length");
  if (cputype == kCpuTypePowerPC && size > kOpenFirmwareMaxFileSize)
    return Error(ErrorCode::LimitExceeded,
                 "ppc archive would be " + std::to_string(size) + " bytes, over Open Firmware's 16 MiB limit",
                 "length");
  return {};
}

void finishHeader(std::vector<uint8_t>& out, uint32_t version, uint32_t numkexts, int32_t cputype,
                  int32_t cpusubtype) {
  putBE32(out, mkext_basic_header::kMagicOff, MKEXT_MAGIC);
  putBE32(out, mkext_basic_header::kSignatureOff, MKEXT_SIGN);
  putBE32(out, mkext_basic_header::kLengthOff, static_cast<uint32_t>(out.size()));
  putBE32(out, mkext_basic_header::kVersionOff, version);
  putBE32(out, mkext_basic_header::kNumKextsOff, numkexts);
  putBE32(out, mkext_basic_header::kCpuTypeOff, static_cast<uint32_t>(cputype));
  putBE32(out, mkext_basic_header::kCpuSubtypeOff, static_cast<uint32_t>(cpusubtype));
  // Checksum last: it covers the version field through the end.
  putBE32(out, mkext_basic_header::kAdler32Off,
          compress::adler32(io::Bytes(out).subspan(kMkextChecksumStart)));
}

Expected<std::vector<uint8_t>> writeV2(int32_t cputype, int32_t cpusubtype, std::span<const PackKext> kexts,
                                       const WriteOptions& opts) {
  // 1. Compress every executable (in parallel); nullopt = store raw.
  std::vector<std::optional<std::vector<uint8_t>>> packed(kexts.size());
  parallelFor(
      kexts.size(), opts.threads,
      [&](size_t i) { return kexts[i].executable ? kexts[i].executable->size() : 0; },
      [&](size_t i) {
        if (kexts[i].executable) packed[i] = compress::zlibCompressIfSmaller(io::Bytes(*kexts[i].executable));
      });

  // 2. Lay out the entries and build the info dictionaries with their offsets.
  std::vector<uint8_t> out(mkext2_header::kSize, 0);
  plist::Array infos;
  infos.reserve(kexts.size());
  for (size_t i = 0; i < kexts.size(); ++i) {
    const PackKext& k = kexts[i];
    plist::Value info = k.info;
    plist::Dict* d = info.asDict();
    if (!d) return malformed("info dictionary is not a dict", "kext[" + std::to_string(i) + "]");
    d->set(kMKEXTBundlePathKey, plist::Value(k.bundlePath));
    if (k.executable) {
      const std::vector<uint8_t>& exe = *k.executable;
      uint64_t entryOffset = out.size();
      KK_TRY(checkSize(entryOffset + mkext2_file_entry::kHeaderSize + exe.size(), cputype));
      const bool stored = !packed[i].has_value();
      appendBE32(out, stored ? 0 : static_cast<uint32_t>(packed[i]->size()));
      appendBE32(out, static_cast<uint32_t>(exe.size()));
      const std::vector<uint8_t>& data = stored ? exe : *packed[i];
      out.insert(out.end(), data.begin(), data.end());
      d->set(kMKEXTExecutableRelativePathKey, plist::Value(k.executableRelativePath));
      // IOKitUser stores the offset as a CFNumber of type SInt32.
      d->set(kMKEXTExecutableKey, plist::Value::integer(entryOffset, 32));
    }
    infos.push_back(std::move(info));
  }

  // 3. The plist: IOCFSerialize XML with its NUL, zlib-compressed only if that is smaller.
  plist::Dict top;
  top.set(kMKEXTInfoDictionariesKey, plist::Value(std::move(infos)));
  auto xml = plist::writeIOCFSerialize(plist::Value(std::move(top)));
  if (!xml) return std::move(xml).error();
  io::Bytes xmlBytes(reinterpret_cast<const uint8_t*>(xml->data()), xml->size());
  auto zplist = compress::zlibCompressIfSmaller(xmlBytes);
  uint64_t plistOffset = out.size();
  KK_TRY(checkSize(plistOffset + (zplist ? zplist->size() : xmlBytes.size()), cputype));
  putBE32(out, mkext2_header::kPlistOffsetOff, static_cast<uint32_t>(plistOffset));
  putBE32(out, mkext2_header::kPlistCompressedSizeOff, zplist ? static_cast<uint32_t>(zplist->size()) : 0);
  putBE32(out, mkext2_header::kPlistFullSizeOff, static_cast<uint32_t>(xmlBytes.size()));
  if (zplist)
    out.insert(out.end(), zplist->begin(), zplist->end());
  else
    out.insert(out.end(), xmlBytes.begin(), xmlBytes.end());

  finishHeader(out, MKEXT_VERS_2, static_cast<uint32_t>(kexts.size()), cputype, cpusubtype);
  return out;
}

/// LZSS-compresses `data` and checks the result decodes back, as kext_tools does; nullopt
/// means "store raw" (LZSS did not shrink it).
std::optional<std::vector<uint8_t>> lzssIfSmaller(io::Bytes data) {
  std::vector<uint8_t> c = compress::lzssEncode(data);
  if (c.size() >= data.size()) return std::nullopt;
  auto back = compress::lzssDecode(io::Bytes(c), data.size());
  if (!back || !std::equal(back->begin(), back->end(), data.begin(), data.end())) return std::nullopt;
  return c;
}

Expected<std::vector<uint8_t>> writeV1(int32_t cputype, int32_t cpusubtype, std::span<const PackKext> kexts,
                                       const WriteOptions& opts) {
  // A module slot whose realsize is 0 means "no executable" to every mkext1 reader.
  for (const PackKext& k : kexts)
    if (k.executable && k.executable->empty())
      return Error(ErrorCode::InvalidArgument,
                   "the executable is empty, and an mkext1 module of size 0 reads back as no executable",
                   k.bundlePath.empty() ? std::string("executable") : k.bundlePath);
  // Plist bytes per kext: the original file, or a standard XML rendering of the dictionary.
  std::vector<std::string> plists(kexts.size());
  for (size_t i = 0; i < kexts.size(); ++i) {
    if (!kexts[i].rawInfoPlist.empty()) {
      plists[i] = kexts[i].rawInfoPlist;
    } else {
      plists[i] = plist::writeXmlPlist(kexts[i].info);
    }
  }
  // Jobs 2i (plist) and 2i+1 (executable), compressed in parallel.
  std::vector<std::optional<std::vector<uint8_t>>> packed(kexts.size() * 2);
  auto input = [&](size_t j) -> io::Bytes {
    const PackKext& k = kexts[j / 2];
    if (j % 2 == 0) return io::Bytes(reinterpret_cast<const uint8_t*>(plists[j / 2].data()), plists[j / 2].size());
    return k.executable ? io::Bytes(*k.executable) : io::Bytes();
  };
  parallelFor(
      packed.size(), opts.threads, [&](size_t j) { return input(j).size(); },
      [&](size_t j) {
        io::Bytes in = input(j);
        if (!in.empty()) packed[j] = lzssIfSmaller(in);
      });

  const uint64_t tableEnd = mkext_basic_header::kSize + uint64_t(kexts.size() + 1) * mkext_kext::kSize;
  KK_TRY(checkSize(tableEnd, cputype));
  std::vector<uint8_t> out(tableEnd, 0);
  for (size_t j = 0; j < packed.size(); ++j) {
    io::Bytes in = input(j);
    if (in.empty()) continue;  // codeless: the module slot stays all zero
    const size_t slot = mkext_basic_header::kSize + (j / 2) * mkext_kext::kSize + (j % 2) * mkext_file::kSize;
    const std::vector<uint8_t>* c = packed[j] ? &*packed[j] : nullptr;
    uint64_t offset = out.size();
    KK_TRY(checkSize(offset + (c ? c->size() : in.size()), cputype));
    putBE32(out, slot, static_cast<uint32_t>(offset));
    putBE32(out, slot + 4, c ? static_cast<uint32_t>(c->size()) : 0);
    putBE32(out, slot + 8, static_cast<uint32_t>(in.size()));
    putBE32(out, slot + 12, 0);  // modifiedsecs, 0 as kext_tools 426 writes it
    if (c)
      out.insert(out.end(), c->begin(), c->end());
    else
      out.insert(out.end(), in.begin(), in.end());
  }
  finishHeader(out, MKEXT_VERS_1, static_cast<uint32_t>(kexts.size()), cputype, cpusubtype);
  return out;
}

}  // namespace

Expected<std::vector<uint8_t>> writeMkextSlice(MkextVersion version, int32_t cputype, int32_t cpusubtype,
                                               std::span<const PackKext> kexts, const WriteOptions& opts) {
  if (version == MkextVersion::V2) {
    if (cputype == -1)
      return Error(ErrorCode::InvalidArgument, "mkext2 archives must name one CPU type, not CPU_TYPE_ANY", "cputype");
    return writeV2(cputype, cpusubtype, kexts, opts);
  }
  return writeV1(cputype, cpusubtype, kexts, opts);
}

}  // namespace kextkit::mkext
