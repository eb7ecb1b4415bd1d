#include "letterbox/store/sieve_delivery.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <type_traits>
#include <variant>
#include <vector>

#include "letterbox/mail/sendmail.hpp"
#include "letterbox/observe/metrics.hpp"
#include "letterbox/sieve/interpreter.hpp"
#include "letterbox/sieve/message_headers.hpp"
#include "letterbox/sieve/redirect_message.hpp"
#include "letterbox/store/delivery_script_host.hpp"
#include "letterbox/store/duplicate_store.hpp"
#include "letterbox/store/mail_path.hpp"
#include "letterbox/store/maildir_store.hpp"
#include "letterbox/store/recipient_copies.hpp"
#include "letterbox/store/sieve_script_store.hpp"
#include "letterbox/store/user_folders.hpp"
#include "letterbox/util/log.hpp"

namespace letterbox {
namespace {

namespace fs = std::filesystem;

// The scripts of one delivery, in the order they run, with the file each came from (for the logs).
struct ScriptSequence {
  std::vector<std::shared_ptr<const SieveFileCheck>> checks;
  std::vector<std::string> files;
  bool broken = false;             // one did not compile (logged): the message is kept, nothing runs
  std::optional<Outcome> failure;  // one could not be read for a reason that may pass: 4xx
};

std::uint64_t seconds(Duration d) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

sieve::RunLimits run_limits(const SieveSettings& s) {
  sieve::RunLimits limits;
  limits.max_actions = s.max_actions;
  limits.max_redirects = s.max_redirects;
  limits.max_cpu_time = s.max_cpu_time;
  limits.vacation_min_period = seconds(s.vacation_min_period);
  limits.vacation_default_period = seconds(s.vacation_default_period);
  limits.vacation_max_period = seconds(s.vacation_max_period);
  return limits;
}

sieve::ZoneOffset local_zone(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  if (::localtime_r(&t, &tm) == nullptr) return {};
  return {static_cast<int>(tm.tm_gmtoff / 60), false};
}

// The envelope, environment and limits of one run; the message and the host are the caller's.
sieve::RunInput run_input(const SieveSettings& sieve, const std::string& hostname, const Envelope& envelope,
                          const Recipient& recipient, std::chrono::system_clock::time_point now) {
  sieve::RunInput input;
  input.envelope.from = envelope.sender;
  input.envelope.to = recipient.address;
  input.environment.now = now;
  input.environment.local_zone = local_zone(input.environment.now);
  input.environment.host = hostname;
  if (const auto dot = hostname.find('.'); dot != std::string::npos)
    input.environment.domain = hostname.substr(dot + 1);
  input.environment.version = LETTERBOX_VERSION;
  input.limits = run_limits(sieve);
  return input;
}

// Adds the script at `file` to the sequence. `user`: the user's own script, never followed through a
// symlink, and absent when missing; the administrator's must be there (a missing one is logged, and the
// others still run, as --check-config has said).
void add_script(ScriptSequence& sequence, CompiledScriptCache& cache, const fs::path& file, bool user,
                const std::string& recipient) {
  const auto before = cache.compilations();
  auto check = cache.get(file, user);
  if (cache.compilations() != before) log::info("sieve: compiled {}", file.string());
  if (check->read_errno == ENOENT) {
    if (user) {
      log::warn("sieve: to=<{}> the active script {} does not exist: no user script", recipient, file.string());
    } else {
      log::error("sieve: to=<{}> the administrator's script {} does not exist: skipped", recipient, file.string());
    }
    return;
  }
  if (check->read_errno != 0) {
    // Delivering unfiltered would put the message where the user's filter says it must not go: retry.
    sequence.failure = outcome_from_errno(check->read_errno, "sieve: cannot read " + file.string());
    return;
  }
  if (!check->ok()) {
    for (const auto& line : describe_sieve_file_check(file, *check)) {
      log::error("sieve: to=<{}> script {} does not compile: {}; the message is kept in the inbox", recipient,
                 file.string(), line);
    }
    sequence.broken = true;
    return;
  }
  sequence.checks.push_back(std::move(check));
  sequence.files.push_back(file.string());
}

// The user's active script file, nullopt when the user has none; `failure` when that cannot be told.
std::optional<fs::path> active_script(const Settings& settings, const std::optional<fs::path>& sieve_dir,
                                      const std::string& sieve_dir_text, std::optional<Outcome>& failure) {
  if (!sieve_dir) return std::nullopt;
  std::string why;
  auto store = SieveScriptStore::open(settings.delivery.mail_root, sieve_dir_text, settings.sieve, why);
  if (!store) {
    log::error("sieve: no user script for this recipient: {}", why);
    return std::nullopt;
  }
  std::optional<std::string> name;
  if (const auto result = store->active(name); !result.ok()) {
    failure = make_outcome(Status::LocalError, "sieve: " + result.detail);
    return std::nullopt;
  }
  if (!name) return std::nullopt;
  return store->directory() / (*name + ".sieve");
}

ScriptSequence load_scripts(const Settings& settings, CompiledScriptCache& cache, const Recipient& recipient,
                            const std::optional<fs::path>& sieve_dir) {
  ScriptSequence sequence;
  for (const auto& file : settings.sieve.before) add_script(sequence, cache, file, false, recipient.address);
  if (const auto user = active_script(settings, sieve_dir, recipient.sieve_dir, sequence.failure)) {
    add_script(sequence, cache, *user, true, recipient.address);
  }
  for (const auto& file : settings.sieve.after) add_script(sequence, cache, file, false, recipient.address);
  return sequence;
}

// A symlink, a file or a hard-linked file where the folder belongs: no retry would mend that, and the
// message must not wait in the queue for it.
bool in_the_way(int err) {
  return err == ELOOP || err == ENOTDIR || err == EISDIR || err == EMLINK || err == EINVAL;
}

std::string describe_copies(const std::vector<PlannedCopy>& copies) {
  std::string text;
  for (const auto& copy : copies) {
    if (!text.empty()) text += ", ";
    text += copy.folder.inbox ? "INBOX" : copy.folder.name;
  }
  return text.empty() ? "nothing (discarded)" : text;
}

// RFC 5228 §2.10.3: one copy per folder, however many actions name it.
void add_copy(std::vector<PlannedCopy>& copies, const UserFolder& folder, const std::vector<std::string>& flags) {
  for (const auto& copy : copies) {
    if (copy.folder.path == folder.path) return;
  }
  copies.push_back({folder, flags});
}

// What the actions become: the copies to store, what to send, or an answer given without storing.
struct ActionPlan {
  std::vector<PlannedCopy> copies;
  std::vector<sieve::Action> outbound;  // redirect and vacation
  std::optional<Outcome> answer;        // a rejection, or a folder that could not be made for now
};

ActionPlan plan_actions(const sieve::RunResult& result, const UserFolders& folders, const UserFolder& inbox,
                        const std::string& recipient, QuotaFullReply quota_reply) {
  ActionPlan plan;
  const auto add_copy = [&plan](const UserFolder& folder, const std::vector<std::string>& flags) {
    letterbox::add_copy(plan.copies, folder, flags);
  };
  for (const auto& action : result.actions) {
    if (const auto* keep = std::get_if<sieve::KeepAction>(&action.what)) {
      add_copy(inbox, keep->flags);
    } else if (const auto* into = std::get_if<sieve::FileintoAction>(&action.what)) {
      std::string why;
      auto folder = folders.locate(into->mailbox, why);
      if (!folder) {
        log::warn("sieve: to=<{}> fileinto \"{}\" (line {}): {}; the copy goes to the inbox", recipient, into->mailbox,
                  action.where.line, why);
        add_copy(inbox, into->flags);
        continue;
      }
      if (folder->inbox) folder = inbox;
      if (!folders.exists(*folder)) {
        if (!into->create) {
          log::warn("sieve: to=<{}> fileinto \"{}\" (line {}): no such folder; the copy goes to the inbox", recipient,
                    into->mailbox, action.where.line);
          add_copy(inbox, into->flags);
          continue;
        }
        if (const int err = folders.create(*folder); err != 0) {
          if (!in_the_way(err)) {
            plan.answer =
                outcome_from_errno(err, "sieve: cannot create the folder " + folder->path.string(), quota_reply);
            return plan;
          }
          log::warn("sieve: to=<{}> fileinto :create \"{}\" (line {}): {}: {}; the copy goes to the inbox", recipient,
                    into->mailbox, action.where.line, folder->path.string(), std::strerror(err));
          add_copy(inbox, into->flags);
          continue;
        }
        log::info("sieve: to=<{}> created the folder \"{}\" ({})", recipient, into->mailbox, folder->path.string());
      }
      add_copy(*folder, into->flags);
    } else if (const auto* reject = std::get_if<sieve::RejectAction>(&action.what)) {
      // RFC 5429: reject and ereject never come with a stored copy; the refusal is the whole answer.
      log::info("sieve: to=<{}> rejected (line {})", recipient, action.where.line);
      plan.answer = rejected(reject->reason, "sieve: rejected by the script");
      return plan;
    } else {
      plan.outbound.push_back(action);
    }
  }
  return plan;
}

// What one run of the scripts works with.
struct ScriptRun {
  const Settings& settings;
  const std::string& hostname;
  CompiledScriptCache& cache;
  const ScriptSequence& sequence;
  const UserFolders& folders;
  const std::optional<fs::path>& sieve_dir;
  std::optional<DuplicateStore>& duplicates;
  std::chrono::system_clock::time_point now;
};

// Redirects that must not go, each logged and counted: to an address the sendmail program would refuse
// (no retry mends that), or of a message that went round already (a loop mark or a Delivered-To naming
// the user or the target). The message is then kept in the inbox, so that a script never loses it. 0, or
// the errno of reading the message.
int keep_instead_of_bad_redirects(ActionPlan& plan, const Spool& message, const UserFolder& inbox,
                                  const std::string& recipient) {
  const auto is_redirect = [](const sieve::Action& a) { return std::holds_alternative<sieve::RedirectAction>(a.what); };
  if (std::none_of(plan.outbound.begin(), plan.outbound.end(), is_redirect)) return 0;
  sieve::MessageHeaders headers;
  if (const int err = message.with_whole_message([&](std::string_view whole) {
        headers = sieve::MessageHeaders::parse(whole);
        return 0;
      });
      err != 0) {
    return err;
  }
  const std::string user[] = {recipient};
  std::erase_if(plan.outbound, [&](const sieve::Action& action) {
    const auto* redirect = std::get_if<sieve::RedirectAction>(&action.what);
    if (redirect == nullptr) return false;
    std::string why = sendmail_address_problem(redirect->address);
    if (why.empty()) {
      const auto loop = sieve::redirect_loop(headers, user, redirect->address);
      if (loop == sieve::RedirectLoop::none) return false;
      why = sieve::describe(loop);
    }
    log::warn("sieve: to=<{}> redirect to <{}> (line {}) not sent: {}; the message is kept in the inbox", recipient,
              redirect->address, action.where.line, why);
    metrics().count_redirect(RedirectResult::skipped);
    add_copy(plan.copies, inbox, {});
    return true;
  });
  return 0;
}

bool has_action(const std::vector<sieve::Action>& actions, bool redirect) {
  return std::any_of(actions.begin(), actions.end(), [redirect](const sieve::Action& a) {
    return redirect ? std::holds_alternative<sieve::RedirectAction>(a.what)
                    : std::holds_alternative<sieve::VacationAction>(a.what);
  });
}

// RFC 7352 §3: the marks count only for a message that was delivered; the caller knows it is.
void record_duplicate_marks(const sieve::RunResult& result, DuplicateStore& duplicates, std::time_t now,
                            const std::string& recipient) {
  if (result.duplicates.empty()) return;
  for (const auto& mark : result.duplicates) {
    duplicates.record(DuplicateKind::Duplicate, duplicate_key({mark.handle, mark.id}), now,
                      static_cast<std::time_t>(mark.seconds));
  }
  if (const auto commit = duplicates.commit(now); !commit.ok()) {
    log::error("sieve: to=<{}> cannot record the duplicate marks: {}", recipient, commit.detail);
  }
}

std::optional<fs::path> user_sieve_dir(const fs::path& mail_root, const Recipient& recipient) {
  if (recipient.sieve_dir.empty()) {
    log::warn("sieve: to=<{}> [sieve] user_dir names no directory for this address", recipient.address);
    return std::nullopt;
  }
  std::string why;
  auto dir = confine_to_root(mail_root, recipient.sieve_dir, why);
  if (!dir) log::error("sieve: to=<{}> script directory refused: {}", recipient.address, why);
  return dir;
}

std::optional<DuplicateStore> open_duplicates(const fs::path& mail_root, const Recipient& recipient,
                                              const std::optional<fs::path>& sieve_dir) {
  if (!sieve_dir) return std::nullopt;
  std::string why;
  auto store = DuplicateStore::open(mail_root, recipient.sieve_dir, why);
  if (!store) log::error("sieve: to=<{}> no duplicate tracking: {}", recipient.address, why);
  return store;
}

// letterbox_sieve_runs_total and letterbox_sieve_actions_total for one recipient's run.
void count_run(const sieve::RunResult& result) {
  auto& m = metrics();
  m.count_sieve_run(result.error ? SieveRunResult::error : SieveRunResult::ok);
  if (result.error) return;  // its actions are the fallback keep, not the script's
  if (result.actions.empty()) m.count_sieve_action(SieveActionKind::discard);
  for (const auto& action : result.actions) {
    m.count_sieve_action(std::visit(
        [](const auto& what) {
          using T = std::decay_t<decltype(what)>;
          if constexpr (std::is_same_v<T, sieve::KeepAction>) return SieveActionKind::keep;
          if constexpr (std::is_same_v<T, sieve::FileintoAction>) return SieveActionKind::fileinto;
          if constexpr (std::is_same_v<T, sieve::RedirectAction>) return SieveActionKind::redirect;
          if constexpr (std::is_same_v<T, sieve::RejectAction>) return SieveActionKind::reject;
          return SieveActionKind::vacation;
        },
        action.what));
  }
}

// Runs the scripts into `result` (the fallback keep when none can run); an answer when the message
// cannot be read.
std::optional<Outcome> run_scripts(const ScriptRun& run, const Spool& message, const Envelope& envelope,
                                   const Recipient& recipient, sieve::RunResult& result) {
  if (run.sequence.broken || run.sequence.checks.empty()) {
    result.actions.push_back(sieve::Action{sieve::KeepAction{}, {}, true});
    return std::nullopt;
  }
  std::vector<const sieve::Script*> scripts;
  for (const auto& check : run.sequence.checks) scripts.push_back(check->script.get());
  DeliveryScriptHost host(run.settings.sieve, run.cache, run.folders, run.sieve_dir, run.duplicates);
  sieve::RunInput input = run_input(run.settings.sieve, run.hostname, envelope, recipient, run.now);
  input.host = &host;
  // The message is viewed where it lies (memory, or the spool file mapped), never copied for the run.
  const int err = message.with_whole_message([&](std::string_view whole) {
    input.message = whole;
    result = sieve::run_sequence(scripts, input);
    return 0;
  });
  if (err != 0) return outcome_from_errno(err, "sieve: cannot map the spooled message");
  count_run(result);
  if (result.error) {
    const auto& e = *result.error;
    const std::string file = e.script < run.sequence.files.size() ? run.sequence.files[e.script] : "?";
    log::error("sieve: to=<{}> script {}{} failed at line {}: {}; the message is kept in the inbox", recipient.address,
               file, e.included.empty() ? "" : " (included " + e.included + ")", e.diagnostic.where.line,
               e.diagnostic.message);
  }
  return std::nullopt;
}

}  // namespace

SieveDelivery::SieveDelivery(const Settings& settings, const std::string& hostname, MailboxQueue& mailbox_queue,
                             FsyncBatch& new_dir_syncs, CompiledScriptCache& scripts, OutboundSink& outbound)
    : settings_(settings),
      hostname_(hostname),
      mailbox_queue_(mailbox_queue),
      new_dir_syncs_(new_dir_syncs),
      scripts_(scripts),
      outbound_(outbound) {}

Outcome SieveDelivery::deliver(const Spool& message, const Envelope& envelope, const Recipient& recipient,
                               const fs::path& mailbox, std::string_view added_headers) {
  const auto& mail_root = settings_.delivery.mail_root;
  const auto sieve_dir = user_sieve_dir(mail_root, recipient);
  ScriptSequence sequence = load_scripts(settings_, scripts_, recipient, sieve_dir);
  if (sequence.failure) return *sequence.failure;
  auto duplicates = open_duplicates(mail_root, recipient, sieve_dir);
  UserFolders folders(mail_root, mailbox, recipient.format, recipient.mbox_folders);
  const ScriptRun run{settings_, hostname_, scripts_,   sequence,
                      folders,   sieve_dir, duplicates, std::chrono::system_clock::now()};
  sieve::RunResult result;
  if (auto failure = run_scripts(run, message, envelope, recipient, result)) return *failure;

  MaildirStore maildir_store(settings_.delivery, settings_.maildir, new_dir_syncs_);
  const UserFolder inbox{
      "INBOX",
      recipient.format == MailboxFormat::Maildir ? maildir_store.target_for(mailbox, recipient.folder) : mailbox, true};
  auto plan = plan_actions(result, folders, inbox, recipient.address, settings_.delivery.quota_full_reply);
  if (plan.answer) return *plan.answer;
  if (const int err = keep_instead_of_bad_redirects(plan, message, inbox, recipient.address); err != 0) {
    return outcome_from_errno(err, "sieve: cannot map the spooled message");
  }

  RecipientCopies recipient_copies(settings_, mailbox_queue_, new_dir_syncs_, recipient, mailbox);
  auto outcome = recipient_copies.store_all(plan.copies, message, envelope.sender, added_headers);
  if (!outcome.delivered()) return outcome;
  log::info("sieve: to=<{}> stored in {}", recipient.address, describe_copies(plan.copies));

  const auto now = std::chrono::system_clock::to_time_t(run.now);
  const OutboundRequest request{
      message, envelope.sender,     recipient.address,       duplicates ? &*duplicates : nullptr,
      now,     local_zone(run.now), std::move(plan.outbound)};
  // The redirects go before the answer: one that cannot go now must be retried with the whole message.
  if (has_action(request.actions, true)) {
    if (auto sent = outbound_.redirect(request); !sent.delivered()) {
      recipient_copies.take_back("a redirect was not sent (" + sent.detail + ")");
      return sent;
    }
  }
  if (duplicates) record_duplicate_marks(result, *duplicates, now, recipient.address);
  if (has_action(request.actions, false)) outbound_.reply(request);
  return outcome;
}

}  // namespace letterbox
