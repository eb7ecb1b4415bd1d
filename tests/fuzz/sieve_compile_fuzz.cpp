// compile: any bytes either compile or give errors, each with a position inside the text; what compiles
// prints to Sieve text that compiles again to a script printing the same text (the printer is the
// compiler's inverse, up to spelling). The parse tree's printer round-trips as well.
#include <string>

#include "fuzz_targets.hpp"
#include "letterbox/sieve/compiler.hpp"
#include "letterbox/sieve/parser.hpp"
#include "letterbox/sieve/printer.hpp"

namespace letterbox::fuzz {

int sieve_compile(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = sieve::compile(text);
  if (!result.ok()) {
    FUZZ_CHECK(!result.errors.empty() && result.errors.size() <= sieve::CompileLimits{}.max_errors);
    for (const auto& error : result.errors) FUZZ_CHECK(error.where.line >= 1 && error.where.column >= 1);
    return 0;
  }
  FUZZ_CHECK(result.errors.empty());
  const std::string printed = sieve::print(*result.script);
  const auto again = sieve::compile(printed);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(sieve::print(*again.script) == printed);
  const auto tree = sieve::parse(text);
  FUZZ_CHECK(tree.errors.empty());
  const std::string tree_text = sieve::print(tree.tree);
  const auto tree_again = sieve::parse(tree_text);
  FUZZ_CHECK(tree_again.errors.empty());
  FUZZ_CHECK(sieve::print(tree_again.tree) == tree_text);
  return 0;
}

}  // namespace letterbox::fuzz
