// Text to parse tree (RFC 5228 §8): the grammar only, no knowledge of which commands exist. Errors come
// with the line and column of the offending token; parsing goes on after an error (to the next ';' or
// block) so that one run reports several, up to CompileLimits::max_errors.
#pragma once

#include <string_view>
#include <vector>

#include "letterbox/sieve/ast.hpp"
#include "letterbox/sieve/diagnostic.hpp"
#include "letterbox/sieve/limits.hpp"

namespace letterbox::sieve {

struct ParseResult {
  ast::Tree tree;  // complete only when errors is empty
  std::vector<Diagnostic> errors;
};

ParseResult parse(std::string_view text, const CompileLimits& limits = {});

}  // namespace letterbox::sieve
