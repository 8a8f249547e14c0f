// kextcache -c output: fat file of 'comp' (or bare) kernel slices.
#include "kextkit/kernelcache/KernelcacheWriter.h"

#include "kextkit/macho/FatFile.h"
#include "kextkit/macho/FatWriter.h"
#include "kextkit/macho/MachOImage.h"

namespace kextkit::kernelcache {

Expected<std::vector<uint8_t>> writeKernelcache(std::span<const io::Bytes> images, Compression compression) {
  std::vector<std::vector<uint8_t>> slices;
  std::vector<macho::FatInput> inputs;
  slices.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    auto img = macho::MachOImage::open(images[i]);
    if (!img) {
      Error e = std::move(img).error();
      e.field = "kernel image " + std::to_string(i) + (e.field.empty() ? "" : ": " + e.field);
      return e;
    }
    const uint32_t prelinkVersion = img->hasDysymtab() ? 1 : 0;
    if (compression == Compression::None) {
      slices.emplace_back(images[i].begin(), images[i].end());
    } else {
      KK_ASSIGN(std::vector<uint8_t> c, compressComp(images[i], compression, prelinkVersion));
      slices.push_back(std::move(c));
    }
    inputs.push_back(macho::FatInput{img->header().arch, io::Bytes()});
  }
  for (size_t i = 0; i < slices.size(); ++i) inputs[i].data = slices[i];
  return macho::writeFat(inputs);
}

Expected<std::vector<uint8_t>> recompressKernelcache(io::Bytes file, Compression compression,
                                                     const DecompressOptions& options) {
  std::vector<std::vector<uint8_t>> decoded;
  std::vector<io::Bytes> images;
  std::vector<macho::FatSlice> fs;
  if (macho::isFat(file)) {
    KK_ASSIGN(fs, macho::parseFat(file));
  } else {
    macho::FatSlice whole;
    whole.size = file.size();
    whole.data = file;
    fs.push_back(whole);
  }
  decoded.reserve(fs.size());
  for (const auto& s : fs) {
    if (isComp(s.data)) {
      KK_ASSIGN(std::vector<uint8_t> d, decompressComp(s.data, s.offset, options));
      decoded.push_back(std::move(d));
      images.push_back(decoded.back());
    } else {
      images.push_back(s.data);
    }
  }
  return writeKernelcache(images, compression);
}

}  // namespace kextkit::kernelcache
