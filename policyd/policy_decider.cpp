#include "policy_decider.hpp"

#include <algorithm>
#include <charconv>
#include <variant>

#include "letterbox/directory/recipient_resolver.hpp"
#include "quota_probe.hpp"

namespace letterbox {
namespace {

std::uint64_t message_size(const PolicyRequest& request) {
  const auto text = request.get("size");
  std::uint64_t size = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
  return ec == std::errc{} && ptr == text.data() + text.size() ? size : 0;  // absent or garbage: 0, as Postfix
}

PolicyDecision refuse(const Outcome& outcome) {
  return {policy_action(outcome),
          std::string(status_name(outcome.status)) + (outcome.detail.empty() ? std::string() : ": " + outcome.detail)};
}

}  // namespace

PolicyDecider::PolicyDecider(const Settings& settings, Directory& directory, Greylist* greylist)
    : settings_(settings),
      directory_(directory),
      greylist_(greylist),
      allow_clients_(parse_networks(settings.policy.greylist_allow_clients)) {}

PolicyDecision PolicyDecider::decide(const PolicyRequest& request, Greylist::Clock::time_point now) {
  return *decide(request, now, Mode::MayWait);
}

std::optional<PolicyDecision> PolicyDecider::decide_without_waiting(const PolicyRequest& request,
                                                                    Greylist::Clock::time_point now) {
  return decide(request, now, Mode::NoWait);
}

std::optional<PolicyDecision> PolicyDecider::decide(const PolicyRequest& request, Greylist::Clock::time_point now,
                                                    Mode mode) {
  const auto state = request.get("protocol_state");
  const bool at_rcpt = state == "RCPT";
  // After DATA the only question left is the quota with the real size, and only when the message has one
  // recipient (Postfix names it then; with several, one full mailbox must not refuse the others' copy).
  const bool at_end = state == "END-OF-MESSAGE" && request.get("recipient_count") == "1";
  const auto& policy = settings_.policy;
  if (!at_rcpt && !(at_end && policy.check_quota)) return PolicyDecision{};
  std::string why;
  const auto recipient_text = request.get("recipient");
  const auto address = parse_address(recipient_text, settings_.delivery.recipient_delimiter, why);
  if (!address) return PolicyDecision{};  // smtpd has its own syntax checks; the LMTP server is the backstop
  if (!policy.domains.empty() &&
      std::find(policy.domains.begin(), policy.domains.end(), address->domain) == policy.domains.end()) {
    return PolicyDecision{};
  }
  if (policy.check_recipient || policy.check_quota) {
    std::optional<Lookup> at_hand;
    if (mode == Mode::NoWait && !(at_hand = directory_.lookup_at_hand(*address))) return std::nullopt;
    Lookup lookup = at_hand ? std::move(*at_hand) : directory_.lookup(*address);
    if (lookup.kind == LookupKind::Ambiguous) {
      // Two entries is the directory's mistake: delivery defers it (451 4.3.0); the edge says 4.4.3 so that
      // the sending server keeps the message until the directory is mended.
      lookup.kind = LookupKind::Unavailable;
      lookup.detail = "more than one directory entry: " + lookup.detail;
    }
    auto resolved = resolve_recipient(settings_, *address, recipient_text, lookup);
    const auto* refused = std::get_if<Outcome>(&resolved);
    // A mailbox on another delivery host exists: the edge accepts it (that host counts its quota), and
    // the greylist below still applies.
    if (refused != nullptr && refused->status != Status::MailboxElsewhere) {
      if (policy.check_recipient && at_rcpt) return refuse(*refused);
      return PolicyDecision{};
    }
    const auto* recipient = std::get_if<Recipient>(&resolved);
    if (recipient != nullptr && policy.check_quota && recipient->quota != 0) {
      if (mode == Mode::NoWait) return std::nullopt;  // counting a mailbox reads the disk
      const auto quota = probe_quota(settings_, *recipient, message_size(request));
      if (quota && !quota->delivered()) return refuse(*quota);
    }
  }
  // The greylist is a memory-mapped file: a check is a hash and a few stores, no wait.
  if (at_rcpt && policy.greylist && greylist_ != nullptr) return greylist(request, *address, now);
  return PolicyDecision{};
}

PolicyDecision PolicyDecider::greylist(const PolicyRequest& request, const Address& recipient,
                                       Greylist::Clock::time_point now) {
  const auto& policy = settings_.policy;
  if (!request.get("sasl_username").empty()) return {};
  const auto client = request.get("client_address");
  if (const auto ip = parse_ip_address(client); ip && any_contains(allow_clients_, *ip)) return {};
  const std::string whole = recipient.lookup_key();
  for (const auto& allowed : policy.greylist_allow_recipients) {
    if (allowed == recipient.local || allowed == whole) return {};
  }
  const auto triplet = greylist_triplet(client, request.get("sender"), whole, policy);
  const auto verdict = greylist_->check(triplet, now);
  switch (verdict.kind) {
    case GreylistVerdict::Kind::Defer:
      return {"DEFER_IF_PERMIT 4.7.1 Greylisted, try again in " + std::to_string(verdict.seconds) +
                  (verdict.seconds == 1 ? " second" : " seconds"),
              "greylisted: " + triplet.network + " " + triplet.sender + " " + triplet.recipient};
    case GreylistVerdict::Kind::PassFirst:
      return {"PREPEND X-Greylist: delayed " + std::to_string(verdict.seconds) + " seconds by letterbox-policyd",
              "greylisting passed"};
    case GreylistVerdict::Kind::Pass: break;
    case GreylistVerdict::Kind::Off: return {"DUNNO", "greylisting off: its store is unusable (logged)"};
  }
  return {};
}

}  // namespace letterbox
