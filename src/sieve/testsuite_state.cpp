// The testsuite's little world (testsuite_state.hpp): folders in memory, an outbox, included scripts read
// beside the test file, and the executing of a result into them.
#include "testsuite_state.hpp"

#include <chrono>

#include "letterbox/sieve/message_headers.hpp"
#include "letterbox/sieve/redirect_message.hpp"
#include "letterbox/sieve/vacation_reply.hpp"
#include "letterbox/sieve/vacation_rules.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox::sieve {
namespace {

constexpr std::size_t kMaxLoggedErrors = 1000;

std::string first_address(const MessageHeaders& headers, std::string_view name) {
  for (const auto value : headers.values(name)) {
    const auto items = parse_address_list(value, 1);
    if (!items.empty() && !items.front().localpart.empty()) return items.front().all;
  }
  return "";
}

// "INBOX" in any case, also as the first level of a deeper name ("Inbox.Junk" is "INBOX.Junk", RFC 3501
// §5.1); the rest of a name is compared as written.
std::string_view without_inbox(std::string_view name, bool& had_inbox) {
  had_inbox = name.size() >= 5 && iequals_ascii(name.substr(0, 5), "INBOX") &&
              (name.size() == 5 || name[5] == '.' || name[5] == '/');
  return had_inbox ? name.substr(5) : name;
}

bool same_mailbox(std::string_view a, std::string_view b) {
  bool a_inbox = false;
  bool b_inbox = false;
  const auto a_rest = without_inbox(a, a_inbox);
  const auto b_rest = without_inbox(b, b_inbox);
  return a_inbox == b_inbox && a_rest == b_rest;
}

// Delivery refuses the message and the MTA bounces it; here the bounce stands in for the MTA's, from the
// postmaster as Pigeonhole's own reject message is.
std::string bounce(const Envelope& envelope, const MessageHeaders& headers, const RejectAction& reject,
                   std::string_view host) {
  const auto subjects = headers.values("Subject");
  return "From: Postmaster <postmaster@" + std::string(host) + ">\r\nTo: <" + envelope.from +
         ">\r\nSubject: Rejected: " + std::string(subjects.empty() ? "" : subjects.front()) +
         "\r\nAuto-Submitted: auto-replied (rejected)\r\n\r\n" + reject.reason + "\r\n";
}

}  // namespace

Envelope testsuite_envelope(std::string_view message) {
  const auto headers = MessageHeaders::parse(message);
  Envelope envelope;
  envelope.to = first_address(headers, "Envelope-To");
  if (envelope.to.empty()) envelope.to = first_address(headers, "To");
  if (envelope.to.empty()) envelope.to = "recipient@example.com";
  for (const auto* name : {"Return-Path", "Sender", "From"}) {
    if (envelope.from.empty()) envelope.from = first_address(headers, name);
  }
  if (envelope.from.empty()) envelope.from = "sender@example.com";
  return envelope;
}

Mailbox* TestsuiteState::find_mailbox(std::string_view name) {
  for (auto& [mailbox_name, messages] : mailboxes_) {
    if (same_mailbox(mailbox_name, name)) return &messages;
  }
  return nullptr;
}

Mailbox& TestsuiteState::create_mailbox(std::string_view name) {
  if (auto* existing = find_mailbox(name)) return *existing;
  return mailboxes_.emplace_back(std::string(name), Mailbox{}).second;
}

IncludeLoad TestsuiteState::load_include(IncludeLocation location, std::string_view name) {
  const std::string folder = location == IncludeLocation::global ? "included-global/" : "included/";
  const auto text = options_.read_file(folder + std::string(name) + ".sieve");
  if (!text) return IncludeMissing{};
  CompileOptions compile_options{options_.compile_limits};
  compile_options.plugin = plugin;
  auto compiled = compile(*text, compile_options);
  if (!compiled.ok()) {
    return IncludeFailed{"line " + std::to_string(compiled.errors.front().where.line) + ": " +
                         compiled.errors.front().message};
  }
  return compiled.script;
}

std::shared_ptr<const Script> TestsuiteState::compile_file(const std::string& relative) {
  log.clear();
  const auto text = options_.read_file(relative);
  if (!text) {
    log.push_back("cannot read \"" + relative + "\"");
    return nullptr;
  }
  // test_error counts errors as Pigeonhole reports them: every one (no cap), the first of each line only
  // (its validator stops at a command's first problem), then the line saying the compile failed.
  CompileOptions compile_options{options_.compile_limits};
  compile_options.limits.max_errors = kMaxLoggedErrors;
  compile_options.plugin = plugin;
  auto compiled = compile(*text, compile_options);
  unsigned last_line = 0;
  for (const auto& error : compiled.errors) {
    if (error.where.line != last_line) log.push_back(error.message);
    last_line = error.where.line;
  }
  if (!compiled.ok()) log.push_back("script compile failed");
  return compiled.script;
}

bool TestsuiteState::execute(const std::vector<Action>& actions, std::string_view message, const Envelope& envelope) {
  const auto headers = MessageHeaders::parse(message);
  for (const auto& action : actions) {
    if (const auto* keep = std::get_if<KeepAction>(&action.what)) {
      create_mailbox("INBOX").push_back({std::string(message), keep->flags});
    } else if (const auto* fileinto = std::get_if<FileintoAction>(&action.what)) {
      // Pigeonhole's testsuite store creates what is missing; so does this one, :create or not.
      create_mailbox(fileinto->mailbox).push_back({std::string(message), fileinto->flags});
    } else if (const auto* redirect = std::get_if<RedirectAction>(&action.what)) {
      const RedirectMessage redirected(message, envelope.to);
      std::string text;
      for (const auto part : redirected.parts()) text += part;
      sent.push_back({envelope.from, redirect->address, std::move(text)});
    } else if (const auto* reject = std::get_if<RejectAction>(&action.what)) {
      if (!reject->extended && !envelope.from.empty()) {
        sent.push_back({"", envelope.from, bounce(envelope, headers, *reject, options_.environment.host)});
      }
    } else if (const auto* vacation = std::get_if<VacationAction>(&action.what)) {
      std::vector<std::string> addresses = vacation->addresses;
      if (!vacation->original_recipient.empty()) addresses.push_back(vacation->original_recipient);
      if (vacation_suppression(headers, {envelope.from, envelope.to, addresses}) != VacationSuppression::none) {
        continue;
      }
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(options_.environment.now.time_since_epoch());
      const VacationReplyStamp stamp{from_unix_time(now.count(), options_.environment.local_zone),
                                     "<vacation." + std::to_string(sent.size()) + "@testsuite>"};
      sent.push_back({"", vacation->reply_to, compose_vacation_reply(*vacation, headers, stamp)});
    }
  }
  return true;
}

}  // namespace letterbox::sieve
