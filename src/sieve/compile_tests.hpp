// The tests (RFC 5228 §5 and the extensions'): name lookup, arguments, nested tests.
#pragma once

#include "compile_context.hpp"

namespace letterbox::sieve {

bool compile_test(Context& context, const ast::Test& node, Test& out);

// For "unknown command/test" messages: a near name, or the extension that would make the name known.
std::string unknown_name_hint(const Context& context, std::string_view name, bool command);

}  // namespace letterbox::sieve
