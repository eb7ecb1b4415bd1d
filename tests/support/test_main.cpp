#include <gtest/gtest.h>
#include <signal.h>

#include "test_support.hpp"

int main(int argc, char** argv) {
  // RLIMIT_FSIZE tests need write() to fail with EFBIG instead of the process dying.
  signal(SIGXFSZ, SIG_IGN);
  letterbox::test::become_unprivileged();
  testing::InitGoogleTest(&argc, argv);
  const int status = RUN_ALL_TESTS();
  letterbox::test::give_up_root();
  return status;
}
