#include "letterbox/observe/logging.hpp"

#include <syslog.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "letterbox/util/log.hpp"
#include "letterbox/util/process_identity.hpp"

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

// The one sink the program's logger ever has. A reload changes where it writes by swapping its target
// under the sink's own lock, which every line holds while it is written. Installing a new logger
// instead is not safe: log::write() (util/log.hpp) uses a raw pointer to the default logger, so a logger
// replaced while another thread writes a line would be freed under that thread.
class RetargetableSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void retarget(std::shared_ptr<spdlog::sinks::sink> target, std::string description) {
    std::shared_ptr<spdlog::sinks::sink> previous;  // closed after the lock is released
    std::lock_guard lock(mutex_);
    previous = std::exchange(target_, std::move(target));
    description_ = std::move(description);
  }
  std::string description() {
    std::lock_guard lock(mutex_);
    return description_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (target_) target_->log(msg);
  }
  void flush_() override {
    if (target_) target_->flush();
  }
  // Each target is given its own pattern when it is made.
  void set_pattern_(const std::string& /*pattern*/) override {}
  void set_formatter_(std::unique_ptr<spdlog::formatter> /*formatter*/) override {}

 private:
  std::shared_ptr<spdlog::sinks::sink> target_;
  std::string description_;
};

struct ProgramLogger {
  std::shared_ptr<RetargetableSink> sink = std::make_shared<RetargetableSink>();
  std::shared_ptr<spdlog::logger> logger;
};

// Made once, on the first setup_logging(), and never freed: the default logger from then on.
ProgramLogger& program_logger(std::string_view ident) {
  static ProgramLogger* made = [ident] {
    auto* p = new ProgramLogger;  // NOLINT(cppcoreguidelines-owning-memory): lives as long as the process
    p->logger = std::make_shared<spdlog::logger>(std::string(ident), p->sink);
    spdlog::set_default_logger(p->logger);
    return p;
  }();
  return *made;
}

// The pid in a log line, from process_id(): spdlog's own %P calls getpid() for every line, a system
// call per delivery since glibc stopped caching it.
class PidFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& /*msg*/, const std::tm& /*time*/, spdlog::memory_buf_t& dest) override {
    const fmt::format_int pid(process_id());
    dest.append(pid.data(), pid.data() + pid.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<PidFlag>(); }
};

// "2026-12-07T00:09:16.629 letterbox-lda[1234] info: ...": the pattern of a log file and of stderr.
std::unique_ptr<spdlog::formatter> program_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<PidFlag>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%*] %l: %v");
  return formatter;
}

}  // namespace

void setup_logging(const LogSettings& settings, std::string_view ident) {
  const std::string name(ident);
  std::shared_ptr<spdlog::sinks::sink> target;
  std::string description = settings.target;
  std::string fallback_reason;
  if (settings.target != "syslog" && settings.target != "stderr") {
    try {
      // A file sink opened anew on every call, so a SIGHUP after rotation writes to the new file.
      target = std::make_shared<spdlog::sinks::basic_file_sink_mt>(settings.target, false);
      target->set_formatter(program_formatter());
    } catch (const spdlog::spdlog_ex& e) {
      // A log file we cannot open (created by root, a full /var/log) must never stop mail: say so once,
      // where an administrator still looks, and go on.
      fallback_reason = e.what();
    }
  }
  if (settings.target == "stderr") {
    target = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    target->set_formatter(program_formatter());
  } else if (!target) {
    // syslog adds its own time stamp and program name.
    target = std::make_shared<spdlog::sinks::syslog_sink_mt>(name, LOG_PID, LOG_MAIL, true);
    target->set_pattern("%v");
    description = "syslog";
  }
  auto& program = program_logger(ident);
  program.sink->retarget(std::move(target), std::move(description));
  program.logger->set_level(to_spdlog(settings.level));
  program.logger->flush_on(spdlog::level::info);
  if (!fallback_reason.empty()) {
    log::warn("cannot write the log file {} ({}): logging to syslog instead", settings.target, fallback_reason);
  }
}

std::string logging_to() {
  return program_logger("letterbox").sink->description();
}

}  // namespace letterbox
