#include "letterbox/store/recipient_copies.hpp"

#include <cstring>

#include "letterbox/store/mail_flags.hpp"
#include "letterbox/store/mail_path.hpp"
#include "letterbox/store/maildir_store.hpp"
#include "letterbox/store/mbox_store.hpp"
#include "letterbox/store/message.hpp"
#include "letterbox/util/log.hpp"

namespace letterbox {

RecipientCopies::RecipientCopies(const Settings& settings, MailboxQueue& mailbox_queue, FsyncBatch& new_dir_syncs,
                                 const Recipient& recipient, const std::filesystem::path& mailbox)
    : settings_(settings),
      mailbox_queue_(mailbox_queue),
      new_dir_syncs_(new_dir_syncs),
      recipient_(recipient),
      mailbox_(mailbox) {}

Outcome RecipientCopies::store_maildir(const PlannedCopy& copy, const Spool& message, std::string_view sender,
                                       std::string_view added_headers) {
  const auto reply = settings_.delivery.quota_full_reply;
  std::string info;
  if (!copy.flags.empty()) {
    // Keywords are numbered in the folder's own file, which needs the folder (the inbox may be new).
    if (const int err = make_directories(settings_.delivery.mail_root, copy.folder.path); err != 0) {
      return outcome_from_errno(err, "cannot create " + copy.folder.path.string(), reply);
    }
    if (const int err = maildir_info(copy.folder.path, copy.flags, settings_.delivery.lock_timeout, info); err != 0) {
      return outcome_from_errno(err, "cannot record the keywords of " + copy.folder.path.string(), reply);
    }
  }
  MaildirStore store(settings_.delivery, settings_.maildir, new_dir_syncs_);
  std::filesystem::path file;
  const Message one{message, added_headers, sender};
  auto outcome = store.deliver_copy(mailbox_, copy.folder.path, info, one, recipient_.quota, file);
  if (outcome.delivered()) maildir_written_.emplace_back(std::move(file), one.size());
  return outcome;
}

Outcome RecipientCopies::store_all(const std::vector<PlannedCopy>& copies, const Spool& message,
                                   std::string_view sender, std::string_view added_headers) {
  Outcome failure = make_outcome(Status::Delivered);
  if (recipient_.format == MailboxFormat::Maildir) {
    for (const auto& copy : copies) {
      failure = store_maildir(copy, message, sender, added_headers);
      if (!failure.delivered()) break;
    }
  } else {
    MboxStore store(settings_.delivery, settings_.mbox, mailbox_queue_);
    for (const auto& copy : copies) {
      const std::string headers = std::string(added_headers) + mbox_flag_headers(copy.flags);
      MboxAppend appended;
      failure = store.append(copy.folder.path, Message{message, headers, sender}, recipient_.quota, &appended);
      if (!failure.delivered()) break;
      mbox_written_.emplace_back(copy.folder.path, appended);
    }
  }
  if (!failure.delivered()) take_back("another copy failed (" + failure.detail + ")");
  return failure;
}

void RecipientCopies::take_back(std::string_view why) {
  const auto copies = maildir_written_.size() + mbox_written_.size();
  if (copies == 0) return;
  log::warn("sieve: to=<{}> taking back {} stored cop{}: {}", recipient_.address, copies, copies == 1 ? "y" : "ies",
            why);
  MaildirStore maildir(settings_.delivery, settings_.maildir, new_dir_syncs_);
  for (auto it = maildir_written_.rbegin(); it != maildir_written_.rend(); ++it) {
    if (const int err = maildir.take_back(mailbox_, it->first, it->second, recipient_.quota); err != 0) {
      log::critical("to=<{}>: cannot take back {} after a failed delivery ({}); the retry will store it again",
                    recipient_.address, it->first.string(), std::strerror(err));
    }
  }
  MboxStore mbox(settings_.delivery, settings_.mbox, mailbox_queue_);
  for (auto it = mbox_written_.rbegin(); it != mbox_written_.rend(); ++it) {
    if (const auto back = mbox.take_back(it->first, it->second); !back.delivered()) {
      log::critical(
          "to=<{}>: cannot take back the copy appended to {} after a failed delivery ({}); the retry "
          "will store it again",
          recipient_.address, it->first.string(), back.detail);
    }
  }
  maildir_written_.clear();
  mbox_written_.clear();
}

}  // namespace letterbox
