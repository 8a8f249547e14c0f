// mkext reader: header validation, v2 plist + file entries, v1 slot table, fat wrapping.
#include "kextkit/mkext/MkextArchive.h"

#include "kextkit/compress/Adler32.h"
#include "kextkit/compress/Lzss.h"
#include "kextkit/compress/Zlib.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/mkext/MkextFormat.h"
#include "kextkit/plist/IOKitXml.h"
#include "kextkit/plist/AnyPlist.h"
#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Format.h"

namespace kextkit::mkext {

namespace {

std::string stringKey(const plist::Value& info, const char* key) {
  const plist::Value* v = info.get(key);
  const std::string* s = v ? v->asString() : nullptr;
  return s ? *s : std::string();
}

/// Tracks the decoded-byte budget of one archive.
struct Budget {
  uint64_t left;
  Status take(uint64_t n, const std::string& field, uint64_t off) {
    if (n > left)
      return Error(ErrorCode::LimitExceeded,
                   "decoding " + std::to_string(n) + " more bytes would exceed the archive limit", field, off);
    left -= n;
    return {};
  }
};

Status checkEntrySize(uint64_t full, const ReadOptions& opts, const std::string& field, uint64_t off) {
  if (full > opts.maxEntrySize)
    return Error(ErrorCode::LimitExceeded,
                 "full size " + std::to_string(full) + " exceeds the limit of " + std::to_string(opts.maxEntrySize) +
                     " bytes",
                 field, off);
  return {};
}

/// Decodes a zlib-or-stored buffer of `full` bytes from `src` (compressed when `comp` != 0).
Expected<std::vector<uint8_t>> inflateOrCopy(Bytes src, uint32_t comp, uint32_t full, const std::string& field,
                                             uint64_t off, const ReadOptions& opts) {
  if (comp == 0) return std::vector<uint8_t>(src.begin(), src.end());
  auto out = compress::zlibDecode(src, full, opts.maxEntrySize);
  if (!out) {
    Error e = std::move(out).error();
    e.field = e.field.empty() ? field : field + ": " + e.field;
    if (!e.offset) e.offset = off;
    else e.offset = *e.offset + off;
    return e;
  }
  return out;
}

Expected<MkextSlice> readV2(io::ByteReader& r, MkextSlice slice, const ReadOptions& opts, Budget& budget) {
  const uint64_t base = r.base();
  KK_TRY(r.seek(mkext2_header::kPlistOffsetOff));
  if (r.size() < mkext2_header::kSize) return r.truncatedAt(0, mkext2_header::kSize, "mkext2_header");
  KK_ASSIGN(uint32_t plistOffset, r.u32be("plist_offset"));
  KK_ASSIGN(uint32_t plistComp, r.u32be("plist_compressed_size"));
  KK_ASSIGN(uint32_t plistFull, r.u32be("plist_full_size"));

  uint64_t plistStored = plistComp ? plistComp : plistFull;
  if (plistOffset < mkext2_header::kSize)
    return malformed("plist_offset " + hex(plistOffset) + " lies inside the 44-byte header", "plist_offset",
                     base + mkext2_header::kPlistOffsetOff);
  KK_ASSIGN(io::Bytes plistBytes, r.slice(plistOffset, plistStored, "plist"));
  KK_TRY(checkEntrySize(plistFull, opts, "plist_full_size", base + mkext2_header::kPlistFullSizeOff));
  KK_TRY(budget.take(plistFull, "plist", base + plistOffset));
  KK_ASSIGN(std::vector<uint8_t> xml,
            inflateOrCopy(plistBytes, plistComp, plistFull, "plist", base + plistOffset, opts));
  // IOCFSerialize output ends with a NUL; parse up to the first one.
  size_t textLen = 0;
  while (textLen < xml.size() && xml[textLen] != 0) ++textLen;
  auto parsed = plist::parseIOKitXml(std::string_view(reinterpret_cast<const char*>(xml.data()), textLen));
  if (!parsed) {
    Error e = std::move(parsed).error();
    e.field = "plist: " + e.field;
    e.offset = base + plistOffset;  // line numbers in the message refer to the decoded plist
    return e;
  }
  plist::Value top = std::move(parsed).value();
  plist::Dict* topDict = top.asDict();
  if (!topDict)
    return malformed(std::string("archive plist is a ") + std::string(plist::Value::typeName(top.type())) +
                         ", expected a dict",
                     "plist", base + plistOffset);
  plist::Value* infos = topDict->find(kMKEXTInfoDictionariesKey);
  if (!infos || !infos->isArray())
    return malformed(std::string("archive plist has no ") + kMKEXTInfoDictionariesKey + " array", "plist",
                     base + plistOffset);
  plist::Array infoArray = std::move(*infos->asArray());
  topDict->erase(kMKEXTInfoDictionariesKey);
  slice.requestInfo = std::move(top);

  slice.kexts.reserve(infoArray.size());
  for (size_t i = 0; i < infoArray.size(); ++i) {
    const std::string field = "kext[" + std::to_string(i) + "]";
    plist::Dict* d = infoArray[i].asDict();
    if (!d)
      return malformed("info dictionary is a " + std::string(plist::Value::typeName(infoArray[i].type())) +
                           ", expected a dict",
                       field, base + plistOffset);
    MkextKext k;
    if (const plist::Value* p = d->find(kMKEXTBundlePathKey); p && p->asString()) k.bundlePath = *p->asString();
    if (const plist::Value* p = d->find(kMKEXTExecutableRelativePathKey); p && p->asString())
      k.executableRelativePath = *p->asString();
    if (const plist::Value* exe = d->find(kMKEXTExecutableKey)) {
      const plist::Integer* n = exe->asInteger();
      if (!n) return malformed(std::string(kMKEXTExecutableKey) + " is not an integer", field, base + plistOffset);
      // File entries live between the header and the plist (the writer appends the plist last).
      uint64_t off = n->bits;
      if (off < mkext2_header::kSize || off >= plistOffset)
        return malformed(std::string(kMKEXTExecutableKey) + " " + hex(off) + " is outside the file entries area [" +
                             hex(mkext2_header::kSize) + ", " + hex(plistOffset) + ")",
                         field, base + plistOffset);
      KK_ASSIGN(io::ByteReader er, r.sub(off, plistOffset - off, field + ".executable"));
      KK_ASSIGN(uint32_t comp, er.u32be(field + ".compressed_size"));
      KK_ASSIGN(uint32_t full, er.u32be(field + ".full_size"));
      KK_TRY(checkEntrySize(full, opts, field + ".full_size", base + off + 4));
      uint64_t stored = comp ? comp : full;
      KK_ASSIGN(io::Bytes data, er.bytes(stored, field + ".data"));
      KK_TRY(budget.take(full, field + ".executable", base + off));
      KK_ASSIGN(std::vector<uint8_t> exeBytes,
                inflateOrCopy(data, comp, full, field + ".executable", base + off + mkext2_file_entry::kHeaderSize,
                              opts));
      k.executable = std::move(exeBytes);
      k.executableOffset = base + off;
    }
    for (auto it = d->begin(); it != d->end();) {
      if (it->first.rfind(kMKEXTKeyPrefix, 0) == 0) {
        std::string key = it->first;
        d->erase(key);
        it = d->begin();  // erase invalidates; dictionaries are small
        continue;
      }
      ++it;
    }
    k.info = std::move(infoArray[i]);
    slice.kexts.push_back(std::move(k));
  }
  return slice;
}

/// Reads one v1 mkext_file {offset, compsize, realsize, modifiedsecs} and its data.
/// Returns nullopt for an empty entry (all zero, or realsize 0).
Expected<std::optional<std::vector<uint8_t>>> readV1File(io::ByteReader& table, const io::ByteReader& whole,
                                                         const std::string& field, const ReadOptions& opts,
                                                         Budget& budget) {
  const uint64_t fieldOff = table.offset();
  KK_ASSIGN(uint32_t offset, table.u32be(field + ".offset"));
  KK_ASSIGN(uint32_t compsize, table.u32be(field + ".compsize"));
  KK_ASSIGN(uint32_t realsize, table.u32be(field + ".realsize"));
  KK_TRY(table.u32be(field + ".modifiedsecs"));
  if (realsize == 0) return std::optional<std::vector<uint8_t>>();
  KK_TRY(checkEntrySize(realsize, opts, field + ".realsize", fieldOff + 8));
  uint64_t stored = compsize ? compsize : realsize;
  KK_ASSIGN(io::Bytes data, whole.slice(offset, stored, field));
  KK_TRY(budget.take(realsize, field, whole.base() + offset));
  if (compsize == 0) return std::optional<std::vector<uint8_t>>(std::vector<uint8_t>(data.begin(), data.end()));
  auto out = compress::lzssDecode(data, realsize, opts.maxEntrySize);
  if (!out) {
    Error e = std::move(out).error();
    e.field = e.field.empty() ? field : field + ": " + e.field;
    e.offset = whole.base() + offset + e.offset.value_or(0);
    return e;
  }
  return std::optional<std::vector<uint8_t>>(std::move(out).value());
}

Expected<MkextSlice> readV1(io::ByteReader& r, MkextSlice slice, uint32_t numkexts, const ReadOptions& opts,
                            Budget& budget) {
  auto tableLen = checkedMul(numkexts, mkext_kext::kSize);
  if (!tableLen || !rangeFits(mkext_basic_header::kSize, *tableLen, r.size()))
    return truncated("numkexts " + std::to_string(numkexts) + " needs a " +
                         std::to_string(uint64_t(numkexts) * mkext_kext::kSize) + "-byte table, but only " +
                         std::to_string(r.size() - mkext_basic_header::kSize) + " bytes follow the header",
                     "numkexts", r.base() + mkext_basic_header::kNumKextsOff);
  KK_ASSIGN(io::ByteReader table, r.sub(mkext_basic_header::kSize, *tableLen, "kext table"));
  for (uint32_t i = 0; i < numkexts; ++i) {
    const std::string field = "kext[" + std::to_string(i) + "]";
    KK_ASSIGN(auto plistBytes, readV1File(table, r, field + ".plist", opts, budget));
    KK_ASSIGN(auto module, readV1File(table, r, field + ".module", opts, budget));
    if (!plistBytes) {
      if (module)
        return malformed("has an executable but no plist", field, r.base() + mkext_basic_header::kSize + i * 32);
      continue;  // an empty slot
    }
    MkextKext k;
    k.rawInfoPlist.assign(plistBytes->begin(), plistBytes->end());
    auto parsed = plist::parseAnyPlist(io::Bytes(*plistBytes));
    if (!parsed) {
      Error e = std::move(parsed).error();
      e.field = field + ".plist: " + e.field;
      e.offset = r.base() + mkext_basic_header::kSize + uint64_t(i) * mkext_kext::kSize;
      return e;
    }
    if (!parsed->isDict())
      return malformed("Info.plist is not a dict", field + ".plist",
                       r.base() + mkext_basic_header::kSize + uint64_t(i) * mkext_kext::kSize);
    k.info = std::move(parsed).value();
    k.executable = std::move(module);
    slice.kexts.push_back(std::move(k));
  }
  return slice;
}

Expected<MkextSlice> readSlice(Bytes bytes, uint64_t fileOffset, const ReadOptions& opts, Budget& budget) {
  io::ByteReader r(bytes, fileOffset, Endian::Big);
  if (bytes.size() < mkext_basic_header::kSize) return r.truncatedAt(0, mkext_basic_header::kSize, "mkext_header");
  KK_ASSIGN(uint32_t magic, r.u32be("magic"));
  if (magic != MKEXT_MAGIC)
    return malformed("expected 'MKXT' (0x4d4b5854), found '" + fourCC(magic) + "' (" + hex(magic) + ")", "magic",
                     fileOffset);
  KK_ASSIGN(uint32_t sig, r.u32be("signature"));
  if (sig != MKEXT_SIGN)
    return malformed("expected 'MOSX' (0x4d4f5358), found '" + fourCC(sig) + "' (" + hex(sig) + ")", "signature",
                     fileOffset + 4);
  MkextSlice slice;
  slice.fileOffset = fileOffset;
  KK_ASSIGN(slice.length, r.u32be("length"));
  KK_ASSIGN(slice.adler32, r.u32be("adler32"));
  KK_ASSIGN(uint32_t version, r.u32be("version"));
  KK_ASSIGN(uint32_t numkexts, r.u32be("numkexts"));
  KK_ASSIGN(uint32_t cputype, r.u32be("cputype"));
  KK_ASSIGN(uint32_t cpusubtype, r.u32be("cpusubtype"));
  slice.cputype = static_cast<int32_t>(cputype);
  slice.cpusubtype = static_cast<int32_t>(cpusubtype);
  if (slice.length != bytes.size())
    return malformed("header length " + std::to_string(slice.length) + " does not match the " +
                         std::to_string(bytes.size()) + "-byte archive",
                     "length", fileOffset + mkext_basic_header::kLengthOff);
  if (version != MKEXT_VERS_1 && version != MKEXT_VERS_2)
    return unsupported("version " + hex(version) + " is neither mkext1 (0x1008000) nor mkext2 (0x2002001)",
                       "version", fileOffset + mkext_basic_header::kVersionOff);
  if (opts.verifyChecksum) {
    uint32_t sum = compress::adler32(bytes.subspan(kMkextChecksumStart));
    if (sum != slice.adler32)
      return Error(ErrorCode::ChecksumMismatch,
                   "header says " + hex(slice.adler32) + ", bytes [0x10, " + hex(bytes.size()) + ") sum to " + hex(sum),
                   "adler32", fileOffset + mkext_basic_header::kAdler32Off);
  }
  if (version == MKEXT_VERS_2) {
    slice.version = MkextVersion::V2;
    if (slice.cputype == -1)
      return malformed("mkext2 archives must name one CPU type, found CPU_TYPE_ANY", "cputype",
                       fileOffset + mkext_basic_header::kCpuTypeOff);
    auto s = readV2(r, std::move(slice), opts, budget);
    if (s && s->kexts.size() != numkexts) {
      // Apple's readers take the plist as the truth; a mismatch means a damaged or hand-made
      // archive, which we report rather than guess about.
      return malformed("header says " + std::to_string(numkexts) + " kexts, the plist lists " +
                           std::to_string(s->kexts.size()),
                       "numkexts", fileOffset + mkext_basic_header::kNumKextsOff);
    }
    return s;
  }
  slice.version = MkextVersion::V1;
  return readV1(r, std::move(slice), numkexts, opts, budget);
}

}  // namespace

std::string MkextKext::bundleId() const { return stringKey(info, "CFBundleIdentifier"); }
std::string MkextKext::bundleVersion() const { return stringKey(info, "CFBundleVersion"); }
std::string MkextKext::executableName() const { return stringKey(info, "CFBundleExecutable"); }

Expected<MkextSlice> readMkextSlice(Bytes slice, uint64_t fileOffset, const ReadOptions& opts) {
  Budget budget{opts.maxTotalSize};
  return readSlice(slice, fileOffset, opts, budget);
}

Expected<MkextFile> readMkext(Bytes file, const ReadOptions& opts) {
  Budget budget{opts.maxTotalSize};
  MkextFile out;
  if (macho::isFat(file)) {
    out.fat = true;
    KK_ASSIGN(std::vector<macho::FatSlice> slices, macho::parseFat(file));
    for (size_t i = 0; i < slices.size(); ++i) {
      const macho::FatSlice& fs = slices[i];
      auto s = readSlice(fs.data, fs.offset, opts, budget);
      if (!s) return std::move(s).error();
      if (s->cputype != fs.arch.cputype)
        return malformed("slice header says cputype " + std::to_string(s->cputype) + ", its fat_arch says " +
                             std::to_string(fs.arch.cputype),
                         "fat_arch[" + std::to_string(i) + "].cputype", fs.offset + mkext_basic_header::kCpuTypeOff);
      out.slices.push_back(std::move(s).value());
    }
    return out;
  }
  KK_ASSIGN(MkextSlice s, readSlice(file, 0, opts, budget));
  out.slices.push_back(std::move(s));
  return out;
}

bool looksLikeMkext(Bytes file) {
  if (file.size() >= 4 && loadBE32(file.data()) == MKEXT_MAGIC) return true;
  if (!macho::isFat(file)) return false;
  auto slices = macho::parseFat(file);
  if (!slices || slices->empty()) return false;
  const macho::FatSlice& first = slices->front();
  return rangeFits(first.offset, 4, file.size()) && loadBE32(file.data() + first.offset) == MKEXT_MAGIC;
}

}  // namespace kextkit::mkext
