// Standard plists: libplist-backed XML and binary reading, its guards, the CF-style XML writer,
// parseAnyPlist's flavor detection, and the corpus flavor figures.
#include <catch2/catch.hpp>

#include <plist/plist.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "TestPaths.h"
#include "kextkit/plist/AnyPlist.h"
#include "kextkit/plist/StandardPlist.h"

using namespace kextkit;
using namespace kextkit::plist;
namespace fs = std::filesystem;

namespace {

std::span<const uint8_t> bytesOf(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Value dict(std::vector<std::pair<std::string, Value>> entries) {
  Dict d;
  for (auto& [k, v] : entries) d.set(k, std::move(v));
  return Value(std::move(d));
}

// A binary plist from raw object encodings, 4-byte offsets and object references.
std::string bplist(const std::vector<std::string>& objects, uint64_t top = 0) {
  std::string out = "bplist00";
  std::vector<uint32_t> offsets;
  for (const std::string& o : objects) {
    offsets.push_back(static_cast<uint32_t>(out.size()));
    out += o;
  }
  uint64_t table = out.size();
  auto be = [&](uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  for (uint32_t o : offsets) be(o, 4);
  out += std::string(6, '\0');
  out += '\x04';
  out += '\x04';
  be(objects.size(), 8);
  be(top, 8);
  be(table, 8);
  return out;
}

std::string ref(uint32_t i) {
  std::string s;
  for (int k = 3; k >= 0; --k) s += static_cast<char>((i >> (8 * k)) & 0xff);
  return s;
}

// libplist's own binary writer, to produce fixtures.
std::string toBinary(plist_t p) {
  char* bin = nullptr;
  uint32_t len = 0;
  plist_to_bin(p, &bin, &len);
  std::string out(bin, len);
  plist_to_bin_free(bin);
  plist_free(p);
  return out;
}

}  // namespace

TEST_CASE("standard XML through libplist: every type") {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n"
      "\t<key>s</key><string>a&lt;b &apos;q&apos;</string>\n"
      "\t<key>n</key><integer>-1</integer>\n"
      "\t<key>u</key><integer>18446744073709551615</integer>\n"
      "\t<key>r</key><real>1.5</real>\n"
      "\t<key>d</key><date>2001-01-02T00:00:01Z</date>\n"
      "\t<key>b</key><false/>\n"
      "\t<key>x</key><data>AAEC</data>\n"
      "\t<key>a</key><array><true/><dict/></array>\n"
      "</dict>\n</plist>\n";
  auto v = parseStandardPlist(bytesOf(xml));
  if (!v) FAIL(v.error().describe());
  Value expected = dict({{"s", "a<b 'q'"},
                         {"n", Value::integer(~uint64_t{0})},
                         {"u", Value::integer(~uint64_t{0})},
                         {"r", Value(Value::Real{1.5})},
                         {"d", Value(Value::Date{86401})},
                         {"b", false},
                         {"x", Value(Data{0, 1, 2})},
                         {"a", Value(Array{Value(true), Value(Dict{})})}});
  CHECK(*v == expected);
  CHECK(v->get("n")->asInteger()->width == 64);
}

TEST_CASE("binary plists made by libplist read back") {
  plist_t root = plist_new_dict();
  plist_dict_set_item(root, "CFBundleIdentifier", plist_new_string("com.example.bin"));
  plist_dict_set_item(root, "Count", plist_new_uint(7));
  plist_dict_set_item(root, "Ratio", plist_new_real(0.25));
  plist_dict_set_item(root, "Blob", plist_new_data("\x01\x02", 2));
  plist_t arr = plist_new_array();
  plist_array_append_item(arr, plist_new_bool(1));
  plist_array_append_item(arr, plist_new_string("x"));
  plist_dict_set_item(root, "List", arr);
  std::string bin = toBinary(root);
  REQUIRE(bin.starts_with("bplist00"));
  auto v = parseStandardPlist(bytesOf(bin));
  if (!v) FAIL(v.error().describe());
  CHECK(*v == dict({{"CFBundleIdentifier", "com.example.bin"},
                    {"Count", Value::integer(7)},
                    {"Ratio", Value(Value::Real{0.25})},
                    {"Blob", Value(Data{1, 2})},
                    {"List", Value(Array{Value(true), Value("x")})}}));
  PlistFlavor f{};
  auto any = parseAnyPlist(bytesOf(bin), &f);
  REQUIRE(any);
  CHECK(f == PlistFlavor::Binary);
  CHECK(*any == *v);
}

TEST_CASE("strings holding a NUL byte do not reach libplist's aborting getter (fuzz finding)") {
  // libplist 2.2's plist_get_string_val asserts length == strlen; both readers pass NULs through.
  auto bin = parseStandardPlist(bytesOf(bplist({"\xa1" + ref(1), std::string("\x53" "a\0b", 4)})));
  REQUIRE(bin);
  REQUIRE(bin->asArray()->size() == 1);
  const std::string* s = (*bin->asArray())[0].asString();
  REQUIRE(s);
  CHECK(s->starts_with("a"));  // libplist may or may not keep what follows the NUL
  const std::string xml("<plist><array><string>4\0x</string></array></plist>", 48);
  auto x = parseStandardPlist(bytesOf(xml));
  REQUIRE(x);
  CHECK(x->asArray()->size() == 1);
  CHECK(parseAnyPlist(bytesOf(xml)));
}

TEST_CASE("binary plists: keyed-archiver UIDs are unsupported") {
  plist_t root = plist_new_array();
  plist_array_append_item(root, plist_new_uid(3));
  auto v = parseStandardPlist(bytesOf(toBinary(root)));
  REQUIRE_FALSE(v);
  CHECK(v.error().code == ErrorCode::Unsupported);
  CHECK(v.error().describe() == "keyed-archiver UID values are not supported");
}

TEST_CASE("binary plists: shape checks keep libplist away from bad graphs") {
  // A chain of arrays: libplist 2.2 recurses per level and crashes near 100,000 levels.
  std::vector<std::string> chain;
  for (uint32_t i = 0; i < 600; ++i) chain.push_back("\xa1" + ref(i + 1));
  chain.push_back(std::string("\xa0", 1));
  // Each array references the next one twice: 2^40 values after expansion.
  std::vector<std::string> dag;
  for (uint32_t i = 0; i < 40; ++i) dag.push_back("\xa2" + ref(i + 1) + ref(i + 1));
  dag.push_back(std::string("\x09", 1));  // true
  struct Case {
    const char* name;
    std::string bytes;
    ErrorCode code;
    std::string message;
  };
  std::string shortFile = "bplist00" + std::string(10, '\0');
  std::string badOffsetSize = bplist({std::string("\x09", 1)});
  badOffsetSize[badOffsetSize.size() - 26] = 3;
  std::string badTop = bplist({std::string("\x09", 1)}, 5);
  std::string badTable = bplist({std::string("\x09", 1)});
  badTable[badTable.size() - 1] = '\x40';
  const std::vector<Case> cases = {
      {"too deep", bplist(chain), ErrorCode::LimitExceeded, "object: containers nested deeper than 512 levels"},
      {"exponential sharing", bplist(dag), ErrorCode::LimitExceeded,
       "object: shared references expand to more than 4194304 values"},
      {"cycle", bplist({"\xa1" + ref(1), "\xa1" + ref(0)}), ErrorCode::Malformed,
       "object: object 0 contains itself (reference cycle)"},
      {"reference out of range", bplist({"\xa1" + ref(9)}), ErrorCode::Malformed,
       "object reference: object reference 9 is not below the object count 1"},
      // libplist 2.2 aborts on an assertion when it iterates such a dictionary (fuzz finding).
      {"dictionary key that is not a string", bplist({"\xd1" + ref(1) + ref(2), std::string("\x09", 1), "\x51x"}),
       ErrorCode::Malformed, "at offset 0x11: object marker: dictionary key (object 1) is not a string: marker 0x9"},
      {"dictionary key holding a NUL", bplist({"\xd1" + ref(1) + ref(2), std::string("\x53" "a\0b", 4), "\x09"}),
       ErrorCode::Malformed, "at offset 0x11: object: dictionary key (object 1) holds a NUL character"},
      {"UTF-16 dictionary key holding a NUL",
       bplist({"\xd1" + ref(1) + ref(2), std::string("\x62\x00\x61\x00\x00", 5), "\x09"}), ErrorCode::Malformed,
       "at offset 0x11: object: dictionary key (object 1) holds a NUL character"},
      {"container count marker that is not an integer", bplist({std::string("\xaf\x51", 2)}), ErrorCode::Malformed,
       "at offset 0x9: container count marker: expected an integer marker 0x10-0x13 for the container count, found 0x51"},
      {"container past the offset table", bplist({"\xaf\x11\xff\xff"}), ErrorCode::Malformed,
       "at offset 0x8: object: container of 65535 entries at offset 8 does not fit before the offset table"},
      {"short file", shortFile, ErrorCode::Truncated,
       "at offset 0x0: CFBinaryPlistTrailer: binary plist of 18 bytes is shorter than its magic and 32-byte trailer"},
      {"bad offset size", badOffsetSize, ErrorCode::Malformed,
       "at offset 0x13: CFBinaryPlistTrailer._offsetIntSize: expected 1, 2, 4 or 8, found 3"},
      {"top object out of range", badTop, ErrorCode::Malformed,
       "at offset 0x1d: CFBinaryPlistTrailer._topObject: top object 5 is not below the object count 1"},
      {"offset table out of range", badTable, ErrorCode::Malformed,
       "at offset 0x25: CFBinaryPlistTrailer._offsetTableOffset: offset table of 1 entries of 4 bytes at 64 does not "
       "fit between the header and the trailer"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      auto v = parseStandardPlist(bytesOf(c.bytes));
      REQUIRE_FALSE(v);
      CHECK(v.error().code == c.code);
      CHECK(v.error().describe() == c.message);
    }
  }
  SECTION("string keys, ASCII and UTF-16, are fine") {
    auto v = parseStandardPlist(bytesOf(bplist({"\xd2" + ref(1) + ref(2) + ref(3) + ref(3), "\x51k",
                                                std::string("\x61\x00\x6a", 3), std::string("\x09", 1)})));
    REQUIRE(v);
    const Dict& d = *v->asDict();
    CHECK(d.size() == 2);
    CHECK(d.find("k"));
    CHECK(d.find("j"));
  }
  SECTION("a key object shared by several dictionaries is fine") {
    auto v = parseStandardPlist(bytesOf(bplist({"\xa2" + ref(1) + ref(2), "\xd1" + ref(3) + ref(4),
                                                "\xd1" + ref(3) + ref(4), "\x51k", std::string("\x09", 1)})));
    REQUIRE(v);
    REQUIRE(v->asArray()->size() == 2);
    CHECK((*v->asArray())[1].asDict()->find("k"));
  }
  SECTION("shared references within the limit are fine") {
    std::vector<std::string> small(dag.end() - 11, dag.end());
    for (uint32_t i = 0; i + 1 < small.size(); ++i) small[i] = "\xa2" + ref(i + 1) + ref(i + 1);
    auto v = parseStandardPlist(bytesOf(bplist(small)));
    REQUIRE(v);
    CHECK(v->asArray()->size() == 2);
  }
}

TEST_CASE("standard XML: deep nesting and size are bounded before libplist sees the input") {
  std::string deep = "<plist>";
  for (int i = 0; i < 2000; ++i) deep += "<array>";
  auto v = parseStandardPlist(bytesOf(deep));
  REQUIRE_FALSE(v);
  CHECK(v.error().describe() == "at offset 0xe07: containers nested deeper than 512 levels");
  // Closing tags inside comments, CDATA and attribute values do not lower the count.
  std::string tricky = "<plist>";
  for (int i = 0; i < 600; ++i) tricky += "<array a=\"></array>\"><!-- </array> --><![CDATA[</array>]]>";
  auto t = parseStandardPlist(bytesOf(tricky));
  REQUIRE_FALSE(t);
  CHECK(t.error().code == ErrorCode::LimitExceeded);

  StandardParseOptions small;
  small.maxInputSize = 16;
  auto big = parseStandardPlist(bytesOf("<plist><true/></plist>"), small);
  REQUIRE_FALSE(big);
  CHECK(big.error().describe() == "plist of 22 bytes is larger than the limit of 16 bytes");

  auto bad = parseStandardPlist(bytesOf("<plist><dict><key>a</key></plist>"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().describe() == "libplist rejected the XML property list (it gives no reason)");
}

TEST_CASE("XML writer: Apple's CFPropertyList layout") {
  Value v = dict({{"Zeta", "z<&>"},
                  {"Alpha", Value(Array{Value::integer(~uint64_t{0}), Value::integer(42, 32), Value(true)})},
                  {"Data", Value(Data(60, 0xab))},
                  {"Empty", Value(Array{})},
                  {"Nested", dict({{"D", Value(Data{1, 2, 3, 4})}, {"E", Value(Dict{})}})},
                  {"Real", Value(Value::Real{0.1})},
                  {"When", Value(Value::Date{-1.5})}});
  const std::string expected =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
      "<plist version=\"1.0\">\n"
      "<dict>\n"
      "\t<key>Alpha</key>\n"
      "\t<array>\n"
      "\t\t<integer>-1</integer>\n"
      "\t\t<integer>42</integer>\n"
      "\t\t<true/>\n"
      "\t</array>\n"
      "\t<key>Data</key>\n"
      "\t<data>\n"
      "\tq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6ur\n"  // 68 = 76 - 8 x 1
      "\tq6urq6urq6ur\n"
      "\t</data>\n"
      "\t<key>Empty</key>\n"
      "\t<array/>\n"
      "\t<key>Nested</key>\n"
      "\t<dict>\n"
      "\t\t<key>D</key>\n"
      "\t\t<data>\n"
      "\t\tAQIDBA==\n"
      "\t\t</data>\n"
      "\t\t<key>E</key>\n"
      "\t\t<dict/>\n"
      "\t</dict>\n"
      "\t<key>Real</key>\n"
      "\t<real>0.10000000000000001</real>\n"
      "\t<key>When</key>\n"
      "\t<date>2000-12-31T23:59:58Z</date>\n"
      "\t<key>Zeta</key>\n"
      "\t<string>z&lt;&amp;&gt;</string>\n"
      "</dict>\n"
      "</plist>\n";
  CHECK(writeXmlPlist(v) == expected);
}

TEST_CASE("XML writer: data lines shrink with indentation, options") {
  // At level 1 a line holds 76 - 8 = 68 characters; 51 bytes = 68 characters exactly.
  std::string one = writeXmlPlist(dict({{"d", Value(Data(51, 0))}}));
  CHECK(one.find("\t<data>\n\t" + std::string(68, 'A') + "\n\t</data>\n") != std::string::npos);
  // Indentation is capped at 8 for the line length (12 characters per line).
  Value deep(Data(9, 0));
  for (int i = 0; i < 10; ++i) deep = Value(Array{deep});
  std::string text = writeXmlPlist(deep);
  CHECK(text.find("\n" + std::string(8, '\t') + std::string(12, 'A') + "\n") != std::string::npos);

  XmlWriteOptions o;
  o.sortKeys = false;
  o.signedIntegers = false;
  std::string raw = writeXmlPlist(dict({{"b", Value::integer(~uint64_t{0})}, {"a", true}}), o);
  CHECK(raw.find("<key>b</key>\n\t<integer>18446744073709551615</integer>\n\t<key>a</key>") != std::string::npos);
}

TEST_CASE("XML writer output reads back with libplist and, without reals or dates, in the IOKit dialect") {
  Value v = dict({{"CFBundleIdentifier", "com.example.rt"},
                  {"Numbers", Value(Array{Value::integer(0), Value::integer(~uint64_t{0}), Value::integer(1u << 31)})},
                  {"Blob", Value(Data(200, 0x5a))},
                  {"Flags", dict({{"On", true}, {"Off", false}})},
                  {"Text", "a<b>&c \xc3\xa9"}});
  std::string xml = writeXmlPlist(v);
  auto std = parseStandardPlist(bytesOf(xml));
  if (!std) FAIL(std.error().describe());
  CHECK(*std == v);
  auto iokit = parseIOKitXml(xml);
  if (!iokit) FAIL(iokit.error().describe());
  CHECK(*iokit == v);

  Value withReal = dict({{"r", Value(Value::Real{-2.5})}, {"d", Value(Value::Date{123456789})}});
  auto back = parseStandardPlist(bytesOf(writeXmlPlist(withReal)));
  REQUIRE(back);
  CHECK(*back == withReal);
}

TEST_CASE("parseAnyPlist picks the flavor") {
  struct Case {
    const char* name;
    std::string text;
    bool ok;
    PlistFlavor flavor;
  };
  const std::vector<Case> cases = {
      {"IOKit dialect", "<plist version=\"1.0\">\n<dict><key>a</key><string>b</string></dict>\n</plist>\n", true,
       PlistFlavor::IOKitXml},
      {"CRLF line endings only parse as standard XML",
       "<plist version=\"1.0\">\r\n<dict>\r\n<key>a</key>\r\n<string>b</string>\r\n</dict>\r\n</plist>\r\n", true,
       PlistFlavor::StandardXml},
      {"<real> only parses as standard XML", "<plist><dict><key>a</key><real>1</real></dict></plist>", true,
       PlistFlavor::StandardXml},
      {"&apos; only parses as standard XML", "<plist><string>it&apos;s</string></plist>", true,
       PlistFlavor::StandardXml},
      {"uppercase hex only parses as standard XML (libplist reads it with strtoull)",
       "<plist><integer>0xFF</integer></plist>", true, PlistFlavor::StandardXml},
      {"an unknown tag parses in neither", "<plist><dict><key>a</key><foo/></dict></plist>", false,
       PlistFlavor::IOKitXml},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      PlistFlavor f = PlistFlavor::Binary;
      auto v = parseAnyPlist(bytesOf(c.text), &f);
      CHECK(static_cast<bool>(v) == c.ok);
      if (v) CHECK(f == c.flavor);
    }
  }
  SECTION("when both XML readers fail, the IOKit error explains why") {
    auto v = parseAnyPlist(bytesOf("<plist><dict><key>a</key><foo/></dict></plist>"));
    REQUIRE_FALSE(v);
    CHECK(v.error().describe() == "at offset 0x19: a: unknown tag <foo> near line 1");
  }
  CHECK(plistFlavorName(PlistFlavor::StandardXml) == "standard-xml");
}

TEST_CASE("libplist 2.2 loses IDREFs, which is why the IOKit dialect has its own parser") {
  const std::string text = "<plist><array><integer ID=\"0\" size=\"32\">0x2a</integer><integer IDREF=\"0\"/>"
                           "<string ID=\"1\">s</string><string IDREF=\"1\"/></array></plist>";
  auto ours = parseIOKitXml(text);
  REQUIRE(ours);
  CHECK(*ours == Value(Array{Value::integer(42, 32), Value::integer(42), Value("s"), Value("s")}));
  auto theirs = parseStandardPlist(bytesOf(text));
  REQUIRE(theirs);
  CHECK(*theirs == Value(Array{Value::integer(42), Value::integer(0), Value("s"), Value("")}));
}

TEST_CASE("corpus Info.plists by flavor") {
  KK_REQUIRE_CORPUS(corpus);
  std::map<std::string, size_t> counts;
  for (const auto& e : fs::recursive_directory_iterator(corpus)) {
    if (!e.is_regular_file() || e.path().filename() != "Info.plist") continue;
    auto bytes = testkit::readBytes(e.path().string());
    PlistFlavor f{};
    auto v = parseAnyPlist(bytes, &f);
    std::string key = v ? std::string(plistFlavorName(f)) : "none";
    if (!v) WARN(e.path().string() << ": " << v.error().describe());
    ++counts[key];
  }
  std::string summary;
  for (const auto& [k, n] : counts) summary += k + "=" + std::to_string(n) + " ";
  WARN("corpus Info.plist flavors: " << summary);
  CHECK(counts["iokit-xml"] > 500);
}
