// The commands that steer the run rather than act on the message: if/elsif/else, stop (RFC 5228 §3),
// set (RFC 5229 §4), include/return/global (RFC 6609), error (RFC 5463 §5).
#include <algorithm>

#include "compile_plugin.hpp"
#include "letterbox/util/text.hpp"
#include "run_state.hpp"

namespace letterbox::sieve {
namespace {

Flow execute_if(Run& run, Frame& frame, const Command& command) {
  for (const auto& branch : command.branches) {
    if (branch.condition) {
      const bool holds = evaluate(run, frame, *branch.condition);
      if (run.failed()) return Flow::error;
      if (!holds) continue;
    }
    return execute_block(run, frame, branch.block);
  }
  return Flow::next;
}

// A quoted value cut to the size limit must not end in half an escape: a lone trailing backslash would
// escape whatever the value is later joined with. The whole pair goes, as in Pigeonhole.
std::string_view cut_quoted(std::string_view value, std::size_t max_size) {
  value = utf8_prefix(value, max_size);
  std::size_t backslashes = 0;
  while (backslashes < value.size() && value[value.size() - 1 - backslashes] == '\\') ++backslashes;
  if (backslashes % 2 == 1) value.remove_suffix(1);
  return value;
}

Flow execute_set(Run& run, Frame& frame, const Command& command) {
  std::string value = apply_modifiers(run.expand(frame, command.arguments.front()), command.modifiers);
  const bool quoted = std::any_of(command.modifiers.begin(), command.modifiers.end(), [](SetModifier m) {
    return m == SetModifier::quotewildcard || m == SetModifier::quoteregex;
  });
  const bool counted =
      std::find(command.modifiers.begin(), command.modifiers.end(), SetModifier::length) != command.modifiers.end();
  if (quoted && !counted && value.size() > run.limits().max_variable_size) {
    value = std::string(cut_quoted(value, run.limits().max_variable_size));
  }
  return run.set_variable(frame, command.where, command.variable->text, value) ? Flow::next : Flow::error;
}

// RFC 6609 §3.4.1: a name becomes global in this script; one the script has already set cannot.
Flow execute_global(Run& run, Frame& frame, const Command& command) {
  for (const auto& name : command.arguments) {
    std::string lower = ascii_lower(name.text);
    if (frame.global_names.contains(lower)) continue;
    if (frame.locals.get(lower)) {
      run.fail(frame, command.where, "variable \"" + name.text + "\" is declared global after it was set");
      return Flow::error;
    }
    frame.global_names.insert(std::move(lower));
  }
  return Flow::next;
}

std::string location_name(IncludeLocation location) {
  return location == IncludeLocation::global ? ":global" : ":personal";
}

// Runs `script` as included by `command`; the caller has checked recursion and limits.
Flow run_included(Run& run, const Command& command, const Script& script, const std::string& name) {
  const auto key = std::make_pair(command.location, name);
  run.include_chain().push_back(key);
  run.included_once().insert(key);
  Frame inner(script, run.limits(), location_name(command.location) + " \"" + name + "\"");
  const Flow flow = execute_block(run, inner, script.commands);
  run.include_chain().pop_back();
  return flow == Flow::return_ ? Flow::next : flow;
}

Flow execute_include(Run& run, Frame& frame, const Command& command) {
  const std::string& name = command.arguments.front().text;  // a constant string (RFC 6609 §3.2)
  const auto key = std::make_pair(command.location, name);
  if (command.once && run.included_once().contains(key)) return Flow::next;
  const auto& chain = run.include_chain();
  if (std::find(chain.begin(), chain.end(), key) != chain.end()) {
    if (command.once) return Flow::next;  // RFC 6609 §3.2: counts as already included
    run.fail(frame, command.where, "script \"" + name + "\" includes itself (recursive include)");
    return Flow::error;
  }
  if (chain.size() + 1 >= run.limits().max_include_depth) {
    run.fail(frame, command.where,
             "includes nested more than " + std::to_string(run.limits().max_include_depth) + " deep");
    return Flow::error;
  }
  if (++run.includes_performed() > run.limits().max_includes) {
    run.fail(frame, command.where, "more than " + std::to_string(run.limits().max_includes) + " includes");
    return Flow::error;
  }
  const IncludeLoad loaded = run.host().load_include(command.location, name);
  if (const auto* script = std::get_if<std::shared_ptr<const Script>>(&loaded); script && *script) {
    return run_included(run, command, **script, name);
  }
  if (std::holds_alternative<IncludeMissing>(loaded)) {
    if (command.optional) return Flow::next;
    run.fail(frame, command.where,
             "included script " + location_name(command.location) + " \"" + name + "\" does not exist");
    return Flow::error;
  }
  const auto* failed = std::get_if<IncludeFailed>(&loaded);
  run.fail(frame, command.where,
           "included script " + location_name(command.location) + " \"" + name +
               "\" cannot be used: " + (failed ? failed->message : "no script"));
  return Flow::error;
}

Flow execute_command(Run& run, Frame& frame, const Command& command) {
  switch (command.kind) {
    case CommandKind::if_: return execute_if(run, frame, command);
    case CommandKind::stop: return Flow::stop;
    case CommandKind::return_: return Flow::return_;
    case CommandKind::set: return execute_set(run, frame, command);
    case CommandKind::global: return execute_global(run, frame, command);
    case CommandKind::include: return execute_include(run, frame, command);
    case CommandKind::hosted: return command.hosted->execute(run, frame, command);
    case CommandKind::error:
      run.fail(frame, command.where, run.expand(frame, command.arguments.front()));
      return Flow::error;
    default: return execute_action(run, frame, command);
  }
}

}  // namespace

Flow execute_block(Run& run, Frame& frame, const std::vector<Command>& block) {
  for (const auto& command : block) {
    if (!run.in_time(frame, command.where)) return Flow::error;
    const Flow flow = execute_command(run, frame, command);
    if (flow != Flow::next) return flow;
  }
  return Flow::next;
}

}  // namespace letterbox::sieve
