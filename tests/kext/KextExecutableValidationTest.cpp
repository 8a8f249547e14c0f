// Bundle-level validation: Info.plist location and dialect, and the executable checks
// (_kmod_info in a section, missing arch, kmod_info name/version for old-KPI kexts).
#include <catch2/catch.hpp>

#include <filesystem>

#include "KextTestSupport.h"
#include "kextkit/kext/KextValidation.h"

using namespace kextkit;
using namespace kextkit::kext;
using kextkit::testkit::basicInfo;
using kextkit::testkit::dict;
using kextkit::testkit::dumpDiagnostics;
using kextkit::testkit::kextExecutable;
using kextkit::testkit::TempDir;
using kextkit::testkit::writeKext;
using plist::Value;
namespace fs = std::filesystem;

namespace {

Value driverInfo(const std::string& libVersion = "13.0", const std::string& lib = "com.apple.kpi.libkern") {
  auto e = basicInfo("org.test.Driver", "1.2.3");
  e.push_back({"CFBundleExecutable", Value("Driver")});
  e.push_back({"OSBundleLibraries", dict({{lib, Value(libVersion)}})});
  return dict(e);
}

ValidationResult validateAt(const std::string& path, const ValidationOptions& o = {}) {
  return validateKext(KextBundle::load(path), o);
}

}  // namespace

TEST_CASE("executables: _kmod_info in a section makes a kext valid; its absence does not") {
  TempDir t;
  struct Row {
    const char* name;
    testkit::SymbolMachO exe;
    bool valid;
    std::vector<std::string> diagnostics;
  };
  testkit::SymbolMachO noKmod = kextExecutable(true, "org.test.Driver", "1.2.3");
  noKmod.symbols.erase(noKmod.symbols.begin());
  testkit::SymbolMachO undefinedKmod = kextExecutable(true, "org.test.Driver", "1.2.3");
  undefinedKmod.symbols[0] = testkit::symbol("_kmod_info", macho::N_UNDF | macho::N_EXT, 0, 0);
  testkit::SymbolMachO noSymtab = kextExecutable(true, "org.test.Driver", "1.2.3");
  noSymtab.withSymtab = false;
  const std::vector<Row> rows = {
      {"x86_64 kext", kextExecutable(true, "org.test.Driver", "1.2.3"), true, {}},
      {"no _kmod_info", noKmod, false,
       {"Validation Failures: Executable file doesn't contain kernel extension code (no kmod_info symbol or bad "
        "Mach-O layout)."}},
      {"_kmod_info undefined", undefinedKmod, false,
       {"Validation Failures: Executable file doesn't contain kernel extension code (no kmod_info symbol or bad "
        "Mach-O layout)."}},
      {"no symbol table", noSymtab, false,
       {"Validation Failures: Executable file doesn't contain kernel extension code (no kmod_info symbol or bad "
        "Mach-O layout)."}},
  };
  int n = 0;
  for (const Row& row : rows) {
    CAPTURE(row.name);
    std::string k = writeKext(t.path(), "K" + std::to_string(n++), driverInfo(), row.exe.build(), "Driver");
    ValidationResult r = validateAt(k);
    CHECK(r.valid == row.valid);
    CHECK(dumpDiagnostics(r.diagnostics) == row.diagnostics);
    CHECK(r.messages.empty());
  }
}

TEST_CASE("executables: bad Mach-O files are described in the messages") {
  TempDir t;
  testkit::SymbolMachO badSymtab = kextExecutable(true, "org.test.Driver", "1.2.3");
  badSymtab.strsize = 0x10000;
  testkit::SymbolMachO zeroFill = kextExecutable(true, "org.test.Driver", "1.2.3");
  zeroFill.sections[1].flags = macho::S_ZEROFILL;
  struct Row {
    const char* name;
    std::vector<uint8_t> bytes;
    std::string message;
  };
  const std::vector<Row> rows = {
      {"not a Mach-O", {'#', '!', '/', 'b', 'i', 'n', '/', 's', 'h', '\n'},
       "/Driver: at offset 0x0: magic: 0x23212f62 is neither a fat nor a Mach-O magic"},
      {"string table past the end", badSymtab.build(),
       "/Driver: at offset 0x118: LC_SYMTAB.stroff: string table [0x208, 0x10208) extends past the end of the "
       "Mach-O (0x214)"},
      {"kmod_info in a zero-fill section", zeroFill.build(),
       "/Driver: at offset 0xb8: section __DATA,__data: is zero-fill: it has no bytes in the file"},
  };
  int n = 0;
  for (const Row& row : rows) {
    CAPTURE(row.name);
    std::string k = writeKext(t.path(), "B" + std::to_string(n++), driverInfo(), row.bytes, "Driver");
    ValidationResult r = validateAt(k);
    CHECK_FALSE(r.valid);
    CHECK(dumpDiagnostics(r.diagnostics) ==
          std::vector<std::string>{"Validation Failures: Executable file doesn't contain kernel extension code (no "
                                   "kmod_info symbol or bad Mach-O layout)."});
    REQUIRE(r.messages.size() == 1);
    CHECK(r.messages[0] == k + "/Contents/MacOS" + row.message);
  }
}

TEST_CASE("executables: a missing arch is a warning, a missing file a failure") {
  TempDir t;
  std::string i386Only = writeKext(t.path(), "I386", driverInfo(), kextExecutable(false, "org.test.Driver", "1.2.3").build(), "Driver");
  ValidationResult r = validateAt(i386Only);
  CHECK(r.valid);
  CHECK(dumpDiagnostics(r.diagnostics) ==
        std::vector<std::string>{"Warnings: Executable does not contain code for architecture: x86_64"});
  ValidationOptions i386;
  i386.arch = macho::Arch{macho::CPU_TYPE_I386, macho::CPU_SUBTYPE_I386_ALL};
  ValidationResult r32 = validateAt(i386Only, i386);
  CHECK(r32.valid);
  CHECK(r32.diagnostics.empty());

  std::string missing = writeKext(t.path(), "Missing", driverInfo());
  ValidationResult m = validateAt(missing);
  CHECK_FALSE(m.valid);
  CHECK(dumpDiagnostics(m.diagnostics) ==
        std::vector<std::string>{"Validation Failures: Kext has a CFBundleExecutable property but the executable "
                                 "can't be found: Driver"});

  // Codeless and interface kexts are not checked.
  auto e = basicInfo("org.test.Iface", "1.0");
  e.push_back({"CFBundleExecutable", Value("Iface")});
  e.push_back({"OSBundleIsInterface", Value(true)});
  e.push_back({"OSBundleLibraries", dict({{"org.test.Driver", Value("1.0")}})});
  std::string iface = writeKext(t.path(), "Iface", dict(e));
  CHECK(validateAt(iface).valid);
}

TEST_CASE("old-KPI kexts: kmod_info name and version must match the plist (warnings)") {
  TempDir t;
  struct Row {
    const char* name;
    bool is64;
    std::string kmodName, kmodVersion;
    std::string libVersion;
    std::vector<std::string> diagnostics;
  };
  const std::string idWarning =
      "Warnings: Kexts with a kernel library < v6.0 must set MODULE_NAME the same as CFBundleIdentifier to load on "
      "kernel < v6.0.";
  const std::string versionWarning =
      "Warnings: Kexts with a kernel library < v6.0 must set MODULE_VERSION the same as CFBundleVersion to load on "
      "kernel < v6.0.";
  const std::vector<Row> rows = {
      {"64-bit, matching", true, "org.test.Driver", "1.2.3", "5.0", {}},
      {"64-bit, other name", true, "org.test.Other", "1.2.3", "5.0", {idWarning}},
      {"64-bit, other version", true, "org.test.Driver", "1.2.4", "5.0", {versionWarning}},
      {"64-bit, unparsable version", true, "org.test.Driver", "x", "5.0", {versionWarning}},
      {"32-bit, both differ", false, "a", "9", "5.0", {idWarning, versionWarning}},
      {"new KPI: not compared", true, "a", "9", "6.0", {}},
  };
  int n = 0;
  for (const Row& row : rows) {
    CAPTURE(row.name);
    std::string k = writeKext(t.path(), "O" + std::to_string(n++), driverInfo(row.libVersion, "com.apple.kernel.libkern"),
                              kextExecutable(row.is64, row.kmodName, row.kmodVersion).build(), "Driver");
    ValidationOptions o;
    if (!row.is64) o.arch = macho::Arch{macho::CPU_TYPE_I386, macho::CPU_SUBTYPE_I386_ALL};
    ValidationResult r = validateAt(k, o);
    CHECK(r.valid);
    CHECK(dumpDiagnostics(r.diagnostics) == row.diagnostics);
  }
}

TEST_CASE("bundles Apple's tools cannot open: no Info.plist, other plist dialects") {
  TempDir t;
  fs::create_directories(t / "NoPlist.kext/Contents/MacOS");
  ValidationResult none = validateAt(t / "NoPlist.kext");
  CHECK_FALSE(none.hasInfoDictionary);
  CHECK_FALSE(none.valid);
  CHECK(dumpDiagnostics(none.diagnostics) ==
        std::vector<std::string>{"Validation Failures: Failed to open CFBundle (unknown error)."});
  CHECK(none.messages == std::vector<std::string>{t / "NoPlist.kext" + " has no Info.plist file."});

  // Standard XML with a <real>: libplist reads it, IOCFUnserialize does not.
  fs::create_directories(t / "Real.kext/Contents");
  testkit::writeText(t / "Real.kext/Contents/Info.plist",
                     "<plist version=\"1.0\">\n<dict>\n\t<key>CFBundleIdentifier</key>\n\t<string>x</string>\n"
                     "\t<key>R</key>\n\t<real>1.5</real>\n</dict>\n</plist>\n");
  ValidationResult real = validateAt(t / "Real.kext");
  CHECK_FALSE(real.valid);
  REQUIRE(real.messages.size() == 1);
  CHECK(real.messages[0].rfind("Can't read info dictionary for " + t / "Real.kext" + ": ", 0) == 0);
  REQUIRE(dumpDiagnostics(real.diagnostics).size() == 1);
  CHECK(dumpDiagnostics(real.diagnostics)[0].rfind("Validation Failures: Can't parse info dictionary XML: ", 0) == 0);

  // Garbage.
  fs::create_directories(t / "Junk.kext/Contents");
  testkit::writeText(t / "Junk.kext/Contents/Info.plist", "not a plist");
  ValidationResult junk = validateAt(t / "Junk.kext");
  CHECK_FALSE(junk.hasInfoDictionary);
  REQUIRE(junk.messages.size() == 1);
  CHECK(junk.messages[0].rfind("Can't read info dictionary for " + t / "Junk.kext" + ": ", 0) == 0);
}

TEST_CASE("the sample kexts validate as Apple would") {
  const std::string d = testkit::testdataDir() + "/kexts";
  ValidationResult sample = validateAt(d + "/Sample.kext");
  CHECK(sample.valid);
  CHECK(sample.diagnostics.empty());
  ValidationOptions i386;
  i386.arch = macho::Arch{macho::CPU_TYPE_I386, macho::CPU_SUBTYPE_I386_ALL};
  ValidationResult legacy = validateAt(d + "/Legacy.kext", i386);
  CHECK(legacy.valid);
  CHECK(legacy.diagnostics.empty());
  ValidationResult missing = validateAt(d + "/broken/MissingExec.kext");
  CHECK_FALSE(missing.valid);
  CHECK(dumpDiagnostics(missing.diagnostics) ==
        std::vector<std::string>{"Validation Failures: Kext has a CFBundleExecutable property but the executable "
                                 "can't be found: MissingExec"});
}
