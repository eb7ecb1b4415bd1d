// A script printed back as Sieve text that compiles to the same script: for `letterbox-sieve`, for
// debugging, and for the fuzz invariant (print, compile, print gives the same text).
#pragma once

#include <string>

#include "letterbox/sieve/ast.hpp"
#include "letterbox/sieve/script.hpp"

namespace letterbox::sieve {

std::string print(const Script& script);
std::string print(const ast::Tree& tree);

}  // namespace letterbox::sieve
