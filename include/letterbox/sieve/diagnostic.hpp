// A place in a Sieve script and what is wrong there: the one form every compile error, limit and run-time
// error of the engine takes, printed as `FILE:LINE:COLUMN: message` (letterbox-sieve check, the delivery
// log, ManageSieve's NO).
#pragma once

#include <string>
#include <string_view>

namespace letterbox::sieve {

// 1-based, as editors count; the column counts bytes, not characters.
struct Position {
  unsigned line = 1;
  unsigned column = 1;
  bool operator==(const Position&) const = default;
};

struct Diagnostic {
  Position where;
  std::string message;
};

std::string format_diagnostic(std::string_view file, const Diagnostic& d);

}  // namespace letterbox::sieve
