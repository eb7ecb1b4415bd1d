#include "letterbox/logging.hpp"

#include <syslog.h>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>

#include <memory>
#include <string>

namespace letterbox {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::Trace: return spdlog::level::trace;
    case LogLevel::Debug: return spdlog::level::debug;
    case LogLevel::Info: return spdlog::level::info;
    case LogLevel::Warn: return spdlog::level::warn;
    case LogLevel::Error: return spdlog::level::err;
    case LogLevel::Critical: return spdlog::level::critical;
    case LogLevel::Off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

void setup_logging(const LogSettings& settings, std::string_view ident) {
  std::shared_ptr<spdlog::logger> logger;
  const std::string name(ident);
  std::string fallback_reason;
  if (settings.target != "syslog" && settings.target != "stderr") {
    try {
      // A file sink opened anew on every call, so a SIGHUP after rotation writes to the new file.
      logger = std::make_shared<spdlog::logger>(
          name, std::make_shared<spdlog::sinks::basic_file_sink_mt>(settings.target, false));
      logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%P] %l: %v");
    } catch (const spdlog::spdlog_ex& e) {
      // A log file we cannot open (created by root, a full /var/log) must never stop mail: say so once,
      // where an administrator still looks, and go on.
      fallback_reason = e.what();
    }
  }
  if (settings.target == "stderr") {
    logger = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%P] %l: %v");
  } else if (!logger) {
    // syslog adds its own time stamp and program name.
    logger = std::make_shared<spdlog::logger>(
        name, std::make_shared<spdlog::sinks::syslog_sink_mt>(name, LOG_PID, LOG_MAIL, true));
    logger->set_pattern("%v");
  }
  logger->set_level(to_spdlog(settings.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  if (!fallback_reason.empty()) {
    spdlog::warn("cannot write the log file {} ({}): logging to syslog instead", settings.target, fallback_reason);
  }
}

}  // namespace letterbox
