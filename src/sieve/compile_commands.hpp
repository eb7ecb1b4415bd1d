// The commands other than the control structure (if/elsif/else and require, which the block compiler
// handles): actions (RFC 5228 §4 and the extensions') and the commands of variables, include and ihave.
#pragma once

#include <optional>
#include <string_view>

#include "compile_context.hpp"

namespace letterbox::sieve {

struct CommandSpec {
  std::string_view name;
  CommandKind kind;
  std::optional<Extension> extension;
  bool (*compile)(Arguments&, Command&);
};

const CommandSpec* find_command(std::string_view lower_case_name);

bool compile_keep(Arguments& arguments, Command& command);
bool compile_redirect(Arguments& arguments, Command& command);
bool compile_fileinto(Arguments& arguments, Command& command);
bool compile_reason(Arguments& arguments, Command& command);  // reject, ereject
bool compile_vacation(Arguments& arguments, Command& command);
bool compile_flag_action(Arguments& arguments, Command& command);  // setflag addflag removeflag
bool compile_set(Arguments& arguments, Command& command);
bool compile_include(Arguments& arguments, Command& command);
bool compile_global(Arguments& arguments, Command& command);
bool compile_error(Arguments& arguments, Command& command);
bool compile_no_arguments(Arguments& arguments, Command& command);  // stop discard return

}  // namespace letterbox::sieve
