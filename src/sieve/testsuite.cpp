// run_testsuite: the test file compiled with the testsuite plugin and run once on a default message
// until it sets its own; the test blocks record their own failures (testsuite_commands.cpp).
#include "letterbox/sieve/testsuite.hpp"

#include "compile_plugin.hpp"
#include "letterbox/sieve/compiler.hpp"
#include "testsuite_state.hpp"

namespace letterbox::sieve {
namespace {

// The message a test file starts with, until it sets one: a plain one of our own.
constexpr std::string_view kDefaultMessage =
    "From: sender@example.com\n"
    "To: recipient@example.org\n"
    "Subject: Test message\n"
    "\n"
    "Nothing to see here.\n";

}  // namespace

TestsuiteReport run_testsuite(std::string_view text, const TestsuiteOptions& options) {
  TestsuiteState state(options);
  const auto plugin = make_testsuite_plugin(state);
  state.plugin = plugin.get();
  CompileOptions compile_options{options.compile_limits};
  compile_options.plugin = plugin.get();
  const auto compiled = compile(text, compile_options);
  if (!compiled.ok()) {
    const auto& error = compiled.errors.front();
    state.report.first_failure = "line " + std::to_string(error.where.line) + ": " + error.message;
    return state.report;
  }
  RunInput input;
  input.message = kDefaultMessage;
  input.envelope = testsuite_envelope(kDefaultMessage);
  input.environment = options.environment;
  input.limits = options.run_limits;
  input.host = &state;
  const auto result = run(*compiled.script, input);
  if (result.error && state.report.first_failure.empty()) {
    state.report.first_failure = "run-time error at line " + std::to_string(result.error->diagnostic.where.line) +
                                 ": " + result.error->diagnostic.message;
  }
  return std::move(state.report);
}

}  // namespace letterbox::sieve
