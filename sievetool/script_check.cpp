#include "script_check.hpp"

#include <sysexits.h>

#include <iostream>

#include "letterbox/config/sieve_script_file.hpp"

namespace letterbox {

int run_check(const Settings& settings, const std::string& file) {
  const auto check = check_sieve_file(file, settings.sieve);
  for (const auto& line : describe_sieve_file_check(file, check)) {
    std::cerr << (check.read_errno != 0 ? "letterbox-sieve: " : "") << line << "\n";
  }
  if (check.read_errno != 0) return EX_NOINPUT;
  return check.errors.empty() ? EX_OK : 1;
}

}  // namespace letterbox
