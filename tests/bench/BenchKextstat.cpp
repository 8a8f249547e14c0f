// kextkit-bench kextstat: end-to-end `kextstat` on a ~30 MB complzvn kernelcache against
// decompression alone, in wall-clock time and peak memory (each measured in a fresh process,
// ru_maxrss from wait4). Prints figures and ratios; asserts nothing.
//
// Without a CACHE argument it builds one: the kexts of KEXTS_DIR (default: the corpus's
// 10.9-subset, else testdata/kexts) put in a split prelinked kernel with the library's builder,
// repeated under new identifiers until the image reaches --size MB, compressed with LZVN.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "Bench.h"
#include "kextkit/compress/Adler32.h"
#include "kextkit/io/AtomicFile.h"
#include "kextkit/compress/Lzvn.h"
#include "kextkit/kernelcache/CompContainer.h"
#include "kextkit/kernelcache/Kernelcache.h"
#include "kextkit/kernelcache/KernelcacheWriter.h"
#include "kextkit/kernelcache/PrelinkedKernelBuilder.h"
#include "kextkit/kext/KextDiscovery.h"
#include "kextkit/macho/FatFile.h"

namespace kextkit::bench {

namespace {

namespace fs = std::filesystem;

struct Options {
  std::string cache;         // an existing cache to measure
  std::string kextsDir;      // where to take kexts from when building one
  std::string kextstat;      // the kextstat binary
  std::string keep;          // write the built cache here
  unsigned sizeMb = 30;
  std::string child;         // internal: "decode", "decode-nocheck" (run in a child process)
  Timing timing;
};

std::string defaultKextsDir() {
  std::vector<std::string> candidates;
  if (const char* c = std::getenv("KEXTKIT_CORPUS")) candidates.push_back(std::string(c) + "/10.9-subset");
  candidates.push_back("../shared/corpus/10.9-subset");
  candidates.push_back("../../shared/corpus/10.9-subset");
  candidates.push_back("testdata/kexts");
  for (const auto& c : candidates)
    if (fs::is_directory(c)) return c;
  return "";
}

std::string selfDir() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : p.parent_path().string();
}

/// Builds the cache file; returns its bytes and prints what went in.
Expected<std::vector<uint8_t>> buildCache(const Options& o, size_t* kextCount, uint64_t* imageSize) {
  auto bundles = kext::discoverKexts(o.kextsDir);
  if (!bundles) return std::move(bundles).error();
  const macho::Arch x86{macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_X86_64_ALL};
  std::vector<kernelcache::BuilderKext> base =
      kernelcache::builderKextsFromBundles(*bundles, x86, o.kextsDir, "/System/Library/Extensions");
  uint64_t perRound = 0;
  for (const auto& k : base)
    if (k.executable) perRound += (k.executable->size() + 0xfff) & ~uint64_t{0xfff};
  if (perRound == 0) return Error(ErrorCode::NotFound, "no kext executables in " + o.kextsDir);
  const uint64_t target = uint64_t{o.sizeMb} << 20;
  std::vector<kernelcache::BuilderKext> all = base;
  uint64_t total = perRound;
  // Copies under new identifiers, one kext at a time, until the code reaches the target size.
  for (unsigned round = 1; total < target; ++round) {
    for (kernelcache::BuilderKext k : base) {
      if (total >= target) break;
      if (!k.executable) continue;
      plist::Dict* d = k.info.asDict();
      const std::string* id = d->find("CFBundleIdentifier") ? d->find("CFBundleIdentifier")->asString() : nullptr;
      if (!id) continue;
      d->set("CFBundleIdentifier", plist::Value(*id + ".copy" + std::to_string(round)));
      k.bundlePath = "/Library/Extensions/Copy" + std::to_string(round) + k.bundlePath.substr(k.bundlePath.rfind('/'));
      total += (k.executable->size() + 0xfff) & ~uint64_t{0xfff};
      all.push_back(std::move(k));
    }
  }
  kernelcache::BuildOptions bo;
  bo.layout = kernelcache::Layout::Split;
  auto built = kernelcache::buildPrelinkedKernel(all, bo);
  if (!built) return std::move(built).error();
  *kextCount = built->kexts.size();
  *imageSize = built->image.size();
  io::Bytes one[] = {io::Bytes(built->image)};
  return kernelcache::writeKernelcache(one, kernelcache::Compression::Lzvn);
}

/// What a decompressor must do: map the file, find the slice, check the 'comp' header,
/// decode, and (unless `check` is false) verify the Adler-32. Returns 0 on success.
int decodeOnly(const std::string& path, bool check) {
  auto m = io::MappedFile::open(path);
  if (!m) return 1;
  auto slice = macho::isFat(m->bytes()) ? macho::selectSlice(m->bytes(), {macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_MULTIPLE})
                                        : Expected<macho::FatSlice>(Error(ErrorCode::NotFound, "thin"));
  io::Bytes s = slice ? slice->data : m->bytes();
  kernelcache::DecompressOptions d;
  d.verifyChecksum = check;
  auto img = kernelcache::decompressComp(s, 0, d);
  return img ? 0 : 1;
}

struct ProcessRun {
  double seconds = 0;   // best wall-clock time, fork to exit
  long maxRssKb = 0;    // peak RSS of that kind of run (max over runs)
  bool ok = true;
};

/// Runs `argv` `repeat` times in child processes with stdout on /dev/null.
ProcessRun runProcess(const std::vector<std::string>& argv, unsigned repeat) {
  ProcessRun r;
  for (unsigned k = 0; k < repeat; ++k) {
    auto start = std::chrono::steady_clock::now();
    pid_t pid = fork();
    if (pid == 0) {
      FILE* devnull = std::freopen("/dev/null", "w", stdout);
      (void)devnull;
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    int status = 0;
    struct rusage ru {};
    wait4(pid, &status, 0, &ru);
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) r.ok = false;
    if (k == 0 || t < r.seconds) r.seconds = t;
    r.maxRssKb = std::max(r.maxRssKb, ru.ru_maxrss);
  }
  return r;
}

int run(const Options& o) {
  if (!o.child.empty()) return decodeOnly(o.cache, o.child == "decode");

  std::string cachePath = o.cache;
  std::string tmpPath;
  if (cachePath.empty()) {
    Options b = o;
    if (b.kextsDir.empty()) b.kextsDir = defaultKextsDir();
    if (b.kextsDir.empty()) {
      std::fprintf(stderr, "no kexts to build a cache from; pass KEXTS_DIR or CACHE\n");
      return 1;
    }
    cachePath = o.keep.empty() ? (fs::temp_directory_path() / ("kextkit-bench-" + std::to_string(getpid()) + ".kc")).string()
                               : o.keep;
    if (o.keep.empty()) tmpPath = cachePath;
    // Built in a child process: the parent stays small, so that the children it forks for the
    // measurements do not inherit a large resident set (Linux counts it in their ru_maxrss).
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      size_t n = 0;
      uint64_t imageSize = 0;
      auto bytes = buildCache(b, &n, &imageSize);
      if (!bytes) {
        std::fprintf(stderr, "building the cache: %s\n", bytes.error().describe().c_str());
        _exit(1);
      }
      if (auto st = io::writeFileAtomic(cachePath, io::Bytes(*bytes), io::Overwrite::Allow); !st) {
        std::fprintf(stderr, "%s\n", st.error().describe().c_str());
        _exit(1);
      }
      std::printf("built %s: %zu kexts from %s, image %.1f MB, complzvn file %.1f MB\n", cachePath.c_str(), n,
                  b.kextsDir.c_str(), static_cast<double>(imageSize) / 1e6, static_cast<double>(bytes->size()) / 1e6);
      std::fflush(stdout);
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }

  // Whole processes first, while this process is small.
  std::string kextstat = o.kextstat.empty() ? selfDir() + "/../../bin/kextstat" : o.kextstat;
  const std::string self = selfDir() + "/kextkit-bench";
  std::fflush(stdout);
  ProcessRun dec = runProcess({self, "kextstat", "--child", "decode", cachePath}, o.timing.repeat);
  ProcessRun decNoCheck = runProcess({self, "kextstat", "--child", "decode-nocheck", cachePath}, o.timing.repeat);
  ProcessRun ks = runProcess({kextstat, cachePath}, o.timing.repeat);
  if (!dec.ok || !decNoCheck.ok || !ks.ok) {
    std::fprintf(stderr, "a child failed (kextstat at %s?)\n", kextstat.c_str());
    return 1;
  }

  auto m = io::MappedFile::open(cachePath);
  if (!m) {
    std::fprintf(stderr, "%s\n", m.error().describe().c_str());
    return 1;
  }
  auto kc = kernelcache::Kernelcache::open(m->bytes());
  if (!kc) {
    std::fprintf(stderr, "%s: %s\n", cachePath.c_str(), kc.error().describe().c_str());
    return 1;
  }
  const uint64_t fileSize = m->size();
  const uint64_t imageSize = kc->image().size();
  const auto& comp = kc->compHeader();
  std::printf("cache %s: %s, %s, %zu kexts, file %.1f MB, image %.1f MB\n", cachePath.c_str(),
              std::string(kernelcache::compressionName(kc->compression())).c_str(),
              std::string(kernelcache::layoutName(kc->layout())).c_str(), kc->kexts().size(),
              static_cast<double>(fileSize) / 1e6, static_cast<double>(imageSize) / 1e6);

  // In-process pieces (the file already in the page cache), for where the time goes.
  std::vector<uint8_t> fileBytes(m->bytes().begin(), m->bytes().end());
  io::Bytes slice = kc->fat() ? io::Bytes(fileBytes).subspan(kc->slice().offset, kc->slice().size) : io::Bytes(fileBytes);
  std::printf("\nin process (%s):\n", o.timing.describe().c_str());
  if (comp && comp->compression == kernelcache::Compression::Lzvn) {
    io::Bytes payload = slice.subspan(384, comp->compressedSize);
    double t = o.timing.best([&] { (void)compress::lzvnDecode(payload, comp->uncompressedSize); });
    std::printf("  %-34s %8.2f ms  %7.0f MB/s\n", "lzvn decode", t * 1e3, mbPerSecond(imageSize, t));
  }
  {
    double t = o.timing.best([&] { (void)compress::adler32(kc->image()); });
    std::printf("  %-34s %8.2f ms  %7.0f MB/s\n", "adler32 of the image", t * 1e3, mbPerSecond(imageSize, t));
  }
  double tDecode = o.timing.best([&] { (void)kernelcache::decompressComp(slice); });
  std::printf("  %-34s %8.2f ms\n", "decompressComp (decode + adler32)", tDecode * 1e3);
  {
    std::string_view info(reinterpret_cast<const char*>(kc->image().data()) + kc->prelinkInfoOffset(),
                          kc->prelinkInfoSize());
    double t = o.timing.best([&] { (void)kernelcache::parsePrelinkInfo(info); });
    std::printf("  %-34s %8.2f ms  %7.0f MB/s (%.0f KB of IOKit XML)\n", "parsePrelinkInfo", t * 1e3,
                mbPerSecond(info.size(), t), static_cast<double>(info.size()) / 1e3);
  }
  double tOpen = o.timing.best([&] { (void)kernelcache::Kernelcache::open(fileBytes); });
  std::printf("  %-34s %8.2f ms  (%.2fx decompressComp)\n", "Kernelcache::open (everything)", tOpen * 1e3,
              tDecode > 0 ? tOpen / tDecode : 0.0);

  std::printf("\nas processes (best of %u runs, wall clock; peak RSS = max ru_maxrss):\n", o.timing.repeat);
  auto row = [](const char* what, const ProcessRun& r) {
    std::printf("  %-34s %8.2f ms  peak RSS %7.1f MB\n", what, r.seconds * 1e3, static_cast<double>(r.maxRssKb) / 1024);
  };
  row("decompression (decode + adler32)", dec);
  row("decompression without adler32", decNoCheck);
  row("kextstat CACHE", ks);
  const double budget = static_cast<double>(fileSize + imageSize) / (1 << 20);
  std::printf("\nkextstat / decompression alone: time %.2fx (%.2fx vs decode without adler32); "
              "peak RSS %.2fx of compressed + decompressed (%.1f MB)\n",
              ks.seconds / dec.seconds, ks.seconds / decNoCheck.seconds,
              static_cast<double>(ks.maxRssKb) / 1024 / budget, budget);
  if (!tmpPath.empty()) fs::remove(tmpPath);
  return 0;
}

}  // namespace

Subcommand addKextstat(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "kextstat", "end-to-end kextstat on a ~30 MB complzvn cache vs decompression alone (time, peak RSS)");
  cmd->add_option("CACHE", opt->cache, "an existing kernelcache (default: build one)");
  cmd->add_option("--kexts", opt->kextsDir,
                  "kexts to build the cache from (default: $KEXTKIT_CORPUS/10.9-subset, ../shared/corpus/10.9-subset, "
                  "testdata/kexts)");
  cmd->add_option("--size", opt->sizeMb, "image size to reach when building, in MiB (kexts repeated)");
  cmd->add_option("--kextstat", opt->kextstat, "the kextstat binary (default: ../../bin/kextstat from this program)");
  cmd->add_option("--keep", opt->keep, "write the built cache to this path and keep it");
  cmd->add_option("--child", opt->child, "internal: run one decompression in this process")->group("");
  opt->timing.addOptions(cmd);
  return {cmd, [opt] { return run(*opt); }};
}

}  // namespace kextkit::bench
