// Real-world acceptance: Chameleon mkexts against their source kexts, and pack -> unpack of
// every corpus kext in both formats and every arch it has. Skips when the corpus is absent.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>

#include "CorpusWalk.h"
#include "TestPaths.h"
#include "kextkit/io/MappedFile.h"
#include "kextkit/kext/KextDiscovery.h"
#include "kextkit/macho/FatFile.h"
#include "kextkit/mkext/MkextArchive.h"
#include "kextkit/mkext/MkextWriter.h"

namespace fs = std::filesystem;
using namespace kextkit;
using namespace kextkit::mkext;

namespace {

std::vector<uint8_t> thinExecutable(const std::string& path, macho::Arch arch) {
  auto f = io::MappedFile::open(path);
  REQUIRE(f);
  auto thin = macho::selectArch(f->bytes(), arch);
  REQUIRE(thin);
  return std::vector<uint8_t>(thin->begin(), thin->end());
}

}  // namespace

TEST_CASE("corpus: Chameleon mkexts match the kexts they were packed from", "[corpus]") {
  KK_REQUIRE_CORPUS(corpus);
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(corpus + "/mkext")) {
    const std::string name = entry.path().filename().string();  // koush__EFI__<commit>__Extensions.mkext
    const std::string commit = name.substr(std::string("koush__EFI__").size(), 7);
    const std::string srcDir = corpus + "/kexts/koush__EFI/" + commit;
    INFO(name);
    auto file = io::MappedFile::open(entry.path().string());
    REQUIRE(file);
    auto archive = readMkext(file->bytes());
    REQUIRE(archive);
    CHECK(archive->fat);
    REQUIRE(archive->slices.size() == 2);
    for (const MkextSlice& s : archive->slices) {
      CHECK(s.version == MkextVersion::V2);
      CHECK_FALSE(s.kexts.empty());
      for (const MkextKext& k : s.kexts) {
        const std::string bundle = srcDir + "/" + fs::path(k.bundlePath).filename().string();
        INFO(bundle);
        auto found = kext::discoverKexts(bundle);
        REQUIRE(found);
        const kext::KextBundle& src = found->front();
        REQUIRE(src.info());
        CHECK(k.info == *src.info());  // equal as values, _MKEXT* keys removed by the reader
        if (k.executable) {
          REQUIRE(src.executable());
          CHECK(*k.executable == thinExecutable(src.executable()->path, macho::Arch{s.cputype, s.cpusubtype}));
        } else {
          CHECK_FALSE(src.declaresExecutable());
        }
        ++compared;
      }
    }
  }
  CHECK(compared >= 8);
}

TEST_CASE("corpus: every kext survives pack -> unpack in mkext2 and mkext1, every arch", "[corpus]") {
  KK_REQUIRE_CORPUS(corpus);
  std::vector<std::string> repos = testkit::kextRepositories(corpus + "/kexts");
  repos.push_back(corpus + "/10.9-subset");
  std::map<std::string, int> counts;
  for (const std::string& repo : repos) {
    auto found = kext::discoverKexts(repo);
    REQUIRE(found);
    for (const kext::KextBundle& b : *found) {
      if (!b.info() || !b.bundleIdentifier()) {
        ++counts["skipped: no usable Info.plist"];
        continue;
      }
      std::vector<macho::Arch> archs;
      if (b.declaresExecutable()) {
        if (!b.executable() || b.executable()->slices.empty()) {
          ++counts["skipped: executable missing or unreadable"];
          continue;
        }
        for (const auto& s : b.executable()->slices) archs.push_back(s.arch);
      } else {
        archs.push_back(macho::Arch{0x01000007, 3});  // codeless: any slice will do
      }
      auto raw = io::readFile(b.infoPlistPath());
      REQUIRE(raw);
      for (const macho::Arch& arch : archs) {
        PackKext k;
        k.info = *b.info();
        k.rawInfoPlist = *raw;
        k.bundlePath = b.path();
        if (b.declaresExecutable()) {
          k.executable = thinExecutable(b.executable()->path, arch);
          k.executableRelativePath = "Contents/MacOS/" + *b.executableName();
        }
        for (MkextVersion v : {MkextVersion::V2, MkextVersion::V1}) {
          INFO(b.path() << " arch " << arch.cputype << " v" << (v == MkextVersion::V1 ? 1 : 2));
          auto bytes = writeMkextSlice(v, arch.cputype, arch.cpusubtype, std::vector<PackKext>{k}, {2});
          if (!bytes) {
            // Only plists holding <real>/<date> (legal in standard plists, not in the IOKit
            // dialect that mkext2 uses) may be refused; count them.
            CHECK(v == MkextVersion::V2);
            CHECK(bytes.error().describe().find("cannot be written in the IOKit XML dialect") != std::string::npos);
            ++counts["mkext2 refused: real/date values"];
            continue;
          }
          auto back = readMkextSlice(io::Bytes(*bytes));
          REQUIRE(back);
          REQUIRE(back->kexts.size() == 1);
          CHECK(back->kexts[0].executable == k.executable);
          if (v == MkextVersion::V2) {
            CHECK(back->kexts[0].info == k.info);
          } else {
            CHECK(back->kexts[0].rawInfoPlist == k.rawInfoPlist);
          }
          ++counts[v == MkextVersion::V2 ? "mkext2 round trips" : "mkext1 round trips"];
        }
      }
    }
  }
  for (const auto& [what, n] : counts) WARN(what << ": " << n);
  CHECK(counts["mkext2 round trips"] > 500);
  CHECK(counts["mkext1 round trips"] > 500);
}
