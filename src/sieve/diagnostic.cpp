#include "letterbox/sieve/diagnostic.hpp"

#include <string>

namespace letterbox::sieve {

std::string format_diagnostic(std::string_view file, const Diagnostic& d) {
  return std::string(file) + ":" + std::to_string(d.where.line) + ":" + std::to_string(d.where.column) + ": " +
         d.message;
}

}  // namespace letterbox::sieve
