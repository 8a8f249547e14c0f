// kextstat: list the kexts of a prelinked kernel / kernelcache file with kextstat's columns.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "AppleArgs.h"
#include "JsonWriter.h"
#include "Report.h"
#include "SizeOption.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/macho/Arch.h"

using namespace kextkit;
using kernelcache::Kernelcache;
using kernelcache::PrelinkedKext;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;

struct Options {
  bool listOnly = false;   // -l
  bool noKernel = false;   // -k
  bool archColumn = false; // -a
  bool sort = false;       // -sort
  bool json = false;
  std::vector<std::string> bundleIds;  // -b
  std::string slice;       // --slice ARCH
  std::string maxSize;     // --max-size
  std::string file;
};

/// The kexts to show, in display order: filtered by -b / -k, sorted by load address for -sort
/// (kextstat's default order is the load tag, i.e. the index).
std::vector<const PrelinkedKext*> selectKexts(const Kernelcache& kc, const Options& o) {
  std::vector<const PrelinkedKext*> out;
  for (const PrelinkedKext& k : kc.kexts()) {
    if (!o.bundleIds.empty()) {
      // -b overrides -k for the kexts it names.
      if (std::find(o.bundleIds.begin(), o.bundleIds.end(), k.entry.identifier) == o.bundleIds.end()) continue;
    } else if (o.noKernel && k.entry.kernelResource) {
      continue;
    }
    out.push_back(&k);
  }
  if (o.sort)
    std::stable_sort(out.begin(), out.end(), [](const PrelinkedKext* a, const PrelinkedKext* b) { return a->address < b->address; });
  return out;
}

/// A kext's arch for the -a column: its executable's, else the kernel's (codeless kexts and
/// kernel resources are part of the kernel).
macho::Arch kextArch(const Kernelcache& kc, const PrelinkedKext& k) { return k.arch.value_or(kc.arch()); }

void printTable(const Kernelcache& kc, const Options& o, const std::vector<const PrelinkedKext*>& kexts) {
  const bool is64 = kc.macho().is64();
  if (!o.listOnly) {
    std::string h = "Index Refs Address    ";
    if (is64) h += "        ";
    h += "Size       Wired      ";
    if (o.archColumn) h += "Architecture       ";
    h += "Name (Version) UUID <Linked Against>";
    std::printf("%s\n", h.c_str());
  }
  for (const PrelinkedKext* k : kexts) {
    // kextstat_main.c: "%5d %4d %#-18llx %#-10x %#-10x" ('#' prints 0 as "0").
    std::printf("%5d %4d", static_cast<int>(k->entry.index + 1), static_cast<int>(k->refs));
    if (is64)
      std::printf(" %#-18llx", static_cast<unsigned long long>(k->address));
    else
      std::printf(" %#-10llx", static_cast<unsigned long long>(k->address));
    std::printf(" %#-10llx %#-10llx", static_cast<unsigned long long>(k->size),
                static_cast<unsigned long long>(k->wired()));
    if (o.archColumn) {
      macho::Arch a = kextArch(kc, *k);
      if (auto name = macho::archName(a))
        std::printf(" %-18s", std::string(*name).c_str());
      else
        std::printf(" %#010x/%#-7x", static_cast<unsigned>(a.cputype), static_cast<unsigned>(a.cpusubtype));
    }
    std::printf(" %s (%s)", k->entry.identifier.c_str(), k->entry.version.c_str());
    std::printf(" %s", k->uuid ? macho::formatUuid(*k->uuid).c_str() : "no UUID");
    std::vector<size_t> deps = k->linkedAgainst();
    if (!deps.empty()) {
      std::printf(" <");
      for (size_t i = 0; i < deps.size(); ++i) std::printf(i ? " %zu" : "%zu", deps[i] + 1);
      std::printf(">");
    }
    std::printf("\n");
  }
}

std::string hexString(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

void printJson(const Kernelcache& kc, const Options& o, const std::vector<const PrelinkedKext*>& kexts) {
  tools::JsonWriter j;
  j.beginObject();
  j.key("file").value(o.file);
  j.key("fat").value(kc.fat());
  j.key("slices").beginArray();
  for (const auto& s : kc.slices()) {
    j.beginObject();
    j.key("arch").value(s.arch ? macho::describeArch(*s.arch) : std::string("unknown"));
    j.key("offset").value(s.offset);
    j.key("size").value(s.size);
    j.key("compression").value(std::string(kernelcache::compressionName(s.compression)));
    j.endObject();
  }
  j.endArray();
  j.key("arch").value(macho::describeArch(kc.arch()));
  j.key("compression").value(std::string(kernelcache::compressionName(kc.compression())));
  if (const auto& c = kc.compHeader()) {
    j.key("comp").beginObject();
    j.key("adler32").value(hexString(c->adler32));
    j.key("uncompressed_size").value(static_cast<uint64_t>(c->uncompressedSize));
    j.key("compressed_size").value(static_cast<uint64_t>(c->compressedSize));
    j.key("prelink_version").value(static_cast<uint64_t>(c->prelinkVersion));
    j.endObject();
  }
  j.key("layout").value(std::string(kernelcache::layoutName(kc.layout())));
  j.key("image_size").value(static_cast<uint64_t>(kc.image().size()));
  j.key("kernel_uuid");
  if (kc.kernelUuid())
    j.value(macho::formatUuid(*kc.kernelUuid()));
  else
    j.null();
  j.key("kexts").beginArray();
  for (const PrelinkedKext* k : kexts) {
    const auto& e = k->entry;
    j.beginObject();
    j.key("index").value(static_cast<uint64_t>(e.index + 1));
    j.key("refs").value(static_cast<uint64_t>(k->refs));
    j.key("identifier").value(e.identifier);
    j.key("version").value(e.version);
    j.key("address").value(hexString(k->address));
    j.key("size").value(hexString(k->size));
    j.key("wired").value(hexString(k->wired()));
    j.key("arch").value(macho::describeArch(kextArch(kc, *k)));
    j.key("uuid");
    if (k->uuid)
      j.value(macho::formatUuid(*k->uuid));
    else
      j.null();
    j.key("linked_against").beginArray();
    for (size_t d : k->linkedAgainst()) j.value(static_cast<uint64_t>(d + 1));
    j.endArray();
    j.key("libraries").beginArray();
    for (const auto& l : e.libraries) {
      j.beginObject();
      j.key("identifier").value(l.identifier);
      j.key("version").value(l.version);
      j.key("index");
      if (l.resolved)
        j.value(static_cast<uint64_t>(*l.resolved + 1));
      else
        j.null();
      j.endObject();
    }
    j.endArray();
    j.key("bundle_path").value(e.bundlePath);
    j.key("executable_relative_path").value(e.executableRelativePath);
    j.key("has_executable").value(k->hasExecutable);
    j.key("kernel_resource").value(e.kernelResource);
    j.key("interface").value(e.isInterface);
    auto opt = [&](const char* name, const std::optional<uint64_t>& v) {
      j.key(name);
      if (v)
        j.value(hexString(*v));
      else
        j.null();
    };
    opt("load_address", e.loadAddress);
    opt("source_address", e.sourceAddress);
    opt("executable_size", e.executableSize);
    opt("kmod_info_address", e.kmodInfoAddress);
    opt("executable_offset", k->executableOffset);
    if (e.moduleIndex) j.key("module_index").value(*e.moduleIndex);
    j.key("kmod_info");
    if (k->kmodInfo) {
      j.beginObject();
      j.key("name").value(k->kmodInfo->name);
      j.key("version").value(k->kmodInfo->version);
      j.key("address").value(hexString(k->kmodInfo->kmodAddress));
      j.key("size").value(hexString(k->kmodInfo->size));
      j.key("hdr_size").value(hexString(k->kmodInfo->hdrSize));
      j.endObject();
    } else {
      j.null();
    }
    j.endObject();
  }
  j.endArray();
  j.endObject();
  std::fputs(j.str().c_str(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  tools::setToolName("kextstat");
  Options o;
  CLI::App app{"List the kexts of a prelinked kernel, kernelcache or kernel collection file.", "kextstat"};
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.add_flag("-l,--list-only", o.listOnly, "Print the list only, without the header line");
  app.add_flag("-k,--no-kernel", o.noKernel, "Hide kernel components (kexts with OSKernelResource set)");
  app.add_flag("-a,--arch", o.archColumn, "Add an Architecture column");
  app.add_option("-b,--bundle-id", o.bundleIds, "Show only the kext with this CFBundleIdentifier (repeatable; overrides -k)")
      ->allow_extra_args(false);
  app.add_flag("-s,--sort", o.sort, "Sort by load address instead of by index");
  app.add_flag("--json", o.json, "Print every field, plus the cache's layout and compression, as JSON");
  app.add_option("--slice", o.slice, "Use this architecture's slice of a fat cache (default: x86_64 if present, else the first)");
  app.add_option("--max-size", o.maxSize, "Refuse caches whose uncompressed image is larger (default 1G; K, M, G suffixes)");
  app.add_option("cache", o.file, "The prelinked kernel or kernelcache file")->required();
  const char* usage = "usage: kextstat [-l] [-k] [-a] [-b bundle_id]... [-sort] [--json] [--slice arch] [--max-size N] cache";
  if (auto status = tools::parseAppleCommandLine(app, argc, argv, usage)) return *status;

  kernelcache::OpenOptions open;
  if (!o.maxSize.empty()) {
    auto v = tools::parseByteSize(o.maxSize);
    if (!v) {
      tools::printError("--max-size: expected a size such as 1073741824, 512M or 2G, found '" + o.maxSize + "'");
      return tools::kExUsage;
    }
    open.maxImageSize = *v;
  }
  if (!o.slice.empty()) {
    auto a = macho::archFromName(o.slice);
    if (!a) {
      tools::printError("--slice: unknown architecture '" + o.slice + "'");
      return tools::kExUsage;
    }
    open.arch = *a;
  }
  auto mappedOrError = io::MappedFile::open(o.file);
  if (!mappedOrError) {
    tools::printError(mappedOrError.error());
    return kExitFailure;
  }
  std::optional<io::MappedFile> mapped(std::move(mappedOrError).value());
  auto decoded = Kernelcache::decode(mapped->bytes(), open);
  if (!decoded) {
    tools::printError(std::move(decoded).error().inFile(o.file));
    return kExitFailure;
  }
  // A decompressed image no longer needs the file: unmap it before the kexts are read, so the
  // compressed and decompressed bytes and the parsed info are never all resident at once.
  if (decoded->decompressed) mapped.reset();
  auto kc = Kernelcache::open(std::move(decoded).value(), open);
  if (!kc) {
    tools::printError(std::move(kc).error().inFile(o.file));
    return kExitFailure;
  }
  std::vector<const PrelinkedKext*> kexts = selectKexts(*kc, o);
  if (o.json)
    printJson(*kc, o, kexts);
  else
    printTable(*kc, o, kexts);
  for (const std::string& id : o.bundleIds)
    if (std::none_of(kexts.begin(), kexts.end(), [&](const PrelinkedKext* k) { return k->entry.identifier == id; }))
      tools::printWarning("no kext with bundle identifier " + id + " in " + o.file);
  return kExitOk;
}
