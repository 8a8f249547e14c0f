// The checked-in sample caches (testdata/kernelcache/*.kc) are exactly what the builder makes
// from testdata/kexts. Run with KEXTKIT_REGEN_SAMPLES=1 to rewrite them after a deliberate
// change to the builder or the sample kexts (then review the CLI tests that list them).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "CacheFixtures.h"
#include "kextkit/kernelcache/Kernelcache.h"

using namespace kextkit;
using namespace kextkit::kernelcache;
using namespace kextkit::testkit;

namespace {

struct Sample {
  const char* name;
  Layout layout;
  Compression compression;
};

/// The samples: a 10.x-style split cache (complzvn), an 11.x-style fileset (complzss, code
/// placed in reverse order, so kextstat -sort has something to do), an
/// iOS 12-style merged arm64 cache with threaded pointers (complzvn), and a 10.6-style 32-bit
/// i386 split cache of the kexts with an i386 slice (complzss).
constexpr Sample kSamples[] = {
    {"sample.kc", Layout::Split, Compression::Lzvn},
    {"sample-fileset.kc", Layout::Fileset, Compression::Lzss},
    {"sample-merged.kc", Layout::Merged, Compression::Lzvn},
    {"sample-i386.kc", Layout::Split, Compression::Lzss},
};

bool isI386(const Sample& s) { return std::string(s.name) == "sample-i386.kc"; }

std::vector<uint8_t> makeSample(const Sample& s) {
  BuildOptions o = buildOptions(s.layout);
  if (isI386(s)) {
    o.arch = {macho::CPU_TYPE_I386, macho::CPU_SUBTYPE_I386_ALL};
    return cacheFile(build(testdataKexts(o.arch), o).image, s.compression);
  }
  o.taggedPointers = s.layout == Layout::Merged;
  o.reversePlacement = s.layout == Layout::Fileset;
  BuiltKernel built = build(testdataKexts(), o);
  return cacheFile(built.image, s.compression);
}

}  // namespace

TEST_CASE("testdata/kernelcache samples are the builder's output for testdata/kexts") {
  const bool regen = std::getenv("KEXTKIT_REGEN_SAMPLES") && std::string(std::getenv("KEXTKIT_REGEN_SAMPLES")) == "1";
  for (const Sample& s : kSamples) {
    DYNAMIC_SECTION(s.name) {
      const std::string path = testdataDir() + "/kernelcache/" + s.name;
      std::vector<uint8_t> want = makeSample(s);
      if (regen) {
        std::filesystem::create_directories(testdataDir() + "/kernelcache");
        writeBytes(path, want);
        WARN("rewrote " << path);
      }
      std::vector<uint8_t> have = readBytes(path);
      CHECK(have.size() < 64 * 1024);
      auto kc = Kernelcache::open(have);
      REQUIRE(kc);
      // The decoded image is the builder's (the compressed bytes may differ when an encoder
      // is improved; regenerate then).
      auto fresh = Kernelcache::open(want);
      REQUIRE(fresh);
      CHECK(std::equal(kc->image().begin(), kc->image().end(), fresh->image().begin(), fresh->image().end()));
      CHECK(kc->layout() == s.layout);
      CHECK(kc->compression() == s.compression);
      CHECK(kc->kexts().size() == (isI386(s) ? 6 : 9));  // i386: Codeless and Legacy (fat) only
    }
  }
}
