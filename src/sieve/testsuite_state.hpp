// What the commands of vnd.dovecot.testsuite share while one test file runs (testsuite.hpp): the test
// block being run and the failures so far, the script compiled by test_script_compile and the errors of the
// last compile or run (test_error), and the little world the result is executed into — folders holding
// messages and an outbox of messages "sent" by redirect, reject and vacation. It is also the ScriptHost of
// every run: folders exist when created or stored into, includes come from the test file's folder.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "letterbox/sieve/compiler.hpp"
#include "letterbox/sieve/testsuite.hpp"
#include "run_state.hpp"

namespace letterbox::sieve {

struct SentMessage {
  std::string from;  // envelope sender, "" for <>
  std::string to;    // envelope recipient
  std::string text;
};

struct StoredMessage {
  std::string text;
  std::vector<std::string> flags;  // as imap4flags left them on the action
};
using Mailbox = std::vector<StoredMessage>;

class TestsuiteState final : public ScriptHost {
 public:
  explicit TestsuiteState(const TestsuiteOptions& options) : options_(options) { create_mailbox("INBOX"); }

  const TestsuiteOptions& options() const { return options_; }

  // ScriptHost
  bool mailbox_exists(std::string_view name) override { return find_mailbox(name) != nullptr; }
  IncludeLoad load_include(IncludeLocation location, std::string_view name) override;
  bool duplicate_seen(std::string_view, std::string_view, std::uint64_t) override { return false; }

  Mailbox* find_mailbox(std::string_view name);
  Mailbox& create_mailbox(std::string_view name);

  // Reads and compiles a file named relative to the test file; the errors go to the log. Null on failure.
  std::shared_ptr<const Script> compile_file(const std::string& relative);

  // Stores or sends what `actions` say, for the message `message` with `envelope`. False (and the reason
  // in the log) when an action cannot be performed.
  bool execute(const std::vector<Action>& actions, std::string_view message, const Envelope& envelope);

  // The test block being run ("" outside any), and the reason test_fail gave for failing it.
  std::string test_name;
  bool in_test = false;
  std::optional<std::string> fail_reason;
  TestsuiteReport report;

  // Scripts the suite compiles may use the testsuite too (test_fail in a script it runs fails the test).
  const CompilePlugin* plugin = nullptr;
  std::shared_ptr<const Script> compiled;                                      // test_script_compile
  std::map<std::string, std::shared_ptr<const Script>, std::less<>> binaries;  // test_binary_save
  std::vector<std::string> log;  // the errors of the last compile, run or execute
  std::string last_problem;      // in this test block: the first of them, if that one failed
  std::vector<SentMessage> sent;
  // The flags the message under test has in its folder: what imap4flags' internal variable starts from
  // (Pigeonhole reads them from the mail), after each change of message and each result reset.
  std::vector<std::string> message_flags;
  bool executed = false;  // test_result_execute ran since the last reset: a second one performs nothing

 private:
  const TestsuiteOptions& options_;
  std::vector<std::pair<std::string, Mailbox>> mailboxes_;
};

// The envelope Pigeonhole's testsuite gives a message it is set to: the recipient from Envelope-To or To,
// the sender from Return-Path, Sender or From, each else a fixed example address.
Envelope testsuite_envelope(std::string_view message);

// test_config_set (a value) and test_config_unset (none): the error when `name` is not a bound of this
// engine's run or the value is not one (testsuite_settings.cpp).
std::optional<std::string> apply_testsuite_setting(RunLimits& limits, std::string_view name,
                                                   std::optional<std::string_view> value);

// Compiles vnd.dovecot.testsuite's commands and tests into nodes that act on `state`
// (testsuite_commands.cpp).
std::unique_ptr<CompilePlugin> make_testsuite_plugin(TestsuiteState& state);

}  // namespace letterbox::sieve
