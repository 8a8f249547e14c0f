// Bundle discovery and the bundle model on small generated trees: layouts, plugins, order,
// symlinks, every per-bundle issue with its exact message, and the arch-suffixed key lookup.
#include <catch2/catch.hpp>

#include <plist/plist.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "../macho/MachOBuilder.h"
#include "TestPaths.h"
#include "kextkit/kext/KextBundle.h"
#include "kextkit/kext/KextDiscovery.h"
#include "kextkit/support/Format.h"

using namespace kextkit;
using namespace kextkit::kext;
using kextkit::testkit::TempDir;
using kextkit::testkit::TestMachO;
namespace fs = std::filesystem;

namespace {

std::string infoPlist(const std::string& id, const std::string& version, const std::string& exe = {},
                      const std::string& extra = {}) {
  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
      "<plist version=\"1.0\">\n<dict>\n"
      "\t<key>CFBundleIdentifier</key>\n\t<string>" + id + "</string>\n"
      "\t<key>CFBundleVersion</key>\n\t<string>" + version + "</string>\n"
      "\t<key>CFBundlePackageType</key>\n\t<string>KEXT</string>\n";
  if (!exe.empty()) s += "\t<key>CFBundleExecutable</key>\n\t<string>" + exe + "</string>\n";
  s += extra + "</dict>\n</plist>\n";
  return s;
}

std::vector<uint8_t> kextBinary(uint8_t uuidTag = 1, int32_t cputype = macho::CPU_TYPE_X86_64,
                                int32_t cpusubtype = 3) {
  TestMachO m;
  m.cputype = cputype;
  m.cpusubtype = cpusubtype;
  m.is64 = (cputype & macho::CPU_ARCH_ABI64) != 0;
  m.filetype = m.is64 ? macho::MH_KEXT_BUNDLE : macho::MH_OBJECT;
  std::vector<uint8_t> uuid(16, 0xab);
  uuid[15] = uuidTag;
  m.commands = {m.segment("__TEXT", 1), TestMachO::uuid(uuid)};
  return m.build();
}

// Writes a Contents-layout bundle; returns its path.
std::string makeKext(const std::string& dir, const std::string& name, const std::string& plist,
                     const std::string& exe = {}, const std::vector<uint8_t>& binary = {}) {
  std::string k = dir + "/" + name;
  fs::create_directories(k + "/Contents/MacOS");
  testkit::writeText(k + "/Contents/Info.plist", plist);
  if (!exe.empty()) testkit::writeBytes(k + "/Contents/MacOS/" + exe, binary);
  return k;
}

// Writes a flat bundle (Info.plist and executable at the root).
std::string makeFlatKext(const std::string& dir, const std::string& name, const std::string& plist,
                         const std::string& exe = {}, const std::vector<uint8_t>& binary = {}) {
  std::string k = dir + "/" + name;
  fs::create_directories(k);
  testkit::writeText(k + "/Info.plist", plist);
  if (!exe.empty()) testkit::writeBytes(k + "/" + exe, binary);
  return k;
}

std::vector<std::string> names(const std::vector<KextBundle>& v) {
  std::vector<std::string> out;
  for (const auto& b : v) out.push_back(b.name());
  return out;
}

}  // namespace

TEST_CASE("a Contents bundle with plugins: model, order, parents, executable headers") {
  TempDir t;
  std::string k = makeKext(t.path(), "Foo.kext", infoPlist("com.example.foo", "1.2.3", "Foo"), "Foo", kextBinary(7));
  makeKext(k + "/Contents/PlugIns", "Zed.kext", infoPlist("com.example.zed", "1.0"));
  makeFlatKext(k + "/Contents/PlugIns", "Alpha.kext", infoPlist("com.example.alpha", "2.0", "Alpha"), "Alpha",
               kextBinary(8));
  fs::create_directories(k + "/Contents/PlugIns/NotAKext.bundle");
  fs::create_directories(k + "/Contents/PlugIns/Alpha.kext/Contents/PlugIns/Deep.kext");  // plugin of a plugin

  auto found = discoverKexts(k);
  REQUIRE(found);
  REQUIRE(names(*found) == std::vector<std::string>{"Foo.kext", "Alpha.kext", "Zed.kext"});
  const KextBundle& foo = (*found)[0];
  CHECK(foo.path() == k);
  CHECK_FALSE(foo.isPlugin());
  CHECK(foo.layout() == BundleLayout::Contents);
  CHECK(foo.infoPlistPath() == k + "/Contents/Info.plist");
  CHECK(foo.plistFlavor() == plist::PlistFlavor::IOKitXml);
  CHECK(foo.issues().empty());
  REQUIRE(foo.bundleIdentifier());
  CHECK(*foo.bundleIdentifier() == "com.example.foo");
  CHECK(*foo.bundleVersion() == "1.2.3");
  CHECK(*foo.executableName() == "Foo");
  CHECK(foo.declaresExecutable());
  REQUIRE(foo.executable());
  const ExecutableInfo& exe = *foo.executable();
  CHECK(exe.path == k + "/Contents/MacOS/Foo");
  CHECK(exe.exists);
  CHECK_FALSE(exe.fat);
  REQUIRE(exe.slices.size() == 1);
  CHECK(exe.slices[0].parsed);
  CHECK(macho::archName(exe.slices[0].arch) == std::optional<std::string_view>("x86_64"));
  CHECK(exe.slices[0].filetype == macho::MH_KEXT_BUNDLE);
  CHECK(exe.slices[0].is64);
  REQUIRE(exe.slices[0].uuid);
  CHECK(macho::formatUuid(*exe.slices[0].uuid) == "ABABABAB-ABAB-ABAB-ABAB-ABABABABAB07");

  const KextBundle& alpha = (*found)[1];
  CHECK(alpha.isPlugin());
  CHECK(alpha.parentIndex() == std::optional<size_t>(0));
  CHECK(alpha.parentPath() == k);
  CHECK(alpha.layout() == BundleLayout::Flat);
  CHECK(alpha.infoPlistPath() == k + "/Contents/PlugIns/Alpha.kext/Info.plist");
  REQUIRE(alpha.executable());
  CHECK(alpha.executable()->path == k + "/Contents/PlugIns/Alpha.kext/Alpha");
  CHECK(alpha.executable()->slices.at(0).uuid.value()[15] == 8);

  const KextBundle& zed = (*found)[2];
  CHECK(zed.parentIndex() == std::optional<size_t>(0));
  CHECK_FALSE(zed.declaresExecutable());  // codeless
  CHECK_FALSE(zed.executable());
  CHECK(zed.issues().empty());

  // A trailing slash names the same kext.
  auto again = discoverKexts(k + "/");
  REQUIRE(again);
  CHECK(again->size() == 3);
  CHECK((*again)[0].path() == k);
}

TEST_CASE("a repository directory: immediate *.kext children only, sorted, each with its plugins") {
  TempDir t;
  makeKext(t.path(), "b.kext", infoPlist("com.example.b", "1"));
  makeKext(t.path(), "A.kext", infoPlist("com.example.a", "1"));
  std::string c = makeKext(t.path(), "C.kext", infoPlist("com.example.c", "1"));
  makeKext(c + "/Contents/PlugIns", "P2.kext", infoPlist("com.example.p2", "1"));
  makeKext(c + "/Contents/PlugIns", "P1.kext", infoPlist("com.example.p1", "1"));
  makeKext(t.path(), "Old.kext.bak", infoPlist("com.example.bak", "1"));
  makeKext(t.path() + "/sub", "Nested.kext", infoPlist("com.example.nested", "1"));
  testkit::writeText(t / "File.kext", "not a directory");
  testkit::writeText(t / "README.txt", "hello");

  auto found = discoverKexts(t.path());
  REQUIRE(found);
  CHECK(names(*found) == std::vector<std::string>{"A.kext", "C.kext", "P1.kext", "P2.kext", "b.kext"});
  CHECK((*found)[2].parentIndex() == std::optional<size_t>(1));
  CHECK((*found)[3].parentIndex() == std::optional<size_t>(1));
  CHECK_FALSE((*found)[4].isPlugin());
  CHECK((*found)[0].path() == t / "A.kext");

  // An empty repository is not an error.
  fs::create_directories(t / "empty");
  auto none = discoverKexts(t / "empty");
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("flat bundles and the lowercase Plugins spelling") {
  TempDir t;
  std::string sys = makeFlatKext(t.path(), "System.kext", infoPlist("com.apple.kernel", "13.0.0"));
  makeFlatKext(sys + "/PlugIns", "Mach.kext", infoPlist("com.apple.kpi.mach", "13.0.0", "Mach"), "Mach",
               kextBinary(1, macho::CPU_TYPE_I386, 3));
  makeFlatKext(sys + "/PlugIns", "BSDKernel.kext", infoPlist("com.apple.kpi.bsd", "13.0.0"));
  std::string ps2 = makeKext(t.path(), "PS2.kext", infoPlist("com.example.ps2", "1.0"));
  makeKext(ps2 + "/Contents/Plugins", "Keyboard.kext", infoPlist("com.example.kbd", "1.0"));

  auto found = discoverKexts(t.path());
  REQUIRE(found);
  REQUIRE(names(*found) == std::vector<std::string>{"PS2.kext", "Keyboard.kext", "System.kext", "BSDKernel.kext",
                                                     "Mach.kext"});
  CHECK((*found)[1].parentIndex() == std::optional<size_t>(0));
  const KextBundle& system = (*found)[2];
  CHECK(system.layout() == BundleLayout::Flat);
  CHECK(system.infoPlistPath() == sys + "/Info.plist");
  const KextBundle& mach = (*found)[4];
  CHECK(mach.layout() == BundleLayout::Flat);
  CHECK(mach.parentIndex() == std::optional<size_t>(2));
  REQUIRE(mach.executable());
  CHECK(mach.executable()->path == sys + "/PlugIns/Mach.kext/Mach");
  REQUIRE(mach.executable()->slices.size() == 1);
  CHECK(mach.executable()->slices[0].filetype == macho::MH_OBJECT);
  CHECK_FALSE(mach.executable()->slices[0].is64);
}

TEST_CASE("a bundle with both layouts prefers Contents/Info.plist") {
  TempDir t;
  std::string k = makeKext(t.path(), "Both.kext", infoPlist("com.example.contents", "1.0", "Both"), "Both", kextBinary());
  testkit::writeText(k + "/Info.plist", infoPlist("com.example.flat", "2.0"));
  auto found = discoverKexts(k);
  REQUIRE(found);
  REQUIRE(found->size() == 1);
  CHECK((*found)[0].layout() == BundleLayout::Contents);
  CHECK((*found)[0].hasBothLayouts());
  CHECK(*(*found)[0].bundleIdentifier() == "com.example.contents");
}

TEST_CASE("fat executables list every arch with its filetype and UUID") {
  TempDir t;
  auto x86 = kextBinary(1);
  auto i386 = kextBinary(2, macho::CPU_TYPE_I386, 3);
  auto arm64e = kextBinary(3, macho::CPU_TYPE_ARM64, static_cast<int32_t>(0x80000002));
  auto fat = testkit::buildFat({{macho::CPU_TYPE_X86_64, 3, x86, {}, {}, 0},
                                {macho::CPU_TYPE_I386, 3, i386, {}, {}, 0},
                                {macho::CPU_TYPE_ARM64, static_cast<int32_t>(0x80000002), arm64e, {}, {}, 0}});
  std::string k = makeKext(t.path(), "Fat.kext", infoPlist("com.example.fat", "1.0", "Fat"), "Fat", fat);
  auto found = discoverKexts(k);
  REQUIRE(found);
  const auto& b = (*found)[0];
  CHECK(b.issues().empty());
  REQUIRE(b.executable());
  CHECK(b.executable()->fat);
  CHECK(b.executable()->fileSize == fat.size());
  REQUIRE(b.executable()->slices.size() == 3);
  const char* archs[] = {"x86_64", "i386", "arm64e"};
  const uint32_t types[] = {macho::MH_KEXT_BUNDLE, macho::MH_OBJECT, macho::MH_KEXT_BUNDLE};
  for (size_t i = 0; i < 3; ++i) {
    const auto& s = b.executable()->slices[i];
    CHECK(s.parsed);
    CHECK(macho::archName(s.arch) == std::optional<std::string_view>(archs[i]));
    CHECK(s.filetype == types[i]);
    REQUIRE(s.uuid);
    CHECK((*s.uuid)[15] == i + 1);
  }
  CHECK(b.executable()->slices[0].offset == 8 + 3 * 20);
}

TEST_CASE("symlinks are followed and a plugin cycle cannot loop") {
  TempDir t;
  std::string a = makeKext(t.path(), "A.kext", infoPlist("com.example.a", "1.0"));
  fs::create_directories(a + "/Contents/PlugIns");
  fs::create_directory_symlink("../..", a + "/Contents/PlugIns/Loop.kext");  // points back at A.kext
  fs::create_directory_symlink("A.kext", t / "Link.kext");
  fs::create_directory_symlink("Missing.kext", t / "Dangling.kext");
  auto found = discoverKexts(t.path());
  REQUIRE(found);
  CHECK(names(*found) == std::vector<std::string>{"A.kext", "Loop.kext", "Link.kext", "Loop.kext"});
  CHECK(*(*found)[1].bundleIdentifier() == "com.example.a");
  CHECK((*found)[1].parentIndex() == std::optional<size_t>(0));
  CHECK((*found)[2].path() == t / "Link.kext");
  CHECK((*found)[3].parentIndex() == std::optional<size_t>(2));
}

TEST_CASE("per-bundle issues carry exact messages and never stop the scan") {
  TempDir t;
  const std::string r = t.path();
  struct Row {
    std::string name;
    BundleIssueKind kind;
    std::string message;  // Error::describe()
  };
  std::vector<Row> rows;

  fs::create_directories(r + "/NoPlist.kext/Contents/MacOS");
  rows.push_back({"NoPlist.kext", BundleIssueKind::InfoPlistMissing,
                  r + "/NoPlist.kext: no Info.plist: neither Contents/Info.plist nor Info.plist exists"});

  makeKext(r, "Array.kext", "<plist version=\"1.0\"><array><string>x</string></array></plist>\n");
  rows.push_back({"Array.kext", BundleIssueKind::InfoPlistNotDict,
                  r + "/Array.kext/Contents/Info.plist: the top-level value is array, expected dict"});

  makeKext(r, "IntExe.kext", infoPlist("com.example.intexe", "1.0", {}, "\t<key>CFBundleExecutable</key><integer>3</integer>\n"));
  rows.push_back({"IntExe.kext", BundleIssueKind::ExecutableNameInvalid,
                  r + "/IntExe.kext/Contents/Info.plist: CFBundleExecutable: is integer, expected string"});

  makeKext(r, "Escape.kext", infoPlist("com.example.escape", "1.0", "../../../etc/passwd"));
  rows.push_back({"Escape.kext", BundleIssueKind::ExecutableNameInvalid,
                  r + "/Escape.kext/Contents/Info.plist: CFBundleExecutable: \"../../../etc/passwd\" is not a plain "
                      "file name"});

  makeKext(r, "EmptyName.kext", infoPlist("com.example.emptyname", "1.0", {}, "\t<key>CFBundleExecutable</key><string></string>\n"));
  rows.push_back({"EmptyName.kext", BundleIssueKind::ExecutableNameInvalid,
                  r + "/EmptyName.kext/Contents/Info.plist: CFBundleExecutable: \"\" is not a plain file name"});

  makeKext(r, "Absent.kext", infoPlist("com.example.absent", "1.0", "Absent"));
  rows.push_back({"Absent.kext", BundleIssueKind::ExecutableMissing,
                  r + "/Absent.kext/Contents/MacOS/Absent: does not exist (named by CFBundleExecutable)"});

  makeKext(r, "DirExe.kext", infoPlist("com.example.direxe", "1.0", "DirExe"));
  fs::create_directories(r + "/DirExe.kext/Contents/MacOS/DirExe");
  rows.push_back({"DirExe.kext", BundleIssueKind::ExecutableUnreadable,
                  r + "/DirExe.kext/Contents/MacOS/DirExe: is a directory, expected a file"});

  makeKext(r, "Script.kext", infoPlist("com.example.script", "1.0", "Script"), "Script",
           std::vector<uint8_t>{'#', '!', '/', 'b', 'i', 'n', '/', 's', 'h', '\n'});
  rows.push_back({"Script.kext", BundleIssueKind::ExecutableNotMachO,
                  r + "/Script.kext/Contents/MacOS/Script: at offset 0x0: is not a Mach-O file: expected a fat or "
                      "Mach-O magic, but the file starts with 0x23212f62"});

  makeKext(r, "Empty.kext", infoPlist("com.example.empty", "1.0", "Empty"), "Empty", std::vector<uint8_t>{});
  rows.push_back({"Empty.kext", BundleIssueKind::ExecutableNotMachO,
                  r + "/Empty.kext/Contents/MacOS/Empty: at offset 0x0: is not a Mach-O file: expected a fat or "
                      "Mach-O magic, but the file is 0 bytes long"});

  {
    TestMachO m;
    testkit::TestCommand bad = TestMachO::uuid(std::vector<uint8_t>(16, 1));
    bad.cmdsize = 0;
    m.commands = {bad};
    makeKext(r, "BadThin.kext", infoPlist("com.example.badthin", "1.0", "BadThin"), "BadThin", m.build());
    rows.push_back({"BadThin.kext", BundleIssueKind::ExecutableMalformed,
                    r + "/BadThin.kext/Contents/MacOS/BadThin: at offset 0x20: load command 0 (LC_UUID): cmdsize 0x0 "
                        "is smaller than a load_command (0x8)"});

    auto fat = testkit::buildFat({{macho::CPU_TYPE_X86_64, 3, kextBinary(), {}, {}, 0},
                                  {macho::CPU_TYPE_I386, 3, m.build(), {}, {}, 0}});
    const size_t i386Offset = 8 + 2 * 20 + kextBinary().size();
    makeKext(r, "BadSlice.kext", infoPlist("com.example.badslice", "1.0", "BadSlice"), "BadSlice", fat);
    rows.push_back({"BadSlice.kext", BundleIssueKind::ExecutableMalformed,
                    r + "/BadSlice.kext/Contents/MacOS/BadSlice: at offset " + kextkit::hex(i386Offset + 0x20) +
                        ": i386 slice: load command 0 (LC_UUID): cmdsize 0x0 is smaller than a load_command (0x8)"});

    auto liar = testkit::buildFat({{macho::CPU_TYPE_I386, 3, kextBinary(), {}, {}, 0}});
    makeKext(r, "Liar.kext", infoPlist("com.example.liar", "1.0", "Liar"), "Liar", liar);
    rows.push_back({"Liar.kext", BundleIssueKind::ExecutableMalformed,
                    r + "/Liar.kext/Contents/MacOS/Liar: at offset 0x1c: fat_arch[0]: the fat table says i386 but the "
                        "slice's header says x86_64"});

    auto dup = testkit::buildFat({{macho::CPU_TYPE_X86_64, 3, kextBinary(), {}, {}, 0},
                                  {macho::CPU_TYPE_X86_64, 3, kextBinary(), {}, {}, 0}});
    makeKext(r, "DupFat.kext", infoPlist("com.example.dupfat", "1.0", "DupFat"), "DupFat", dup);
    rows.push_back({"DupFat.kext", BundleIssueKind::ExecutableMalformed,
                    r + "/DupFat.kext/Contents/MacOS/DupFat: at offset 0x1c: fat_arch[1] (x86_64): same architecture "
                        "as fat_arch[0]"});
  }
  makeKext(r, "Good.kext", infoPlist("com.example.good", "1.0", "Good"), "Good", kextBinary());

  auto found = discoverKexts(r);
  REQUIRE(found);
  REQUIRE(found->size() == rows.size() + 1);  // every bundle listed, the good one included
  for (const auto& row : rows) {
    INFO(row.name);
    const KextBundle* b = nullptr;
    for (const auto& k : *found)
      if (k.name() == row.name) b = &k;
    REQUIRE(b);
    REQUIRE(b->issues().size() == 1);
    CHECK(b->issues()[0].kind == row.kind);
    CHECK(b->hasIssue(row.kind));
    CHECK(b->issues()[0].error.describe() == row.message);
  }
  for (const auto& k : *found)
    if (k.name() == "Good.kext") {
      CHECK(k.issues().empty());
      CHECK(k.executable()->slices.at(0).parsed);
    }
  // The partly valid fat file still lists both archs; only the good one is parsed.
  for (const auto& k : *found)
    if (k.name() == "BadSlice.kext") {
      REQUIRE(k.executable()->slices.size() == 2);
      CHECK(k.executable()->slices[0].parsed);
      CHECK_FALSE(k.executable()->slices[1].parsed);
    }
  CHECK(bundleIssueKindName(BundleIssueKind::ExecutableMissing) == "executable-missing");
  CHECK(bundleLayoutName(BundleLayout::Flat) == "flat");
}

TEST_CASE("Info.plist that no reader accepts is an issue naming the plist") {
  TempDir t;
  std::string k = makeKext(t.path(), "Broken.kext", "<plist><dict><key>CFBundleIdentifier</key><string>x</dict>\n");
  auto found = discoverKexts(k);
  REQUIRE(found);
  const auto& b = (*found)[0];
  REQUIRE(b.issues().size() == 1);
  CHECK(b.issues()[0].kind == BundleIssueKind::InfoPlistInvalid);
  CHECK(b.issues()[0].error.file == k + "/Contents/Info.plist");
  CHECK(b.info() == nullptr);
  CHECK_FALSE(b.plistFlavor());
  CHECK(b.bundleIdentifier() == nullptr);
}

TEST_CASE("plist flavors: IOKit dialect, standard-only XML, binary") {
  TempDir t;
  // <real> is standard XML but not in the IOKit dialect.
  makeKext(t.path(), "Std.kext", infoPlist("com.example.std", "1.0", {}, "\t<key>Ratio</key><real>1.5</real>\n"));
  // A binary plist written by libplist.
  plist_t dict = plist_new_dict();
  plist_dict_set_item(dict, "CFBundleIdentifier", plist_new_string("com.example.bin"));
  plist_dict_set_item(dict, "CFBundleVersion", plist_new_string("3.0"));
  char* bin = nullptr;
  uint32_t binLen = 0;
  plist_to_bin(dict, &bin, &binLen);
  plist_free(dict);
  REQUIRE(bin);
  fs::create_directories(t / "Bin.kext/Contents");
  testkit::writeBytes(t / "Bin.kext/Contents/Info.plist", std::vector<uint8_t>(bin, bin + binLen));
  std::free(bin);  // libplist 2.2 allocates with malloc
  makeKext(t.path(), "Io.kext", infoPlist("com.example.io", "1.0"));

  auto found = discoverKexts(t.path());
  REQUIRE(found);
  REQUIRE(names(*found) == std::vector<std::string>{"Bin.kext", "Io.kext", "Std.kext"});
  CHECK((*found)[0].plistFlavor() == plist::PlistFlavor::Binary);
  CHECK(*(*found)[0].bundleIdentifier() == "com.example.bin");
  CHECK((*found)[1].plistFlavor() == plist::PlistFlavor::IOKitXml);
  CHECK((*found)[2].plistFlavor() == plist::PlistFlavor::StandardXml);
  CHECK(*(*found)[2].bundleVersion() == "1.0");
}

TEST_CASE("discovery errors for the named path itself") {
  TempDir t;
  testkit::writeText(t / "file.txt", "x");
  testkit::writeText(t / "File.kext", "x");
  struct Row {
    std::string path;
    ErrorCode code;
    std::string message;
  };
  const Row rows[] = {
      {t / "missing", ErrorCode::NotFound, t / "missing" + ": no such file or directory"},
      {t / "file.txt", ErrorCode::InvalidArgument, t / "file.txt" + ": is not a directory"},
      {t / "File.kext", ErrorCode::InvalidArgument, t / "File.kext" + ": is not a directory (a kext bundle is a directory)"},
  };
  for (const auto& row : rows) {
    auto r = discoverKexts(row.path);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == row.code);
    CHECK(r.error().describe() == row.message);
  }
}

TEST_CASE("arch-suffixed Info.plist keys: OS*/IO* keys try Key_<generic arch> first") {
  TempDir t;
  std::string extra =
      "\t<key>OSBundleLibraries</key><dict><key>com.apple.kpi.libkern</key><string>8.0</string></dict>\n"
      "\t<key>OSBundleLibraries_x86_64</key><dict><key>com.apple.kpi.iokit</key><string>9.0</string></dict>\n"
      "\t<key>IOKitPersonalities_i386</key><dict/>\n"
      "\t<key>CFBundleName</key><string>plain</string>\n"
      "\t<key>CFBundleName_x86_64</key><string>suffixed</string>\n"
      "\t<key>OSBundleRequired_arm64</key><string>Root</string>\n";
  std::string k = makeKext(t.path(), "Arch.kext", infoPlist("com.example.arch", "1.0", {}, extra));
  auto found = discoverKexts(k);
  REQUIRE(found);
  const KextBundle& b = (*found)[0];
  REQUIRE(b.info());
  auto libsFor = [&](macho::cpu_type_t type) -> std::string {
    const plist::Value* v = b.infoValue("OSBundleLibraries", type);
    if (!v || !v->asDict() || v->asDict()->empty()) return "<none>";
    return v->asDict()->begin()->first;
  };
  CHECK(libsFor(macho::CPU_TYPE_X86_64) == "com.apple.kpi.iokit");
  CHECK(libsFor(macho::CPU_TYPE_I386) == "com.apple.kpi.libkern");
  CHECK(libsFor(macho::CPU_TYPE_ARM64) == "com.apple.kpi.libkern");
  CHECK(libsFor(0x77) == "com.apple.kpi.libkern");  // unknown cputype: plain key
  CHECK(b.infoValue("IOKitPersonalities", macho::CPU_TYPE_I386) != nullptr);
  CHECK(b.infoValue("IOKitPersonalities", macho::CPU_TYPE_X86_64) == nullptr);
  // Only OS and IO keys have arch variants.
  CHECK(*b.infoValue("CFBundleName", macho::CPU_TYPE_X86_64)->asString() == "plain");
  CHECK(*b.infoValue("OSBundleRequired", macho::CPU_TYPE_ARM64)->asString() == "Root");
  CHECK(b.infoValue("OSBundleRequired", macho::CPU_TYPE_X86_64) == nullptr);
  CHECK(lookupArchKey(*b.info()->asDict(), "OSBundleLibraries", macho::CPU_TYPE_X86_64) ==
        b.infoValue("OSBundleLibraries", macho::CPU_TYPE_X86_64));
}

TEST_CASE("readExecutable=false records the path and existence but reads no headers") {
  TempDir t;
  std::string k = makeKext(t.path(), "Lazy.kext", infoPlist("com.example.lazy", "1.0", "Lazy"), "Lazy",
                           std::vector<uint8_t>{'n', 'o', 't', ' ', 'm', 'a', 'c', 'h', 'o'});
  BundleLoadOptions opts;
  opts.readExecutable = false;
  auto found = discoverKexts(k, opts);
  REQUIRE(found);
  const auto& b = (*found)[0];
  CHECK(b.issues().empty());
  REQUIRE(b.executable());
  CHECK(b.executable()->exists);
  CHECK(b.executable()->slices.empty());
}

TEST_CASE("size limits make Info.plist and executables unreadable, with the limit named") {
  TempDir t;
  std::string plistText = infoPlist("com.example.big", "1.0", "Big");
  auto binary = kextBinary();
  std::string k = makeKext(t.path(), "Big.kext", plistText, "Big", binary);
  BundleLoadOptions small;
  small.maxInfoPlistSize = 100;
  auto a = discoverKexts(k, small);
  REQUIRE(a);
  REQUIRE((*a)[0].issues().size() == 1);
  CHECK((*a)[0].issues()[0].kind == BundleIssueKind::InfoPlistUnreadable);
  CHECK((*a)[0].issues()[0].error.describe() == k + "/Contents/Info.plist: file is " +
                                                    std::to_string(plistText.size()) +
                                                    " bytes, more than the limit of 100");
  BundleLoadOptions smallExe;
  smallExe.maxExecutableSize = 64;
  auto b = discoverKexts(k, smallExe);
  REQUIRE(b);
  REQUIRE((*b)[0].issues().size() == 1);
  CHECK((*b)[0].issues()[0].kind == BundleIssueKind::ExecutableUnreadable);
  CHECK((*b)[0].issues()[0].error.describe() == k + "/Contents/MacOS/Big: file is " + std::to_string(binary.size()) +
                                                    " bytes, more than the limit of 64");
}

TEST_CASE("kext names") {
  CHECK(isKextName("Foo.kext"));
  CHECK(isKextName("a.kext"));
  CHECK_FALSE(isKextName(".kext"));
  CHECK_FALSE(isKextName("Foo.kext.bak"));
  CHECK_FALSE(isKextName("Foo.KEXT"));
  CHECK_FALSE(isKextName("Fookext"));
  CHECK_FALSE(isKextName(""));
}
