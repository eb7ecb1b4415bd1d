#include "action_list.hpp"

#include <algorithm>

#include "letterbox/util/text.hpp"

namespace letterbox::sieve {
namespace {

std::string_view kind_name(const Action& action) {
  if (std::holds_alternative<KeepAction>(action.what)) return "keep";
  if (std::holds_alternative<FileintoAction>(action.what)) return "fileinto";
  if (std::holds_alternative<RedirectAction>(action.what)) return "redirect";
  if (const auto* reject = std::get_if<RejectAction>(&action.what)) return reject->extended ? "ereject" : "reject";
  return "vacation";
}

std::string at_line(Position where) {
  return "line " + std::to_string(where.line);
}

// RFC 5321 §2.4: the local part is case-sensitive, the domain is not.
bool same_address(std::string_view a, std::string_view b) {
  const auto at_a = a.rfind('@');
  const auto at_b = b.rfind('@');
  if (at_a != at_b) return false;
  return a.substr(0, at_a) == b.substr(0, at_b) &&
         (at_a == std::string_view::npos || iequals_ascii(a.substr(at_a), b.substr(at_b)));
}

// Would `existing` and `added` store or send the same copy (RFC 5228 §2.10.3)? Then they are one action.
bool same_target(const Action& existing, const Action& added) {
  if (existing.what.index() != added.what.index()) return false;
  if (std::holds_alternative<KeepAction>(added.what)) return true;
  if (const auto* file = std::get_if<FileintoAction>(&added.what)) {
    return std::get<FileintoAction>(existing.what).mailbox == file->mailbox;
  }
  if (const auto* redirect = std::get_if<RedirectAction>(&added.what)) {
    return same_address(std::get<RedirectAction>(existing.what).address, redirect->address);
  }
  return false;
}

// The later of two stores into one mailbox decides its flags (RFC 5232 §3).
void merge(Action& existing, Action&& added) {
  if (auto* keep = std::get_if<KeepAction>(&existing.what)) {
    keep->flags = std::move(std::get<KeepAction>(added.what).flags);
  } else if (auto* file = std::get_if<FileintoAction>(&existing.what)) {
    auto& other = std::get<FileintoAction>(added.what);
    file->flags = std::move(other.flags);
    file->create = file->create || other.create;
  }
}

}  // namespace

std::optional<std::string> ActionList::check_reject_alone(std::string_view kind) const {
  for (const auto& action : actions_) {
    const bool is_reject = std::holds_alternative<RejectAction>(action.what);
    if (!is_reject && kind != "reject" && kind != "ereject") continue;
    if (is_reject && (kind == "reject" || kind == "ereject")) {
      return "only one reject or ereject may be performed (the first is at " + at_line(action.where) + ")";
    }
    // RFC 5429 §2.4: a refused message is not also delivered or answered.
    return std::string(kind) + " cannot be combined with the " + std::string(kind_name(action)) + " at " +
           at_line(action.where);
  }
  return std::nullopt;
}

std::optional<std::string> ActionList::add(Position where, Action action, bool from_keep_command) {
  action.where = where;
  const std::string_view kind = kind_name(action);
  if (auto error = check_reject_alone(kind)) return error;
  for (std::size_t i = 0; i < actions_.size(); ++i) {
    if (!same_target(actions_[i], action)) continue;
    merge(actions_[i], std::move(action));
    deferred_[i] = deferred_[i] && from_keep_command;
    return std::nullopt;
  }
  if (actions_.size() >= max_actions_) return "more than " + std::to_string(max_actions_) + " actions (max_actions)";
  actions_.push_back(std::move(action));
  deferred_.push_back(from_keep_command);
  return std::nullopt;
}

std::optional<std::string> ActionList::keep(Position where, KeepAction action, bool from_keep_command, bool copy) {
  if (auto error = add(where, Action{std::move(action), {}, false}, from_keep_command)) return error;
  if (from_keep_command) kept_by_command_ = true;
  if (!copy) implicit_keep_ = false;
  return std::nullopt;
}

std::optional<std::string> ActionList::fileinto(Position where, FileintoAction action, bool copy) {
  if (auto error = add(where, Action{std::move(action), {}, false}, false)) return error;
  if (!copy) implicit_keep_ = false;
  return std::nullopt;
}

std::optional<std::string> ActionList::redirect(Position where, std::string address, bool copy) {
  const bool known = std::any_of(actions_.begin(), actions_.end(), [&](const Action& a) {
    const auto* r = std::get_if<RedirectAction>(&a.what);
    return r != nullptr && same_address(r->address, address);
  });
  if (!known && redirects_ >= max_redirects_) {
    return "more than " + std::to_string(max_redirects_) + " redirects (max_redirects)";
  }
  if (auto error = add(where, Action{RedirectAction{std::move(address)}, {}, false}, false)) return error;
  if (!known) ++redirects_;
  if (!copy) implicit_keep_ = false;
  return std::nullopt;
}

std::optional<std::string> ActionList::reject(Position where, RejectAction action) {
  if (auto error = add(where, Action{std::move(action), {}, false}, false)) return error;
  implicit_keep_ = false;
  return std::nullopt;
}

std::optional<std::string> ActionList::vacation(Position where, VacationAction action) {
  for (const auto& existing : actions_) {
    if (!std::holds_alternative<VacationAction>(existing.what)) continue;
    // RFC 5230 §4.7 within one script; across a sequence, Pigeonhole drops the later one silently.
    if (!vacation_in_script_) return std::nullopt;
    return "only one vacation may be performed (the first is at " + at_line(existing.where) + ")";
  }
  if (auto error = add(where, Action{std::move(action), {}, false}, false)) return error;
  vacation_in_script_ = true;
  return std::nullopt;
}

bool ActionList::keep_in_effect() const {
  return implicit_keep_ || kept_by_command_;
}

void ActionList::next_script() {
  for (std::size_t i = actions_.size(); i-- > 0;) {
    if (!deferred_[i]) continue;
    actions_.erase(actions_.begin() + static_cast<std::ptrdiff_t>(i));
    deferred_.erase(deferred_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  implicit_keep_ = true;
  kept_by_command_ = false;
  vacation_in_script_ = false;
}

std::optional<std::string> ActionList::finish(std::vector<std::string> flags) {
  if (!implicit_keep_) return std::nullopt;
  for (auto& action : actions_) {
    if (auto* keep = std::get_if<KeepAction>(&action.what)) {
      keep->flags = std::move(flags);  // a fileinto :copy "INBOX" before: one store, the last flags
      return std::nullopt;
    }
  }
  if (actions_.size() >= max_actions_) return "more than " + std::to_string(max_actions_) + " actions (max_actions)";
  actions_.push_back(Action{KeepAction{std::move(flags), "", false}, Position{0, 0}, true});
  deferred_.push_back(false);
  return std::nullopt;
}

}  // namespace letterbox::sieve
