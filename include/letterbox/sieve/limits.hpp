// What the compiler accepts at most: a script is untrusted input (a user's upload, a fuzzer), so every
// size that could make the parser recurse, allocate or loop without bound has a ceiling.
#pragma once

#include <cstddef>

namespace letterbox::sieve {

struct CompileLimits {
  std::size_t max_script_bytes = 1 << 20;  // [sieve] max_script_size; the caller checks it before reading too
  unsigned max_nesting = 32;               // blocks and tests inside tests, together
  std::size_t max_string_list = 1024;      // strings in one [ … ] list
  std::size_t max_errors = 10;             // a compiler stops reporting after this many
};

}  // namespace letterbox::sieve
