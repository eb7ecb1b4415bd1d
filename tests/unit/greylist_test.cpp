// Greylist: the triplet's life (defer, early retry, pass, known, retry window, expiry, auto-allow), the
// normalisation that makes a retry match, and the store on a real file: it persists, stays bounded,
// and a damaged file or entry is never a crash.
#include "greylist.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "test_support.hpp"

using namespace letterbox;
using namespace std::chrono_literals;
using Kind = GreylistVerdict::Kind;

namespace {

PolicySettings policy(unsigned max_entries = 1000) {
  auto s = default_settings().policy;
  s.greylist_delay = 300s;
  s.greylist_retry_window = 48h;
  s.greylist_expire = 24h * 35;
  s.greylist_auto_allow = 3;
  s.greylist_max_entries = max_entries;
  return s;
}

std::unique_ptr<Greylist> open(const std::filesystem::path& file, const PolicySettings& s = policy()) {
  std::string rebuilt;
  std::string why;
  auto g = Greylist::open(file, s, rebuilt, why);
  EXPECT_TRUE(g) << why;
  EXPECT_EQ(rebuilt, "");
  return g;
}

GreylistTriplet triplet(const std::string& client, const std::string& sender, const std::string& rcpt = "a@x.org") {
  return greylist_triplet(client, sender, rcpt, policy());
}

const auto day0 = Greylist::Clock::time_point{} + 24h * 20000;

}  // namespace

TEST(GreylistTriplet, NormalisesWhatChangesBetweenRetries) {
  EXPECT_EQ(normalise_greylist_sender("prvs=0123abcd=News@Sender.TEST"), "news@sender.test");
  EXPECT_EQ(normalise_greylist_sender("msprvs1=17abc=news@sender.test"), "news@sender.test");
  EXPECT_EQ(normalise_greylist_sender("bounce-12345-678@lists.test"), "bounce-#-#@lists.test");
  EXPECT_EQ(normalise_greylist_sender(""), "");
  const auto t = triplet("192.0.2.77", "x@y", "Alice@Example.ORG");
  EXPECT_EQ(t.network, "192.0.2.0/24");
  EXPECT_EQ(t.recipient, "alice@example.org");
  EXPECT_EQ(triplet("2001:db8:1:2:3::9", "x@y").network, "2001:db8:1:2::/64");
  EXPECT_EQ(triplet("unknown", "x@y").network, "unknown");
}

TEST(Greylist, DefersThenPassesThenKnows) {
  test::TempDir tmp;
  auto g = open(tmp / "g.db");
  const auto t = triplet("192.0.2.1", "s@y.test");
  auto v = g->check(t, day0);
  EXPECT_EQ(v.kind, Kind::Defer);
  EXPECT_EQ(v.seconds, 300);
  v = g->check(t, day0 + 100s);  // too early
  EXPECT_EQ(v.kind, Kind::Defer);
  EXPECT_EQ(v.seconds, 200);
  v = g->check(triplet("192.0.2.200", "s@y.test"), day0 + 301s);  // the same /24
  EXPECT_EQ(v.kind, Kind::PassFirst);
  EXPECT_EQ(v.seconds, 301);
  EXPECT_EQ(g->check(t, day0 + 400s).kind, Kind::Pass);
  // Known until greylist_expire after its last use.
  EXPECT_EQ(g->check(t, day0 + 400s + 24h * 34).kind, Kind::Pass);
  EXPECT_EQ(g->check(t, day0 + 400s + 24h * 69).kind, Kind::Pass);
  EXPECT_EQ(g->check(t, day0 + 400s + 24h * 105).kind, Kind::Defer);
}

TEST(Greylist, ARetryAfterTheRetryWindowStartsAgain) {
  test::TempDir tmp;
  auto g = open(tmp / "g.db");
  const auto t = triplet("192.0.2.1", "s@y.test");
  EXPECT_EQ(g->check(t, day0).kind, Kind::Defer);
  const auto v = g->check(t, day0 + 300s + 48h + 1s);
  EXPECT_EQ(v.kind, Kind::Defer);
  EXPECT_EQ(v.seconds, 300);
  EXPECT_EQ(g->check(t, day0 + 300s + 48h + 302s).kind, Kind::PassFirst);
}

TEST(Greylist, ANetworkWithEnoughPassedTripletsIsAllowed) {
  test::TempDir tmp;
  auto g = open(tmp / "g.db");
  for (int i = 0; i < 3; ++i) {
    const auto t = triplet("198.51.100.7", std::string(1, static_cast<char>('a' + i)) + "@y.test");
    EXPECT_EQ(g->check(t, day0).kind, Kind::Defer);
    EXPECT_EQ(g->check(t, day0 + 301s).kind, Kind::PassFirst);
  }
  EXPECT_EQ(g->check(triplet("198.51.100.99", "new@y.test"), day0 + 302s).kind, Kind::Pass);
  EXPECT_EQ(g->check(triplet("198.51.101.1", "new@y.test"), day0 + 302s).kind, Kind::Defer);
}

TEST(Greylist, PersistsAndIsOwnedByOneProcess) {
  test::TempDir tmp;
  const auto t = triplet("192.0.2.1", "s@y.test");
  {
    auto g = open(tmp / "g.db");
    g->check(t, day0);
    EXPECT_EQ(g->check(t, day0 + 301s).kind, Kind::PassFirst);
    std::string rebuilt;
    std::string why;
    EXPECT_FALSE(Greylist::open(tmp / "g.db", policy(), rebuilt, why));
    EXPECT_EQ(why, (tmp / "g.db").string() + " is in use by another process");
  }
  auto g = open(tmp / "g.db");
  EXPECT_EQ(g->check(t, day0 + 500s).kind, Kind::Pass);
  EXPECT_EQ(::access((tmp / "g.db").c_str(), F_OK), 0);
  EXPECT_EQ(std::filesystem::status(tmp / "g.db").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(Greylist, StaysWithinItsCapacity) {
  test::TempDir tmp;
  auto g = open(tmp / "g.db", policy(64));
  EXPECT_EQ(g->capacity(), 64U);
  for (int i = 0; i < 1000; ++i) {
    // Letters only: digit runs are one '#' to the greylist.
    const std::string sender{static_cast<char>('a' + i % 26), static_cast<char>('a' + i / 26 % 26), '@', 'y'};
    g->check(triplet("192.0.2.1", sender), day0 + std::chrono::seconds(i));
  }
  EXPECT_LE(g->size(day0 + 1000s), 64U);
  EXPECT_GT(g->size(day0 + 1000s), 32U);
  EXPECT_LE(std::filesystem::file_size(tmp / "g.db"), 4096U + 64U * Greylist::kEntrySize);
}

TEST(Greylist, ADamagedFileIsRebuiltAndADamagedEntryIsNew) {
  test::TempDir tmp;
  const auto file = tmp / "g.db";
  const auto t = triplet("192.0.2.1", "s@y.test");
  {
    auto g = open(file);
    g->check(t, day0);
    g->check(t, day0 + 301s);
  }
  // Every entry's bytes scribbled on, the header intact: the triplet is simply new again.
  {
    const int fd = ::open(file.c_str(), O_RDWR);
    const auto size = std::filesystem::file_size(file);
    for (off_t at = 4096 + 20; at < static_cast<off_t>(size); at += Greylist::kEntrySize) {
      ASSERT_EQ(::pwrite(fd, "\x7f", 1, at), 1);
    }
    ::close(fd);
  }
  {
    auto g = open(file);
    EXPECT_EQ(g->check(t, day0 + 400s).kind, Kind::Defer);
  }
  // The header damaged: rebuilt, and said so.
  {
    const int fd = ::open(file.c_str(), O_RDWR);
    ASSERT_EQ(::pwrite(fd, "garbage!", 8, 0), 8);
    ::close(fd);
  }
  std::string rebuilt;
  std::string why;
  auto g = Greylist::open(file, policy(), rebuilt, why);
  ASSERT_TRUE(g) << why;
  EXPECT_EQ(rebuilt, file.string() + " is not a greylist store (damaged?)");
  EXPECT_EQ(g->check(t, day0 + 500s).kind, Kind::Defer);
  g.reset();
  // Another capacity: rebuilt too.
  g = Greylist::open(file, policy(128), rebuilt, why);
  ASSERT_TRUE(g) << why;
  EXPECT_EQ(rebuilt, file.string() + " holds 1000 entries; greylist_max_entries asks for 128");
}

TEST(Greylist, RefusesFilesItMustNotTrust) {
  test::TempDir tmp;
  std::string rebuilt;
  std::string why;
  std::filesystem::create_symlink(tmp / "target", tmp / "link");
  EXPECT_FALSE(Greylist::open(tmp / "link", policy(), rebuilt, why));
  EXPECT_EQ(why, (tmp / "link").string() + " is a symlink");
  EXPECT_FALSE(std::filesystem::exists(tmp / "target"));
  test::write_file(tmp / "open", "");
  ::chmod((tmp / "open").c_str(), 0666);
  EXPECT_FALSE(Greylist::open(tmp / "open", policy(), rebuilt, why));
  EXPECT_EQ(why, (tmp / "open").string() + " is accessible by group or others (mode 0666)");
}
