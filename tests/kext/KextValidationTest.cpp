// Info.plist validation: every rule of __OSKextProcessInfoDictionary/__OSKextValidate with the
// exact diagnostic key, value and group, Apple's quirks included.
#include <catch2/catch.hpp>

#include "KextTestSupport.h"
#include "kextkit/kext/KextValidation.h"

using namespace kextkit;
using namespace kextkit::kext;
using kextkit::testkit::basicInfo;
using kextkit::testkit::dict;
using kextkit::testkit::dumpDiagnostics;
using plist::Value;

namespace {

using Entries = std::vector<std::pair<std::string, Value>>;

Entries with(Entries base, Entries extra) {
  for (auto& e : extra) {
    bool replaced = false;
    for (auto& b : base)
      if (b.first == e.first) {
        b.second = e.second;
        replaced = true;
      }
    if (!replaced) base.push_back(e);
  }
  return base;
}

Entries without(Entries base, const std::string& key) {
  std::erase_if(base, [&](const auto& e) { return e.first == key; });
  return base;
}

Value libs(Entries e) { return dict(std::move(e)); }

Value personality(Entries e) { return dict(std::move(e)); }

Entries exeKext() {
  return with(basicInfo(), {{"CFBundleExecutable", Value("K")},
                            {"OSBundleLibraries", libs({{"com.apple.kpi.libkern", Value("13.0")}})}});
}

}  // namespace

TEST_CASE("Info.plist rules: diagnostics, groups and validity") {
  struct Row {
    const char* name;
    Value info;
    bool valid;
    std::vector<std::string> diagnostics;
    ValidationOptions options = {};
  };
  ValidationOptions classic;
  classic.era = VersionEra::Classic;
  ValidationOptions safeBoot;
  safeBoot.safeBoot = true;
  const std::string longId(64, 'a');

  const std::vector<Row> rows = {
      {"minimal codeless kext", dict(basicInfo()), true, {}},
      {"not a dictionary", Value(plist::Array{}), false,
       {"Validation Failures: Can't parse info dictionary XML: the top-level value is array, expected dict"}},
      {"missing CFBundlePackageType stops the checks", dict(without(basicInfo("", ""), "CFBundlePackageType")), false,
       {"Validation Failures: Info dictionary missing required property/value: CFBundlePackageType"}},
      {"CFBundlePackageType of the wrong type", dict(with(basicInfo(), {{"CFBundlePackageType", Value::integer(1)}})),
       false,
       {"Validation Failures: Info dictionary property value is of illegal type: CFBundlePackageType - should be "
        "<string>"}},
      {"a non-KEXT package type is only a diagnostic (Apple's quirk)",
       dict(with(basicInfo(), {{"CFBundlePackageType", Value("APPL")}})), true,
       {"Validation Failures: Info dictionary property value is illegal: CFBundlePackageType"}},
      {"empty package type", dict(with(basicInfo(), {{"CFBundlePackageType", Value("")}})), false,
       {"Validation Failures: Info dictionary property value is illegal: CFBundlePackageType"}},
      {"missing identifier", dict(without(basicInfo(), "CFBundleIdentifier")), false,
       {"Validation Failures: Info dictionary missing required property/value: CFBundleIdentifier"}},
      {"empty identifier", dict(with(basicInfo(), {{"CFBundleIdentifier", Value("")}})), false,
       {"Validation Failures: Info dictionary property value is illegal: CFBundleIdentifier"}},
      {"64-character identifier", dict(with(basicInfo(), {{"CFBundleIdentifier", Value(longId)}})), false,
       {"Validation Failures: CFBundleIdentifier and CFBundleVersion must be < 64 characters."}},
      {"missing version", dict(without(basicInfo(), "CFBundleVersion")), false,
       {"Validation Failures: Info dictionary missing required property/value: CFBundleVersion"}},
      {"unparsable version", dict(with(basicInfo(), {{"CFBundleVersion", Value("1.2.3.4")}})), false,
       {"Validation Failures: Info dictionary property value is illegal: CFBundleVersion"}},
      {"64-character version", dict(with(basicInfo(), {{"CFBundleVersion", Value("1." + std::string(62, '0'))}})),
       false, {"Validation Failures: CFBundleIdentifier and CFBundleVersion must be < 64 characters."}},
      {"3-digit minor: valid for 10.14+", dict(with(basicInfo(), {{"CFBundleVersion", Value("1.100")}})), true, {}},
      {"3-digit minor: invalid for 10.13-", dict(with(basicInfo(), {{"CFBundleVersion", Value("1.100")}})), false,
       {"Validation Failures: Info dictionary property value is illegal: CFBundleVersion"}, classic},
      {"compatible version later than version",
       dict(with(basicInfo(), {{"OSBundleCompatibleVersion", Value("2.0")}})), false,
       {"Validation Failures: Compatible version must be lower than current version."}},
      {"unparsable compatible version", dict(with(basicInfo(), {{"OSBundleCompatibleVersion", Value("x")}})), false,
       {"Validation Failures: Info dictionary property value is illegal: OSBundleCompatibleVersion"}},
      {"OSBundleIsInterface not a boolean", dict(with(basicInfo(), {{"OSBundleIsInterface", Value("yes")}})), false,
       {"Validation Failures: Info dictionary property value is of illegal type: OSBundleIsInterface - should be "
        "boolean, <true/> or <false/>"}},
      {"kernel component with OSBundleIsInterface false",
       dict(with(basicInfo(), {{"OSKernelResource", Value(true)}, {"OSBundleIsInterface", Value(false)}})), true,
       {"Warnings: Kext is a kernel component but OSBundleIsInterface is set to false; overriding"}},
      {"empty CFBundleExecutable", dict(with(basicInfo(), {{"CFBundleExecutable", Value("")}})), false,
       {"Validation Failures: Info dictionary property value is illegal: CFBundleExecutable"}},
      {"an executable without OSBundleLibraries", dict(with(basicInfo(), {{"CFBundleExecutable", Value("K")}})), false,
       {"Validation Failures: Info dictionary missing required property/value: OSBundleLibraries"}},
      {"an executable with empty OSBundleLibraries",
       dict(with(basicInfo(), {{"CFBundleExecutable", Value("K")}, {"OSBundleLibraries", libs({})}})), false,
       {"Validation Failures: Info dictionary property value is illegal: OSBundleLibraries",
        "Validation Failures: Info dictionary missing required property/value: OSBundleLibraries"}},
      {"OSBundleLibraries not a dictionary",
       dict(with(basicInfo(), {{"CFBundleExecutable", Value("K")}, {"OSBundleLibraries", Value("x")}})), false,
       {"Validation Failures: Info dictionary property value is of illegal type: OSBundleLibraries - should be <dict>",
        "Validation Failures: Info dictionary missing required property/value: OSBundleLibraries"}},
      {"a kernel component may not declare libraries",
       dict(with(basicInfo(), {{"OSKernelResource", Value(true)},
                               {"OSBundleLibraries", libs({{"com.apple.kpi.mach", Value("8.0")}})}})),
       false, {"Validation Failures: A system kext has a property set that it shouldn't: OSBundleLibraries"}},
      {"a codeless non-library with libraries is warned",
       dict(with(basicInfo(), {{"OSBundleLibraries", libs({{"com.apple.kpi.mach", Value("8.0")}})}})), true,
       {"Warnings: Kext has no executable or compatible version, so it should not declare any OSBundleLibraries."}},
      {"a codeless library may declare libraries",
       dict(with(basicInfo(), {{"OSBundleCompatibleVersion", Value("1.0")},
                               {"OSBundleLibraries", libs({{"com.apple.kpi.mach", Value("8.0")}})}})),
       true, {}},
      {"unparsable library version",
       dict(with(exeKext(), {{"OSBundleLibraries", libs({{"com.foo", Value("x")}})}})), false,
       {"Validation Failures: Info dictionary property value is illegal: OSBundleLibraries.com.foo"}},
      {"library version of the wrong type",
       dict(with(exeKext(), {{"OSBundleLibraries", libs({{"com.foo", Value::integer(1)}})}})), false,
       {"Validation Failures: Info dictionary property value is of illegal type: OSBundleLibraries.com.foo - should "
        "be <string>"}},
      {"kernel and KPI libraries together",
       dict(with(exeKext(), {{"OSBundleLibraries",
                              libs({{"com.apple.kernel.iokit", Value("8.0")}, {"com.apple.kpi.iokit", Value("8.0")}})}})),
       true, {"Warnings: Kexts should declare dependencies on either com.apple.kernel* or com.apple.kpi.* libraries, not both."}},
      {"OSBundleDebugLevel is deprecated", dict(with(basicInfo(), {{"OSBundleDebugLevel", Value::integer(1)}})), true,
       {"Warnings: Deprecated property (ignored): OSBundleDebugLevel"}},
      {"unknown OSBundleRequired is only a diagnostic", dict(with(basicInfo(), {{"OSBundleRequired", Value("Boot")}})),
       true, {"Validation Failures: Info dictionary property value is illegal: OSBundleRequired"}},
      {"DriverKit is known to the 10.14+ rules", dict(with(basicInfo(), {{"OSBundleRequired", Value("DriverKit")}})),
       true, {}},
      {"DriverKit is unknown to the 10.13- rules", dict(with(basicInfo(), {{"OSBundleRequired", Value("DriverKit")}})),
       true, {"Validation Failures: Info dictionary property value is illegal: OSBundleRequired"}, classic},
      {"safe boot without OSBundleRequired", dict(basicInfo()), true,
       {"Boot Level Restrictions: Kext isn't loadable during safe boot."}, safeBoot},
      {"safe boot with OSBundleRequired", dict(with(basicInfo(), {{"OSBundleRequired", Value("Safe Boot")}})), true, {},
       safeBoot},
      {"OSBundleAllowUserLoad not a boolean", dict(with(basicInfo(), {{"OSBundleAllowUserLoad", Value("yes")}})), false,
       {"Validation Failures: Info dictionary property value is of illegal type: OSBundleAllowUserLoad - should be "
        "boolean, <true/> or <false/>"}},
      {"OSBundleEnableKextLogging not a boolean",
       dict(with(basicInfo(), {{"OSBundleEnableKextLogging", Value::integer(1)}})), false,
       {"Validation Failures: Info dictionary property value is of illegal type: OSBundleEnableKextLogging - should "
        "be boolean, <true/> or <false/>"}},
      {"IOKitPersonalities not a dictionary", dict(with(basicInfo(), {{"IOKitPersonalities", Value("x")}})), false,
       {"Validation Failures: Info dictionary property value is of illegal type: IOKitPersonalities - should be "
        "<dict>"}},
      {"a personality that is not a dictionary",
       dict(with(basicInfo(), {{"IOKitPersonalities", dict({{"P", Value("x")}})}})), false,
       {"Validation Failures: Info dictionary property value is of illegal type: IOKitPersonalities.P - should be "
        "<dict>"}},
      {"a personality without IOClass and IOProviderClass",
       dict(with(basicInfo(), {{"IOKitPersonalities", dict({{"P", personality({{"CFBundleIdentifier", Value("org.test.k")}})}})}})),
       false,
       {"Validation Failures: Info dictionary missing required property/value: IOKitPersonalities.P.IOClass | "
        "IOKitPersonalities.P.IOProviderClass",
        "Warnings: Personality CFBundleIdentifier names a kext that doesn't declare an executable: 'P' -> "
        "'org.test.k'"}},
      {"personality checks: IOKitDebug type, no CFBundleIdentifier, IOProbeScore type",
       dict(with(basicInfo(),
                 {{"IOKitPersonalities",
                   dict({{"P", personality({{"IOKitDebug", Value("1")},
                                            {"IOClass", Value("C")},
                                            {"IOProviderClass", Value("IOPCIDevice")},
                                            {"IOProbeScore", Value("100")}})}})}})),
       false,
       {"Validation Failures: Info dictionary property value is of illegal type: IOKitPersonalities.P.IOKitDebug - "
        "should be <integer>",
        "Warnings: Personality has no CFBundleIdentifier; the kext's identifier will be inserted when sending to the "
        "IOCatalogue: P",
        "Warnings: Info dictionary property value is of incorrect type: IOKitPersonalities.P.IOProbeScore - should "
        "be <integer>"}},
      {"a <real> probe score",
       dict(with(basicInfo(), {{"IOKitPersonalities",
                                dict({{"P", personality({{"CFBundleIdentifier", Value("org.test.k")},
                                                         {"IOClass", Value("C")},
                                                         {"IOProviderClass", Value("IOPCIDevice")},
                                                         {"IOProbeScore", Value(Value::Real{1.5})}})}})}})),
       true,
       {"Warnings: Personality CFBundleIdentifier names a kext that doesn't declare an executable: 'P' -> "
        "'org.test.k'",
        "Warnings: Info dictionary property value is of incorrect type: IOKitPersonalities.P.IOProbeScore - should "
        "be <integer> (kexts may not use <real>)"}},
      {"IOResources personality with another IOMatchCategory",
       dict(with(basicInfo(), {{"IOKitPersonalities",
                                dict({{"P", personality({{"CFBundleIdentifier", Value("org.test.k")},
                                                         {"IOClass", Value("C")},
                                                         {"IOProviderClass", Value("IOResources")},
                                                         {"IOMatchCategory", Value("D")}})}})}})),
       true,
       {"Warnings: Personality CFBundleIdentifier names a kext that doesn't declare an executable: 'P' -> "
        "'org.test.k'",
        "Warnings: Personality matches on IOResources but IOMatchCategory is missing or not equal to its IOClass; "
        "driver may be blocked from matching or may block others: P"}},
      {"personality naming another kext",
       dict(with(basicInfo(), {{"IOKitPersonalities",
                                dict({{"P", personality({{"CFBundleIdentifier", Value("org.other")},
                                                         {"IOClass", Value("C")},
                                                         {"IOProviderClass", Value("IOPCIDevice")}})}})}})),
       true,
       {"Warnings: Personality CFBundleIdentifier differs from containing kext's (not necessarily a mistake, but "
        "rarely done): P"}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    ValidationResult r = validateInfoDictionary(row.info, row.options);
    CHECK(r.valid == row.valid);
    CHECK(dumpDiagnostics(r.diagnostics) == row.diagnostics);
  }
}

TEST_CASE("facts: identifiers, versions, flags and arch-specific libraries") {
  Value info = dict(with(exeKext(), {{"OSBundleCompatibleVersion", Value("0.9")},
                                     {"OSBundleRequired", Value("Local-Root")},
                                     {"OSBundleLibraries_x86_64", libs({{"com.apple.kpi.mach", Value("13.0")},
                                                                        {"com.apple.kpi.iokit", Value("12.1b3")}})},
                                     {"NSHumanReadableCopyright", Value("Copyright \xc2\xa9 2013 Apple Inc. All rights reserved.")}}));
  ValidationResult x = validateInfoDictionary(info);
  REQUIRE(x.valid);
  CHECK(x.facts.identifier == "org.test.k");
  CHECK(x.facts.hasIdentifier);
  CHECK(x.facts.version == parseVersion("1.0", VersionEra::Modern));
  CHECK(x.facts.compatibleVersion == parseVersion("0.9", VersionEra::Modern));
  CHECK(x.facts.isLibrary());
  CHECK(x.facts.declaresExecutable);
  CHECK(x.facts.executableName == "K");
  CHECK(x.facts.loadableInSafeBoot);
  CHECK(x.facts.osBundleRequired == std::optional<std::string>("Local-Root"));
  CHECK(x.facts.humanReadableCopyright.find("Apple") != std::string::npos);
  REQUIRE(x.facts.libraries.size() == 2);
  CHECK(x.facts.libraries[0].identifier == "com.apple.kpi.mach");
  CHECK(x.facts.libraries[1].versionString == "12.1b3");
  CHECK(x.facts.libraries[1].version == parseVersion("12.1b3", VersionEra::Modern));
  CHECK_FALSE(x.facts.warnForMismatchedKmodInfo);

  // The same dictionary validated for i386 uses the plain key.
  ValidationOptions i386;
  i386.arch = macho::Arch{macho::CPU_TYPE_I386, macho::CPU_SUBTYPE_I386_ALL};
  ValidationResult y = validateInfoDictionary(info, i386);
  REQUIRE(y.facts.libraries.size() == 1);
  CHECK(y.facts.libraries[0].identifier == "com.apple.kpi.libkern");

  // A missing identifier is Apple's placeholder.
  ValidationResult z = validateInfoDictionary(dict(without(basicInfo(), "CFBundleIdentifier")));
  CHECK(z.facts.identifier == "__unknown__");
  CHECK_FALSE(z.facts.hasIdentifier);

  // Old KPI versions ask for the kmod_info comparison.
  ValidationResult old = validateInfoDictionary(
      dict(with(exeKext(), {{"OSBundleLibraries", libs({{"com.apple.kernel.libkern", Value("5.0")}})}})));
  CHECK(old.facts.warnForMismatchedKmodInfo);
  CHECK(old.facts.isInterface == false);
  ValidationResult kc = validateInfoDictionary(dict(with(basicInfo(), {{"OSKernelResource", Value(true)}})));
  CHECK(kc.facts.isKernelComponent);
  CHECK(kc.facts.isInterface);
}

TEST_CASE("personality targets are looked up through the catalog callback") {
  Value info = dict(with(basicInfo(), {{"IOKitPersonalities",
                                        dict({{"A", personality({{"CFBundleIdentifier", Value("org.unknown")},
                                                                 {"IOClass", Value("C")},
                                                                 {"IOProviderClass", Value("IOPCIDevice")}})},
                                              {"B", personality({{"CFBundleIdentifier", Value("org.codeless")},
                                                                 {"IOClass", Value("C")},
                                                                 {"IOProviderClass", Value("IOPCIDevice")}})},
                                              {"C", personality({{"CFBundleIdentifier", Value("org.driver")},
                                                                 {"IOClass", Value("C")},
                                                                 {"IOProviderClass", Value("IOPCIDevice")}})}})}}));
  KextFacts codeless, driver;
  driver.declaresExecutable = true;
  ValidationOptions o;
  o.findKext = [&](std::string_view id) -> const KextFacts* {
    if (id == "org.codeless") return &codeless;
    if (id == "org.driver") return &driver;
    return nullptr;
  };
  ValidationResult r = validateInfoDictionary(info, o);
  CHECK(r.valid);
  CHECK(dumpDiagnostics(r.diagnostics) ==
        std::vector<std::string>{
            "Warnings: Personality CFBundleIdentifier differs from containing kext's (not necessarily a mistake, but "
            "rarely done): A | B | C",
            "Warnings: Personality CFBundleIdentifier names a kext that can't be found: 'A' -> 'org.unknown'",
            "Warnings: Personality CFBundleIdentifier names a kext that doesn't declare an executable: 'B' -> "
            "'org.codeless'"});
}

TEST_CASE("kxld's Apple copyright rule") {
  for (const char* s : {"Copyright \xc2\xa9 2008 Apple Inc. All rights reserved.",
                        "Copyright \xc2\xa9 2004-2008 Apple Inc. All rights reserved.",
                        "Copyright \xc2\xa9 2004,2006 Apple Inc. All rights reserved.",
                        "Copyright \xc2\xa9 2004,2006-2008 Apple Inc. All rights reserved.",
                        "Copyright \xc2\xa9 2004 , 2006-2008 Apple Inc. All rights reserved.",
                        "IOPCIFamily 2.1; Copyright \xc2\xa9 2004,2006-2008 Apple Inc. All rights reserved.",
                        "Copyright \xc2\xa9 2004,2006-2008 Apple Inc. All rights reserved.  The quick brown fox."}) {
    CAPTURE(s);
    CHECK(isValidAppleCopyright(s));
  }
  for (const char* s : {"Copyright \xc2\xa9 2007-08 Apple Inc. All rights reserved.",
                        "Copyright (c) 2007 Apple Inc. All rights reserved.",
                        "Copyright \xc2\xa9 2007- Apple Inc. All rights reserved.",
                        "Copyright \xc2\xa9 2007 - 2008 Apple Inc. All rights reserved.",
                        " Apple Inc. All rights reserved. Copyright \xc2\xa9 2008", ""}) {
    CAPTURE(s);
    CHECK_FALSE(isValidAppleCopyright(s));
  }
}
