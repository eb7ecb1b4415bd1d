// PolicyDecider: the table of letterbox-policyd's answers (letterbox-policyd(8), "Decisions"), as one function of a
// request. The recipient goes through the same parse_address, Directory, resolve_recipient and quota limits as a
// delivery; the Outcome it comes to is mapped to a Postfix action by policy_action(), the one mapping
// (outcome.hpp). Greylisting comes last, so that a refused recipient never enters the greylist.
#pragma once

#include <optional>
#include <string>

#include "greylist.hpp"
#include "letterbox/config/config.hpp"
#include "letterbox/directory/directory.hpp"
#include "letterbox/util/network.hpp"
#include "policy_protocol.hpp"

namespace letterbox {

struct PolicyDecision {
  std::string action = "DUNNO";  // what Postfix is told
  std::string reason;            // for the log line: why, never sent
  [[nodiscard]] bool dunno() const { return action == "DUNNO"; }
};

class PolicyDecider {
 public:
  // `greylist` may be null (greylisting off, or its store unusable: then nothing is greylisted).
  PolicyDecider(const Settings& settings, Directory& directory, Greylist* greylist);

  // May wait on the directory and on the mailbox's quota files: run it on the worker pool.
  PolicyDecision decide(const PolicyRequest& request, Greylist::Clock::time_point now);

  // The same decision when it can be made without waiting (the recipient's entry is fresh in the cache
  // and there is no quota file to read), else nullopt: a network thread answers most requests itself
  // and sends only the rest to the pool.
  std::optional<PolicyDecision> decide_without_waiting(const PolicyRequest& request, Greylist::Clock::time_point now);

 private:
  enum class Mode { MayWait, NoWait };
  std::optional<PolicyDecision> decide(const PolicyRequest& request, Greylist::Clock::time_point now, Mode mode);
  PolicyDecision greylist(const PolicyRequest& request, const Address& recipient, Greylist::Clock::time_point now);

  const Settings& settings_;
  Directory& directory_;
  Greylist* greylist_;
  std::vector<Network> allow_clients_;
};

}  // namespace letterbox
