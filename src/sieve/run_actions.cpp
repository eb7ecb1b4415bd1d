// The commands that act on the message: keep, discard, redirect, fileinto (RFC 5228 §4, copy RFC 3894,
// mailbox RFC 5490), reject and ereject (RFC 5429), vacation (RFC 5230, RFC 6131), and the imap4flags
// commands that change the flags those store with (RFC 5232).
#include <algorithm>

#include "address_syntax.hpp"
#include "letterbox/sieve/imap_flags.hpp"
#include "letterbox/sieve/mailbox_name.hpp"
#include "letterbox/util/text.hpp"
#include "run_state.hpp"

namespace letterbox::sieve {
namespace {

Flow outcome(Run& run, const Frame& frame, const Command& command, std::optional<std::string> error) {
  if (!error) return Flow::next;
  run.fail(frame, command.where, std::move(*error));
  return Flow::error;
}

// RFC 5232 §3, §5: :flags if given, else the internal variable as it is now.
std::vector<std::string> store_flags(Run& run, const Frame& frame, const Command& command) {
  if (command.flags) return normalise_flags(run.expand(frame, *command.flags));
  return run.internal_flags();
}

Flow keep(Run& run, const Frame& frame, const Command& command) {
  return outcome(run, frame, command,
                 run.actions().keep(command.where, KeepAction{store_flags(run, frame, command), "", false}, true));
}

Flow fileinto(Run& run, const Frame& frame, const Command& command) {
  std::string mailbox = run.expand(frame, command.arguments.front());
  std::string why;
  const auto levels = mailbox_levels(mailbox, why);
  if (!levels) return outcome(run, frame, command, "invalid mailbox name \"" + mailbox + "\": " + why);
  auto flags = store_flags(run, frame, command);
  if (levels->empty()) {  // INBOX: the same store as keep
    KeepAction action{std::move(flags), std::move(mailbox), command.create};
    return outcome(run, frame, command, run.actions().keep(command.where, std::move(action), false, command.copy));
  }
  FileintoAction action{std::move(mailbox), command.create, std::move(flags)};
  return outcome(run, frame, command, run.actions().fileinto(command.where, std::move(action), command.copy));
}

Flow redirect(Run& run, const Frame& frame, const Command& command) {
  const std::string given = run.expand(frame, command.arguments.front());
  auto address = redirect_address(given);
  if (!address) return outcome(run, frame, command, "invalid redirect address \"" + given + "\"");
  return outcome(run, frame, command, run.actions().redirect(command.where, std::move(*address), command.copy));
}

Flow reject(Run& run, const Frame& frame, const Command& command) {
  RejectAction action{run.expand(frame, command.arguments.front()), command.kind == CommandKind::ereject};
  return outcome(run, frame, command, run.actions().reject(command.where, std::move(action)));
}

// RFC 5230 §4.2: without :handle, the response is identified by its arguments. The handle is built the
// way Pigeonhole builds it — the reason, then :subject or "<default-subject>", then :from or
// "<default-from>", then "<MIME>" or "<NO-MIME>" — but from the strings after variable expansion (the
// arguments the response is actually sent with; tests/sieve/README.md), so that the two compare exactly.
// `from` is the expanded :from as the script gave it, even when it is then dropped as no address.
std::string computed_handle(const VacationAction& action, const std::optional<std::string>& from) {
  std::string handle = action.reason;
  handle += action.subject ? *action.subject : "<default-subject>";
  handle += from ? *from : "<default-from>";
  handle += action.mime ? "<MIME>" : "<NO-MIME>";
  return handle;
}

// RFC 5230 §4.1 and RFC 6131 §2: the period moved into the site's bounds.
std::uint64_t vacation_period(const RunLimits& limits, const Vacation& v) {
  if (!v.days && !v.seconds) return limits.vacation_default_period;
  const std::uint64_t seconds = v.seconds ? *v.seconds : std::min<std::uint64_t>(*v.days, 1ULL << 32) * 86400;
  return std::clamp(seconds, limits.vacation_min_period, limits.vacation_max_period);
}

Flow vacation(Run& run, const Frame& frame, const Command& command) {
  const Vacation& v = command.vacation;
  const Envelope& envelope = run.input().envelope;
  VacationAction action;
  action.reply_to = envelope.from;
  action.recipient = envelope.to;
  action.original_recipient = envelope.original_recipient;
  action.period = vacation_period(run.limits(), v);
  action.period_in_seconds = v.seconds.has_value();
  if (v.subject) action.subject = run.expand(frame, *v.subject);
  // RFC 5230 §4.3: a :from that is not an address once expanded is ignored rather than an error.
  std::optional<std::string> from;
  if (v.from) from = run.expand(frame, *v.from);
  if (from && plausible_mailbox(*from)) action.from = from;
  action.addresses = run.expand(frame, v.addresses);
  action.mime = v.mime;
  action.reason = run.expand(frame, v.reason);
  action.handle = v.handle ? run.expand(frame, *v.handle) : computed_handle(action, from);
  return outcome(run, frame, command, run.actions().vacation(command.where, std::move(action)));
}

// setflag, addflag, removeflag on the internal variable or on a named one (RFC 5232 §3).
Flow flags(Run& run, Frame& frame, const Command& command) {
  const auto given = normalise_flags(run.expand(frame, command.arguments));
  std::vector<std::string> current;
  if (command.variable) {
    current = normalise_flags(run.variable(frame, command.variable->text).value_or(""));
  } else {
    current = run.internal_flags();
  }
  if (command.kind == CommandKind::setflag) {
    current = given;
  } else if (command.kind == CommandKind::addflag) {
    current = add_flags(std::move(current), given);
  } else {
    current = remove_flags(std::move(current), given);
  }
  if (!command.variable) {
    run.internal_flags() = std::move(current);
    return Flow::next;
  }
  return run.set_variable(frame, command.where, command.variable->text, join_flags(current)) ? Flow::next : Flow::error;
}

}  // namespace

Flow execute_action(Run& run, Frame& frame, const Command& command) {
  switch (command.kind) {
    case CommandKind::keep: return keep(run, frame, command);
    case CommandKind::discard: run.actions().discard(); return Flow::next;
    case CommandKind::redirect: return redirect(run, frame, command);
    case CommandKind::fileinto: return fileinto(run, frame, command);
    case CommandKind::reject:
    case CommandKind::ereject: return reject(run, frame, command);
    case CommandKind::vacation: return vacation(run, frame, command);
    case CommandKind::setflag:
    case CommandKind::addflag:
    case CommandKind::removeflag: return flags(run, frame, command);
    default: return Flow::next;
  }
}

}  // namespace letterbox::sieve
