// Writing one log line: log::warn("cannot open {}: {}", path, why). The line is formatted by fmt's
// compiled library and handed, finished, to the program's logger (observe/logging.hpp says where it
// goes). log::warn() and its kin would instead compile fmt's whole formatter into every file that
// logs, about 3.5 s of CPU each at -O2 and a tenth of every build; behind this header only log.cpp
// includes spdlog.
#pragma once

#include <fmt/core.h>

namespace letterbox::log {

enum class Level { Debug, Info, Warn, Error, Critical };

// Never throws: a line that cannot be formatted or written is lost and the caller goes on (a logging
// problem never stops mail).
void write(Level level, fmt::string_view format, fmt::format_args args) noexcept;

template <typename... Args>
void line(Level level, fmt::format_string<Args...> format, Args&&... args) {
  write(level, format, fmt::make_format_args(args...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::Debug, format, fmt::make_format_args(args...));
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::Info, format, fmt::make_format_args(args...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::Warn, format, fmt::make_format_args(args...));
}
template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::Error, format, fmt::make_format_args(args...));
}
template <typename... Args>
void critical(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::Critical, format, fmt::make_format_args(args...));
}

}  // namespace letterbox::log
