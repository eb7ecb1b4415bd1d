#include "letterbox/store/maildir_name.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <mutex>
#include <regex>
#include <set>
#include <thread>
#include <vector>

using namespace letterbox;

TEST(MaildirName, HasTheSpecifiedShape) {
  const auto name = maildir_unique_name(4242);
  const std::regex shape(R"(^\d+\.M\d+P(\d+)Q\d+\.[^/:]+,S=4242$)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(name, m, shape)) << name;
  EXPECT_EQ(std::stol(m[1]), getpid());
}

TEST(MaildirName, UniqueAcrossThreads) {
  std::set<std::string> names;
  std::mutex mutex;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < 5000; ++i) mine.push_back(maildir_unique_name(1));
      std::lock_guard lock(mutex);
      names.insert(mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(names.size(), 40000U);
}

TEST(MaildirName, HostEscaping) {
  EXPECT_EQ(maildir_host_part("a/b:c"), "a\\057b\\072c");
}

TEST(MaildirName, SizeFromName) {
  EXPECT_EQ(maildir_name_size("1.M2P3Q4.host,S=1234"), 1234U);
  EXPECT_EQ(maildir_name_size("1.M2P3Q4.host,S=1234:2,S"), 1234U);
  EXPECT_EQ(maildir_name_size("1.M2P3Q4.host,S=77,W=80:2,"), 77U);
  EXPECT_FALSE(maildir_name_size("1.M2P3Q4.host"));
  EXPECT_FALSE(maildir_name_size("1.M2P3Q4.host,S=x"));
}
