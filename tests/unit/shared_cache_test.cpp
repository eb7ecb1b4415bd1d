// SharedCache's table on a real file in a temporary directory: insert, lookup, expiry, eviction, a torn
// entry, and every kind of file that must not be trusted.
#include "letterbox/directory/shared_cache.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "letterbox/directory/cached_directory.hpp"
#include "test_support.hpp"

using namespace letterbox;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kHeader = 4096;

Lookup found(const std::string& mailbox) {
  Lookup l;
  l.kind = LookupKind::Found;
  l.entry.dn = "uid=x,dc=example,dc=org";
  l.entry.attributes["letterboxmailbox"] = mailbox;
  return l;
}

Lookup unknown() {
  Lookup l;
  l.kind = LookupKind::Unknown;
  return l;
}

std::unique_ptr<SharedCache> open_cache(const std::filesystem::path& file, std::size_t entries = 64) {
  std::string why;
  auto cache = SharedCache::open(file, entries, why);
  EXPECT_TRUE(cache) << why;
  return cache;
}

std::string refusal(const std::filesystem::path& file) {
  std::string why;
  auto cache = SharedCache::open(file, 64, why);
  return cache ? "opened" : why;
}

const auto t0 = CacheClock::time_point{} + 10h;

}  // namespace

TEST(SharedCache, CreatesA0600FileAndServesWhatWasStored) {
  test::TempDir tmp;
  const auto file = tmp / "directory.cache";
  auto cache = open_cache(file);
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(static_cast<std::size_t>(st.st_size), kHeader + 64 * SharedCache::kSlotSize);

  cache->store("alice@example.org", found("example.org/alice/Maildir"), t0);
  cache->store("nobody@example.org", unknown(), t0 + 1s);
  // A second process's view: another mapping of the same file.
  auto other = open_cache(file);
  const auto alice = other->find("alice@example.org");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->lookup.kind, LookupKind::Found);
  EXPECT_EQ(alice->lookup.entry.dn, "uid=x,dc=example,dc=org");
  EXPECT_EQ(alice->lookup.entry.attributes.at("letterboxmailbox"), "example.org/alice/Maildir");
  EXPECT_EQ(alice->stored, t0);
  const auto nobody = other->find("nobody@example.org");
  ASSERT_TRUE(nobody);
  EXPECT_EQ(nobody->lookup.kind, LookupKind::Unknown);
  EXPECT_FALSE(other->find("bob@example.org"));
  EXPECT_EQ(other->size(), 2U);

  // Replacing an entry keeps one copy.
  cache->store("alice@example.org", found("example.org/alice/Maildir2"), t0 + 2s);
  EXPECT_EQ(other->find("alice@example.org")->lookup.entry.attributes.at("letterboxmailbox"),
            "example.org/alice/Maildir2");
  EXPECT_EQ(other->size(), 2U);

  EXPECT_TRUE(other->forget("alice@example.org"));
  EXPECT_FALSE(other->forget("alice@example.org"));
  EXPECT_FALSE(cache->find("alice@example.org"));
  EXPECT_EQ(cache->forget_all(), 1U);
  EXPECT_EQ(cache->size(), 0U);
}

TEST(SharedCache, CachedDirectoryKeepsItsTtlsOverTheSharedFile) {
  struct Fake : Directory {
    Lookup answer;
    int calls = 0;
    Lookup lookup(const Address&) override {
      ++calls;
      return answer;
    }
  } inner;
  test::TempDir tmp;
  auto settings = default_settings().ldap;
  settings.cache_ttl = 60s;
  settings.negative_cache_ttl = 10s;
  settings.stale_ttl = 1h;
  auto now = t0;
  std::string why;
  const auto address = [](const std::string& text) {
    std::string ignored;
    return *parse_address(text, "+", ignored);
  };
  CachedDirectory first(inner, settings, SharedCache::open(tmp / "c", 64, why), [&] { return now; });
  CachedDirectory second(inner, settings, SharedCache::open(tmp / "c", 64, why), [&] { return now; });
  inner.answer = found("a");
  EXPECT_EQ(first.lookup(address("a@x.org")).source, LookupSource::Directory);
  EXPECT_EQ(second.lookup(address("A@x.org")).source, LookupSource::Cache);  // what one learns, the other serves
  EXPECT_EQ(inner.calls, 1);
  now += 61s;
  inner.answer = Lookup{};  // unavailable
  const auto stale = second.lookup(address("a@x.org"));
  EXPECT_EQ(stale.kind, LookupKind::Found);
  EXPECT_EQ(stale.source, LookupSource::Stale);
  inner.answer = unknown();
  EXPECT_EQ(first.lookup(address("u@x.org")).kind, LookupKind::Unknown);
  now += 11s;
  inner.answer = Lookup{};
  EXPECT_EQ(second.lookup(address("u@x.org")).kind, LookupKind::Unavailable);  // never a stale "unknown"
}

TEST(SharedCache, AFullSetGivesUpItsOldestEntry) {
  test::TempDir tmp;
  auto cache = open_cache(tmp / "c", 8);  // one set of eight
  ASSERT_EQ(cache->capacity(), 8U);
  for (int i = 0; i < 8; ++i)
    cache->store("u" + std::to_string(i) + "@x.org", found("m"), t0 + std::chrono::seconds(i));
  EXPECT_EQ(cache->size(), 8U);
  cache->store("new@x.org", found("m"), t0 + 100s);
  EXPECT_EQ(cache->size(), 8U);
  EXPECT_FALSE(cache->find("u0@x.org"));
  EXPECT_TRUE(cache->find("u1@x.org"));
  EXPECT_TRUE(cache->find("new@x.org"));
}

TEST(SharedCache, ARefreshedKeyTakesItsOwnSlotNotAFreedOne) {
  test::TempDir tmp;
  auto cache = open_cache(tmp / "c", 8);  // one set of eight: every key lands in it
  for (int i = 0; i < 4; ++i) cache->store("u" + std::to_string(i) + "@x.org", found("m"), t0);
  cache->store("alice@x.org", found("old"), t0);
  // A slot before alice's becomes free; storing alice again must overwrite her slot, not leave a
  // second, older copy that a later forget() or find() could meet first.
  ASSERT_TRUE(cache->forget("u0@x.org"));
  cache->store("alice@x.org", found("new"), t0 + 1s);
  EXPECT_EQ(cache->size(), 4U);
  ASSERT_TRUE(cache->find("alice@x.org"));
  EXPECT_EQ(cache->find("alice@x.org")->lookup.entry.attributes.at("letterboxmailbox"), "new");
  EXPECT_TRUE(cache->forget("alice@x.org"));
  EXPECT_FALSE(cache->find("alice@x.org"));
}

TEST(SharedCache, ConcurrentReadersNeverSeeAMixedEntry) {
  // The seqlock under load in one process (as letterbox-lmtpd's workers use it): two writers rewrite
  // alice's entry with all-'a' and all-'b' mailboxes while two readers check every copy they get.
  test::TempDir tmp;
  auto cache = open_cache(tmp / "c", 8);
  const std::string as(600, 'a');
  const std::string bs(600, 'b');
  cache->store("alice@x.org", found(as), t0);
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::atomic<long> mixed{0};
  std::vector<std::thread> threads;
  for (const auto* mailbox : {&as, &bs}) {
    threads.emplace_back([&, mailbox] {
      for (int i = 0; i < 20000; ++i) cache->store("alice@x.org", found(*mailbox), t0 + std::chrono::seconds(i));
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        const auto hit = cache->find("alice@x.org");
        if (!hit) continue;
        const auto& mailbox = hit->lookup.entry.attributes.at("letterboxmailbox");
        if (mailbox != as && mailbox != bs) ++mixed;
        ++reads;
      }
    });
  }
  threads[0].join();
  threads[1].join();
  stop = true;
  threads[2].join();
  threads[3].join();
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(cache->size(), 1U);
}

TEST(SharedCache, ATornEntryReadsAsAMiss) {
  test::TempDir tmp;
  const auto file = tmp / "c";
  auto cache = open_cache(file, 8);
  cache->store("alice@x.org", found("m"), t0);
  // Find alice's slot and damage it as a writer killed mid-way would: sequence odd, or bytes half new.
  const int fd = ::open(file.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  off_t slot = -1;
  for (std::size_t i = 0; i < 8 && slot < 0; ++i) {
    std::uint32_t sequence = 0;
    ASSERT_EQ(pread(fd, &sequence, 4, static_cast<off_t>(kHeader + i * SharedCache::kSlotSize)), 4);
    if (sequence != 0) slot = static_cast<off_t>(kHeader + i * SharedCache::kSlotSize);
  }
  ASSERT_GE(slot, 0);
  std::uint32_t sequence = 0;
  ASSERT_EQ(pread(fd, &sequence, 4, slot), 4);
  const std::uint32_t odd = sequence + 1;
  ASSERT_EQ(pwrite(fd, &odd, 4, slot), 4);
  EXPECT_FALSE(cache->find("alice@x.org"));
  ASSERT_EQ(pwrite(fd, &sequence, 4, slot), 4);
  EXPECT_TRUE(cache->find("alice@x.org"));
  const char scribble = 'Z';
  ASSERT_EQ(pwrite(fd, &scribble, 1, slot + 45), 1);  // inside the data, sequence even: the checksum catches it
  EXPECT_FALSE(cache->find("alice@x.org"));
  ::close(fd);
  // The slot is reusable.
  cache->store("alice@x.org", found("m2"), t0 + 1s);
  ASSERT_TRUE(cache->find("alice@x.org"));
  EXPECT_EQ(cache->find("alice@x.org")->lookup.entry.attributes.at("letterboxmailbox"), "m2");
}

TEST(SharedCache, AnEntryTooLargeForASlotIsNotCached) {
  test::TempDir tmp;
  auto cache = open_cache(tmp / "c");
  cache->store("big@x.org", found(std::string(2000, 'm')), t0);
  EXPECT_FALSE(cache->find("big@x.org"));
}

TEST(SharedCache, RefusesFilesItMustNotTrust) {
  test::TempDir tmp;
  const auto good = tmp / "good";
  open_cache(good);

  std::filesystem::create_symlink(good, tmp / "link");
  EXPECT_EQ(refusal(tmp / "link"), (tmp / "link").string() + " is a symlink");

  std::filesystem::copy_file(good, tmp / "open");
  ::chmod((tmp / "open").c_str(), 0666);
  EXPECT_EQ(refusal(tmp / "open"), (tmp / "open").string() + " is accessible by group or others (mode 0666)");
  ::chmod((tmp / "open").c_str(), 0640);
  EXPECT_EQ(refusal(tmp / "open"), (tmp / "open").string() + " is accessible by group or others (mode 0640)");

  std::filesystem::create_hard_link(good, tmp / "hardlink");
  EXPECT_EQ(refusal(tmp / "hardlink"), (tmp / "hardlink").string() + " has more than one hard link");
  std::filesystem::remove(tmp / "hardlink");

  test::write_file(tmp / "garbage", std::string(kHeader + 8 * SharedCache::kSlotSize, 'x'));
  ::chmod((tmp / "garbage").c_str(), 0600);
  EXPECT_EQ(refusal(tmp / "garbage"), (tmp / "garbage").string() + " is not a Letterbox cache file");

  std::filesystem::copy_file(good, tmp / "version");
  const int fd = ::open((tmp / "version").c_str(), O_RDWR);
  const std::uint32_t version = 99;
  ASSERT_EQ(pwrite(fd, &version, 4, 8), 4);
  ::close(fd);
  EXPECT_EQ(refusal(tmp / "version"), (tmp / "version").string() + " has another format version (99); remove it");

  std::filesystem::copy_file(good, tmp / "short");
  std::filesystem::resize_file(tmp / "short", kHeader + SharedCache::kSlotSize);
  EXPECT_EQ(refusal(tmp / "short"), (tmp / "short").string() + " has the wrong size for its header; remove it");

  std::filesystem::create_directory(tmp / "dir");
  EXPECT_NE(refusal(tmp / "dir"), "opened");

  if (test::started_as_root()) {
    std::filesystem::copy_file(good, tmp / "theirs");
    ::chmod((tmp / "theirs").c_str(), 0666);  // so that we can open it at all: the owner is what is refused
    test::RootScope root;
    ASSERT_EQ(::chown((tmp / "theirs").c_str(), 0, 0), 0);
  }
  if (test::started_as_root()) {
    EXPECT_EQ(refusal(tmp / "theirs"),
              (tmp / "theirs").string() + " is owned by uid 0, not by this process's uid " + std::to_string(geteuid()));
  }
  EXPECT_EQ(refusal(good), "opened");
}
