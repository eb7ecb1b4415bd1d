#include "letterbox/observe/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "test_support.hpp"

#include "letterbox/util/log.hpp"

using namespace letterbox;

TEST(Logging, FileTargetHonoursTheLevelAndReopens) {
  test::TempDir tmp;
  const auto file = tmp / "letterbox.log";
  setup_logging(LogSettings{LogLevel::Warn, file.string()}, "letterbox-test");
  log::info("not written at level warn");
  log::warn("written: {}", 42);
  spdlog::default_logger()->flush();
  auto text = test::read_file(file);
  EXPECT_EQ(text.find("not written"), std::string::npos) << text;
  // The pid comes from process_id() (a custom flag, not spdlog's %P): still this process's pid.
  EXPECT_NE(text.find("letterbox-test[" + std::to_string(::getpid()) + "] warning: written: 42\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("warning: written: 42\n"), std::string::npos) << text;
  // After rotation (the file moved away), setting up again writes to a new file: what SIGHUP does.
  std::filesystem::rename(file, tmp / "letterbox.log.1");
  setup_logging(LogSettings{LogLevel::Info, file.string()}, "letterbox-test");
  log::info("after reopening");
  spdlog::default_logger()->flush();
  EXPECT_NE(test::read_file(file).find("info: after reopening\n"), std::string::npos);
  setup_logging(LogSettings{LogLevel::Off, "stderr"}, "letterbox-test");
}

TEST(Logging, SyslogTargetIsAccepted) {
  EXPECT_NO_THROW(setup_logging(LogSettings{LogLevel::Info, "syslog"}, "letterbox-test"));
  log::info("to syslog, facility mail");
  setup_logging(LogSettings{LogLevel::Off, "stderr"}, "letterbox-test");
}

// A log file that cannot be opened must never stop mail: the logger falls back to syslog.
TEST(Logging, AFileThatCannotBeOpenedFallsBackToSyslog) {
  test::TempDir tmp;
  // A directory where the file should be: no user, root included, can open it for writing.
  EXPECT_NO_THROW(setup_logging(LogSettings{LogLevel::Info, tmp.path().string()}, "letterbox-test"));
  EXPECT_EQ(logging_to(), "syslog");
  setup_logging(LogSettings{LogLevel::Off, "stderr"}, "letterbox-test");
}
