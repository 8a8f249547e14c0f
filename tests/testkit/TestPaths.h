// Where tests find checked-in test data and the optional shared corpus.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kextkit::testkit {

/// Absolute path of the project's testdata/ folder.
std::string testdataDir();

/// The real-world corpus: $KEXTKIT_CORPUS, else ../shared/corpus beside the source tree.
/// nullopt when absent; tests then skip with a WARN and assert nothing else.
std::optional<std::string> corpusDir();

/// A fresh empty temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

/// Writes bytes to a file (creating it), for building fixtures.
void writeBytes(const std::string& path, const std::vector<uint8_t>& bytes);
void writeText(const std::string& path, const std::string& text);
/// Reads a whole file; throws std::runtime_error if it cannot.
std::vector<uint8_t> readBytes(const std::string& path);

/// Deterministic pseudo-random bytes (xorshift), for round-trip tests.
std::vector<uint8_t> randomBytes(size_t n, uint64_t seed);

}  // namespace kextkit::testkit

/// Skips the rest of the current test case when the corpus is absent.
#define KK_REQUIRE_CORPUS(var)                                             \
  auto var##_opt = ::kextkit::testkit::corpusDir();                        \
  if (!var##_opt) {                                                        \
    WARN("skipped: ../shared/corpus not found (set KEXTKIT_CORPUS)");      \
    return;                                                                \
  }                                                                        \
  const std::string var = *var##_opt
