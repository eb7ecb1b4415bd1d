// The [sieve] part of --check-config (config_check.cpp asks, and names the file and line of each key):
// the vacation periods in order, and the administrator's before/after scripts present and compiling.
// Private to src/config/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "letterbox/config/config.hpp"

namespace letterbox::sieve_config_check {

struct KeyProblem {
  std::string_view key;  // in [sieve]
  std::string what;
};

// vacation_min_period <= vacation_default_period <= vacation_max_period: a script's :days is clamped
// between them, and the default must be one a script could ask for.
std::vector<KeyProblem> check_periods(const SieveSettings& sieve);

// Every before/after script readable (by whoever calls: the delivery user) and compiling; each compile
// error as "FILE:LINE:COLUMN: message".
std::vector<KeyProblem> check_scripts(const SieveSettings& sieve);

}  // namespace letterbox::sieve_config_check
