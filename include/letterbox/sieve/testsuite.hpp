// Runs one test file of Pigeonhole's conformance suite (a `.svtest` script that requires
// "vnd.dovecot.testsuite"): the only compilation in which that extension exists (compile_plugin.hpp), so
// that no delivery can use it. The file's `test "name" { … }` blocks run against a message the file sets,
// a result it inspects and executes into a mail store and an outbox held in memory. Reading the files the
// suite names (scripts to compile, included scripts) is the caller's, through read_file.
// docs/man/letterbox-sieve.1 ("svtest") lists the commands supported and refused.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "letterbox/sieve/interpreter.hpp"
#include "letterbox/sieve/limits.hpp"

namespace letterbox::sieve {

struct TestsuiteOptions {
  CompileLimits compile_limits;
  RunLimits run_limits;  // for the whole file, and for each script it runs
  RunEnvironment environment;
  // The text of a file named relative to the test file's folder ("actions/fileinto.sieve",
  // "included/frop.sieve"); nullopt when it cannot be read.
  std::function<std::optional<std::string>(const std::string& relative)> read_file;
};

struct TestsuiteReport {
  std::size_t tests = 0;   // test blocks started
  std::size_t failed = 0;  // of them, those that failed
  // Why the file failed: "test 'NAME': reason", a compile error of the file ("line 3: unknown extension
  // …", an unsupported testsuite command among them) or a run-time error outside any test block.
  std::string first_failure;
  bool passed() const { return first_failure.empty(); }
};

TestsuiteReport run_testsuite(std::string_view text, const TestsuiteOptions& options);

}  // namespace letterbox::sieve
