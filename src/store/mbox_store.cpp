#include "letterbox/store/mbox_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <new>
#include <optional>
#include <vector>

#include "letterbox/store/mail_path.hpp"
#include "letterbox/store/mailbox_file_locks.hpp"
#include "letterbox/store/mbox_format.hpp"
#include "letterbox/util/file_io.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {
namespace {

// The file locks of one attempt, released in reverse order by the destructors (kernel locks before the
// dotlock, and all of them before the descriptor closes).
struct FileLocks {
  FileLocks(const std::filesystem::path& mbox, Duration stale_age) : dot(mbox.string() + ".lock", stale_age) {}
  DotLock dot;
  FcntlLock fcntl;
  FlockLock flock;

  void release() {
    flock.unlock();
    fcntl.unlock();
    dot.unlock();
  }
};

bool uses(const std::vector<LockKind>& locks, LockKind kind) {
  return std::find(locks.begin(), locks.end(), kind) != locks.end();
}

}  // namespace

MboxStore::MboxStore(const DeliverySettings& delivery, const MboxSettings& mbox, MailboxQueue& mailbox_queue)
    : delivery_(delivery), mbox_(mbox), mailbox_queue_(mailbox_queue) {}

namespace {

// Dotlock first (it needs no descriptor and is what most readers check), then the kernel locks. Each is
// a non-blocking try; when one is busy, everything held is let go before backing off, so two programs
// taking the locks in different orders cannot deadlock. Delivered once all are held.
Outcome take_locks(FileLocks& locks, int fd, const std::filesystem::path& mbox, const DeliverySettings& delivery,
                   const MboxSettings& settings, LockRetry& retry) {
  for (;;) {
    LockAttempt attempt{LockTry::Acquired, 0, {}};
    if (uses(settings.locks, LockKind::Dotlock)) attempt = locks.dot.try_lock();
    for (LockKind kind : settings.locks) {
      if (attempt.result != LockTry::Acquired) break;
      if (kind == LockKind::Fcntl) attempt = locks.fcntl.try_lock(fd);
      if (kind == LockKind::Flock) attempt = locks.flock.try_lock(fd, true);
    }
    if (attempt.result == LockTry::Acquired) return make_outcome(Status::Delivered);
    locks.release();
    if (attempt.result == LockTry::Failed) {
      return outcome_from_errno(attempt.error, "locking " + mbox.string() + ": " + attempt.detail,
                                delivery.quota_full_reply);
    }
    if (!retry.backoff()) {
      return make_outcome(Status::MailboxLocked,
                          attempt.detail + " (waited " + std::to_string(delivery.lock_timeout.count()) + "ms)");
    }
  }
}

// A crash during someone's append (ours or another program's) can leave the file ending mid-line. The
// From_ line must start a line after a blank one, or it would glue the next message onto that fragment:
// what to write first so that it does.
std::string torn_tail_repair(int fd, std::uint64_t size) {
  if (size == 0) return {};
  std::array<char, 2> tail{};
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(size, 2));
  if (::pread(fd, tail.data(), want, static_cast<off_t>(size - want)) != static_cast<ssize_t>(want)) return {};
  if (tail[want - 1] != '\n') return "\n\n";
  if (want == 2 && tail[0] != '\n') return "\n";
  return {};
}

Outcome queue_refusal(MailboxQueue::Refusal refusal, const std::filesystem::path& mbox) {
  return make_outcome(Status::MailboxLocked, refusal == MailboxQueue::Refusal::TooManyWaiters
                                                 ? "too many deliveries waiting for " + mbox.string()
                                                 : "timed out waiting for another delivery to " + mbox.string());
}

}  // namespace

// One delivery's append. While its delivery waits for the mailbox's turn, it is on offer in the queue:
// the holder may write it in its batch and then fill in `outcome` (and `where`).
struct MboxStore::PendingAppend : QueuedWork {
  PendingAppend(const Message& message, std::uint64_t quota) : message(message), quota(quota) {}
  const Message& message;
  std::uint64_t quota;
  Outcome outcome = make_outcome(Status::LocalError);
  MboxAppend where;  // set when delivered
};

// The holder's own append and the ones it claimed, in the order they are written. Its destructor
// completes every claimed append before the turn is released, whatever happened: a waiter is never left
// hanging. If the batch was cut short by an exception, each gets a temporary failure (write_batch has
// taken the file back to where the batch started).
class MboxStore::ClaimedAppends {
 public:
  // Nothing after the claim may throw: the destructor of a half-constructed object would not run.
  ClaimedAppends(MailboxQueue::Guard& turn, PendingAppend& own)
      : turn_(turn), own_(own), claimed_(turn.claim_waiting()) {}
  ClaimedAppends(const ClaimedAppends&) = delete;
  ClaimedAppends& operator=(const ClaimedAppends&) = delete;
  ~ClaimedAppends() {
    for (QueuedWork* work : claimed_) {
      // A literal short enough not to allocate: this runs while an exception (bad_alloc perhaps) unwinds.
      if (!finished_) static_cast<PendingAppend*>(work)->outcome = make_outcome(Status::LocalError, "batch cut short");
    }
    if (!claimed_.empty()) turn_.complete(claimed_);  // the mutex and a wake-up only for a real batch
  }

  [[nodiscard]] std::size_t size() const { return 1 + claimed_.size(); }
  PendingAppend& operator[](std::size_t i) { return i == 0 ? own_ : *static_cast<PendingAppend*>(claimed_[i - 1]); }
  // Every outcome is final: the destructor hands them over as they are.
  void finish() noexcept { finished_ = true; }

 private:
  MailboxQueue::Guard& turn_;
  PendingAppend& own_;
  std::vector<QueuedWork*> claimed_;
  bool finished_ = false;
};

Outcome MboxStore::append(const std::filesystem::path& mbox, const Message& message, std::uint64_t quota,
                          MboxAppend* appended) {
  LockRetry retry(delivery_.lock_timeout);
  PendingAppend own(message, quota);
  auto turn = mailbox_queue_.acquire(mbox.string(), retry.deadline(), own);
  if (const auto* refusal = std::get_if<MailboxQueue::Refusal>(&turn)) return queue_refusal(*refusal, mbox);
  if (auto* guard = std::get_if<MailboxQueue::Guard>(&turn)) {
    own.outcome = append_with_turn(mbox, own, *guard, retry);
  }
  if (appended != nullptr && own.outcome.delivered()) *appended = own.where;
  return std::move(own.outcome);
}

// With the turn: the file, its locks, then the batch. Until the claim, a failure is this delivery's
// alone; whatever waits in the queue stays there for the next holder.
Outcome MboxStore::append_with_turn(const std::filesystem::path& mbox, PendingAppend& own, MailboxQueue::Guard& turn,
                                    LockRetry& retry) {
  if (const int err = make_directories(delivery_.mail_root, mbox.parent_path()); err != 0) {
    return outcome_from_errno(err, "cannot create the directory of " + mbox.string(), delivery_.quota_full_reply);
  }
  UniqueFd fd;
  std::string why;
  if (const int err = open_mailbox_file(mbox, fd, why); err != 0) {
    return outcome_from_errno(err, why, delivery_.quota_full_reply);
  }

  FileLocks locks(mbox, mbox_.stale_dotlock_age);
  if (auto locked = take_locks(locks, fd.get(), mbox, delivery_, mbox_, retry); !locked.delivered()) return locked;
  if (!still_same_file(fd.get(), mbox, why)) return make_outcome(Status::LocalError, why);
  // Claimed only now, with every lock held: whatever queued while we waited for another program rides along.
  ClaimedAppends batch(turn, own);
  write_batch(fd.get(), mbox, batch);
  batch.finish();
  locks.release();
  return own.outcome;
}

Outcome MboxStore::take_back(const std::filesystem::path& mbox, const MboxAppend& appended) {
  LockRetry retry(delivery_.lock_timeout);
  auto turn = mailbox_queue_.acquire(mbox.string(), retry.deadline());
  if (const auto* refusal = std::get_if<MailboxQueue::Refusal>(&turn)) return queue_refusal(*refusal, mbox);
  // Never created here: a file that is gone has nothing to take back.
  UniqueFd fd(::open(mbox.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return outcome_from_errno(errno, "cannot open " + mbox.string() + " to take a copy back");
  FileLocks locks(mbox, mbox_.stale_dotlock_age);
  if (auto locked = take_locks(locks, fd.get(), mbox, delivery_, mbox_, retry); !locked.delivered()) return locked;
  std::string why;
  if (!still_same_file(fd.get(), mbox, why)) return make_outcome(Status::LocalError, why);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return outcome_from_errno(errno, "cannot stat " + mbox.string());
  // Another program may have appended or rewritten the file since: cutting it then would lose their data.
  if (st.st_dev != appended.device || st.st_ino != appended.inode ||
      static_cast<std::uint64_t>(st.st_size) != appended.end) {
    return make_outcome(Status::LocalError, mbox.string() + " changed after our append; the copy stays");
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(appended.start)) != 0 || (delivery_.fsync && ::fsync(fd.get()) != 0)) {
    return outcome_from_errno(errno, "truncating " + mbox.string() + " back");
  }
  locks.release();
  return make_outcome(Status::Delivered);
}

// Appends every message of the batch in order, each with its own outcome, then makes them durable with
// one fsync. A failed message leaves no byte behind and the others go on; a failed fsync takes the file
// back to where the batch started, and every message fails with it: nothing is Delivered that may not
// survive a crash.
void MboxStore::write_batch(int fd, const std::filesystem::path& mbox, ClaimedAppends& batch) {
  const auto fail_all = [&](int err, const std::string& what) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i].outcome = outcome_from_errno(err, what + " " + mbox.string(), delivery_.quota_full_reply);
    }
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_all(errno, "cannot stat");
  const auto batch_start = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t size = batch_start;
  bool wrote_any = false;  // a message of ours ends the file
  bool touched = false;    // written to or cut back: the batch's fsync must cover it
  try {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      PendingAppend& request = batch[i];
      const std::uint64_t start = size;
      int cut_error = 0;
      request.outcome = append_unsynced(fd, mbox, request, size, wrote_any, touched, cut_error);
      if (cut_error != 0) {
        // Part of a message is left at the end: nothing more may be appended after it.
        fail_all(cut_error, "cannot truncate a failed append from");
        roll_back(fd, mbox, batch_start);
        return;
      }
      if (!request.outcome.delivered()) continue;
      request.where = {st.st_dev, st.st_ino, start, size};
      wrote_any = true;
    }
    if (touched && delivery_.fsync && ::fsync(fd) != 0) {
      // Every message fails, not only those written: a refusal that counted the batch's bytes against a
      // quota would otherwise stand on bytes that are gone. This fsync may be the only one to hear of
      // an earlier failed write-back, so it alone decides.
      const int err = errno;
      roll_back(fd, mbox, batch_start);
      fail_all(err, "fsync of");
    }
  } catch (...) {
    roll_back(fd, mbox, batch_start);  // ClaimedAppends fails every message of the batch
    throw;
  }
}

// Appends one message at `size` (the end of the file) without fsync, and moves `size` past it. On
// failure the file is cut back to `size` as it was, unsynced (the batch's fsync covers the cut too);
// `cut_error` is set if even that failed. `touched` is set once the file was written to.
Outcome MboxStore::append_unsynced(int fd, const std::filesystem::path& mbox, const PendingAppend& request,
                                   std::uint64_t& size, bool follows_our_message, bool& touched, int& cut_error) {
  const Message& message = request.message;
  const std::string from_line = mbox_from_line(message.sender, std::time(nullptr));
  // The quoting '>'s are not counted: the quota check is a promise about the order of magnitude.
  const std::uint64_t estimated = from_line.size() + message.size() + 2;
  if (request.quota != 0 && size + estimated > request.quota) {
    return make_outcome(Status::MailboxFull,
                        mbox.string() + " holds " + std::to_string(size) + " of " + std::to_string(request.quota) +
                            " bytes; the message needs " + std::to_string(estimated),
                        delivery_.quota_full_reply);
  }
  // After a message of ours, the file ends with the blank line we wrote; only what was there before the
  // batch needs looking at.
  std::string out = follows_our_message ? std::string() : torn_tail_repair(fd, size);
  out += from_line;
  std::uint64_t written = 0;
  touched = true;
  if (const int err = write_message(fd, std::move(out), message, written); err != 0) {
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) cut_error = errno;
    return outcome_from_errno(err, "appending to " + mbox.string(), delivery_.quota_full_reply);
  }
  size += written;
  return make_outcome(Status::Delivered);
}

// Writes `out` (what precedes the message) and then the message, From-quoted, without the sender's
// state fields, ending with a blank line. `written` counts the bytes that reached the file. 0 or an errno.
int MboxStore::write_message(int fd, std::string out, const Message& message, std::uint64_t& written) {
  FromQuoter quoter(mbox_.from_quoting);
  char last = '\n';
  constexpr std::size_t kFlushAt = 256 * 1024;
  int write_error = 0;
  const auto flush = [&] {
    write_error = write_all(fd, out);
    if (write_error == 0) written += out.size();
    out.clear();
    return write_error;
  };
  const auto emit = [&](std::string_view text) -> int {
    if (text.empty()) return 0;
    last = text.back();
    quoter.feed(text, out);
    return out.size() >= kFlushAt ? flush() : write_error;
  };
  MboxStateFieldFilter state_fields;
  std::string kept;
  const auto emit_message = [&](std::string_view text) -> int {
    if (state_fields.in_body()) return emit(text);
    kept.clear();
    state_fields.feed(text, kept);
    return emit(kept);
  };
  try {
    int err = emit(message.added_headers);
    if (err == 0) err = message.body.for_each_chunk(emit_message);
    if (err == 0) {
      kept.clear();
      state_fields.finish(kept);
      err = emit(kept);
    }
    if (err != 0) return err;
    quoter.finish(out);
    // Every message ends with a newline and then the blank line that separates it from the next From_.
    if (last != '\n') out += '\n';
    out += '\n';
    return flush();
  } catch (const std::bad_alloc&) {
    return ENOMEM;  // part of the message may be written already: rolled back like a failed write
  }
}

// Put the mailbox back exactly as it was before the batch, durably; a half-written message would corrupt
// the next one.
void MboxStore::roll_back(int fd, const std::filesystem::path& mbox, std::uint64_t size) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0 || (delivery_.fsync && ::fsync(fd) != 0)) {
    log::critical("cannot truncate {} back to {} bytes after a failed append: {}", mbox.string(), size,
                  std::strerror(errno));
  }
}

}  // namespace letterbox
