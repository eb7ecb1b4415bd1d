// RecipientCopies: the copies one Sieve delivery stores for one recipient (the inbox, folders, each with
// its flags), all or nothing. They are written one after the other, each durable before the next; if one
// fails, the ones already written are taken back (a Maildir file unlinked and its directory synced, an
// mbox truncated back if nobody appended after us) and that failure is the answer, so that the MTA's
// retry never stores a copy twice. A copy that cannot be taken back is logged as critical: it will be
// there twice after the retry, which is the lesser harm than losing the message. take_back() does the same
// for copies that all landed, when a later step of the delivery (a redirect that could not be sent) fails.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "letterbox/config/config.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/deliverer.hpp"
#include "letterbox/store/fsync_batch.hpp"
#include "letterbox/store/mailbox_queue.hpp"
#include "letterbox/store/mbox_store.hpp"
#include "letterbox/store/spool.hpp"
#include "letterbox/store/user_folders.hpp"

namespace letterbox {

struct PlannedCopy {
  UserFolder folder;               // where: a Maildir (or folder) directory, or an mbox file; existing or makeable
  std::vector<std::string> flags;  // imap4flags, normalised
};

class RecipientCopies {
 public:
  RecipientCopies(const Settings& settings, MailboxQueue& mailbox_queue, FsyncBatch& new_dir_syncs,
                  const Recipient& recipient, const std::filesystem::path& mailbox);

  Outcome store_all(const std::vector<PlannedCopy>& copies, const Spool& message, std::string_view sender,
                    std::string_view added_headers);

  // Removes every copy store_all() wrote, newest first; `why` goes into the log.
  void take_back(std::string_view why);

 private:
  Outcome store_maildir(const PlannedCopy& copy, const Spool& message, std::string_view sender,
                        std::string_view added_headers);

  const Settings& settings_;
  MailboxQueue& mailbox_queue_;
  FsyncBatch& new_dir_syncs_;
  const Recipient& recipient_;
  const std::filesystem::path& mailbox_;
  // What store_all() wrote, for take_back(): Maildir files with their size, or mbox appends.
  std::vector<std::pair<std::filesystem::path, std::uint64_t>> maildir_written_;
  std::vector<std::pair<std::filesystem::path, MboxAppend>> mbox_written_;
};

}  // namespace letterbox
