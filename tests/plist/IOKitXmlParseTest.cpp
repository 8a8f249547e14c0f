// IOKit XML dialect parser: accepted forms, Apple's quirks, every diagnostic, the options.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "kextkit/plist/IOKitXml.h"

using namespace kextkit;
using namespace kextkit::plist;

namespace {

Value dict(std::vector<std::pair<std::string, Value>> entries) {
  Dict d;
  for (auto& [k, v] : entries) d.set(k, std::move(v));
  return Value(std::move(d));
}

Value array(std::vector<Value> items) { return Value(Array(std::move(items))); }
Value data(std::vector<uint8_t> bytes) { return Value(Data(std::move(bytes))); }

}  // namespace

TEST_CASE("IOKit XML: accepted documents give the expected values") {
  struct Case {
    const char* name;
    std::string text;
    Value expected;
  };
  const std::vector<Case> cases = {
      {"standard Info.plist wrapper",
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
       "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
       "<plist version=\"1.0\">\n<dict>\n\t<key>CFBundleIdentifier</key>\n\t<string>com.example.x</string>\n"
       "\t<key>OSBundleRequired</key>\n\t<string>Root</string>\n</dict>\n</plist>\n",
       dict({{"CFBundleIdentifier", "com.example.x"}, {"OSBundleRequired", "Root"}})},
      {"comments anywhere between tags", "<!-- a > b --><array><!-- x --><true/><!----></array>", array({true})},
      {"decimal, negative, hex, empty integer",
       "<array><integer>42</integer><integer>-1</integer><integer>0x1f</integer><integer/><integer></integer>"
       "<integer>-</integer><integer>0x</integer></array>",
       array({Value::integer(42), Value::integer(~uint64_t{0}), Value::integer(0x1f), Value::integer(0),
              Value::integer(0), Value::integer(0), Value::integer(0)})},
      {"size attribute sets the width and masks like OSNumber",
       "<array><integer size=\"32\">0xffffffff</integer><integer size=\"8\">0x1ff</integer>"
       "<integer size=\"0x10\">-1</integer></array>",
       array({Value::integer(0xffffffff, 32), Value::integer(0xff, 8), Value::integer(0xffff, 16)})},
      {"digits beyond 64 bits wrap as in getNumber", "<integer>18446744073709551617</integer>", Value::integer(1)},
      {"strings: entities, empty forms, raw bytes kept",
       "<array><string>a&lt;b&gt;c&amp;d</string><string/><string></string><string>tab\there\r\n</string>"
       "<string>caf\xc3\xa9</string></array>",
       array({"a<b>c&d", "", "", "tab\there\r\n", "caf\xc3\xa9"})},
      {"booleans", "<array><true/><false/></array>", array({true, false})},
      {"base64 data with whitespace and padding",
       "<array><data>AAEC\n  Aw==</data><data>QUI=</data><data></data><data/></array>",
       array({data({0, 1, 2, 3}), data({'A', 'B'}), data({}), data({})})},
      {"base64 junk is skipped and an incomplete group dropped, as Apple does",
       "<data>QU*JD!QQ</data>", data({'A', 'B', 'C'})},
      {"hex data (XNU format=\"hex\")", "<data format=\"hex\">00ff 10\n7f</data>", data({0x00, 0xff, 0x10, 0x7f})},
      {"set reads as an array", "<set><string>a</string><set/></set>", array({"a", array({})})},
      {"ID and IDREF copy earlier values",
       "<dict><key>a</key><string ID=\"0\">x</string><key>b</key><string IDREF=\"0\"/>"
       "<key>c</key><array ID=\"1\"><integer ID=\"2\" size=\"16\">7</integer></array>"
       "<key>d</key><array IDREF=\"1\"/><key>e</key><integer IDREF=\"2\"/></dict>",
       dict({{"a", "x"},
             {"b", "x"},
             {"c", array({Value::integer(7, 16)})},
             {"d", array({Value::integer(7, 16)})},
             {"e", Value::integer(7, 16)}})},
      {"IDs are parsed like strtol base 0 (0x10 = 16, 010 = 8, junk = 0)",
       "<array><string ID=\"0x10\">h</string><string ID=\"010\">o</string><string ID=\"zz\">z</string>"
       "<string IDREF=\"16\"/><string IDREF=\"8\"/><string IDREF=\"0\"/></array>",
       array({"h", "o", "z", "h", "o", "z"})},
      {"an IDREF's tag name is ignored", "<array><string ID=\"3\">s</string><dict IDREF=\"3\"/></array>",
       array({"s", "s"})},
      {"a key with an ID can be referenced as a string",
       "<array><dict><key ID=\"4\">k</key><true/></dict><string IDREF=\"4\"/></array>",
       array({dict({{"k", true}}), "k"})},
      {"a later ID replaces an earlier one",
       "<array><string ID=\"1\">old</string><string ID=\"1\">new</string><string IDREF=\"1\"/></array>",
       array({"old", "new", "new"})},
      {"duplicate keys: the last one wins", "<dict><key>a</key><string>1</string><key>a</key><string>2</string></dict>",
       dict({{"a", "2"}})},
      {"trailing NUL of IOCFSerialize output", std::string("<array><true/></array>\0", 22), array({true})},
      {"text after a NUL does not exist", std::string("<true/>\0garbage<<<", 18), Value(true)},
      {"content after the root value is ignored", "<string>a</string> junk <<<", "a"},
      {"attributes without spaces between them, other attributes ignored",
       "<string a=\"1\"b=\"x\" ID=\"0\">v</string>", "v"},
      {"</name/> is an empty tag", "<array></dict/></array>", array({dict({})})},
      {"content after an end tag of a scalar lexes as that scalar (Apple quirk)",
       "<array></string>x</string></integer>5</integer></array>", array({"x", Value::integer(5)})},
      {"<plist> tags are skipped wherever a tag may stand",
       "<plist><dict><plist/><key>a</key></plist><true/></dict></plist>", dict({{"a", true}})},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      auto r = parseIOKitXml(c.text);
      if (!r) FAIL(r.error().describe());
      CHECK(*r == c.expected);
    }
  }
}

TEST_CASE("IOKit XML: integer widths are kept") {
  auto r = parseIOKitXml("<array><integer size=\"8\">1</integer><integer>2</integer></array>");
  REQUIRE(r);
  const Array& a = *r->asArray();
  CHECK(a[0].asInteger()->width == 8);
  CHECK(a[1].asInteger()->width == 64);
}

TEST_CASE("IOKit XML: 31 attributes pass, 32 fail") {
  std::string attrs;
  for (int i = 0; i < 31; ++i) attrs += " a" + std::to_string(i) + "=\"v\"";
  CHECK(parseIOKitXml("<string" + attrs + ">x</string>"));
  auto r = parseIOKitXml("<string" + attrs + " z=\"v\">x</string>");
  REQUIRE_FALSE(r);
  CHECK(r.error().describe() == "at offset 0x0: more than 31 attributes in <string> near line 1");
}

TEST_CASE("IOKit XML: every diagnostic has its exact message") {
  struct Case {
    const char* name;
    std::string text;
    std::string message;
    ErrorCode code = ErrorCode::Malformed;
  };
  const std::vector<Case> cases = {
      {"empty input", "", "at offset 0x0: expected a value, found end of text near line 1"},
      {"only whitespace and a prolog", "<?xml version=\"1.0\"?>\n  \n", "at offset 0x19: expected a value, found end of text near line 3"},
      {"forward IDREF", "<array><string IDREF=\"1\"/><string ID=\"1\">x</string></array>",
       "at offset 0x7: [0]: forward reference: IDREF=\"1\" names no earlier ID near line 1"},
      {"IDREF to its own enclosing container", "<array ID=\"0\"><array IDREF=\"0\"/></array>",
       "at offset 0xe: [0]: forward reference: IDREF=\"0\" names no earlier ID near line 1"},
      {"IDREF to a boolean (booleans are never remembered)", "<array><true ID=\"0\"/><true IDREF=\"0\"/></array>",
       "at offset 0x15: [1]: forward reference: IDREF=\"0\" names no earlier ID near line 1"},
      {"negative ID is never remembered", "<array><string ID=\"-1\">a</string><string IDREF=\"-1\"/></array>",
       "at offset 0x21: [1]: forward reference: IDREF=\"-1\" names no earlier ID near line 1"},
      {"IDREF on a non-empty tag", "<array><string IDREF=\"0\">x</string></array>",
       "at offset 0x7: [0]: IDREF on a non-empty tag <string IDREF=\"0\">: a reference must be an empty tag like "
       "<string IDREF=\"0\"/> near line 1"},
      {"unknown ID-like attribute", "<string IDX=\"0\">x</string>",
       "at offset 0x0: unknown attribute IDX in <string>: only ID and IDREF may start with \"ID\" near line 1"},
      {"unknown entity &quot;", "<dict><key>k</key><string>say &quot;hi&quot;</string></dict>",
       "at offset 0x1e: k: unknown entity \"&quot;\" in <string>: only &lt; &gt; &amp; are allowed near line 1"},
      {"numeric character reference", "<string>&#65;</string>",
       "at offset 0x8: unknown entity \"&#65;\" in <string>: only &lt; &gt; &amp; are allowed near line 1"},
      {"bare ampersand in a key", "<dict><key>a & b</key><true/></dict>",
       "at offset 0xd: unknown entity \"& b\" in <key>: only &lt; &gt; &amp; are allowed near line 1"},
      {"uppercase hex", "<dict><key>IOProbeScore</key><integer>0x1F</integer></dict>",
       "at offset 0x29: IOProbeScore: uppercase hex digit 'F' in <integer>: only lowercase a-f are accepted after 0x "
       "near line 1"},
      {"uppercase 0X prefix", "<integer>0X10</integer>",
       "at offset 0xa: malformed <integer>: expected decimal digits with an optional '-', or 0x and lowercase hex "
       "digits, found 'X' near line 1"},
      {"non-numeric integer", "<integer>12abc</integer>",
       "at offset 0xb: malformed <integer>: expected decimal digits with an optional '-', or 0x and lowercase hex "
       "digits, found 'a' near line 1"},
      {"space inside an integer", "<integer> 5</integer>",
       "at offset 0x9: malformed <integer>: expected decimal digits with an optional '-', or 0x and lowercase hex "
       "digits, found ' ' near line 1"},
      {"negative hex", "<integer>-0x5</integer>",
       "at offset 0xb: malformed <integer>: expected decimal digits with an optional '-', or 0x and lowercase hex "
       "digits, found 'x' near line 1"},
      {"size attribute invalid", "<integer size=\"12\">1</integer>",
       "at offset 0x0: <integer> size=\"12\" is not 8, 16, 32 or 64 near line 1"},
      {"size attribute not a number", "<integer size=\"big\">1</integer>",
       "at offset 0x0: <integer> size=\"big\" is not 8, 16, 32 or 64 near line 1"},
      {"<real>", "<dict><key>Version</key><real>1.5</real></dict>",
       "at offset 0x18: Version: unknown tag <real>: the IOKit dialect has no <real> near line 1"},
      {"<date>", "<array>\n<date>2001-01-01T00:00:00Z</date></array>",
       "at offset 0x8: [0]: unknown tag <date>: the IOKit dialect has no <date> near line 2"},
      {"unknown tag", "<dict><key>a</key><foo/></dict>", "at offset 0x12: a: unknown tag <foo> near line 1"},
      {"CR line endings", "<dict>\r\n<key>a</key><true/></dict>",
       "at offset 0x6: expected '<', found '\\r' (CR line endings are not allowed in the IOKit dialect) near line 1"},
      {"CR inside a tag", "<string\r>x</string>",
       "at offset 0x7: expected attribute name=\"value\" in <string>, found '\\r' (no space is allowed before '>' or "
       "'/>') near line 1"},
      {"stray text between tags", "<array>x<true/></array>", "at offset 0x7: [0]: expected '<', found 'x' near line 1"},
      {"UTF-8 byte order mark", "\xef\xbb\xbf<dict/>", "at offset 0x0: expected '<', found byte 0xef near line 1"},
      {"unclosed dict", "<dict><key>a</key><string>b</string>",
       "at offset 0x24: expected <key> or </dict>, found end of text near line 1"},
      {"unclosed array", "<array>\n<true/>\n", "at offset 0x10: expected a value or </array>, found end of text near line 3"},
      {"unclosed string", "<string>abc", "at offset 0x0: unterminated <string>: end of text before </string> near line 1"},
      {"unclosed tag", "<dict", "at offset 0x0: unterminated tag <dict: end of text before '>' near line 1"},
      {"unclosed attribute value", "<string ID=\"1", "at offset 0x8: unterminated value of attribute ID in <string> near line 1"},
      {"mismatched close tag after a string", "<string>abc</key>",
       "at offset 0xb: expected </string>, found </key> near line 1"},
      {"mismatched container close", "<dict><key>a</key><array><true/></dict></array>",
       "at offset 0x20: a: expected a value or </array>, found </dict> near line 1"},
      {"stray close tag as the root", "</dict>", "at offset 0x0: expected a value, found </dict> near line 1"},
      {"<true></true>", "<array><true></true></array>",
       "at offset 0x7: [0]: <true> must be the empty tag <true/> near line 1"},
      {"<false></false>", "<false></false>", "at offset 0x0: <false> must be the empty tag <false/> near line 1"},
      {"space before />", "<true />",
       "at offset 0x6: expected attribute name=\"value\" in <true>, found '/' (no space is allowed before '>' or "
       "'/>') near line 1"},
      {"space before >", "<dict ></dict>",
       "at offset 0x6: expected attribute name=\"value\" in <dict>, found '>' (no space is allowed before '>' or "
       "'/>') near line 1"},
      {"attribute without =", "<string ID>x</string>",
       "at offset 0xa: expected '=' after attribute ID in <string>, found '>' near line 1"},
      {"attribute value without quotes", "<string ID=1>x</string>",
       "at offset 0xb: expected '\"' to open the value of attribute ID in <string>, found '1' near line 1"},
      {"tag name of 31 characters", "<a234567890123456789012345678901/>",
       "at offset 0x0: tag name longer than 30 characters near line 1"},
      {"attribute name of 31 characters", "<string a234567890123456789012345678901=\"1\">x</string>",
       "at offset 0x8: attribute name longer than 30 characters in <string> near line 1"},
      {"attribute value of 31 characters", "<string ID=\"1234567890123456789012345678901\">x</string>",
       "at offset 0x8: value of attribute ID in <string> longer than 30 characters near line 1"},
      {"tag name of 30 characters passes the length check, then fails by name",
       "<array><a23456789012345678901234567890/></array>",
       "at offset 0x7: [0]: unknown tag <a23456789012345678901234567890> near line 1"},
      {"no tag name", "<1/>", "at offset 0x1: expected a tag name after '<', found '1' near line 1"},
      {"no end tag name", "<array></ array>", "at offset 0x9: [0]: expected a tag name after '</', found ' ' near line 1"},
      {"key without value", "<dict><key>a</key></dict>",
       "at offset 0x12: a: key \"a\" has no value: expected a value, found </dict> near line 1"},
      {"key followed by a key", "<dict><key>a</key><key>b</key><true/></dict>",
       "at offset 0x12: a: key \"a\" has no value: expected a value, found <key> near line 1"},
      {"value without key in dict", "<dict><string>x</string></dict>",
       "at offset 0x6: expected <key> or </dict>, found <string> near line 1"},
      {"IDREF as a key", "<dict><key ID=\"0\">a</key><true/><key IDREF=\"0\"/><true/></dict>",
       "at offset 0x20: expected <key> or </dict>, found <key IDREF=\"0\"/> near line 1"},
      {"key outside a dict", "<array><key>a</key></array>",
       "at offset 0x7: expected a value or </array>, found <key> near line 1"},
      {"empty key tag", "<dict><key/><true/></dict>",
       "at offset 0x6: <key/> has no content: a key must be written <key>name</key> near line 1"},
      {"bad base64: byte 0x80 ends Apple's decoder", "<data>AA\x80" "A</data>",
       "at offset 0x8: byte 0x80 in <data>: Apple's decoder reads it as the end of the text near line 1"},
      {"unterminated data", "<data>AAAA", "at offset 0x0: unterminated <data>: end of text before </data> near line 1"},
      {"bad hex data digit", "<data format=\"hex\">0G</data>",
       "at offset 0x14: malformed <data format=\"hex\">: expected lowercase hex digit pairs, found 'G' near line 1"},
      {"uppercase hex data", "<data format=\"hex\">AB</data>",
       "at offset 0x13: malformed <data format=\"hex\">: expected lowercase hex digit pairs, found 'A' near line 1"},
      {"odd hex digit count", "<data format=\"hex\">abc</data>",
       "at offset 0x16: malformed <data format=\"hex\">: expected lowercase hex digit pairs, found '<' near line 1"},
      {"comment between string content and its end tag", "<string>a<!-- c --></string>",
       "at offset 0x9: expected </string>, found a comment or declaration near line 1"},
      {"unterminated comment", "<array><!-- never closed", "at offset 0x7: [0]: unterminated comment near line 1"},
      {"double dash inside a comment", "<!-- a -- b --><true/>",
       "at offset 0x9: expected '>' after '--' in a comment, found ' ' near line 1"},
      {"bad declaration", "<!1><true/>", "at offset 0x2: expected '--' or a letter after '<!', found '1' near line 1"},
      {"unterminated processing instruction", "<?xml version=\"1.0\"",
       "at offset 0x0: unterminated <?...?> processing instruction near line 1"},
      {"error line counts newlines in strings and comments",
       "<dict>\n<key>a</key>\n<string>x\ny</string>\n<!--\n\n-->\n<key>b</key>\n<real>1</real></dict>",
       "at offset 0x40: b: unknown tag <real>: the IOKit dialect has no <real> near line 9"},
      {"path names keys and indices", "<dict><key>P</key><dict><key>L</key><array><true/><integer>x</integer>"
       "</array></dict></dict>",
       "at offset 0x3b: P.L[1]: malformed <integer>: expected decimal digits with an optional '-', or 0x and lowercase "
       "hex digits, found 'x' near line 1"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      auto r = parseIOKitXml(c.text);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == c.code);
      CHECK(r.error().describe() == c.message);
      REQUIRE(r.error().offset.has_value());
    }
  }
}

TEST_CASE("IOKit XML: nesting depth is limited") {
  IOKitParseOptions o;
  o.maxDepth = 4;
  CHECK(parseIOKitXml("<array><array><array><array/></array></array></array>", o));
  auto deep = parseIOKitXml("<array><array><array><array><dict/></array></array></array></array>", o);
  REQUIRE_FALSE(deep);
  CHECK(deep.error().code == ErrorCode::LimitExceeded);
  CHECK(deep.error().describe() == "at offset 0x1c: [0][0][0][0]: containers nested deeper than 4 levels near line 1");

  // Depth reached through IDREF copies counts too.
  auto viaRef = parseIOKitXml("<array><array ID=\"0\"><array><array/></array></array><array><array><array IDREF=\"0\"/>"
                              "</array></array></array>",
                              o);
  REQUIRE_FALSE(viaRef);
  CHECK(viaRef.error().describe() ==
        "at offset 0x42: [1][0][0]: IDREF=\"0\" nests containers deeper than 4 levels near line 1");

  // The default limit stops a document far deeper than any real plist without exhausting the stack.
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "<array>";
  auto huge = parseIOKitXml(text);
  REQUIRE_FALSE(huge);
  CHECK(huge.error().code == ErrorCode::LimitExceeded);
  CHECK(huge.error().message == "containers nested deeper than 512 levels near line 1");
}

TEST_CASE("IOKit XML: IDREF expansion is bounded") {
  // Each level references the previous one twice: 2^40 copies of the leaf string.
  std::string text = "<array><string ID=\"0\">xxxxxxxxxxxxxxxx</string>";
  for (int i = 1; i <= 40; ++i)
    text += "<array ID=\"" + std::to_string(i) + "\"><array IDREF=\"" + std::to_string(i - 1) + "\"/><array IDREF=\"" +
            std::to_string(i - 1) + "\"/></array>";
  text += "</array>";
  IOKitParseOptions o;
  o.maxMaterializedBytes = 1 << 20;
  auto r = parseIOKitXml(text, o);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::LimitExceeded);
  CHECK(r.error().message == "values would take more than 1048576 bytes (IDREF copies included) near line 1");
}

TEST_CASE("IOKit XML: kernel strictness") {
  IOKitParseOptions kernel;
  kernel.kernelStrict = true;
  const std::string dup = "<dict><key>a</key><true/><key>a</key><false/></dict>";
  CHECK(parseIOKitXml(dup));  // IOCFUnserialize: last one wins
  auto r = parseIOKitXml(dup, kernel);
  REQUIRE_FALSE(r);
  CHECK(r.error().describe() == "at offset 0x19: duplicate dictionary key \"a\" near line 1");

  std::string many = "<array>";
  for (uint32_t i = 0; i < kKernelMaxObjects; ++i) many += "<true/>";
  // 131070 elements + the array = 131071 objects pass; one more fails.
  auto ok = parseIOKitXml(many.substr(0, many.size() - 7) + "</array>", kernel);
  CHECK(ok);
  auto tooMany = parseIOKitXml(many + "</array>", kernel);
  REQUIRE_FALSE(tooMany);
  CHECK(tooMany.error().code == ErrorCode::LimitExceeded);
  CHECK(tooMany.error().message == "more than 131071 objects (kernel limit) near line 1");

  std::string refs = "<array><true/><string ID=\"0\">x</string>";
  for (uint32_t i = 0; i < kKernelMaxIdrefUses + 1; ++i) refs += "<string IDREF=\"0\"/>";
  refs += "</array>";
  CHECK(parseIOKitXml(refs));
  auto tooManyRefs = parseIOKitXml(refs, kernel);
  REQUIRE_FALSE(tooManyRefs);
  CHECK(tooManyRefs.error().message == "more than 65535 IDREF uses (kernel limit) near line 1");
}

TEST_CASE("IOKit XML: strict base64 option") {
  IOKitParseOptions strict;
  strict.strictBase64 = true;
  CHECK(parseIOKitXml("<data>AAEC\n\tAw==</data>", strict));
  auto junk = parseIOKitXml("<data>QU*JD</data>", strict);
  REQUIRE_FALSE(junk);
  CHECK(junk.error().describe() ==
        "at offset 0x6: invalid base64 in <data>: 1 character(s) outside the base64 alphabet near line 1");
  auto dangling = parseIOKitXml("<data>QUJDQQ</data>", strict);
  REQUIRE_FALSE(dangling);
  CHECK(dangling.error().describe() ==
        "at offset 0x6: invalid base64 in <data>: incomplete final group of 2 character(s) near line 1");
}

TEST_CASE("IOKit XML: trailing content option") {
  IOKitParseOptions o;
  o.rejectTrailingContent = true;
  CHECK(parseIOKitXml("<plist><true/></plist>\n<!-- end -->\n", o));
  CHECK(parseIOKitXml(std::string("<true/>\0junk", 12), o));
  auto r = parseIOKitXml("<true/><false/>", o);
  REQUIRE_FALSE(r);
  CHECK(r.error().describe() == "at offset 0x7: unexpected <false/> after the root value near line 1");
}

TEST_CASE("IOKit XML: repeated keys in large dictionaries (hash index) as in small ones") {
  // 40 distinct keys, then k3 (among the first ones) and k39 (past the linear-search size)
  // again: the last value wins and the key keeps its first position.
  std::string text = "<dict>";
  for (int i = 0; i < 40; ++i) text += "<key>k" + std::to_string(i) + "</key><integer>" + std::to_string(i) + "</integer>";
  const size_t repeatAt = text.size();
  text += "<key>k3</key><string>three</string><key>k39</key><string>last</string></dict>";
  auto v = parseIOKitXml(text);
  REQUIRE(v);
  const Dict& d = *v->asDict();
  REQUIRE(d.size() == 40);
  CHECK(*d.find("k3")->asString() == "three");
  CHECK(*d.find("k39")->asString() == "last");
  CHECK((d.begin() + 3)->first == "k3");
  CHECK((d.begin() + 39)->first == "k39");
  CHECK(d.find("k38")->asInteger()->bits == 38);

  IOKitParseOptions kernel;
  kernel.kernelStrict = true;
  auto r = parseIOKitXml(text, kernel);
  REQUIRE_FALSE(r);
  char offset[32];
  std::snprintf(offset, sizeof offset, "at offset 0x%zx: ", repeatAt);
  CHECK(r.error().describe() == std::string(offset) + "duplicate dictionary key \"k3\" near line 1");
}
