// MboxStore: appends one message to an mbox file under the locks other programs honour.
// Contract: it returns Delivered only after the data is written and fsync'd (when [delivery] fsync is
// on). On any failure the file is truncated back to its size before the append, so the mailbox is
// byte-identical; every failure is a 4xx outcome. It never follows a symlink and never writes to a
// file with more than one hard link, checked again after the locks are held.
#pragma once

#include <filesystem>

#include "letterbox/config/config.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/mailbox_queue.hpp"
#include "letterbox/store/message.hpp"

namespace letterbox {

class MboxStore {
 public:
  MboxStore(const DeliverySettings& delivery, const MboxSettings& mbox, MailboxQueue& mailbox_queue);

  // `mbox` is already confined under mail_root; `quota` is in bytes, 0 for none.
  Outcome append(const std::filesystem::path& mbox, const Message& message, std::uint64_t quota);

 private:
  Outcome write_locked(int fd, const std::filesystem::path& mbox, const Message& message, std::uint64_t quota);

  const DeliverySettings& delivery_;
  const MboxSettings& mbox_;
  MailboxQueue& mailbox_queue_;
};

}  // namespace letterbox
