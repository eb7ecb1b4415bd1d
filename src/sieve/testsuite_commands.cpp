// What vnd.dovecot.testsuite's commands and tests do during a run. The file's own actions and those of
// the scripts test_script_run runs go into the run's one action list, as Pigeonhole's testsuite keeps one
// result; a test block that fails records why and lets the next block run.
#include <algorithm>

#include "letterbox/sieve/address_list.hpp"
#include "letterbox/util/text.hpp"
#include "testsuite_node.hpp"

namespace letterbox::sieve {
namespace {

// RFC 5321 §4.1.2 Domain: dot-separated labels of letters, digits and hyphens (and '_', which hosts
// use though the RFC does not have it), or an address literal.
bool smtp_domain(std::string_view domain) {
  if (domain.starts_with('[')) return domain.ends_with(']') && domain.size() > 2;
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(domain.begin(), domain.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

// An envelope address as test_set gives it: an SMTP path (RFC 5321 §4.1.2), brackets optional, a source
// route ("@a,@b:") checked and dropped. One that is not a path leaves no path at all (""), as in
// Pigeonhole's testsuite.
std::string smtp_path(std::string_view text, bool local_part_only = false) {
  if (text.starts_with('<')) {
    if (!text.ends_with('>') || text.size() < 2) return "";
    text = text.substr(1, text.size() - 2);
  }
  if (text.find_first_of("<>") != std::string_view::npos) return "";
  if (text.starts_with('@')) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return "";
    for (std::string_view route = text.substr(0, colon); !route.empty();) {
      const auto comma = route.find(',');
      const std::string_view hop = route.substr(0, comma);
      if (!hop.starts_with('@') || !smtp_domain(hop.substr(1))) return "";
      route = comma == std::string_view::npos ? std::string_view() : route.substr(comma + 1);
      if (comma != std::string_view::npos && route.empty()) return "";
    }
    text.remove_prefix(colon + 1);
  }
  // The local part as MTAs take it: dots anywhere (some mobile carriers' addresses have them), no blanks.
  const auto at = text.rfind('@');
  const std::string_view local = text.substr(0, at);
  const bool local_ok = !local.empty() && std::none_of(local.begin(), local.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == '@' || c == ',' || c == ':' || c == ';';
  });
  if (!local_ok && !(local.size() >= 2 && local.front() == '"' && local.back() == '"')) return "";
  if (at == std::string_view::npos) return local_part_only ? std::string(text) : "";
  if (!smtp_domain(text.substr(at + 1))) return "";
  const auto items = parse_address_list(text, 2);
  return items.size() == 1 && items.front().valid ? items.front().all : std::string(text);
}

// The names Pigeonhole's result gives its actions.
std::string action_name(const Action& action) {
  if (const auto* keep = std::get_if<KeepAction>(&action.what)) return keep->fileinto_name.empty() ? "keep" : "store";
  if (std::holds_alternative<FileintoAction>(action.what)) return "store";
  if (std::holds_alternative<RedirectAction>(action.what)) return "redirect";
  if (const auto* reject = std::get_if<RejectAction>(&action.what)) return reject->extended ? "ereject" : "reject";
  return "vacation";
}

void reset_result(Run& run, TestsuiteState& state) {
  run.actions() = ActionList(run.limits().max_actions, run.limits().max_redirects);
  run.internal_flags() = state.message_flags;
  state.executed = false;
}

// The run's failure becomes the failure of the test block; outside one, it stays the run's.
Flow test_block(Run& run, Frame& frame, const Command& command, TestsuiteState& state, const std::string& name) {
  state.test_name = name;
  state.in_test = true;
  state.fail_reason.reset();
  state.last_problem.clear();
  ++state.report.tests;
  const Flow flow = execute_block(run, frame, command.branches.front().block);
  state.in_test = false;
  if (flow != Flow::error) return flow;
  const auto error = run.take_error().value_or(RunError{});
  ++state.report.failed;
  if (state.report.first_failure.empty()) {
    state.report.first_failure =
        "test '" + name + "': " +
        (state.fail_reason ? *state.fail_reason + (state.last_problem.empty() ? "" : " (" + state.last_problem + ")")
                           : "run-time error at line " + std::to_string(error.diagnostic.where.line) + ": " +
                                 error.diagnostic.message);
  }
  return Flow::next;
}

Flow set_object(Run& run, Frame& frame, const Command& command, TestsuiteState& state, const std::string& object,
                std::string value) {
  const std::string lower = ascii_lower(object);
  if (lower == "message") {
    run.envelope() = testsuite_envelope(value);
    run.replace_message(std::move(value));
    state.message_flags.clear();
    run.internal_flags().clear();
  } else if (lower == "envelope.from") {
    run.envelope().from = smtp_path(value);
  } else if (lower == "envelope.to") {
    run.envelope().to = smtp_path(value, true);  // a recipient may be a local part alone
    run.envelope().original_recipient.clear();
  } else if (lower == "envelope.orig_to") {
    run.envelope().original_recipient = smtp_path(value);
  } else if (lower != "envelope.auth") {  // no authenticated user in this engine's model: nothing to set
    run.fail(frame, command.where, "test_set: unknown object \"" + object + "\"");
    return Flow::error;
  }
  return Flow::next;
}

// The message test_message names becomes the one under test.
bool load_message(Run& run, TestsuiteState& state, bool smtp, const std::string& folder, std::uint64_t index) {
  if (smtp) {
    if (index >= state.sent.size()) return false;
    const SentMessage& sent = state.sent[index];
    run.replace_message(sent.text);
    run.envelope() = Envelope{sent.from, sent.to, ""};
    state.message_flags.clear();
    run.internal_flags().clear();
    return true;
  }
  const auto* mailbox = state.find_mailbox(folder);
  if (mailbox == nullptr || index >= mailbox->size()) return false;
  const StoredMessage stored = (*mailbox)[index];
  run.envelope() = testsuite_envelope(stored.text);
  run.replace_message(stored.text);
  state.message_flags = stored.flags;
  run.internal_flags() = stored.flags;
  return true;
}

// Runs the compiled script in this run, into its action list.
bool run_compiled(Run& run, TestsuiteState& state, bool append) {
  state.log.clear();
  if (!state.compiled) {
    state.log.push_back("no script compiled");
    return false;
  }
  if (!append) reset_result(run, state);
  // A run of its own but for the result: fresh global variables and include history, the file's own
  // given back after.
  const VariableStore file_globals = run.globals();
  const auto file_included = run.included_once();
  run.globals() = VariableStore(run.limits().max_variables, run.limits().max_variable_size);
  run.included_once().clear();
  Frame inner(*state.compiled, run.limits(), "");
  const Flow flow = execute_block(run, inner, state.compiled->commands);
  run.globals() = file_globals;
  run.included_once() = file_included;
  if (flow != Flow::error) return true;
  if (state.fail_reason) return false;  // its test_fail: the run stays failed, and so does the test
  state.log.push_back(run.take_error().value_or(RunError{}).diagnostic.message);
  return false;
}

bool run_multiscript(Run& run, TestsuiteState& state, const std::vector<std::string>& paths) {
  state.log.clear();
  std::vector<std::shared_ptr<const Script>> owned;
  std::vector<const Script*> scripts;
  for (const auto& path : paths) {
    auto script = state.compile_file(path);
    if (!script) return false;
    scripts.push_back(script.get());
    owned.push_back(std::move(script));
  }
  RunInput input = run.input();
  input.host = &state;
  const auto result = run_sequence(scripts, input);
  if (result.error) state.log.push_back(result.error->diagnostic.message);
  return state.execute(result.actions, input.message, input.envelope) && result.ok();
}

bool execute_result(Run& run, TestsuiteState& state) {
  if (state.executed) return true;
  state.executed = true;
  state.log.clear();
  ActionList finished = run.actions();
  if (auto error = finished.finish(run.internal_flags())) {
    state.log.push_back(*error);
    return false;
  }
  return state.execute(finished.take(), run.input().message, run.input().envelope);
}

// The first error of a compile, run or execute that failed, to say in the report why a test that then
// calls test_fail failed ("failed to compile" alone does not tell an unknown extension from a bug).
bool noted(TestsuiteState& state, bool ok) {
  state.last_problem = ok || state.log.empty() ? "" : state.log.front();
  return ok;
}

}  // namespace

Flow TestsuiteNode::execute(Run& run, Frame& frame, const Command& command) const {
  switch (op_) {
    case TestsuiteOp::test: return test_block(run, frame, command, state_, run.expand(frame, text));
    case TestsuiteOp::fail:
      state_.fail_reason = run.expand(frame, text);
      run.fail(frame, command.where, "test_fail: " + *state_.fail_reason);
      return Flow::error;
    case TestsuiteOp::set: return set_object(run, frame, command, state_, text.text, run.expand(frame, value));
    case TestsuiteOp::message:
      if (load_message(run, state_, smtp, run.expand(frame, text), index)) return Flow::next;
      state_.fail_reason =
          smtp ? "no outgoing SMTP message with index " + std::to_string(index)
               : "no message in folder '" + run.expand(frame, text) + "' with index " + std::to_string(index);
      run.fail(frame, command.where, *state_.fail_reason);
      return Flow::error;
    case TestsuiteOp::mailbox_create: state_.create_mailbox(run.expand(frame, text)); return Flow::next;
    case TestsuiteOp::result_reset:
      // The command, unlike the reset before test_script_run, also empties the outbox, as Pigeonhole's.
      reset_result(run, state_);
      state_.sent.clear();
      return Flow::next;
    case TestsuiteOp::config_set:
    case TestsuiteOp::config_unset: {
      const auto given =
          op_ == TestsuiteOp::config_set ? std::optional<std::string>(run.expand(frame, value)) : std::nullopt;
      auto error = apply_testsuite_setting(run.limits_to_change(), run.expand(frame, text), given);
      if (!error) {
        frame.locals.set_max_value_size(run.limits().max_variable_size);
        run.globals().set_max_value_size(run.limits().max_variable_size);
        return Flow::next;
      }
      state_.fail_reason = std::move(*error);
      run.fail(frame, command.where, *state_.fail_reason);
      return Flow::error;
    }
    case TestsuiteOp::binary_save: state_.binaries[run.expand(frame, text)] = state_.compiled; return Flow::next;
    case TestsuiteOp::binary_load: {
      const auto found = state_.binaries.find(run.expand(frame, text));
      if (found != state_.binaries.end() && found->second) {
        state_.compiled = found->second;
        return Flow::next;
      }
      state_.fail_reason = "no script saved as \"" + run.expand(frame, text) + "\"";
      run.fail(frame, command.where, *state_.fail_reason);
      return Flow::error;
    }
    default: return Flow::next;
  }
}

bool TestsuiteNode::evaluate(Run& run, Frame& frame, const Test& test) const {
  switch (op_) {
    case TestsuiteOp::message: return load_message(run, state_, smtp, run.expand(frame, text), index);
    case TestsuiteOp::script_compile:
      state_.compiled = state_.compile_file(run.expand(frame, text));
      return noted(state_, state_.compiled != nullptr);
    case TestsuiteOp::script_run: return noted(state_, run_compiled(run, state_, append));
    case TestsuiteOp::multiscript: return noted(state_, run_multiscript(run, state_, run.expand(frame, paths)));
    case TestsuiteOp::result_execute: return noted(state_, execute_result(run, state_));
    case TestsuiteOp::error:
    case TestsuiteOp::result_action: {
      std::vector<std::string> values;
      if (op_ == TestsuiteOp::error) {
        values = state_.log;
      } else {
        for (const auto& action : run.actions().actions()) values.push_back(action_name(action));
      }
      if (index != 0) {
        if (index > values.size()) return false;
        values = {values[index - 1]};
      }
      return match_values(run, frame, test, values);
    }
    default: return false;
  }
}

}  // namespace letterbox::sieve
