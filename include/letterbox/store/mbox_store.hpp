// MboxStore: appends one message to an mbox file under the locks other programs honour.
// Contract: it returns Delivered only after the data is written and fsync'd (when [delivery] fsync is
// on). On any failure the file is truncated back to its size before the append, so the mailbox is
// byte-identical; every failure is a 4xx outcome. It never follows a symlink and never writes to a
// file with more than one hard link, checked again after the locks are held.
//
// Deliveries to one mbox in one process share a turn (MailboxQueue): while one holds it, the others leave
// their message with the queue, and the holder, once it has the file locks, appends them after its own
// and makes them all durable with one fsync. Each message still has its own outcome and rollback; none
// is Delivered before the fsync that covers it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>

#include "letterbox/config/config.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/mailbox_queue.hpp"
#include "letterbox/store/message.hpp"

namespace letterbox {

class LockRetry;

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
  // is set on success. The append may be written by another thread's call (see above).
  Outcome append(const std::filesystem::path& mbox, const Message& message, std::uint64_t quota,
                 MboxAppend* appended = nullptr);

  // Undoes a successful append (a Sieve delivery whose other copy failed): under the same locks,
  // truncates the file back to where the append started, but only if it is still the same file and ends
  // exactly where the append ended (nobody has appended since). Delivered, or why it was left.
  Outcome take_back(const std::filesystem::path& mbox, const MboxAppend& appended);

 private:
  struct PendingAppend;
  class ClaimedAppends;

  Outcome append_with_turn(const std::filesystem::path& mbox, PendingAppend& own, MailboxQueue::Guard& turn,
                           LockRetry& retry);
  void write_batch(int fd, const std::filesystem::path& mbox, ClaimedAppends& batch);
  Outcome append_unsynced(int fd, const std::filesystem::path& mbox, const PendingAppend& request, std::uint64_t& size,
                          bool follows_our_message, bool& touched, int& cut_error);
  int write_message(int fd, std::string out, const Message& message, std::uint64_t& written);
  void roll_back(int fd, const std::filesystem::path& mbox, std::uint64_t size);

  const DeliverySettings& delivery_;
  const MboxSettings& mbox_;
  MailboxQueue& mailbox_queue_;
};

}  // namespace letterbox
