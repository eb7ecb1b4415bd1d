// MboxStore: appends one message to an mbox file under the locks other programs honour.
// Contract: it returns Delivered only after the data is written and fsync'd (when [delivery] fsync is
// on). On any failure the file is truncated back to its size before the append, so the mailbox is
// byte-identical; every failure is a 4xx outcome. It never follows a symlink and never writes to a
// file with more than one hard link, checked again after the locks are held.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>

#include "letterbox/config/config.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/mailbox_queue.hpp"
#include "letterbox/store/message.hpp"

namespace letterbox {

// Where an append landed, so that it can be taken back while nobody has appended after it.
struct MboxAppend {
  dev_t device = 0;
  ino_t inode = 0;
  std::uint64_t start = 0;  // the file's size before the append
  std::uint64_t end = 0;    // ... and after it
};

class MboxStore {
 public:
  MboxStore(const DeliverySettings& delivery, const MboxSettings& mbox, MailboxQueue& mailbox_queue);

  // `mbox` is already confined under mail_root; `quota` is in bytes, 0 for none. `appended`, when given,
  // is set on success.
  Outcome append(const std::filesystem::path& mbox, const Message& message, std::uint64_t quota,
                 MboxAppend* appended = nullptr);

  // Undoes a successful append (a Sieve delivery whose other copy failed): under the same locks,
  // truncates the file back to where the append started, but only if it is still the same file and ends
  // exactly where the append ended (nobody has appended since). Delivered, or why it was left.
  Outcome take_back(const std::filesystem::path& mbox, const MboxAppend& appended);

 private:
  Outcome write_locked(int fd, const std::filesystem::path& mbox, const Message& message, std::uint64_t quota,
                       MboxAppend* appended);

  const DeliverySettings& delivery_;
  const MboxSettings& mbox_;
  MailboxQueue& mailbox_queue_;
};

}  // namespace letterbox
