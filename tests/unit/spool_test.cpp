#include "letterbox/store/spool.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace letterbox;

namespace {

std::string contents(const Spool& spool, std::size_t* chunks = nullptr) {
  std::string out;
  std::size_t n = 0;
  EXPECT_EQ(spool.for_each_chunk([&](std::string_view c) {
    out.append(c);
    ++n;
    return 0;
  }),
            0);
  if (chunks != nullptr) *chunks = n;
  return out;
}

}  // namespace

TEST(Spool, SmallMessagesStayInMemory) {
  Spool spool;
  spool.append("Subject: x\n\n");
  spool.append("body\n");
  EXPECT_TRUE(spool.in_memory());
  EXPECT_EQ(spool.size(), 17U);
  EXPECT_EQ(contents(spool), "Subject: x\n\nbody\n");
}

TEST(Spool, LargeMessagesMoveToAFile) {
  letterbox::test::TempDir tmp;
  Spool spool(tmp.path(), 1024);
  std::string expected;
  for (int i = 0; i < 10000; ++i) {
    const std::string line = "line " + std::to_string(i) + "\n";
    spool.append(line);
    expected += line;
  }
  EXPECT_FALSE(spool.in_memory());
  EXPECT_EQ(spool.size(), expected.size());
  std::size_t chunks = 0;
  EXPECT_EQ(contents(spool, &chunks), expected);
  EXPECT_GE(chunks, 1U);
  // The file has no name: nothing is left in the spool directory.
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
}

TEST(Spool, ConsumerErrorStopsTheWalk) {
  Spool spool;
  spool.append("abc");
  EXPECT_EQ(spool.for_each_chunk([](std::string_view) { return ENOSPC; }), ENOSPC);
}
