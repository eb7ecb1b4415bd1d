// One compiled command or test of vnd.dovecot.testsuite: which one, its arguments, and the state it acts
// on. testsuite_compile.cpp builds it, testsuite_commands.cpp runs it.
#pragma once

#include <cstdint>

#include "compile_plugin.hpp"
#include "testsuite_state.hpp"

namespace letterbox::sieve {

enum class TestsuiteOp {
  test,            // test <name> <block>
  fail,            // test_fail <reason>
  set,             // test_set <object> <value>
  message,         // test_message (:smtp / :folder <mailbox>) <index>, a command or a test
  mailbox_create,  // test_mailbox_create <mailbox>
  result_reset,    // test_result_reset
  print,           // test_result_print, test_message_print: nothing to show in a one-line report
  script_compile,  // test_script_compile <path>
  script_run,      // test_script_run [:append_result]
  multiscript,     // test_multiscript <paths>
  error,           // test_error [MATCH-TYPE] [COMPARATOR] [:index N] <keys>
  result_action,   // test_result_action [MATCH-TYPE] [COMPARATOR] [:index N] <keys>
  result_execute,  // test_result_execute
  config_set,      // test_config_set <setting> <value>
  config_unset,    // test_config_unset <setting>
  config_reload,   // test_config_reload [:extension <name>]: settings apply when set
  binary_save,     // test_binary_save <name>: the compiled script, kept under that name
  binary_load,     // test_binary_load <name>
  debug_log,       // debug_log <message> (vnd.dovecot.debug): nothing to show in a one-line report
};

class TestsuiteNode final : public HostedNode {
 public:
  TestsuiteNode(TestsuiteState& state, TestsuiteOp op) : state_(state), op_(op) {}

  Flow execute(Run& run, Frame& frame, const Command& command) const override;
  bool evaluate(Run& run, Frame& frame, const Test& test) const override;

  String text;              // test: the name; fail: the reason; set: the object; message: the folder;
                            // mailbox_create: the mailbox; script_compile: the path; config_*: the setting;
                            // binary_*: the name
  String value;             // set, config_set: the value
  bool smtp = false;        // message: :smtp
  std::uint64_t index = 0;  // message: the index (0-based); error, result_action: :index (1-based, 0: all)
  bool append = false;      // script_run: :append_result
  StringList paths;         // multiscript

 private:
  TestsuiteState& state_;
  TestsuiteOp op_;
};

}  // namespace letterbox::sieve
