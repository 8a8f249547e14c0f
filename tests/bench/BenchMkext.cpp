// `kextkit-bench mkext`: packing a repository of kexts into one mkext2 slice on N threads
// against the single-thread zlib-6 baseline, and unpacking it (issue 3's figures).
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "Bench.h"
#include "CorpusWalk.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/kext/KextDiscovery.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/mkext/MkextArchive.h"
#include "kextkit/mkext/MkextWriter.h"

namespace fs = std::filesystem;

namespace kextkit::bench {

namespace {

struct MkextArgs {
  std::vector<std::string> roots;
  std::string arch = "x86_64";
  unsigned threads = 0;
  Timing timing;
};

/// `root` itself when it is a bundle, else the repositories below it.
std::vector<std::string> repositories(const std::string& root) {
  if (kext::isKextName(fs::path(root).filename().string())) return {root};
  return testkit::kextRepositories(root);
}

int run(const MkextArgs& a) {
  auto arch = macho::archFromName(a.arch);
  if (!arch) {
    std::fprintf(stderr, "unknown arch %s\n", a.arch.c_str());
    return 2;
  }
  // Load every kext that fits the arch into memory (thinned), as kextcache would pack it.
  std::vector<mkext::PackKext> kexts;
  uint64_t inputBytes = 0;
  size_t bundles = 0, skipped = 0;
  for (const std::string& root : a.roots)
    for (const std::string& repo : repositories(root)) {
      auto found = kext::discoverKexts(repo);
      if (!found) continue;
      for (const kext::KextBundle& b : *found) {
        ++bundles;
        if (!b.info() || !b.issues().empty()) {
          ++skipped;
          continue;
        }
        mkext::PackKext k;
        k.info = *b.info();
        k.bundlePath = b.path();
        if (b.declaresExecutable()) {
          auto f = io::MappedFile::open(b.executable()->path);
          if (!f) { ++skipped; continue; }
          auto thin = macho::selectArch(f->bytes(), *arch);
          if (!thin) { ++skipped; continue; }
          k.executable = std::vector<uint8_t>(thin->begin(), thin->end());
          k.executableRelativePath = fs::path(b.executable()->path).lexically_relative(b.path()).string();
          inputBytes += k.executable->size();
        }
        kexts.push_back(std::move(k));
      }
    }
  if (kexts.empty()) {
    std::fprintf(stderr, "no %s kexts found\n", a.arch.c_str());
    return 1;
  }
  const unsigned threads = a.threads ? a.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<uint8_t> archive1, archiveN;
  auto pack = [&](unsigned t, std::vector<uint8_t>& out) {
    auto r = mkext::writeMkextSlice(mkext::MkextVersion::V2, arch->cputype, arch->cpusubtype, kexts, {t});
    if (!r) {
      std::fprintf(stderr, "pack failed: %s\n", r.error().describe().c_str());
      std::exit(1);
    }
    out = std::move(r).value();
  };
  double t1 = a.timing.best([&] { pack(1, archive1); });
  double tN = a.timing.best([&] { pack(threads, archiveN); });
  uint64_t decoded = 0;
  double tu = a.timing.best([&] {
    auto s = mkext::readMkextSlice(io::Bytes(archiveN));
    if (!s) {
      std::fprintf(stderr, "unpack failed: %s\n", s.error().describe().c_str());
      std::exit(1);
    }
    decoded = 0;
    for (const auto& k : s->kexts) decoded += k.executable ? k.executable->size() : 0;
  });

  std::printf("mkext2 pack of %zu %s kexts (%zu bundles found, %zu skipped), %.1f MB of executables; %s\n",
              kexts.size(), a.arch.c_str(), bundles, skipped, static_cast<double>(inputBytes) / 1e6,
              a.timing.describe().c_str());
  std::printf("  %-32s %8.1f MB/s  archive %10zu bytes (%.3f of input)\n", "zlib-6, 1 thread (baseline)",
              mbPerSecond(inputBytes, t1), archive1.size(),
              static_cast<double>(archive1.size()) / static_cast<double>(inputBytes));
  std::printf("  %-32s %8.1f MB/s  archive %10zu bytes  speedup %.2fx  %s\n",
              ("zlib-6, " + std::to_string(threads) + " threads").c_str(), mbPerSecond(inputBytes, tN),
              archiveN.size(), t1 / tN, archiveN == archive1 ? "identical bytes" : "DIFFERENT BYTES");
  std::printf("  %-32s %8.1f MB/s of executables (read + verify + inflate all)\n", "unpack", mbPerSecond(decoded, tu));
  return 0;
}

}  // namespace

Subcommand addMkext(CLI::App& app) {
  static MkextArgs args;
  CLI::App* cmd = app.add_subcommand("mkext", "pack kext repositories into one mkext2 slice; unpack it");
  cmd->add_option("roots", args.roots, "kext bundles or folders searched for kext repositories")->required();
  cmd->add_option("--arch", args.arch, "slice architecture (default x86_64)");
  cmd->add_option("--threads", args.threads, "threads for the parallel run (default: one per core)");
  args.timing.addOptions(cmd);
  return {cmd, [] { return run(args); }};
}

}  // namespace kextkit::bench
