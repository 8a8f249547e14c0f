// IOCFSerialize writer: exact output, ID/IDREF emission, refusals, and write->parse round trips
// over hand-written fixtures and the real Info.plists of the corpus.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "TestPaths.h"
#include "kextkit/plist/IOKitXml.h"

using namespace kextkit;
using namespace kextkit::plist;
namespace fs = std::filesystem;

namespace {

Value dict(std::vector<std::pair<std::string, Value>> entries) {
  Dict d;
  for (auto& [k, v] : entries) d.set(k, std::move(v));
  return Value(std::move(d));
}

std::string withNul(std::string s) { return s + '\0'; }

}  // namespace

TEST_CASE("IOCFSerialize: exact compact output with a trailing NUL") {
  Value v = dict({{"CFBundleIdentifier", "com.example.a<b>&c"},
                  {"Score", Value::integer(1000, 32)},
                  {"Neg", Value::integer(0xffffffffffffffffull, 64)},
                  {"Small", Value::integer(0xab, 8)},
                  {"On", true},
                  {"Off", false},
                  {"Blob", Value(Data{0, 1, 2, 3, 4})},
                  {"Empty", Value(Array{})},
                  {"NoKeys", Value(Dict{})},
                  {"List", Value(Array{Value("x"), Value(Data{})})},
                  {"a&b", ""}});
  auto w = writeIOCFSerialize(v);
  REQUIRE(w);
  CHECK(*w == withNul("<dict><key>CFBundleIdentifier</key><string>com.example.a&lt;b&gt;&amp;c</string>"
                      "<key>Score</key><integer size=\"32\">0x3e8</integer>"
                      "<key>Neg</key><integer size=\"64\">0xffffffffffffffff</integer>"
                      "<key>Small</key><integer size=\"8\">0xab</integer>"
                      "<key>On</key><true/><key>Off</key><false/>"
                      "<key>Blob</key><data>AAECAwQ=</data>"
                      "<key>Empty</key><array></array><key>NoKeys</key><dict></dict>"
                      "<key>List</key><array><string>x</string><data></data></array>"
                      "<key>a&amp;b</key><string></string></dict>"));
  WriteOptions noNul;
  noNul.trailingNul = false;
  CHECK(*writeIOCFSerialize(Value(true), noNul) == "<true/>");
}

TEST_CASE("IOCFSerialize: IDs for repeated values, never for keys or booleans") {
  Value shared = dict({{"IOClass", "X"}});
  Value v = dict({{"a", "SATA"},
                  {"b", "SATA"},
                  {"SATA", true},
                  {"c", true},
                  {"d", Value::integer(5, 32)},
                  {"e", Value::integer(5, 64)},  // other width: another object
                  {"f", Value::integer(5, 32)},
                  {"p1", shared},
                  {"p2", shared}});
  WriteOptions o;
  o.emitIds = true;
  auto w = writeIOCFSerialize(v, o);
  REQUIRE(w);
  // "X" inside the repeated dict is counted twice by the pre-scan, so it gets an ID that is
  // never referenced, as in Apple's DoIdrefScan.
  CHECK(*w == withNul("<dict><key>a</key><string ID=\"0\">SATA</string><key>b</key><string IDREF=\"0\"/>"
                      "<key>SATA</key><true/><key>c</key><true/>"
                      "<key>d</key><integer ID=\"1\" size=\"32\">0x5</integer>"
                      "<key>e</key><integer size=\"64\">0x5</integer>"
                      "<key>f</key><integer IDREF=\"1\"/>"
                      "<key>p1</key><dict ID=\"2\"><key>IOClass</key><string ID=\"3\">X</string></dict>"
                      "<key>p2</key><dict IDREF=\"2\"/></dict>"));
  auto back = parseIOKitXml(*w);
  REQUIRE(back);
  CHECK(*back == v);
  CHECK(back->get("f")->asInteger()->width == 32);
}

TEST_CASE("IOCFSerialize: values the dialect cannot carry are refused") {
  struct Case {
    const char* name;
    Value value;
    ErrorCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"real", dict({{"V", Value(Value::Real{1.5})}}), ErrorCode::Unsupported,
       "V: a real value cannot be written in the IOKit XML dialect (it has no <real> or <date>)"},
      {"date", Value(Array{Value(Value::Date{0})}), ErrorCode::Unsupported,
       "[0]: a date value cannot be written in the IOKit XML dialect (it has no <real> or <date>)"},
      {"width 12", Value::integer(1, 12), ErrorCode::InvalidArgument, "integer width 12 is not 8, 16, 32 or 64"},
      {"bits wider than the width", dict({{"n", Value::integer(0x100, 8)}}), ErrorCode::InvalidArgument,
       "n: integer bits 0x100 do not fit its width 8"},
      {"NUL in a string", Value(std::string("a\0b", 3)), ErrorCode::InvalidArgument,
       "string contains a NUL byte, which ends IOKit XML text"},
      {"NUL in a key", dict({{std::string("k\0", 2), true}}), ErrorCode::InvalidArgument,
       std::string("k\0", 2) + ": key contains a NUL byte, which ends IOKit XML text"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      auto w = writeIOCFSerialize(c.value);
      REQUIRE_FALSE(w);
      CHECK(w.error().code == c.code);
      CHECK(w.error().describe() == c.message);
    }
  }
  SECTION("too deep") {
    Value v(Array{});
    for (int i = 0; i < 10; ++i) v = Value(Array{v});
    WriteOptions o;
    o.maxDepth = 10;
    auto w = writeIOCFSerialize(v, o);
    REQUIRE_FALSE(w);
    CHECK(w.error().code == ErrorCode::LimitExceeded);
    CHECK(w.error().describe() == "[0][0][0][0][0][0][0][0][0][0]: containers nested deeper than 10 levels");
  }
}

namespace {

// parse -> write (with and without IDs) -> parse gives the same value, and writing that again
// gives the same bytes.
void checkRoundTrip(const std::string& text, const std::string& what) {
  INFO(what);
  auto v = parseIOKitXml(text);
  if (!v) FAIL(v.error().describe());
  for (bool ids : {false, true}) {
    WriteOptions o;
    o.emitIds = ids;
    auto w = writeIOCFSerialize(*v, o);
    REQUIRE(w);
    REQUIRE(w->back() == '\0');
    auto back = parseIOKitXml(*w);
    if (!back) FAIL(back.error().describe());
    CHECK(*back == *v);
    auto again = writeIOCFSerialize(*back, o);
    REQUIRE(again);
    CHECK(*again == *w);
  }
}

}  // namespace

TEST_CASE("IOCFSerialize: round trips of hand-written fixtures with IDREFs") {
  // Shaped like the plist of a real mkext2 (IOCFSerialize output, IDs on repeated values).
  const std::string mkextLike = std::string(
      "<dict><key>_MKEXTInfoDictionaries</key><array><dict><key>CFBundleIdentifier</key>"
      "<string ID=\"0\">com.example.driver</string><key>IOKitPersonalities</key><dict><key>Disk</key><dict>"
      "<key>IOProbeScore</key><integer size=\"64\">0x3e8</integer><key>CFBundleIdentifier</key>"
      "<string IDREF=\"0\"/><key>Physical Interconnect</key><string ID=\"1\">SATA</string>"
      "<key>Protocol Characteristics</key><dict><key>Physical Interconnect</key><string IDREF=\"1\"/></dict>"
      "</dict></dict><key>OSBundleLibraries</key><dict><key>com.apple.kpi.iokit</key><string ID=\"2\">9.0.0</string>"
      "<key>com.apple.kpi.libkern</key><string IDREF=\"2\"/></dict><key>_MKEXTExecutable</key>"
      "<integer size=\"32\">0x20</integer><key>Blob</key><data ID=\"3\">3q2+7w==</data><key>Blob2</key>"
      "<data IDREF=\"3\"/></dict></array></dict>") + '\0';
  checkRoundTrip(mkextLike, "mkext-like");
  auto v = parseIOKitXml(mkextLike);
  REQUIRE(v);
  const Value& kext = (*v->get("_MKEXTInfoDictionaries")->asArray())[0];
  CHECK(*kext.get("IOKitPersonalities")->get("Disk")->get("CFBundleIdentifier")->asString() == "com.example.driver");
  CHECK(*kext.get("OSBundleLibraries")->get("com.apple.kpi.libkern")->asString() == "9.0.0");
  CHECK(*kext.get("Blob2")->asData() == Data{0xde, 0xad, 0xbe, 0xef});

  checkRoundTrip("<array><set><integer size=\"16\">0xffff</integer></set><string>&lt;&amp;&gt;\t\r\n</string>"
                 "<data format=\"hex\">0001feff</data><dict/><array/><true/><false/></array>",
                 "scalars");
}

TEST_CASE("IOCFSerialize: round trips of the corpus Info.plists") {
  KK_REQUIRE_CORPUS(corpus);
  size_t count = 0;
  for (const auto& e : fs::recursive_directory_iterator(corpus)) {
    if (!e.is_regular_file()) continue;
    std::string name = e.path().filename().string();
    if (name != "Info.plist" && !name.ends_with("Info.plist")) continue;
    auto bytes = testkit::readBytes(e.path().string());
    checkRoundTrip(std::string(bytes.begin(), bytes.end()), e.path().string());
    ++count;
  }
  CHECK(count > 500);
}

TEST_CASE("IOCFSerialize: the 10.9 subset parses in the IOKit dialect with kernel strictness") {
  KK_REQUIRE_CORPUS(corpus);
  IOKitParseOptions kernel;
  kernel.kernelStrict = true;
  size_t count = 0;
  for (const auto& e : fs::recursive_directory_iterator(corpus + "/10.9-subset")) {
    if (!e.is_regular_file() || e.path().filename() != "Info.plist") continue;
    auto bytes = testkit::readBytes(e.path().string());
    auto v = parseIOKitXml(std::string(bytes.begin(), bytes.end()), kernel);
    INFO(e.path().string());
    if (!v) FAIL(v.error().describe());
    CHECK(v->get("CFBundleIdentifier") != nullptr);
    ++count;
  }
  CHECK(count == 105);  // 101 kexts plus 4 CFPlugIn bundles inside them
}
