// `letterbox-sieve check FILE`: compiles a script as delivery would, under the configured limits.
#pragma once

#include <string>

#include "letterbox/config/config.hpp"

namespace letterbox {

// Prints each error as "FILE:LINE:COLUMN: message" on stderr. Returns 0 when it compiles, 1 when it does
// not, 66 when the file cannot be read.
int run_check(const Settings& settings, const std::string& file);

}  // namespace letterbox
