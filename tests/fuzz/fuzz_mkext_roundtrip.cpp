// Property: any set of kexts (built from the fuzz input: executables, identifiers, versions,
// bundle paths; strings are printable text) packed by writeMkextSlice in either format reads back identical: same
// executables, same info dictionaries (mkext2) or raw plist bytes (mkext1), same paths; the
// one refusal allowed is mkext1 with an empty executable.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kextkit/mkext/MkextArchive.h"
#include "kextkit/mkext/MkextWriter.h"

using namespace kextkit;

namespace {
/// Up to n input bytes as bytes (for executables).
std::string take(const uint8_t*& p, const uint8_t* end, size_t n) {
  size_t k = std::min<size_t>(n, static_cast<size_t>(end - p));
  std::string s(reinterpret_cast<const char*>(p), k);
  p += k;
  return s;
}

/// Up to n input bytes mapped to printable ASCII, including the XML-special < > &: plist
/// strings in kexts are text (control characters cannot be written in the IOKit dialect).
std::string text(const uint8_t*& p, const uint8_t* end, size_t n) {
  std::string s = take(p, end, n);
  for (char& c : s) c = static_cast<char>(0x20 + static_cast<unsigned char>(c) % 0x5f);
  return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  const bool v1 = *p++ & 1;
  const unsigned count = *p++ % 5;
  std::vector<mkext::PackKext> kexts;
  for (unsigned i = 0; i < count; ++i) {
    mkext::PackKext k;
    plist::Dict d;
    d.set("CFBundleIdentifier", plist::Value("id." + text(p, end, 6)));
    d.set("CFBundleVersion", plist::Value(text(p, end, 3)));
    if (p < end) d.set("N", plist::Value::integer(*p++, 8));
    k.info = plist::Value(std::move(d));
    k.bundlePath = text(p, end, 8);
    k.rawInfoPlist = "<dict><key>X</key><string>" + std::to_string(i) + "</string></dict>";
    if (p < end && (*p++ & 1)) {
      size_t n = p < end ? *p++ * 8u : 0;
      std::string exe = take(p, end, n);
      k.executable = std::vector<uint8_t>(exe.begin(), exe.end());
      k.executableRelativePath = "Contents/MacOS/x";
    }
    kexts.push_back(std::move(k));
  }
  auto bytes = mkext::writeMkextSlice(v1 ? mkext::MkextVersion::V1 : mkext::MkextVersion::V2, 7, 3, kexts, {1});
  // Only an empty executable in mkext1 is unwritable (a 0-byte module means "none").
  bool emptyExecutable = false;
  for (const auto& k : kexts) emptyExecutable |= k.executable && k.executable->empty();
  if (!bytes) {
    if (v1 && emptyExecutable && bytes.error().code == ErrorCode::InvalidArgument) return 0;
    __builtin_trap();
  }
  auto back = mkext::readMkextSlice(io::Bytes(*bytes));
  if (!back || back->kexts.size() != kexts.size()) __builtin_trap();
  for (size_t i = 0; i < kexts.size(); ++i) {
    const auto& a = kexts[i];
    const auto& b = back->kexts[i];
    if (a.executable != b.executable) __builtin_trap();
    if (v1) {
      if (b.rawInfoPlist != a.rawInfoPlist) __builtin_trap();
    } else if (!(b.info == a.info) || b.bundlePath != a.bundlePath) {
      __builtin_trap();
    }
  }
  return 0;
}
