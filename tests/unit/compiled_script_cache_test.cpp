// The compiled-script cache on real files: compiled once, compiled again when the file changes (size,
// mtime, inode), errors cached with their diagnostics, LRU bound, and gets from many threads.
#include "letterbox/config/compiled_script_cache.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "test_support.hpp"

using namespace letterbox;
using letterbox::test::TempDir;
using letterbox::test::write_file;

namespace {

const std::string kKeep = "keep;\n";
const std::string kStop = "stop;\n";  // as long as kKeep
const std::string kBroken = "keep\n";

void set_mtime_ns(const std::filesystem::path& path, long ns) {
  const timespec times[2] = {{0, UTIME_OMIT}, {1'700'000'000, ns}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

}  // namespace

TEST(CompiledScriptCacheTest, CompilesOnceUntilTheFileChanges) {
  TempDir tmp;
  const auto path = tmp / "a.sieve";
  write_file(path, kKeep);
  set_mtime_ns(path, 1);
  CompiledScriptCache cache(default_settings().sieve);
  const auto first = cache.get(path);
  ASSERT_TRUE(first->ok());
  EXPECT_EQ(cache.get(path), first) << "the same compiled script, shared";
  EXPECT_EQ(cache.compilations(), 1U);

  // Only the modification time, by one nanosecond.
  set_mtime_ns(path, 2);
  const auto second = cache.get(path);
  EXPECT_NE(second, first);
  EXPECT_EQ(cache.compilations(), 2U);

  // Another size with the same mtime.
  write_file(path, kKeep + "\n");
  set_mtime_ns(path, 2);
  EXPECT_NE(cache.get(path), second);
  EXPECT_EQ(cache.compilations(), 3U);

  // Replaced by rename, as SieveScriptStore does: a new inode, same size and mtime.
  const auto replacement = tmp / "new";
  write_file(replacement, kStop + "\n");
  set_mtime_ns(replacement, 2);
  std::filesystem::rename(replacement, path);
  const auto third = cache.get(path);
  ASSERT_TRUE(third->ok());
  EXPECT_EQ(cache.compilations(), 4U);
  EXPECT_EQ(cache.get(path), third);
  EXPECT_EQ(cache.compilations(), 4U);
  EXPECT_EQ(cache.size(), 1U);
}

TEST(CompiledScriptCacheTest, ABrokenScriptIsCompiledOnceAndItsErrorsReturnedEachTime) {
  TempDir tmp;
  const auto path = tmp / "broken.sieve";
  write_file(path, kBroken);
  CompiledScriptCache cache(default_settings().sieve);
  for (int i = 0; i < 3; ++i) {
    const auto check = cache.get(path);
    EXPECT_FALSE(check->ok());
    EXPECT_FALSE(check->errors.empty());
    EXPECT_EQ(check->script, nullptr);
  }
  EXPECT_EQ(cache.compilations(), 1U);
}

TEST(CompiledScriptCacheTest, AnUnreadableFileIsNotCached) {
  TempDir tmp;
  CompiledScriptCache cache(default_settings().sieve);
  EXPECT_EQ(cache.get(tmp / "missing.sieve")->read_errno, ENOENT);
  EXPECT_EQ(cache.get(tmp.path())->read_errno, EISDIR);
  write_file(tmp / "target.sieve", kKeep);
  std::filesystem::create_symlink(tmp / "target.sieve", tmp / "link.sieve");
  EXPECT_EQ(cache.get(tmp / "link.sieve")->read_errno, ELOOP);
  EXPECT_TRUE(cache.get(tmp / "link.sieve", /*no_follow=*/false)->ok());
  EXPECT_EQ(cache.size(), 1U);
}

TEST(CompiledScriptCacheTest, TheLeastRecentlyUsedGoesFirst) {
  TempDir tmp;
  CompiledScriptCache cache(default_settings().sieve, 2);
  for (const char* name : {"a", "b", "c"}) write_file(tmp / name, kKeep);
  (void)cache.get(tmp / "a");
  (void)cache.get(tmp / "b");
  (void)cache.get(tmp / "a");  // b is now the oldest
  (void)cache.get(tmp / "c");
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_EQ(cache.compilations(), 3U);
  (void)cache.get(tmp / "a");
  EXPECT_EQ(cache.compilations(), 3U);
  (void)cache.get(tmp / "b");
  EXPECT_EQ(cache.compilations(), 4U);
}

TEST(CompiledScriptCacheTest, ConcurrentGetsShareOneScript) {
  TempDir tmp;
  std::vector<std::filesystem::path> paths;
  for (int i = 0; i < 4; ++i) {
    paths.push_back(tmp / ("s" + std::to_string(i) + ".sieve"));
    write_file(paths.back(), i % 2 ? kKeep : kBroken);
  }
  CompiledScriptCache cache(default_settings().sieve, 3);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const auto& path = paths[static_cast<std::size_t>((t + i) % 4)];
        const auto check = cache.get(path);
        const bool should_compile = path.filename().string()[1] % 2 == 1;
        if (check->ok() != should_compile) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 3U);
}

// The testsuite extension exists only in `letterbox-sieve svtest`: the compile delivery uses refuses it,
// and with it every command of the suite.
TEST(CompiledScriptCacheTest, DeliveryRefusesTheTestsuiteExtension) {
  TempDir tmp;
  const auto path = tmp / "suite.sieve";
  write_file(path, "require \"vnd.dovecot.testsuite\";\ntest \"x\" { test_fail \"y\"; }\n");
  CompiledScriptCache cache(default_settings().sieve);
  const auto check = cache.get(path);
  ASSERT_FALSE(check->ok());
  ASSERT_FALSE(check->errors.empty());
  EXPECT_EQ(check->errors.front().message, "unknown extension \"vnd.dovecot.testsuite\"");
  EXPECT_EQ(check->errors.front().where, (sieve::Position{1, 9}));
  // Nor vnd.dovecot.debug, which the runner accepts for the test files that require it.
  const auto debug = tmp / "debug.sieve";
  write_file(debug, "require \"vnd.dovecot.debug\";\ndebug_log \"x\";\n");
  const auto refused = cache.get(debug);
  ASSERT_FALSE(refused->errors.empty());
  EXPECT_EQ(refused->errors.front().message, "unknown extension \"vnd.dovecot.debug\"");
}
