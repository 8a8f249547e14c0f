// Authentication on temporary bundles whose ownership and modes the test sets: Apple's rule,
// the strict policy, .DS_Store, PlugIns, symlinks, the fix plan and applying it.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "KextTestSupport.h"
#include "kextkit/kext/Authentication.h"

using namespace kextkit;
using namespace kextkit::kext;
using kextkit::testkit::TempDir;
namespace fs = std::filesystem;

namespace {

// A bundle: Contents/{Info.plist, MacOS/Driver (a Mach-O), Resources/run.sh, PlugIns/P.kext/...},
// everything root:root, directories 0755, files 0644 (executables 0755).
std::string makeBundle(const TempDir& t) {
  const std::string k = t / "A.kext";
  fs::create_directories(k + "/Contents/MacOS");
  fs::create_directories(k + "/Contents/Resources");
  fs::create_directories(k + "/Contents/PlugIns/P.kext/Contents");
  testkit::writeText(k + "/Contents/Info.plist", "<plist/>");
  testkit::writeBytes(k + "/Contents/MacOS/Driver", testkit::kextExecutable(true, "a", "1").build());
  testkit::writeText(k + "/Contents/Resources/run.sh", "#!/bin/sh\n");
  testkit::writeText(k + "/Contents/Resources/data.txt", "x");
  testkit::writeText(k + "/Contents/PlugIns/P.kext/Contents/Info.plist", "<plist/>");
  for (const auto& e : fs::recursive_directory_iterator(k)) {
    REQUIRE(::chown(e.path().c_str(), 0, 0) == 0);
    mode_t m = e.is_directory() ? 0755 : 0644;
    if (e.path().filename() == "Driver" || e.path().filename() == "run.sh") m = 0755;
    REQUIRE(::chmod(e.path().c_str(), m) == 0);
  }
  REQUIRE(::chown(k.c_str(), 0, 0) == 0);
  REQUIRE(::chmod(k.c_str(), 0755) == 0);
  return k;
}

std::vector<std::string> describe(const std::vector<AuthIssue>& issues, const std::string& base) {
  std::vector<std::string> out;
  for (const AuthIssue& i : issues) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " %u:%u %04o", static_cast<unsigned>(i.uid), static_cast<unsigned>(i.gid),
                  static_cast<unsigned>(i.mode & 07777));
    std::string kind = i.kind == AuthIssue::Kind::NotFound        ? "not-found"
                       : i.kind == AuthIssue::Kind::BadOwnerOrMode ? "bad"
                       : i.kind == AuthIssue::Kind::Symlink        ? "symlink"
                                                                   : "too-permissive";
    out.push_back(kind + " " + i.path.substr(base.size()) + (i.kind == AuthIssue::Kind::NotFound ? "" : buf));
  }
  return out;
}

bool root() { return ::geteuid() == 0; }

}  // namespace

TEST_CASE("authentication: Apple's rule, item by item") {
  if (!root()) {
    WARN("skipped: changing file ownership needs root");
    return;
  }
  TempDir t;
  const std::string k = makeBundle(t);
  CHECK(authenticateBundle(k).empty());

  REQUIRE(::chown((k + "/Contents/Info.plist").c_str(), 501, 20) == 0);
  REQUIRE(::chmod((k + "/Contents/MacOS").c_str(), 0775) == 0);
  REQUIRE(::chmod((k + "/Contents/Resources/data.txt").c_str(), 0646) == 0);
  REQUIRE(::chown((k + "/Contents/Resources").c_str(), 0, 80) == 0);
  // Ignored: .DS_Store files, whatever their owner, and the contents of PlugIns.
  testkit::writeText(k + "/Contents/.DS_Store", "x");
  REQUIRE(::chown((k + "/Contents/.DS_Store").c_str(), 501, 20) == 0);
  REQUIRE(::chmod((k + "/Contents/PlugIns/P.kext/Contents/Info.plist").c_str(), 0666) == 0);
  // Checked: the PlugIns folder itself.
  REQUIRE(::chmod((k + "/Contents/PlugIns").c_str(), 0777) == 0);

  std::vector<AuthIssue> issues = authenticateBundle(k);
  CHECK(describe(issues, k) == std::vector<std::string>{
                                   "bad /Contents/Info.plist 501:20 0644",
                                   "bad /Contents/MacOS 0:0 0775",
                                   "bad /Contents/PlugIns 0:0 0777",
                                   "bad /Contents/Resources 0:80 0755",
                                   "bad /Contents/Resources/data.txt 0:0 0646",
                               });
  CHECK_FALSE(isAuthentic(issues));
  CHECK(authIssueMessage(issues[0]) ==
        "File owner/permissions are incorrect (must be root:wheel, nonwritable by group/other)");
  CHECK(issues[1].isDirectory);
  CHECK_FALSE(issues[0].isDirectory);
}

TEST_CASE("authentication: symlinks warn and are followed; vanished items are not found") {
  if (!root()) {
    WARN("skipped: changing file ownership needs root");
    return;
  }
  TempDir t;
  const std::string k = makeBundle(t);
  testkit::writeText(t / "outside.txt", "x");
  REQUIRE(::chmod((t / "outside.txt").c_str(), 0666) == 0);
  fs::create_symlink(t / "outside.txt", k + "/Contents/Resources/link");
  fs::create_symlink(t / "nowhere", k + "/Contents/Resources/dangling");
  std::vector<AuthIssue> issues = authenticateBundle(k);
  CHECK(describe(issues, k) == std::vector<std::string>{
                                   "not-found /Contents/Resources/dangling",
                                   "bad /Contents/Resources/link 0:0 0666",
                                   "symlink /Contents/Resources/link 0:0 0777",
                               });
  CHECK(issues[2].isWarning());
  CHECK(authIssueMessage(issues[0]) == "File not found");
  CHECK(authIssueMessage(issues[2]) == "Symbolic link in bundle");
  // A symlink to a good file only warns.
  fs::remove(k + "/Contents/Resources/dangling");
  REQUIRE(::chmod((t / "outside.txt").c_str(), 0644) == 0);
  std::vector<AuthIssue> ok = authenticateBundle(k);
  CHECK(ok.size() == 1);
  CHECK(isAuthentic(ok));
}

TEST_CASE("authentication: the strict policy") {
  if (!root()) {
    WARN("skipped: changing file ownership needs root");
    return;
  }
  TempDir t;
  const std::string k = makeBundle(t);
  AuthOptions strict;
  strict.strictPermissions = true;
  CHECK(authenticateBundle(k, strict).empty());

  REQUIRE(::chmod((k + "/Contents/Resources/data.txt").c_str(), 0755) == 0);    // plain file, executable bits
  REQUIRE(::chmod((k + "/Contents/MacOS/Driver").c_str(), 04755) == 0);         // setuid executable
  REQUIRE(::chmod((k + "/Contents/Resources").c_str(), 01755) == 0);            // sticky directory
  REQUIRE(::chmod((k + "/Contents/Info.plist").c_str(), 0664) == 0);            // Apple's rule fails first
  std::vector<AuthIssue> issues = authenticateBundle(k, strict);
  CHECK(describe(issues, k) == std::vector<std::string>{
                                   "bad /Contents/Info.plist 0:0 0664",
                                   "too-permissive /Contents/MacOS/Driver 0:0 4755",
                                   "too-permissive /Contents/Resources 0:0 1755",
                                   "too-permissive /Contents/Resources/data.txt 0:0 0755",
                               });
  CHECK(issues[1].isExecutable);
  CHECK_FALSE(issues[3].isExecutable);
  CHECK(authIssueMessage(issues[1]) ==
        "File permissions are broader than the strict policy allows (files 0644, executables 0755, directories 0755)");
  // Apple's rule alone sees only the group-writable file.
  CHECK(describe(authenticateBundle(k), k) == std::vector<std::string>{"bad /Contents/Info.plist 0:0 0664"});

  // The fix: chown where the owner is wrong, modes masked to what is allowed.
  std::vector<PermissionFix> plan = planPermissionFixes(issues, strict);
  REQUIRE(plan.size() == 4);
  CHECK(plan[0].path == k + "/Contents/Info.plist");
  CHECK_FALSE(plan[0].chownToRoot);
  CHECK(plan[0].mode == std::optional<mode_t>(0644));
  CHECK(plan[1].mode == std::optional<mode_t>(0755));
  CHECK(plan[2].mode == std::optional<mode_t>(0755));
  CHECK(plan[3].mode == std::optional<mode_t>(0644));
  REQUIRE(applyPermissionFixes(plan));
  CHECK(authenticateBundle(k, strict).empty());
}

TEST_CASE("authentication: fixing a user's checkout") {
  if (!root()) {
    WARN("skipped: changing file ownership needs root");
    return;
  }
  TempDir t;
  const std::string k = makeBundle(t);
  for (const auto& e : fs::recursive_directory_iterator(k)) REQUIRE(::chown(e.path().c_str(), 1000, 1000) == 0);
  REQUIRE(::chown(k.c_str(), 1000, 1000) == 0);
  REQUIRE(::chmod((k + "/Contents/Info.plist").c_str(), 0664) == 0);
  std::vector<AuthIssue> issues = authenticateBundle(k);
  CHECK(issues.size() == 9);  // every item but the PlugIns contents
  std::vector<PermissionFix> plan = planPermissionFixes(issues, {});
  REQUIRE(plan.size() == 9);
  CHECK(std::all_of(plan.begin(), plan.end(), [](const PermissionFix& f) { return f.chownToRoot; }));
  CHECK(std::count_if(plan.begin(), plan.end(), [](const PermissionFix& f) { return f.mode.has_value(); }) == 1);
  REQUIRE(applyPermissionFixes(plan));
  CHECK(authenticateBundle(k).empty());

  // The same through the commands kextutil prints: chown -R, chmod -R go-w.
  for (const auto& e : fs::recursive_directory_iterator(k)) REQUIRE(::chown(e.path().c_str(), 1000, 1000) == 0);
  REQUIRE(::chown(k.c_str(), 1000, 1000) == 0);
  REQUIRE(::chmod((k + "/Contents/MacOS").c_str(), 0777) == 0);
  REQUIRE(::chmod((k + "/Contents/PlugIns/P.kext/Contents/Info.plist").c_str(), 0666) == 0);
  std::vector<PermissionCommand> commands = permissionCommands(k, authenticateBundle(k), {});
  REQUIRE(commands.size() == 2);
  CHECK(commands[0].kind == PermissionCommand::Kind::ChownRecursive);
  CHECK(commands[0].path == k);
  CHECK(commands[1].kind == PermissionCommand::Kind::ClearGroupOtherWrite);
  REQUIRE(applyPermissionCommands(commands));
  CHECK(authenticateBundle(k).empty());
  // Like chmod -R, the plugins were fixed too.
  struct stat st {};
  REQUIRE(::stat((k + "/Contents/PlugIns/P.kext/Contents/Info.plist").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
  CHECK(st.st_uid == 0);
  CHECK(permissionCommands(k, authenticateBundle(k), {}).empty());

  // Under the strict policy, items with extra bits get their own chmod.
  REQUIRE(::chmod((k + "/Contents/Resources/data.txt").c_str(), 0775) == 0);
  AuthOptions strict;
  strict.strictPermissions = true;
  std::vector<PermissionCommand> s = permissionCommands(k, authenticateBundle(k, strict), strict);
  REQUIRE(s.size() == 2);
  CHECK(s[0].kind == PermissionCommand::Kind::ClearGroupOtherWrite);
  CHECK(s[1].kind == PermissionCommand::Kind::Chmod);
  CHECK(s[1].path == k + "/Contents/Resources/data.txt");
  CHECK(s[1].mode == 0644);
  REQUIRE(applyPermissionCommands(s));
  CHECK(authenticateBundle(k, strict).empty());

  // A failing change names the path and the OS reason.
  Status gone = applyPermissionCommands({PermissionCommand{PermissionCommand::Kind::ChownRecursive, t / "gone"}});
  REQUIRE_FALSE(gone);
  CHECK(gone.error().describe() == t / "gone" + ": cannot change the owner to 0:0: No such file or directory");
  Status missing = applyPermissionFixes({PermissionFix{t / "gone", true, std::nullopt}});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().describe() == t / "gone" + ": cannot change the owner to 0:0: No such file or directory");
}
