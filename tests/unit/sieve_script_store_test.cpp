// A user's Sieve scripts on real files: RFC 5804's operations and refusals, the `active` file, atomic
// replacement, and no way out of the user's directory through a name or a symlink.
#include "letterbox/store/sieve_script_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "letterbox/config/config.hpp"
#include "test_support.hpp"

using namespace letterbox;
using letterbox::test::read_file;
using letterbox::test::TempDir;
using letterbox::test::write_file;

namespace {

const std::string kVacation = "require \"vacation\";\nvacation \"I am away\";\n";
const std::string kKeep = "keep;\n";

class SieveScriptStoreTest : public ::testing::Test {
 protected:
  SieveScriptStoreTest() {
    std::filesystem::create_directories(root());
    sieve_ = default_settings().sieve;
  }

  std::filesystem::path root() const { return tmp_ / "mail"; }
  std::filesystem::path dir() const { return root() / "example.org" / "alice" / "sieve"; }

  SieveScriptStore store() {
    std::string why;
    auto s = SieveScriptStore::open(root(), "example.org/alice/sieve", sieve_, why);
    if (!s) throw std::runtime_error(why);
    return std::move(*s);
  }

  std::vector<std::string> listed() {
    std::vector<ScriptEntry> scripts;
    const auto r = store().list(scripts);
    EXPECT_TRUE(r.ok()) << r.detail;
    std::vector<std::string> out;
    for (const auto& s : scripts) out.push_back(s.name + (s.active ? " ACTIVE" : ""));
    return out;
  }

  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir())) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir tmp_;
  SieveSettings sieve_;
};

}  // namespace

TEST_F(SieveScriptStoreTest, AUserWithoutADirectoryHasNoScripts) {
  EXPECT_EQ(listed(), std::vector<std::string>{});
  std::optional<std::string> active;
  EXPECT_TRUE(store().active(active).ok());
  EXPECT_FALSE(active);
  EXPECT_FALSE(std::filesystem::exists(dir()));  // reading makes nothing
}

TEST_F(SieveScriptStoreTest, PutMakesTheDirectoryAndStoresTheScript) {
  auto s = store();
  ASSERT_TRUE(s.put("vacation", kVacation).ok());
  EXPECT_EQ(read_file(dir() / "vacation.sieve"), kVacation);
  EXPECT_EQ(std::filesystem::status(dir()).permissions(), std::filesystem::perms::owner_all);
  EXPECT_EQ(std::filesystem::status(dir() / "vacation.sieve").permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::string text;
  ASSERT_TRUE(s.get("vacation", text).ok());
  EXPECT_EQ(text, kVacation);
  // A second put replaces it, and leaves no temporary file behind.
  ASSERT_TRUE(s.put("vacation", kKeep).ok());
  EXPECT_EQ(read_file(dir() / "vacation.sieve"), kKeep);
  EXPECT_EQ(files(), std::vector<std::string>{"vacation.sieve"});
  EXPECT_EQ(listed(), std::vector<std::string>{"vacation"});
}

TEST_F(SieveScriptStoreTest, PutRefusesBadNamesLargeScriptsAndScriptsThatDoNotCompile) {
  auto s = store();
  auto r = s.put("../active", kKeep);
  EXPECT_EQ(r.status, ScriptStatus::BadName);
  EXPECT_EQ(r.detail, "bad script name '../active': the name contains '/'");
  r = s.put("", kKeep);
  EXPECT_EQ(r.status, ScriptStatus::BadName);
  EXPECT_EQ(r.detail, "bad script name '': the name is empty");

  sieve_.max_script_size = 1024;
  r = store().put("big", "# " + std::string(1100, 'x') + "\nkeep;\n");
  EXPECT_EQ(r.status, ScriptStatus::TooLarge);
  EXPECT_EQ(r.detail, "the script is larger than max_script_size (1024 bytes)");

  r = s.put("broken", "require \"fileinto\";\nif true {\n  filinto \"Junk\";\n}\n");
  EXPECT_EQ(r.status, ScriptStatus::DoesNotCompile);
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(r.errors[0].where, (sieve::Position{3, 3}));
  EXPECT_EQ(r.errors[0].message, "unknown command \"filinto\" (did you mean \"fileinto\"?)");
  EXPECT_TRUE(s.check(kVacation).ok());
  EXPECT_FALSE(std::filesystem::exists(dir()));  // nothing refused leaves a trace
}

TEST_F(SieveScriptStoreTest, ActivateDeactivateAndTheActiveFile) {
  auto s = store();
  EXPECT_EQ(s.activate("vacation").status, ScriptStatus::NoSuchScript);
  EXPECT_EQ(s.activate("vacation").detail, "there is no script 'vacation'");
  ASSERT_TRUE(s.put("vacation", kVacation).ok());
  ASSERT_TRUE(s.put("keep", kKeep).ok());
  ASSERT_TRUE(s.activate("vacation").ok());
  EXPECT_EQ(read_file(dir() / "active"), "vacation\n");
  EXPECT_EQ(listed(), (std::vector<std::string>{"keep", "vacation ACTIVE"}));
  std::optional<std::string> active;
  ASSERT_TRUE(s.active(active).ok());
  EXPECT_EQ(active, "vacation");
  ASSERT_TRUE(s.activate("keep").ok());
  EXPECT_EQ(listed(), (std::vector<std::string>{"keep ACTIVE", "vacation"}));
  ASSERT_TRUE(s.deactivate().ok());
  EXPECT_FALSE(std::filesystem::exists(dir() / "active"));
  EXPECT_EQ(listed(), (std::vector<std::string>{"keep", "vacation"}));
  EXPECT_TRUE(s.deactivate().ok());  // none active: nothing to do, as SETACTIVE ""
}

TEST_F(SieveScriptStoreTest, TheActiveScriptIsNotDeleted) {
  auto s = store();
  ASSERT_TRUE(s.put("vacation", kVacation).ok());
  ASSERT_TRUE(s.activate("vacation").ok());
  const auto r = s.remove("vacation");
  EXPECT_EQ(r.status, ScriptStatus::ScriptIsActive);
  EXPECT_EQ(r.detail, "script 'vacation' is active: deactivate it or activate another first");
  EXPECT_TRUE(std::filesystem::exists(dir() / "vacation.sieve"));
  ASSERT_TRUE(s.deactivate().ok());
  ASSERT_TRUE(s.remove("vacation").ok());
  EXPECT_EQ(files(), std::vector<std::string>{});
  EXPECT_EQ(s.remove("vacation").status, ScriptStatus::NoSuchScript);
}

TEST_F(SieveScriptStoreTest, RenameKeepsTheActiveMarkAndNeverReplaces) {
  auto s = store();
  ASSERT_TRUE(s.put("vacation", kVacation).ok());
  ASSERT_TRUE(s.put("keep", kKeep).ok());
  ASSERT_TRUE(s.activate("vacation").ok());
  const auto r = s.rename("vacation", "keep");
  EXPECT_EQ(r.status, ScriptStatus::AlreadyExists);
  EXPECT_EQ(r.detail, "there is a script 'keep' already");
  EXPECT_EQ(read_file(dir() / "keep.sieve"), kKeep);
  EXPECT_EQ(s.rename("nothing", "other").status, ScriptStatus::NoSuchScript);
  ASSERT_TRUE(s.rename("vacation", "away").ok());
  EXPECT_EQ(listed(), (std::vector<std::string>{"away ACTIVE", "keep"}));
  EXPECT_EQ(read_file(dir() / "away.sieve"), kVacation);
  EXPECT_EQ(files(), (std::vector<std::string>{"active", "away.sieve", "keep.sieve"}));
}

TEST_F(SieveScriptStoreTest, ListShowsOnlyScriptFiles) {
  auto s = store();
  ASSERT_TRUE(s.put("keep", kKeep).ok());
  write_file(dir() / "notes.txt", "not a script\n");
  write_file(dir() / ".tmp.1.2.keep.sieve", "a crashed put's leftover\n");
  std::filesystem::create_directory(dir() / "folder.sieve");
  EXPECT_EQ(listed(), std::vector<std::string>{"keep"});
  std::string text;
  EXPECT_EQ(store().get("folder", text).detail, (dir() / "folder.sieve").string() + ": not a regular file");
}

TEST_F(SieveScriptStoreTest, NothingIsFollowedThroughASymlink) {
  auto s = store();
  ASSERT_TRUE(s.put("keep", kKeep).ok());
  write_file(tmp_ / "secret", "outside the mail root\n");
  std::filesystem::create_symlink(tmp_ / "secret", dir() / "stolen.sieve");
  EXPECT_EQ(listed(), std::vector<std::string>{"keep"});
  std::string text;
  const auto got = s.get("stolen", text);
  EXPECT_EQ(got.status, ScriptStatus::Failed);
  EXPECT_EQ(got.detail, (dir() / "stolen.sieve").string() + ": Too many levels of symbolic links");
  EXPECT_EQ(text, "");
  // Nor is it replaced by a put of that name: the link stays, and what it points at is untouched.
  const auto put = s.put("stolen", kKeep);
  EXPECT_EQ(put.status, ScriptStatus::BadName);
  EXPECT_EQ(put.detail, "'stolen' is a symbolic link or not a regular file in the script directory");
  EXPECT_TRUE(std::filesystem::is_symlink(dir() / "stolen.sieve"));
  EXPECT_EQ(read_file(tmp_ / "secret"), "outside the mail root\n");

  // An `active` that is a symlink is not read.
  std::filesystem::create_symlink(dir() / "keep.sieve", dir() / "active");
  std::optional<std::string> active;
  EXPECT_EQ(s.active(active).status, ScriptStatus::Failed);
  std::filesystem::remove(dir() / "active");
  write_file(dir() / "active", "../../bob/sieve/keep\n");
  EXPECT_EQ(s.active(active).detail, (dir() / "active").string() + ": does not hold a script name and a newline");
}

TEST_F(SieveScriptStoreTest, TheUserDirectoryStaysUnderMailRootWithoutSymlinks) {
  std::string why;
  EXPECT_FALSE(SieveScriptStore::open(root(), "example.org/../../etc", sieve_, why));
  EXPECT_EQ(why, "mailbox path example.org/../../etc contains '..'");
  std::filesystem::create_directories(tmp_ / "elsewhere");
  std::filesystem::create_directories(root() / "example.org");
  std::filesystem::create_directory_symlink(tmp_ / "elsewhere", root() / "example.org" / "mallory");
  EXPECT_FALSE(SieveScriptStore::open(root(), "example.org/mallory/sieve", sieve_, why));
  EXPECT_EQ(why, "mailbox path " + (root() / "example.org" / "mallory").string() + " is a symlink");
}
