// `letterbox-sieve test [-f SENDER] [-a RCPT] [--global-dir DIR] SCRIPT MESSAGE`: runs a script on a message
// as delivery would and prints the actions it would take (docs/sieve.md's format), performing none.
#pragma once

#include <optional>
#include <string>

#include "letterbox/config/config.hpp"

namespace letterbox {

struct ScriptTest {
  std::string script;                     // the script file; `include :personal` looks beside it
  std::string message;                    // the message file
  std::optional<std::string> sender;      // -f: "" or "<>" for the null sender; none: Return-Path, else From
  std::optional<std::string> recipient;   // -a; none: the first address in To
  std::optional<std::string> global_dir;  // --global-dir: where `include :global` looks; none: nowhere
};

// Prints the actions on stdout and returns 0; compile errors as "FILE:LINE:COLUMN: message" on stderr and
// 1; 66 when a file cannot be read, 64 when no recipient is given or found.
int run_script_test(const Settings& settings, const ScriptTest& test);

}  // namespace letterbox
