// SendmailOutboundSink: redirects and vacation replies through the MTA's sendmail
// (letterbox/store/sendmail_outbound_sink.hpp).
#include "letterbox/store/sendmail_outbound_sink.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <random>
#include <variant>
#include <vector>

#include "letterbox/observe/metrics.hpp"
#include "letterbox/sieve/redirect_message.hpp"
#include "letterbox/sieve/vacation_reply.hpp"
#include "letterbox/sieve/vacation_rules.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/process_identity.hpp"

namespace letterbox {
namespace {

// Unique without coordination: the time, the process, a per-process sequence for replies in the same
// second, and 64 random bits for hosts that share a name (a cluster's nodes, containers).
std::string reply_message_id(std::time_t now, const std::string& hostname) {
  static std::atomic<std::uint64_t> sequence{0};
  std::random_device random;
  const auto noise = (static_cast<std::uint64_t>(random()) << 32) | random();
  std::array<char, 96> text{};
  std::snprintf(text.data(), text.size(), "<%lld.%ld.%llu.%016llx.vacation@", static_cast<long long>(now),
                static_cast<long>(process_id()),
                static_cast<unsigned long long>(sequence.fetch_add(1, std::memory_order_relaxed)),
                static_cast<unsigned long long>(noise));
  return text.data() + hostname + ">";
}

std::string with_stderr(const SendmailResult& sent) {
  return sent.error_output.empty() ? sent.reason : sent.reason + ": " + sent.error_output;
}

// The tracking as a reply needs it: held (DuplicateStore::hold) and read under its lock, or nullptr
// (logged) when a reply must not rely on it.
DuplicateStore* usable_tracking(const OutboundRequest& request, unsigned line) {
  if (request.duplicates == nullptr) {
    log::warn("sieve: to=<{}> vacation (line {}) not sent: the user has no sieve directory to track replies in",
              request.recipient, line);
    return nullptr;
  }
  const auto load = request.duplicates->hold();
  if (load.state == DuplicateFileState::Failed) {
    // Without it every message would be answered: a reply storm is worse than a missing reply.
    log::error("sieve: to=<{}> vacation (line {}) not sent: cannot read the reply tracking: {}", request.recipient,
               line, load.detail);
    return nullptr;
  }
  if (load.state == DuplicateFileState::Damaged) {
    log::warn("sieve: to=<{}> reply tracking damaged, starting again: {}", request.recipient, load.detail);
  }
  return request.duplicates;
}

// Lets the other deliveries to the user record again once a reply is decided, sent and recorded.
class TrackingRelease {
 public:
  explicit TrackingRelease(DuplicateStore* tracking) : tracking_(tracking) {}
  ~TrackingRelease() {
    if (tracking_ != nullptr) tracking_->release();
  }
  TrackingRelease(const TrackingRelease&) = delete;
  TrackingRelease& operator=(const TrackingRelease&) = delete;

 private:
  DuplicateStore* tracking_;
};

void commit_tracking(DuplicateStore& duplicates, std::time_t now, const std::string& recipient) {
  if (duplicates.pending() == 0) return;
  if (const auto commit = duplicates.commit(now); !commit.ok()) {
    log::error("sieve: to=<{}> cannot record what was sent: {}", recipient, commit.detail);
  }
}

}  // namespace

SendmailOutboundSink::SendmailOutboundSink(const SieveSettings& sieve, std::string hostname,
                                           std::string recipient_delimiter)
    : sendmail_(sieve.sendmail),
      redirect_period_(std::chrono::duration_cast<std::chrono::seconds>(sieve.redirect_duplicate_period).count()),
      send_from_recipient_(sieve.vacation_send_from_recipient),
      hostname_(std::move(hostname)),
      recipient_delimiter_(std::move(recipient_delimiter)) {}

Outcome SendmailOutboundSink::redirect(const OutboundRequest& request) {
  try {
    Outcome answer = make_outcome(Status::Delivered);
    const int err = request.message.with_whole_message([&](std::string_view whole) {
      answer = send_redirects(request, whole);
      return 0;
    });
    if (err != 0) return outcome_from_errno(err, "sieve: cannot map the spooled message to redirect it");
    return answer;
  } catch (const std::exception& e) {
    log::error("sieve: to=<{}> redirect failed: {}", request.recipient, e.what());
    return make_outcome(Status::LocalError, std::string("sieve: redirect failed: ") + e.what());
  }
}

Outcome SendmailOutboundSink::send_redirects(const OutboundRequest& request, std::string_view whole) const {
  const auto headers = sieve::MessageHeaders::parse(whole);
  if (request.duplicates != nullptr) {
    if (const auto load = request.duplicates->hold(); load.state != DuplicateFileState::Ok) {
      log::warn("sieve: to=<{}> redirect tracking: {}", request.recipient, load.detail);
    }
  }
  const sieve::RedirectMessage copy(whole, request.recipient);
  const auto parts = copy.parts();
  Outcome answer = make_outcome(Status::Delivered);
  for (const auto& action : request.actions) {
    const auto* redirect = std::get_if<sieve::RedirectAction>(&action.what);
    if (redirect == nullptr) continue;
    const auto id = sieve::redirect_duplicate_id(headers, request.recipient, redirect->address);
    if (request.duplicates != nullptr &&
        request.duplicates->seen(DuplicateKind::Redirect, id, request.now, redirect_period_)) {
      log::info("sieve: to=<{}> redirect to <{}> (line {}) skipped: sent already within redirect_duplicate_period",
                request.recipient, redirect->address, action.where.line);
      metrics().count_redirect(RedirectResult::skipped);
      continue;
    }
    const std::string targets[] = {redirect->address};
    const auto sent = sendmail_.submit(request.envelope_sender, targets, parts);
    if (!sent.ok()) {
      log::error("sieve: to=<{}> redirect to <{}> (line {}) failed: {}; the delivery is deferred", request.recipient,
                 redirect->address, action.where.line, with_stderr(sent));
      metrics().count_redirect(RedirectResult::failed);
      answer = make_outcome(Status::LocalError,
                            "sieve: redirect to <" + redirect->address + "> not sent: " + with_stderr(sent));
      break;
    }
    log::info("sieve: to=<{}> redirected to <{}> (line {}) from=<{}>", request.recipient, redirect->address,
              action.where.line, request.envelope_sender);
    metrics().count_redirect(RedirectResult::sent);
    if (request.duplicates != nullptr) {
      request.duplicates->record(DuplicateKind::Redirect, id, request.now, redirect_period_);
    }
  }
  if (request.duplicates != nullptr) commit_tracking(*request.duplicates, request.now, request.recipient);
  return answer;
}

void SendmailOutboundSink::reply(const OutboundRequest& request) {
  try {
    for (const auto& action : request.actions) {
      const auto* vacation = std::get_if<sieve::VacationAction>(&action.what);
      if (vacation == nullptr) continue;
      const int err = request.message.with_whole_message([&](std::string_view whole) {
        send_vacation(request, *vacation, action.where.line, sieve::MessageHeaders::parse(whole));
        return 0;
      });
      if (err != 0) {
        log::error("sieve: to=<{}> vacation (line {}) not sent: cannot map the spooled message: {}", request.recipient,
                   action.where.line, std::strerror(err));
        metrics().count_vacation(VacationResult::failed);
      }
    }
  } catch (const std::exception& e) {
    log::error("sieve: to=<{}> vacation not sent: {}", request.recipient, e.what());
    metrics().count_vacation(VacationResult::failed);
  }
}

void SendmailOutboundSink::send_vacation(const OutboundRequest& request, const sieve::VacationAction& vacation,
                                         unsigned line, const sieve::MessageHeaders& headers) const {
  std::vector<std::string> addresses = vacation.addresses;
  if (!vacation.original_recipient.empty()) addresses.push_back(vacation.original_recipient);
  const auto why = sieve::vacation_suppression(headers, {request.envelope_sender, request.recipient, addresses},
                                               recipient_delimiter_);
  if (why != sieve::VacationSuppression::none) {
    log::info("sieve: to=<{}> vacation (line {}) not sent: {}", request.recipient, line, sieve::describe(why));
    metrics().count_vacation(VacationResult::suppressed);
    return;
  }
  DuplicateStore* tracking = usable_tracking(request, line);
  const TrackingRelease release(tracking);
  const auto key = duplicate_key({vacation.reply_to, vacation.handle});
  const auto period = static_cast<std::time_t>(vacation.period);
  if (tracking == nullptr || tracking->seen(DuplicateKind::Vacation, key, request.now, period)) {
    if (tracking != nullptr) {
      log::info("sieve: to=<{}> vacation (line {}) not sent: <{}> was answered within the last {}s", request.recipient,
                line, vacation.reply_to, period);
    }
    metrics().count_vacation(VacationResult::suppressed);
    return;
  }
  const sieve::VacationReplyStamp stamp{sieve::from_unix_time(request.now, request.zone),
                                        reply_message_id(request.now, hostname_)};
  const auto text = sieve::compose_vacation_reply(vacation, headers, stamp);
  const std::string to[] = {vacation.reply_to};
  const auto sent = sendmail_.submit(send_from_recipient_ ? request.recipient : std::string(), to, text);
  if (!sent.ok()) {
    log::error("sieve: to=<{}> vacation reply to <{}> (line {}) not sent: {}", request.recipient, vacation.reply_to,
               line, with_stderr(sent));
    metrics().count_vacation(VacationResult::failed);
    return;
  }
  log::info("sieve: to=<{}> vacation reply sent to <{}> (line {}) message-id={}", request.recipient, vacation.reply_to,
            line, stamp.message_id);
  metrics().count_vacation(VacationResult::sent);
  tracking->record(DuplicateKind::Vacation, key, request.now, period);
  commit_tracking(*tracking, request.now, request.recipient);
}

}  // namespace letterbox
