// The commands of letterbox-sieve on one user's scripts: the user is looked up in the directory as a
// recipient is (unknown, disabled or unavailable users are refused with the LDA's exit codes), the
// [sieve] user_dir is expanded for the address as mailbox_template is, and the change is made by the
// store (store/sieve_script_store.hpp) as the delivery user.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "letterbox/config/config.hpp"

namespace letterbox {

enum class ScriptVerb { List, Get, Put, Activate, Deactivate, Delete, Rename };

struct ScriptCommand {
  ScriptVerb verb = ScriptVerb::List;
  std::string user;                       // USER@DOMAIN
  std::vector<std::string> names;         // NAME, or OLD NEW for rename
  std::optional<std::string> input_file;  // put: FILE, read as the invoking user; absent: standard input
};

// Runs `command` and returns the exit status (letterbox-sieve(1), EXIT STATUS). `settings` is the loaded
// configuration; this process still has the privileges it was started with.
int run_script_command(const Settings& settings, const ScriptCommand& command);

}  // namespace letterbox
