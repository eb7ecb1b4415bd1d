#include "letterbox/store/mail_path.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "test_support.hpp"

using namespace letterbox;
using letterbox::test::TempDir;
using letterbox::test::write_file;

TEST(Confinement, RelativePathsLandUnderTheRoot) {
  TempDir tmp;
  std::string why;
  const auto p = confine_to_root(tmp.path(), "example.org/alice/Maildir/", why);
  ASSERT_TRUE(p) << why;
  EXPECT_EQ(*p, tmp.path() / "example.org" / "alice" / "Maildir");
}

TEST(Confinement, AbsolutePathsMustBeUnderTheRoot) {
  TempDir tmp;
  std::string why;
  EXPECT_TRUE(confine_to_root(tmp.path(), (tmp.path() / "a" / "mbox").string(), why));
  EXPECT_FALSE(confine_to_root(tmp.path(), "/etc/passwd", why));
  EXPECT_NE(why.find("outside mail_root"), std::string::npos);
  EXPECT_FALSE(confine_to_root(tmp.path(), tmp.path().string() + "x/evil", why));
  EXPECT_FALSE(confine_to_root(tmp.path(), tmp.path().string(), why));
}

TEST(Confinement, DotDotIsRefused) {
  TempDir tmp;
  std::string why;
  EXPECT_FALSE(confine_to_root(tmp.path(), "example.org/../../etc/shadow", why));
  EXPECT_NE(why.find("'..'"), std::string::npos);
  EXPECT_FALSE(confine_to_root(tmp.path(), "a/b/..", why));
  EXPECT_FALSE(confine_to_root(tmp.path(), (tmp.path() / "a" / ".." / "b").string(), why));
  EXPECT_FALSE(confine_to_root(tmp.path(), "", why));
  EXPECT_FALSE(confine_to_root(tmp.path(), std::string("a\0b", 3), why));
}

TEST(Confinement, SymlinkedComponentsAreRefused) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "real");
  ASSERT_EQ(symlink("/etc", (tmp / "link").c_str()), 0);
  ASSERT_EQ(symlink((tmp / "real").c_str(), (tmp / "inside").c_str()), 0);
  std::string why;
  EXPECT_FALSE(confine_to_root(tmp.path(), "link/passwd", why));
  EXPECT_NE(why.find("is a symlink"), std::string::npos);
  EXPECT_FALSE(confine_to_root(tmp.path(), "inside/mbox", why));  // even one that stays inside
  EXPECT_TRUE(confine_to_root(tmp.path(), "real/mbox", why));
}

TEST(MailboxFile, SymlinksAndHardLinksAreRefused) {
  TempDir tmp;
  letterbox::test::write_file(tmp / "victim", "secret\n");
  ASSERT_EQ(symlink((tmp / "victim").c_str(), (tmp / "mbox-symlink").c_str()), 0);
  ASSERT_EQ(link((tmp / "victim").c_str(), (tmp / "mbox-hardlink").c_str()), 0);
  UniqueFd fd;
  std::string why;
  EXPECT_EQ(open_mailbox_file(tmp / "mbox-symlink", fd, why), ELOOP);
  EXPECT_NE(why.find("is a symlink"), std::string::npos);
  EXPECT_EQ(open_mailbox_file(tmp / "mbox-hardlink", fd, why), EMLINK);
  EXPECT_NE(why.find("2 hard links"), std::string::npos);
  EXPECT_EQ(open_mailbox_file(tmp / "fresh", fd, why), 0);
  EXPECT_TRUE(fd.valid());
}

TEST(MailboxFile, ReplacedWhileWaitingIsDetected) {
  TempDir tmp;
  UniqueFd fd;
  std::string why;
  ASSERT_EQ(open_mailbox_file(tmp / "mbox", fd, why), 0);
  EXPECT_TRUE(still_same_file(fd.get(), tmp / "mbox", why));
  std::filesystem::rename(tmp / "mbox", tmp / "mbox.old");
  letterbox::test::write_file(tmp / "mbox", "");
  EXPECT_FALSE(still_same_file(fd.get(), tmp / "mbox", why));
  EXPECT_NE(why.find("replaced"), std::string::npos);
}

TEST(MakeDirectories, CreatesMissingLevelsAndAcceptsExistingOnes) {
  TempDir tmp;
  const auto root = tmp / "mail";
  std::filesystem::create_directories(root / "example.org");
  const auto maildir = root / "example.org" / "alice" / "Maildir";
  ASSERT_EQ(make_directories(root, maildir), 0);
  EXPECT_TRUE(std::filesystem::is_directory(maildir));
  EXPECT_EQ(make_directories(root, maildir), 0);  // the steady state: everything is there
  EXPECT_EQ(make_directories(root, tmp / "elsewhere"), EINVAL);

  bool created = true;
  EXPECT_EQ(make_directory(maildir, created), 0);
  EXPECT_FALSE(created);
  EXPECT_EQ(make_directory(maildir / "new", created), 0);
  EXPECT_TRUE(created);
  EXPECT_EQ(make_directory(tmp / "missing" / "new", created), ENOENT);
}

TEST(MakeDirectories, SymlinksAndFilesWhereADirectoryBelongsAreRefused) {
  TempDir tmp;
  const auto root = tmp / "mail";
  std::filesystem::create_directories(root / "example.org");
  std::filesystem::create_directories(tmp / "elsewhere");
  ASSERT_EQ(symlink((tmp / "elsewhere").c_str(), (root / "example.org" / "bob").c_str()), 0);
  EXPECT_EQ(make_directories(root, root / "example.org" / "bob" / "Maildir"), ELOOP);
  EXPECT_FALSE(std::filesystem::exists(tmp / "elsewhere" / "Maildir"));
  write_file(root / "example.org" / "carol", "not a directory");
  bool created = false;
  EXPECT_EQ(make_directory(root / "example.org" / "carol", created), ELOOP);
}
