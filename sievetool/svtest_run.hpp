// `letterbox-sieve svtest FILE...`: runs test files of Pigeonhole's conformance suite (.svtest, with the
// vnd.dovecot.testsuite extension, which exists only here) and says which pass.
#pragma once

#include <string>
#include <vector>

#include "letterbox/config/config.hpp"

namespace letterbox {

// Prints "PASS FILE" or "FAIL FILE: reason" per file and a summary on stdout. Returns 0 when every file
// passed, 1 otherwise. Every test of a file in a folder named "failures" must fail, as Pigeonhole's own
// Makefile runs those (its tests/failures/ are fuzzer finds that must fail cleanly, not crash).
int run_svtest(const Settings& settings, const std::vector<std::string>& files);

}  // namespace letterbox
