#include "letterbox/store/mbox_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <optional>

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

Outcome queue_refusal(MailboxQueue::Refusal refusal, const std::filesystem::path& mbox) {
  return make_outcome(Status::MailboxLocked, refusal == MailboxQueue::Refusal::TooManyWaiters
                                                 ? "too many deliveries waiting for " + mbox.string()
                                                 : "timed out waiting for another delivery to " + mbox.string());
}

}  // namespace

Outcome MboxStore::append(const std::filesystem::path& mbox, const Message& message, std::uint64_t quota,
                          MboxAppend* appended) {
  LockRetry retry(delivery_.lock_timeout);
  auto turn = mailbox_queue_.acquire(mbox.string(), retry.deadline());
  if (const auto* refusal = std::get_if<MailboxQueue::Refusal>(&turn)) return queue_refusal(*refusal, mbox);

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
  Outcome result = write_locked(fd.get(), mbox, message, quota, appended);
  locks.release();
  return result;
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

Outcome MboxStore::write_locked(int fd, const std::filesystem::path& mbox, const Message& message, std::uint64_t quota,
                                MboxAppend* appended) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return outcome_from_errno(errno, "cannot stat " + mbox.string());
  const auto original_size = static_cast<std::uint64_t>(st.st_size);

  const std::string from_line = mbox_from_line(message.sender, std::time(nullptr));
  // The quoting '>'s are not counted: the quota check is a promise about the order of magnitude.
  const std::uint64_t estimated = from_line.size() + message.size() + 2;
  if (quota != 0 && original_size + estimated > quota) {
    return make_outcome(Status::MailboxFull,
                        mbox.string() + " holds " + std::to_string(original_size) + " of " + std::to_string(quota) +
                            " bytes; the message needs " + std::to_string(estimated),
                        delivery_.quota_full_reply);
  }

  // A crash during someone's append (ours or another program's) can leave the file ending mid-line. The
  // From_ line must start a line after a blank one, or it would glue this message onto that fragment.
  std::string out;
  if (original_size > 0) {
    std::array<char, 2> tail{};
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(original_size, 2));
    if (::pread(fd, tail.data(), want, static_cast<off_t>(original_size - want)) == static_cast<ssize_t>(want)) {
      if (tail[want - 1] != '\n') {
        out = "\n\n";
      } else if (want == 2 && tail[0] != '\n') {
        out = "\n";
      }
    }
  }
  out += from_line;
  FromQuoter quoter(mbox_.from_quoting);
  char last = '\n';
  constexpr std::size_t kFlushAt = 256 * 1024;
  int write_error = 0;
  const auto emit = [&](std::string_view text) -> int {
    if (text.empty()) return 0;
    last = text.back();
    quoter.feed(text, out);
    if (out.size() >= kFlushAt) {
      write_error = write_all(fd, out);
      out.clear();
    }
    return write_error;
  };
  MboxStateFieldFilter state_fields;
  std::string kept;
  const auto emit_message = [&](std::string_view text) -> int {
    if (state_fields.in_body()) return emit(text);
    kept.clear();
    state_fields.feed(text, kept);
    return emit(kept);
  };
  int err = 0;
  try {
    err = emit(message.added_headers);
    if (err == 0) err = message.body.for_each_chunk(emit_message);
    if (err == 0) {
      kept.clear();
      state_fields.finish(kept);
      err = emit(kept);
    }
    if (err == 0) {
      quoter.finish(out);
      // Every message ends with a newline and then the blank line that separates it from the next From_.
      if (last != '\n') out += '\n';
      out += '\n';
      err = write_all(fd, out);
    }
  } catch (const std::bad_alloc&) {
    err = ENOMEM;  // part of the message may be written already: rolled back below like a failed write
  }
  if (err == 0 && delivery_.fsync && ::fsync(fd) != 0) err = errno;
  // Where the copy ends, for take_back(); without it the copy could not be undone, so it is not kept.
  struct stat after {};
  if (err == 0 && appended != nullptr && ::fstat(fd, &after) != 0) err = errno;
  if (err != 0) {
    // Put the mailbox back exactly as it was; a half-written message would corrupt the next one.
    if (::ftruncate(fd, static_cast<off_t>(original_size)) != 0 || (delivery_.fsync && ::fsync(fd) != 0)) {
      log::critical("cannot truncate {} back to {} bytes after a failed append: {}", mbox.string(), original_size,
                    std::strerror(errno));
    }
    return outcome_from_errno(err, "appending to " + mbox.string(), delivery_.quota_full_reply);
  }
  if (appended != nullptr) *appended = {st.st_dev, st.st_ino, original_size, static_cast<std::uint64_t>(after.st_size)};
  return make_outcome(Status::Delivered);
}

}  // namespace letterbox
