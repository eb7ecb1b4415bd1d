// Logging setup: one spdlog logger, "letterbox", writing to stderr, syslog (facility mail) or a file,
// at the configured level. Call setup_logging() again to reopen (SIGHUP, log rotation). A log file that
// cannot be opened is never fatal: the logger falls back to syslog and says so once.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "letterbox/config.hpp"

namespace letterbox {

// Installs the logger as spdlog's default; `ident` names the program in syslog and in each line.
void setup_logging(const LogSettings& settings, std::string_view ident);

}  // namespace letterbox
