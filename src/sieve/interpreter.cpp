// The entry points (one script, or Pigeonhole's sequence of scripts) and the run's shared state: the
// variables' scopes, the CPU-time budget, the first error.
#include "letterbox/sieve/interpreter.hpp"

#include <time.h>

#include <algorithm>

#include "letterbox/util/text.hpp"
#include "run_state.hpp"

namespace letterbox::sieve {
namespace {

std::chrono::nanoseconds thread_cpu_time() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

std::chrono::nanoseconds cpu_now(const RunEnvironment& environment) {
  return environment.cpu_clock ? environment.cpu_clock() : thread_cpu_time();
}

// RFC 5228 §2.10.6: after an error, the implicit keep; in a sequence, after what the scripts before the
// failed one did (Pigeonhole has performed it already), and once only if one of them stored in the inbox.
RunResult fallback(RunError error, std::vector<Action> done_before, std::vector<DuplicateMark> marks_before) {
  RunResult result;
  result.actions = std::move(done_before);
  const bool kept = std::any_of(result.actions.begin(), result.actions.end(),
                                [](const Action& a) { return std::holds_alternative<KeepAction>(a.what); });
  if (!kept) result.actions.push_back(Action{KeepAction{{}, "", false}, Position{0, 0}, true});
  result.duplicates = std::move(marks_before);
  result.error = std::move(error);
  return result;
}

}  // namespace

// The wall clock is read before the CPU clock, here and in in_time: the CPU time used between the two
// readings then falls inside the bound in_time relies on.
Run::Run(const RunInput& input, ActionList& actions)
    : input_(input),
      actions_(actions),
      cpu_read_at_(std::chrono::steady_clock::now()),
      globals_(input.limits.max_variables, input.limits.max_variable_size) {
  cpu_start_ = cpu_now(input.environment);
}

const MessageHeaders& Run::headers() {
  if (!headers_) headers_ = MessageHeaders::parse(input_.message);
  return *headers_;
}

void Run::replace_message(std::string text) {
  replaced_message_ = std::move(text);
  input_.message = replaced_message_;
  headers_.reset();
}

bool Run::fail(const Frame& frame, Position where, std::string message) {
  if (!error_) error_ = RunError{Diagnostic{where, std::move(message)}, script_index_, frame.included};
  return false;
}

// Checked between every two commands and tests, tens of times per delivery. The thread's CPU clock is a
// system call every time (the vDSO serves only the wall clocks), and those calls cost a typical script
// several times what its commands and tests did (~55 per delivery, about 1.7 µs each on this project's
// virtual machine: docs/sieve.md). A thread cannot have used more CPU since the last reading than the wall-clock time
// that has passed since, so the CPU clock is read only once that bound could exceed the budget: never,
// in a run shorter than max_cpu_time. A test's clock moves by itself and is read every time.
bool Run::in_time(const Frame& frame, Position where) {
  if (error_) return false;
  const auto& environment = input_.environment;
  const auto limit = input_.limits.max_cpu_time;
  if (environment.cpu_clock) {
    cpu_used_ = environment.cpu_clock() - cpu_start_;
  } else {
    const auto now = std::chrono::steady_clock::now();
    if (cpu_used_ + (now - cpu_read_at_) <= limit) return true;
    cpu_used_ = thread_cpu_time() - cpu_start_;
    cpu_read_at_ = now;
  }
  if (cpu_used_ <= limit) return true;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(input_.limits.max_cpu_time).count();
  return fail(frame, where, "the script used more than " + std::to_string(ms) + " ms of CPU time (max_cpu_time)");
}

void Run::begin_script(std::size_t index) {
  script_index_ = index;
  include_chain_.clear();
  included_.clear();
  globals_ = VariableStore(input_.limits.max_variables, input_.limits.max_variable_size);
}

std::optional<std::string_view> Run::variable(const Frame& frame, std::string_view name) const {
  if (frame.global_names.contains(ascii_lower(name))) return globals_.get(name);
  return frame.locals.get(name);
}

bool Run::set_variable(Frame& frame, Position where, std::string_view name, std::string_view value) {
  // RFC 6609 §3.5: "global.NAME" (the compiler lets only a script with include use it) is NAME in the
  // global scope, declared or not.
  constexpr std::string_view kGlobal = "global.";
  const bool namespaced = name.size() > kGlobal.size() && iequals_ascii(name.substr(0, kGlobal.size()), kGlobal);
  if (namespaced) name.remove_prefix(kGlobal.size());
  VariableStore& store = namespaced || frame.global_names.contains(ascii_lower(name)) ? globals_ : frame.locals;
  if (store.set(name, value)) return true;
  return fail(frame, where, "more than " + std::to_string(input_.limits.max_variables) + " variables");
}

std::string Run::expand(const Frame& frame, const String& s) const {
  if (!s.has_variables) return s.text;
  // RFC 6609 §3.4.2: ${global.name} is the global variable whatever this script declared.
  const NamespaceLookup namespaces = [&](std::string_view name) -> std::optional<std::string> {
    constexpr std::string_view kGlobal = "global.";
    if (name.size() <= kGlobal.size() || !iequals_ascii(name.substr(0, kGlobal.size()), kGlobal)) return std::nullopt;
    const auto value = globals_.get(name.substr(kGlobal.size()));
    return value ? std::optional<std::string>(*value) : std::nullopt;
  };
  return expand_variables(
      s.text, [&](std::string_view name) { return variable(frame, name); }, frame.matches,
      input_.limits.max_variable_size, namespaces);
}

std::vector<std::string> Run::expand(const Frame& frame, const StringList& list) const {
  std::vector<std::string> out;
  out.reserve(list.size());
  for (const auto& s : list) out.push_back(expand(frame, s));
  return out;
}

// RFC 7352 §3.3: one entry per handle and ID; the test evaluated last gives :seconds and :last.
void Run::mark_duplicate(DuplicateMark mark) {
  for (auto& existing : duplicates_) {
    if (existing.handle == mark.handle && existing.id == mark.id) {
      existing = std::move(mark);
      return;
    }
  }
  duplicates_.push_back(std::move(mark));
}

RunResult run(const Script& script, const RunInput& input) {
  const Script* scripts[] = {&script};
  return run_sequence(scripts, input);
}

RunResult run_sequence(std::span<const Script* const> scripts, const RunInput& input) {
  ActionList actions(input.limits.max_actions, input.limits.max_redirects);
  Run state(input, actions);
  std::vector<DuplicateMark> marks;  // of the scripts that ended without error
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    if (i != 0) {
      if (!actions.keep_in_effect()) break;
      actions.next_script();
    }
    state.begin_script(i);
    ActionList before = actions;
    Frame frame(*scripts[i], input.limits, "");
    if (execute_block(state, frame, scripts[i]->commands) == Flow::error) {
      return fallback(*state.take_error(), before.take(), std::move(marks));
    }
    for (auto& mark : state.take_duplicates()) {
      std::erase_if(marks, [&](const DuplicateMark& m) { return m.handle == mark.handle && m.id == mark.id; });
      marks.push_back(std::move(mark));
    }
  }
  const std::size_t last = scripts.empty() ? 0 : scripts.size() - 1;
  if (auto error = actions.finish(state.internal_flags())) {
    return fallback(RunError{Diagnostic{Position{0, 0}, std::move(*error)}, last, ""}, {}, {});
  }
  RunResult result;
  result.actions = actions.take();
  result.duplicates = std::move(marks);
  return result;
}

}  // namespace letterbox::sieve
