// The actions a run has decided so far, and the rules for adding one: duplicates merged (RFC 5228
// §2.10.3, the last flags winning as RFC 5232 §3 asks), reject/ereject alone (RFC 5429 §2.4), one vacation
// per script (RFC 5230 §4.7), the limits on actions and redirects, and which actions cancel the implicit
// keep (RFC 5228 §2.10.2). Each add returns the error to report, or nullopt.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "letterbox/sieve/run_result.hpp"

namespace letterbox::sieve {

class ActionList {
 public:
  ActionList(std::size_t max_actions, std::size_t max_redirects)
      : max_actions_(max_actions), max_redirects_(max_redirects) {}

  // `keep` (`from_keep_command`) or `fileinto "INBOX"` (which with :copy leaves the implicit keep alone).
  std::optional<std::string> keep(Position where, KeepAction action, bool from_keep_command, bool copy = false);
  std::optional<std::string> fileinto(Position where, FileintoAction action, bool copy);
  std::optional<std::string> redirect(Position where, std::string address, bool copy);
  std::optional<std::string> reject(Position where, RejectAction action);
  std::optional<std::string> vacation(Position where, VacationAction action);
  void discard() { implicit_keep_ = false; }

  // run_sequence: does the script that just ended let the next one run (a keep in effect)? If so, its
  // `keep` commands are dropped (only the last script's keep stores) and a new script starts.
  bool keep_in_effect() const;
  void next_script();

  // The final list: the implicit keep added (with `flags`) if nothing cancelled it.
  std::optional<std::string> finish(std::vector<std::string> flags);
  std::vector<Action> take() { return std::move(actions_); }
  const std::vector<Action>& actions() const { return actions_; }

 private:
  std::optional<std::string> check_reject_alone(std::string_view kind) const;
  std::optional<std::string> add(Position where, Action action, bool from_keep_command);

  std::size_t max_actions_;
  std::size_t max_redirects_;
  std::vector<Action> actions_;
  std::vector<bool> deferred_;  // per action: a keep that only a `keep` command of this script made
  std::size_t redirects_ = 0;
  bool implicit_keep_ = true;
  bool kept_by_command_ = false;  // a `keep` ran in this script
  bool vacation_in_script_ = false;
};

}  // namespace letterbox::sieve
