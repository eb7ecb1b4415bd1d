#include "letterbox/store/maildir_quota.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include "test_support.hpp"

using namespace letterbox;
using letterbox::test::read_file;
using letterbox::test::TempDir;
using letterbox::test::write_file;

TEST(MaildirSizeParse, SumsTheLines) {
  const auto s = parse_maildirsize("1000000S,500C\n1200 3\n  300 1\n-200 -1\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->limit_bytes, 1000000U);
  EXPECT_EQ(s->limit_count, 500U);
  EXPECT_EQ(s->used_bytes, 1300);
  EXPECT_EQ(s->used_count, 3);
}

TEST(MaildirSizeParse, IgnoresAnUnfinishedLastLine) {
  const auto s = parse_maildirsize("100S\n10 1\n20");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->used_bytes, 10);
}

TEST(MaildirSizeParse, RejectsGarbage) {
  EXPECT_FALSE(parse_maildirsize(""));
  EXPECT_FALSE(parse_maildirsize("100S"));
  EXPECT_FALSE(parse_maildirsize("100X\n"));
  EXPECT_FALSE(parse_maildirsize("S\n"));
  EXPECT_FALSE(parse_maildirsize("100S\nabc def\n"));
  EXPECT_FALSE(parse_maildirsize("100S\n12\n"));
  // Sums past 2^63 (signed overflow, undefined behaviour before): damaged, so rebuilt from the messages.
  EXPECT_FALSE(parse_maildirsize("0S\n9223372036854775807 1\n9223372036854775807 1\n"));
  EXPECT_FALSE(parse_maildirsize("0S\n1 9223372036854775807\n1 1\n"));
  EXPECT_FALSE(parse_maildirsize("0S\n-9223372036854775807 1\n-9223372036854775807 1\n"));
}

namespace {

void make_maildir(const std::filesystem::path& dir) {
  for (const char* sub : {"tmp", "new", "cur"}) std::filesystem::create_directories(dir / sub);
}

}  // namespace

TEST(MaildirQuotaFile, RecalculatedWhenMissing) {
  TempDir tmp;
  const auto md = tmp / "Maildir";
  make_maildir(md);
  make_maildir(md / ".Lists");
  write_file(md / "new" / "1.M1P1Q1.h,S=100", std::string(100, 'x'));
  write_file(md / "cur" / "2.M1P1Q1.h,S=50:2,S", std::string(50, 'x'));
  write_file(md / "cur" / "3.M1P1Q1.h", std::string(30, 'x'));  // no S=: stat() it
  write_file(md / ".Lists" / "new" / "4.M1P1Q1.h,S=20", std::string(20, 'x'));
  MaildirQuota quota(md, "maildirsize", 1000);
  bool fits = false;
  ASSERT_EQ(quota.check(800, fits), 0);
  EXPECT_TRUE(fits);
  EXPECT_EQ(read_file(md / "maildirsize"), "1000S\n200 4\n");
  ASSERT_EQ(quota.check(801, fits), 0);
  EXPECT_FALSE(fits);
  ASSERT_EQ(quota.record(300), 0);
  EXPECT_EQ(read_file(md / "maildirsize"), "1000S\n200 4\n300 1\n");
  ASSERT_EQ(quota.check(500, fits), 0);
  EXPECT_TRUE(fits);
  ASSERT_EQ(quota.check(501, fits), 0);
  EXPECT_FALSE(fits);
}

TEST(MaildirQuotaFile, TrustedWhileFreshAndSmall) {
  TempDir tmp;
  const auto md = tmp / "Maildir";
  make_maildir(md);
  write_file(md / "maildirsize", "1000S\n900 9\n");  // no messages on disk, but the file is fresh
  MaildirQuota quota(md, "maildirsize", 1000);
  bool fits = true;
  ASSERT_EQ(quota.check(101, fits), 0);
  EXPECT_FALSE(fits);
  EXPECT_EQ(read_file(md / "maildirsize"), "1000S\n900 9\n");
}

TEST(MaildirQuotaFile, RebuiltWhenOverSizeLimit) {
  TempDir tmp;
  const auto md = tmp / "Maildir";
  make_maildir(md);
  std::string big = "1000S\n";
  while (big.size() <= MaildirQuota::kMaxFileSize) big += "1 1\n";
  write_file(md / "maildirsize", big);
  MaildirQuota quota(md, "maildirsize", 1000);
  bool fits = false;
  ASSERT_EQ(quota.check(10, fits), 0);
  EXPECT_TRUE(fits);
  EXPECT_EQ(read_file(md / "maildirsize"), "1000S\n0 0\n");
}

TEST(MaildirQuotaFile, RebuiltWhenTheLimitChanged) {
  TempDir tmp;
  const auto md = tmp / "Maildir";
  make_maildir(md);
  write_file(md / "new" / "1.M1P1Q1.h,S=10", std::string(10, 'x'));
  write_file(md / "maildirsize", "5000S\n10 1\n");
  MaildirQuota quota(md, "maildirsize", 2000);
  bool fits = false;
  ASSERT_EQ(quota.check(10, fits), 0);
  EXPECT_EQ(read_file(md / "maildirsize"), "2000S\n10 1\n");
}

TEST(MaildirQuotaFile, StaleAndOverQuotaIsRecounted) {
  TempDir tmp;
  const auto md = tmp / "Maildir";
  make_maildir(md);
  write_file(md / "maildirsize", "1000S\n990 9\n");  // drifted: the messages were expunged
  const utimbuf old{time(nullptr) - 3600, time(nullptr) - 3600};
  ASSERT_EQ(utime((md / "maildirsize").c_str(), &old), 0);
  MaildirQuota quota(md, "maildirsize", 1000);
  bool fits = false;
  ASSERT_EQ(quota.check(100, fits), 0);
  EXPECT_TRUE(fits);
  EXPECT_EQ(read_file(md / "maildirsize"), "1000S\n0 0\n");
}
