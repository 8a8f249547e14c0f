// kextcache -c: wrap a prelinked kernel in the fat + 'comp' kernelcache format, or re-encode
// an existing kernelcache in place (kext_tools kextcache_main.c compressPrelinkedKernel).
#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

#include "KextcacheOptions.h"
#include "Report.h"
#include "kextkit/io/AtomicFile.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/kernelcache/CompContainer.h"
#include "kextkit/kernelcache/KernelcacheFormat.h"
#include "kextkit/kernelcache/KernelcacheWriter.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/MachOImage.h"

namespace kextkit::tools::kextcache {

namespace {

using kernelcache::Compression;

/// The codec the options ask for; `fallback` when they do not name one.
Compression chosenCompression(const Options& o, Compression fallback) {
  if (o.uncompressed && !o.compressed) return Compression::None;
  if (o.lzvn) return Compression::Lzvn;
  if (o.lzss) return Compression::Lzss;
  return fallback;
}

/// One kernel image taken from an input file slice.
struct Image {
  macho::Arch arch;
  std::vector<uint8_t> owned;  // when decompressed
  io::Bytes bytes;
};

/// Every kernel image of `file` (each fat slice, or the file), decompressing 'comp' slices,
/// keeping only the -arch ones when -arch was given.
Expected<std::vector<Image>> kernelImages(const Options& o, io::Bytes file, std::optional<Compression>* firstCodec) {
  std::vector<macho::FatSlice> slices;
  if (macho::isFat(file)) {
    KK_ASSIGN(slices, macho::parseFat(file));
  } else {
    macho::FatSlice whole;
    whole.size = file.size();
    whole.data = file;
    slices.push_back(whole);
  }
  std::vector<macho::Arch> wanted;
  for (const std::string& name : o.archs) {
    auto a = macho::archFromName(name);
    if (!a) return Error(ErrorCode::InvalidArgument, "unknown architecture '" + name + "'");
    wanted.push_back(*a);
  }
  std::vector<Image> out;
  std::string have;  // the archs the file has, for the message when none is wanted
  out.reserve(slices.size());
  for (const auto& s : slices) {
    Image img;
    if (kernelcache::isComp(s.data)) {
      kernelcache::DecompressOptions d;
      d.maxImageSize = o.maxImageSize;
      KK_ASSIGN(kernelcache::CompHeader h, kernelcache::parseCompHeader(s.data, s.offset));
      if (firstCodec && !*firstCodec) *firstCodec = h.compression;
      KK_ASSIGN(img.owned, kernelcache::decompressComp(s.data, s.offset, d));
    } else {
      img.owned.assign(s.data.begin(), s.data.end());
    }
    auto m = macho::MachOImage::open(img.owned);
    if (!m) {
      Error e = std::move(m).error();
      const std::string ctx = s.data.data() == file.data() ? "kernel" : "kernel slice " + std::to_string(s.index);
      e.field = e.field.empty() ? ctx : ctx + ": " + e.field;
      return e;
    }
    img.arch = m->header().arch;
    have += (have.empty() ? "" : ", ") + macho::describeArch(img.arch);
    if (!wanted.empty() && std::none_of(wanted.begin(), wanted.end(), [&](const macho::Arch& w) { return macho::archMatches(img.arch, w); }))
      continue;
    if (!m->findSection(kernelcache::kPrelinkInfoSegment, kernelcache::kPrelinkInfoSection) && !o.quiet)
      printWarning("the " + macho::describeArch(img.arch) +
                   " kernel has no __PRELINK_INFO,__info section: the kernelcache lists no kexts");
    img.bytes = img.owned;
    out.push_back(std::move(img));
  }
  if (out.empty()) {
    std::string asked;
    for (const std::string& a : o.archs) asked += (asked.empty() ? "" : ", ") + a;
    return Error(ErrorCode::NotFound, "the kernel has no " + asked + " slice (it has: " + have + ")");
  }
  return out;
}

int writeCache(const Options& o, const std::string& path, const std::vector<Image>& images, Compression c,
               io::Overwrite ow) {
  std::vector<io::Bytes> spans;
  for (const Image& i : images) spans.push_back(i.bytes);
  auto bytes = kernelcache::writeKernelcache(spans, c);
  if (!bytes) {
    printError(std::move(bytes).error().inFile(path));
    return kExitKextBad;
  }
  if (auto st = io::writeFileAtomic(path, io::Bytes(*bytes), ow, 0644); !st) {
    printError(st.error());
    return st.error().code == ErrorCode::AlreadyExists ? kExitCantCreate : kExitOsErr;
  }
  if (o.verbose) {
    for (const Image& i : images)
      std::fprintf(stderr, "kextcache: %s kernel: %zu bytes, %s\n", macho::describeArch(i.arch).c_str(), i.bytes.size(),
                   c == Compression::None ? "uncompressed" : (c == Compression::Lzvn ? "compressed with lzvn" : "compressed with lzss"));
    std::fprintf(stderr, "kextcache: created prelinked kernel %s (%zu bytes)\n", path.c_str(), bytes->size());
  }
  return kExitOK;
}

}  // namespace

int runPrelinkedKernel(const Options& o) {
  if (!o.inputs.empty() && o.mkextVersion == 0) {
    printError("linking kexts into a prelinked kernel is not supported: use -c OUT -kernel PRELINKED_KERNEL to wrap "
               "an already prelinked kernel");
    return kExitUsage;
  }
  if (!o.kernelPath.empty()) {
    auto in = io::MappedFile::open(o.kernelPath);
    if (!in) {
      printError(in.error());
      return kExitNotFound;
    }
    auto images = kernelImages(o, in->bytes(), nullptr);
    if (!images) {
      printError(std::move(images).error().inFile(o.kernelPath));
      return images.error().code == ErrorCode::NotFound ? kExitArchNotFound : kExitKextBad;
    }
    return writeCache(o, o.prelinkedPath, *images, chosenCompression(o, Compression::Lzss),
                      o.force ? io::Overwrite::Allow : io::Overwrite::Refuse);
  }
  // No kernel: re-encode the existing file in place, as kextcache -c FILE -compressed does.
  if (!o.compressed && !o.uncompressed) {
    printError("-prelinked-kernel without -kernel re-encodes an existing kernelcache in place and needs -compressed or "
               "-uncompressed");
    return kExitUsage;
  }
  std::vector<Image> images;
  std::optional<Compression> firstCodec;
  {
    auto in = io::MappedFile::open(o.prelinkedPath);
    if (!in) {
      printError(in.error());
      return kExitNotFound;
    }
    auto got = kernelImages(o, in->bytes(), &firstCodec);
    if (!got) {
      printError(std::move(got).error().inFile(o.prelinkedPath));
      return got.error().code == ErrorCode::NotFound ? kExitArchNotFound : kExitKextBad;
    }
    images = std::move(got).value();
  }  // the mapping is released before the file is replaced
  for (Image& i : images) i.bytes = i.owned;
  return writeCache(o, o.prelinkedPath, images, chosenCompression(o, firstCodec.value_or(Compression::Lzss)),
                    io::Overwrite::Allow);
}

}  // namespace kextkit::tools::kextcache
