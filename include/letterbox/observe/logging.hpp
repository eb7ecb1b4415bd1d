// Logging setup: one spdlog logger, "letterbox", writing to stderr, syslog (facility mail) or a file,
// at the configured level. Call setup_logging() again to reopen (SIGHUP, log rotation). A log file that
// cannot be opened is never fatal: the logger falls back to syslog and says so once.
#pragma once

#include <string>
#include <string_view>

#include "letterbox/config/config.hpp"

namespace letterbox {

// Installs the logger as spdlog's default; `ident` names the program in syslog and in each line. Safe to
// call while other threads log: the logger stays, only where it writes changes.
void setup_logging(const LogSettings& settings, std::string_view ident);

// Where the log goes now: "syslog", "stderr" or the file's path.
std::string logging_to();

}  // namespace letterbox
