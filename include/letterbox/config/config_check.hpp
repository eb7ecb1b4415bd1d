// --check-config beyond syntax: a file can parse and still make every delivery defer (a mail_root the
// delivery user cannot write, a password file it cannot read, a log file root created). check_config()
// finds those before the first message does. Checks that concern files are made as the delivery user
// ([server] user when run as root, else the invoking user), in a short-lived child process, because
// that is who will open them. It never changes anything.
#pragma once

#include <string>
#include <vector>

#include "letterbox/config/config.hpp"

namespace letterbox {

struct ConfigProblem {
  enum class Severity { Error, Warning };
  Severity severity = Severity::Error;
  std::string text;  // "FILE:LINE: key 'k' in [s]: what is wrong"
};

struct ConfigCheckScope {
  // Each program checks the sections only it uses, beside those every program reads.
  bool lmtpd = false;    // [server] listen's socket directories, TLS and proxy (letterbox-lmtpd)
  bool policyd = false;  // [policy] listen and, with greylisting on, greylist_db (letterbox-policyd)
};

std::vector<ConfigProblem> check_config(const Settings& settings, ConfigCheckScope scope);

bool has_errors(const std::vector<ConfigProblem>& problems);

// "error: ..." / "warning: ..."
std::string format_problem(const ConfigProblem& problem);

// Loads `config_file` for `program`: 0 with `settings` filled, or the exit code after printing
// "PROGRAM: FILE:LINE: ..." to stderr (78 for a configuration that is wrong, 71 for a file that could
// not be read).
int load_config_or_report(const std::string& config_file, std::string_view program, Settings& settings);

// The whole --check-config of a program: loads the file, prints every problem to stderr as
// "PROGRAM: error: ..." and, when there is no error, the effective settings to stdout. Returns 0, 78 for a
// configuration that is wrong, or 71 when the file could not be read for another reason.
int run_check_config(const std::string& config_file, std::string_view program, ConfigCheckScope scope);

}  // namespace letterbox
