// Version grammar of both eras: exhaustive tables of accepted and rejected strings, printing,
// ordering, compatibility, and a parse(print(v)) == v sweep over the whole field space.
#include <catch2/catch.hpp>

#include "kextkit/kext/KextVersion.h"

using namespace kextkit::kext;

namespace {

constexpr OSKextVersion kBad = kVersionInvalid;

struct ParseRow {
  std::string text;
  OSKextVersion classic;  // expected value, classic era (kBad if rejected)
  OSKextVersion modern;   // expected value, modern era
  const char* printedClassic;
  const char* printedModern;
};

}  // namespace

TEST_CASE("version strings parse per era, quirks included") {
  const ParseRow rows[] = {
      // Plain releases.
      {"1", 100009000, 1000000009000, "1.0", "1.0"},
      {"1.0", 100009000, 1000000009000, "1.0", "1.0"},
      {"1.0.0", 100009000, 1000000009000, "1.0", "1.0"},
      {"1.2.3", 102039000, 1000200039000, "1.2.3", "1.2.3"},
      {"10.5.0", 1005009000, 10000500009000, "10.5", "10.5"},
      {"0", 9000, 9000, "0.0", "0.0"},
      {"001.02", 102009000, 1000200009000, "1.2", "1.2"},
      {"1.02.03", 102039000, 1000200039000, "1.2.3", "1.2.3"},
      {"9999.99.99", 999999999000, 9999009900999000, "9999.99.99", "9999.99.99"},
      {"1234.5", 123405009000, 1234000500009000, "1234.5", "1234.5"},
      // Stages and levels.
      {"1.2.3d4", 102031004, 1000200031004, "1.2.3d4", "1.2.3d4"},
      {"1.2a1", 102003001, 1000200003001, "1.2a1", "1.2a1"},
      {"1.2b255", 102005255, 1000200005255, "1.2b255", "1.2b255"},
      {"1.2b001", 102005001, 1000200005001, "1.2b1", "1.2b1"},
      {"1.2fc1", 102007001, 1000200007001, "1.2f1", "1.2f1"},
      {"1.2f1", 102007001, 1000200007001, "1.2f1", "1.2f1"},
      {"1.2.3f255", 102037255, 1000200037255, "1.2.3f255", "1.2.3f255"},
      {"1.2.3fc255", 102037255, 1000200037255, "1.2.3f255", "1.2.3f255"},
      {"1.2d0", 102001000, 1000200001000, "1.2d0", "1.2d0"},
      {"0.0d0", 1000, 1000, "0.0d0", "0.0d0"},
      {"1d1", 100001001, 1000000001001, "1.0d1", "1.0d1"},
      {"1234b1", 123400005001, 1234000000005001, "1234.0b1", "1234.0b1"},
      {"1.2.3b1 ", 102035001, 1000200035001, "1.2.3b1", "1.2.3b1"},
      {"1.2b256", kBad, kBad, "", ""},
      {"1.2f0", kBad, kBad, "", ""},
      {"1.2fc0", kBad, kBad, "", ""},
      {"1.2f000", kBad, kBad, "", ""},
      {"1.2b", kBad, kBad, "", ""},
      {"1.2fc", kBad, kBad, "", ""},
      {"1.2f", kBad, kBad, "", ""},
      {"1.2x1", kBad, kBad, "", ""},
      {"1.2c1", kBad, kBad, "", ""},
      {"1.2B1", kBad, kBad, "", ""},
      {"1.2b1234", kBad, kBad, "", ""},
      {"1.2.3b1x", kBad, kBad, "", ""},
      {"1.2b1.3", kBad, kBad, "", ""},
      // Whitespace ends the parse; what follows is ignored.
      {"1.0 extra", 100009000, 1000000009000, "1.0", "1.0"},
      {"1.0\tjunk", 100009000, 1000000009000, "1.0", "1.0"},
      {"1.0\rjunk", 100009000, 1000000009000, "1.0", "1.0"},
      {"1.0\njunk", 100009000, 1000000009000, "1.0", "1.0"},
      {std::string("1.2.3\0junk", 10), 102039000, 1000200039000, "1.2.3", "1.2.3"},
      // Separator quirks.
      {"1..2", 100029000, 1000000029000, "1.0.2", "1.0.2"},
      {"1.", 100009000, 1000000009000, "1.0", "1.0"},
      {"1.2.", 102009000, 1000200009000, "1.2", "1.2"},
      {"1.22.", 122009000, 1002200009000, "1.22", "1.22"},
      {"1.2.33.", 102339000, kBad, "1.2.33", ""},
      {"1.2.3333.", kBad, 1000233339000, "", "1.2.3333"},
      {"1.2.3.", kBad, kBad, "", ""},
      {"1.2.3.4", kBad, kBad, "", ""},
      {"1.2.33.4", kBad, kBad, "", ""},
      {"1.2.3333.4", kBad, kBad, "", ""},
      {"1...2", kBad, kBad, "", ""},
      // Digit widths differ by era.
      {"1.123", kBad, 1012300009000, "", "1.123"},
      {"1.2.345", kBad, 1000203459000, "", "1.2.345"},
      {"2021.1231.2359", kBad, 2021123123599000, "", "2021.1231.2359"},
      {"9999.9999.9999b255", kBad, 9999999999995255, "", "9999.9999.9999b255"},
      {"1.12345", kBad, kBad, "", ""},
      {"12345", kBad, kBad, "", ""},
      {"1234x", kBad, kBad, "", ""},
      // Not a version at all.
      {"", kBad, kBad, "", ""},
      {" 1", kBad, kBad, "", ""},
      {"a1", kBad, kBad, "", ""},
      {"v1.0", kBad, kBad, "", ""},
      {"1.0-beta", kBad, kBad, "", ""},
      {"1,0", kBad, kBad, "", ""},
      {"+1", kBad, kBad, "", ""},
  };
  for (const auto& row : rows) {
    INFO("\"" << row.text << "\"");
    CHECK(parseVersionCString(row.text, VersionEra::Classic) == row.classic);
    CHECK(parseVersionCString(row.text, VersionEra::Modern) == row.modern);
    CHECK(parseVersion(row.text, VersionEra::Classic) == row.classic);
    CHECK(parseVersion(row.text, VersionEra::Modern) == row.modern);
    if (row.classic != kBad) CHECK(versionToString(row.classic, VersionEra::Classic) == row.printedClassic);
    if (row.modern != kBad) CHECK(versionToString(row.modern, VersionEra::Modern) == row.printedModern);
  }
}

TEST_CASE("the CFString form rejects 20+ characters and non-ASCII; the C form does not") {
  const std::string nineteen = "1.0" + std::string(16, ' ');
  const std::string twenty = nineteen + " ";
  REQUIRE(nineteen.size() == 19);
  struct Row {
    std::string text;
    OSKextVersion cString;
    OSKextVersion cfString;
  };
  const Row rows[] = {
      {nineteen, 100009000, 100009000},
      {twenty, 100009000, kBad},
      {"1.2.3 this comment is long", 102039000, kBad},
      {"1.0 \xc3\xa9", 100009000, kBad},
      {"1.0\xc3\xa9", kBad, kBad},
  };
  for (const auto& row : rows) {
    INFO("\"" << row.text << "\"");
    CHECK(parseVersionCString(row.text, VersionEra::Classic) == row.cString);
    CHECK(parseVersion(row.text, VersionEra::Classic) == row.cfString);
  }
}

TEST_CASE("printing out-of-range values") {
  struct Row {
    OSKextVersion v;
    VersionEra era;
    const char* text;
  };
  const Row rows[] = {
      {0, VersionEra::Classic, "(missing)"},
      {0, VersionEra::Modern, "(missing)"},
      {-1, VersionEra::Classic, "(invalid)"},
      {-12345, VersionEra::Modern, "(invalid)"},
      {100000000, VersionEra::Classic, "(invalid)"},   // stage 0
      {100002001, VersionEra::Classic, "(invalid)"},   // stage 2
      {100009256, VersionEra::Classic, "(invalid)"},   // level 256
      {100009005, VersionEra::Classic, "1.0"},         // a release's level is not printed
      {1000000000000, VersionEra::Classic, "(invalid)"},  // major 10000
      {10000000000009000, VersionEra::Modern, "(invalid)"},
      {100009000, VersionEra::Modern, "0.1"},          // a classic 1.0 read as modern
  };
  for (const auto& row : rows) {
    INFO(row.v);
    CHECK(versionToString(row.v, row.era) == row.text);
  }
}

TEST_CASE("versions order as integers within an era") {
  for (VersionEra era : {VersionEra::Classic, VersionEra::Modern}) {
    const char* ascending[] = {"0.0d0", "0.9",   "1.0",   "1.0.1d1", "1.0.1a1", "1.0.1b1", "1.0.1f1",
                               "1.0.1", "1.0.2", "1.1d1", "1.1b9",   "1.1f2",   "1.1",     "2"};
    OSKextVersion prev = 0;
    CHECK(compareVersions(kBad, 0) < 0);
    for (const char* s : ascending) {
      INFO(s);
      OSKextVersion v = parseVersion(s, era);
      REQUIRE(v > 0);
      CHECK(compareVersions(prev, v) < 0);
      CHECK(compareVersions(v, prev) > 0);
      CHECK(compareVersions(v, v) == 0);
      prev = v;
    }
  }
}

TEST_CASE("compatibility: compatible <= requested <= version, compatible > 0") {
  auto v = [](const char* s) { return parseVersion(s, VersionEra::Classic); };
  struct Row {
    OSKextVersion version, compatible, requested;
    bool ok;
  };
  const Row rows[] = {
      {v("2.0"), v("1.0"), v("1.5"), true},   {v("2.0"), v("1.0"), v("2.0"), true},
      {v("2.0"), v("1.0"), v("1.0"), true},   {v("2.0"), v("1.0"), v("2.0.1"), false},
      {v("2.0"), v("1.0"), v("0.9"), false},  {v("2.0"), 0, v("1.5"), false},
      {v("2.0"), kBad, v("1.5"), false},      {v("2.0"), v("1.0"), kBad, false},
      {v("2.0"), v("2.0"), v("2.0"), true},   {v("2.0b1"), v("1.0"), v("2.0"), false},
  };
  for (const auto& r : rows) CHECK(isCompatibleVersion(r.version, r.compatible, r.requested) == r.ok);
}

TEST_CASE("every field combination round-trips: compose, print, parse") {
  struct EraCase {
    VersionEra era;
    std::vector<int64_t> majors, minors, revisions;
  };
  const EraCase eras[] = {
      {VersionEra::Classic, {0, 1, 9, 10, 99, 100, 999, 1000, 9999}, {0, 1, 9, 10, 99}, {0, 1, 9, 10, 99}},
      {VersionEra::Modern,
       {0, 1, 9, 10, 999, 1000, 9999},
       {0, 1, 10, 99, 100, 999, 1000, 9999},
       {0, 1, 10, 99, 100, 999, 1000, 9999}},
  };
  const VersionStage stages[] = {VersionStage::Development, VersionStage::Alpha, VersionStage::Beta,
                                 VersionStage::Candidate, VersionStage::Release};
  const int64_t levels[] = {0, 1, 9, 10, 99, 100, 254, 255};
  size_t checked = 0;
  for (const auto& e : eras)
    for (int64_t maj : e.majors)
      for (int64_t min : e.minors)
        for (int64_t rev : e.revisions)
          for (VersionStage st : stages)
            for (int64_t lvl : levels) {
              if (st == VersionStage::Release && lvl != 0) continue;
              VersionParts p{maj, min, rev, st, lvl};
              OSKextVersion v = composeVersion(p, e.era);
              REQUIRE(v >= 0);
              std::string text = versionToString(v, e.era);
              // The printed form is exactly M.m[.r][stage level].
              std::string expect = std::to_string(maj) + "." + std::to_string(min) +
                                   (rev ? "." + std::to_string(rev) : "");
              if (st != VersionStage::Release)
                expect += std::string(st == VersionStage::Development ? "d"
                                      : st == VersionStage::Alpha     ? "a"
                                      : st == VersionStage::Beta      ? "b"
                                                                      : "f") +
                          std::to_string(lvl);
              if (text != expect) FAIL(text << " != " << expect);
              OSKextVersion back = parseVersion(text, e.era);
              bool expectValid = !(st == VersionStage::Candidate && lvl == 0);
              if (expectValid ? back != v : back != kBad) FAIL(text << " parsed to " << back << ", want " << v);
              VersionParts q;
              if (v > 0) {
                REQUIRE(decomposeVersion(v, e.era, q));
                if (q.major != maj || q.minor != min || q.revision != rev || q.stage != st || q.stageLevel != lvl)
                  FAIL("decompose " << v);
              }
              ++checked;
            }
  CHECK(checked > 20000);
  // composeVersion refuses fields wider than the era allows.
  CHECK(composeVersion({1, 100, 0, VersionStage::Release, 0}, VersionEra::Classic) == kBad);
  CHECK(composeVersion({1, 100, 0, VersionStage::Release, 0}, VersionEra::Modern) == 1010000009000);
  CHECK(composeVersion({10000, 0, 0, VersionStage::Release, 0}, VersionEra::Modern) == kBad);
  CHECK(composeVersion({1, 0, 0, VersionStage::Beta, 256}, VersionEra::Modern) == kBad);
  CHECK(composeVersion({1, 0, 0, VersionStage::Invalid, 1}, VersionEra::Modern) == kBad);
}
