// How flags and folders of a Sieve delivery look on disk: Maildir info letters and dovecot-keywords,
// mbox flag headers, and UserFolders' names, symlink refusal and :create.
#include "letterbox/store/mail_flags.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <string>
#include <vector>

#include "letterbox/store/user_folders.hpp"
#include "test_support.hpp"

using namespace letterbox;
using letterbox::test::read_file;
using letterbox::test::TempDir;
using letterbox::test::write_file;

namespace {

const Duration kLockTimeout = std::chrono::milliseconds(200);

std::string info_of(const std::filesystem::path& folder, const std::vector<std::string>& flags) {
  std::string info;
  EXPECT_EQ(maildir_info(folder, flags, kLockTimeout, info), 0);
  return info;
}

}  // namespace

TEST(MailFlags, MaildirSystemFlagsAreSortedLetters) {
  TempDir tmp;
  EXPECT_EQ(info_of(tmp.path(), {}), "");
  EXPECT_EQ(info_of(tmp.path(), {"\\seen", "\\Deleted", "\\DRAFT", "\\Answered", "\\Flagged"}), ":2,DFRST");
  EXPECT_FALSE(std::filesystem::exists(tmp / "dovecot-keywords"));  // no keyword, no file
}

TEST(MailFlags, MaildirKeywordsAreNumberedInDovecotKeywords) {
  TempDir tmp;
  write_file(tmp / "dovecot-keywords", "0 $Junk\n2 Work\nbroken line\n");
  // Known keywords keep their numbers (case does not make another keyword); a new one takes the first free.
  EXPECT_EQ(info_of(tmp.path(), {"work", "$Junk", "\\Seen", "Later"}), ":2,Sabc");
  EXPECT_EQ(read_file(tmp / "dovecot-keywords"), "0 $Junk\n1 Later\n2 Work\n");
  EXPECT_FALSE(std::filesystem::exists(tmp / "dovecot-keywords.lock"));
}

TEST(MailFlags, AHeldKeywordsLockTimesOutButAStaleOneIsBroken) {
  TempDir tmp;
  write_file(tmp / "dovecot-keywords.lock", "");
  std::string info;
  const std::vector<std::string> flags{"New"};
  EXPECT_NE(maildir_info(tmp.path(), flags, kLockTimeout, info), 0);
  const utimbuf old{std::time(nullptr) - 600, std::time(nullptr) - 600};
  ASSERT_EQ(::utime((tmp / "dovecot-keywords.lock").c_str(), &old), 0);
  EXPECT_EQ(info_of(tmp.path(), {"New"}), ":2,a");
  EXPECT_EQ(read_file(tmp / "dovecot-keywords"), "0 New\n");
}

TEST(MailFlags, OnlyTwentySixKeywordsHaveLetters) {
  TempDir tmp;
  std::vector<std::string> flags;
  for (int i = 0; i < 30; ++i) flags.push_back("k" + std::to_string(i));
  EXPECT_EQ(info_of(tmp.path(), flags), ":2,abcdefghijklmnopqrstuvwxyz");
}

TEST(MailFlags, MboxHeaders) {
  EXPECT_EQ(mbox_flag_headers({}), "");
  const std::vector<std::string> flags{"\\Seen", "\\Answered", "\\Flagged", "\\Draft", "\\Deleted", "$Work", "Later"};
  EXPECT_EQ(mbox_flag_headers(flags), "Status: RO\nX-Status: AFTD\nX-Keywords: $Work Later\n");
  const std::vector<std::string> unseen{"\\Flagged"};
  EXPECT_EQ(mbox_flag_headers(unseen), "X-Status: F\n");
}

TEST(UserFolders, MaildirFoldersAreMaildirPlusPlusDirectories) {
  TempDir tmp;
  const auto maildir = tmp / "example.org/alice/Maildir";
  UserFolders folders(tmp.path(), maildir, MailboxFormat::Maildir, "");
  std::string why;
  auto inbox = folders.locate("inbox", why);
  ASSERT_TRUE(inbox) << why;
  EXPECT_TRUE(inbox->inbox);
  EXPECT_TRUE(folders.exists(*inbox));
  auto dev = folders.locate("Lists/dev", why);
  ASSERT_TRUE(dev) << why;
  EXPECT_EQ(dev->path, maildir / ".Lists.dev");
  EXPECT_FALSE(folders.exists(*dev));
  ASSERT_EQ(folders.create(*dev), 0);
  EXPECT_TRUE(folders.exists(*dev));
  for (const char* part : {"tmp", "new", "cur"}) EXPECT_TRUE(std::filesystem::is_directory(dev->path / part));
  EXPECT_TRUE(std::filesystem::is_regular_file(dev->path / "maildirfolder"));
  EXPECT_FALSE(folders.locate("a//b", why));
}

TEST(UserFolders, ASymlinkIsNoFolderAndCannotBeCreatedThrough) {
  TempDir tmp;
  const auto maildir = tmp / "Maildir";
  std::filesystem::create_directories(maildir);
  std::filesystem::create_directories(tmp / "elsewhere");
  std::filesystem::create_directory_symlink(tmp / "elsewhere", maildir / ".Evil");
  UserFolders folders(tmp.path(), maildir, MailboxFormat::Maildir, "");
  std::string why;
  const auto evil = folders.locate("Evil", why);
  ASSERT_TRUE(evil) << why;
  EXPECT_FALSE(folders.exists(*evil));
  EXPECT_NE(folders.create(*evil), 0);
  EXPECT_FALSE(std::filesystem::exists(tmp / "elsewhere" / "new"));
}

TEST(UserFolders, MboxFoldersAreFilesUnderMboxFolders) {
  TempDir tmp;
  UserFolders folders(tmp.path(), tmp / "example.org/bob.mbox", MailboxFormat::Mbox, "example.org/bob/mail");
  std::string why;
  auto dev = folders.locate("Lists.dev", why);
  ASSERT_TRUE(dev) << why;
  EXPECT_EQ(dev->path, tmp / "example.org/bob/mail/Lists/dev");
  EXPECT_FALSE(folders.exists(*dev));
  ASSERT_EQ(folders.create(*dev), 0);
  EXPECT_TRUE(folders.exists(*dev));
  EXPECT_EQ(read_file(dev->path), "");
  // No mbox_folders for this address: no folder, only the inbox.
  UserFolders none(tmp.path(), tmp / "example.org/bob.mbox", MailboxFormat::Mbox, "");
  EXPECT_FALSE(none.locate("Lists", why));
  EXPECT_TRUE(none.locate("INBOX", why));
}
