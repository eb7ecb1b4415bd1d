#include "letterbox/util/log.hpp"

#include <spdlog/spdlog.h>

#include <string>

namespace letterbox::log {
namespace {

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::Debug: return spdlog::level::debug;
    case Level::Info: return spdlog::level::info;
    case Level::Warn: return spdlog::level::warn;
    case Level::Error: return spdlog::level::err;
    case Level::Critical: return spdlog::level::critical;
  }
  return spdlog::level::info;
}

}  // namespace

void write(Level level, fmt::string_view format, fmt::format_args args) noexcept {
  try {
    auto* logger = spdlog::default_logger_raw();
    const auto spdlog_level = to_spdlog(level);
    if (logger == nullptr || !logger->should_log(spdlog_level)) return;
    const std::string text = fmt::vformat(format, args);
    logger->log(spdlog_level, spdlog::string_view_t(text.data(), text.size()));
  } catch (...) {  // NOLINT(bugprone-empty-catch): see the header
  }
}

}  // namespace letterbox::log
