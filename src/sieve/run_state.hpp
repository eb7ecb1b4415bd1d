// The state of one run, shared by the files that execute commands (run_commands.cpp, run_actions.cpp)
// and evaluate tests (run_tests.cpp, run_extension_tests.cpp): the inputs, the actions so far, the
// variables of each script (Frame) and the first error. A run-time error is recorded with fail() and
// unwinds as Flow::error / a false test, checked by every caller; nothing throws.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "action_list.hpp"
#include "letterbox/sieve/interpreter.hpp"
#include "letterbox/sieve/message_headers.hpp"
#include "letterbox/sieve/variables.hpp"

namespace letterbox::sieve {

enum class Flow { next, stop, return_, error };

// One script being run: the top one of a sequence or one it includes. Its own variables and match
// variables (RFC 6609 §3.4: private unless declared global).
struct Frame {
  Frame(const Script& script, const RunLimits& limits, std::string included)
      : script(script), locals(limits.max_variables, limits.max_variable_size), included(std::move(included)) {}
  const Script& script;
  VariableStore locals;
  std::set<std::string, std::less<>> global_names;  // lower-case
  MatchVariables matches;
  std::string included;  // "" for a top-level script, else the name it was included by
};

class Run {
 public:
  Run(const RunInput& input, ActionList& actions);

  const RunInput& input() const { return input_; }
  // For a hosted extension that changes the message under test (compile_plugin.hpp): the run keeps its
  // own copy of the input for that reason.
  void replace_message(std::string text);
  Envelope& envelope() { return input_.envelope; }
  RunLimits& limits_to_change() { return input_.limits; }
  const RunLimits& limits() const { return input_.limits; }
  ScriptHost& host() { return *input_.host; }
  RegexCache& regexes() { return input_.regexes != nullptr ? *input_.regexes : local_regexes_; }
  ActionList& actions() { return actions_; }
  const MessageHeaders& headers();

  // Records the first error (later ones are consequences of it) and returns false.
  bool fail(const Frame& frame, Position where, std::string message);
  bool failed() const { return error_.has_value(); }
  std::optional<RunError> take_error() { return std::exchange(error_, std::nullopt); }
  // False (and the run failed) once the CPU time is spent.
  bool in_time(const Frame& frame, Position where);
  // Starts the next top-level script of a sequence: its index for errors, fresh global variables and
  // include history (each script is a run of its own, sharing the actions and the internal flags).
  void begin_script(std::size_t index);

  // Strings with variables expanded (RFC 5229 §3) in the scope of `frame`.
  std::string expand(const Frame& frame, const String& s) const;
  std::vector<std::string> expand(const Frame& frame, const StringList& list) const;
  std::optional<std::string_view> variable(const Frame& frame, std::string_view name) const;
  // False when the store is full (then the run has failed).
  bool set_variable(Frame& frame, Position where, std::string_view name, std::string_view value);
  VariableStore& globals() { return globals_; }

  // The imap4flags internal variable (RFC 5232 §3): included scripts and, as in Pigeonhole, the scripts
  // of a sequence share it.
  std::vector<std::string>& internal_flags() { return internal_flags_; }

  // include (RFC 6609): the scripts on the way from the top one, and those included at all (for :once).
  std::vector<std::pair<IncludeLocation, std::string>>& include_chain() { return include_chain_; }
  std::set<std::pair<IncludeLocation, std::string>>& included_once() { return included_; }
  std::size_t& includes_performed() { return includes_performed_; }

  void mark_duplicate(DuplicateMark mark);
  std::vector<DuplicateMark> take_duplicates() { return std::move(duplicates_); }

 private:
  RunInput input_;
  std::string replaced_message_;
  ActionList& actions_;
  RegexCache local_regexes_;
  std::optional<MessageHeaders> headers_;
  std::optional<RunError> error_;
  std::size_t script_index_ = 0;
  std::chrono::nanoseconds cpu_start_{};
  // The last reading of the thread's CPU clock: when it was taken (wall clock) and the CPU time used by
  // then (see in_time).
  std::chrono::steady_clock::time_point cpu_read_at_;
  std::chrono::nanoseconds cpu_used_{};
  VariableStore globals_;
  std::vector<std::string> internal_flags_;
  std::vector<std::pair<IncludeLocation, std::string>> include_chain_;
  std::set<std::pair<IncludeLocation, std::string>> included_;
  std::size_t includes_performed_ = 0;
  std::vector<DuplicateMark> duplicates_;
};

// run_commands.cpp: a block of commands in `frame`.
Flow execute_block(Run& run, Frame& frame, const std::vector<Command>& block);
// run_actions.cpp: keep, discard, redirect, fileinto, reject, ereject, vacation, setflag/addflag/removeflag.
Flow execute_action(Run& run, Frame& frame, const Command& command);
// run_tests.cpp: any test.
bool evaluate(Run& run, Frame& frame, const Test& test);
// run_tests.cpp: the values of a test against its keys (expanded, unless given), under its match type and
// comparator; match variables set unless `captures` is false (body, RFC 5173 §6).
bool match_values(Run& run, Frame& frame, const Test& test, std::span<const std::string> values, bool captures = true,
                  const std::vector<std::string>* keys = nullptr);
// run_extension_tests.cpp: date, currentdate, hasflag, mailboxexists, duplicate, environment.
bool evaluate_extension_test(Run& run, Frame& frame, const Test& test);

}  // namespace letterbox::sieve
