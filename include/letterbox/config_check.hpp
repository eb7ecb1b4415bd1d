// --check-config beyond syntax: a file can parse and still make every delivery defer (a mail_root the
// delivery user cannot write, a password file it cannot read, a log file root created). check_config()
// finds those before the first message does. Checks that concern files are made as the delivery user
// ([server] user when run as root, else the invoking user), in a short-lived child process, because
// that is who will open them. It never changes anything.
#pragma once

#include <string>
#include <vector>

#include "letterbox/config.hpp"

namespace letterbox {

struct ConfigProblem {
  enum class Severity { Error, Warning };
  Severity severity = Severity::Error;
  std::string text;  // "FILE:LINE: key 'k' in [s]: what is wrong"
};

struct ConfigCheckScope {
  bool listeners = false;  // check [server] listen's socket directories (the daemons, not the LDA)
};

std::vector<ConfigProblem> check_config(const Settings& settings, ConfigCheckScope scope);

bool has_errors(const std::vector<ConfigProblem>& problems);

// "error: ..." / "warning: ..."
std::string format_problem(const ConfigProblem& problem);

// The whole --check-config of a program: loads the file, prints every problem to stderr as
// "PROGRAM: error: ..." and, when there is no error, the effective settings to stdout. Returns 0, 78 for a
// configuration that is wrong, or 71 when the file could not be read for another reason.
int run_check_config(const std::string& config_file, std::string_view program, ConfigCheckScope scope);

}  // namespace letterbox
