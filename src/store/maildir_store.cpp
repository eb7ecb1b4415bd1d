#include "letterbox/store/maildir_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>

#include "letterbox/store/mail_path.hpp"
#include "letterbox/store/mailbox_file_locks.hpp"
#include "letterbox/store/maildir_name.hpp"
#include "letterbox/store/maildir_quota.hpp"
#include "letterbox/util/file_io.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {
namespace {

// tmp/, new/ and cur/ (0700), created on first delivery.
int make_maildir_subdirs(const std::filesystem::path& dir) {
  bool any_created = false;
  for (const char* sub : {"tmp", "new", "cur"}) {
    bool created = false;
    if (const int err = make_directory(dir / sub, created); err != 0) return err;
    any_created = any_created || created;
  }
  // new/ must be durable in the Maildir before a message linked into it is acknowledged.
  return any_created ? sync_directory(dir) : 0;
}

// A Maildir subdirectory opened for what a delivery does in it, without a stat first: a ready Maildir
// (every delivery but the first) costs no lookup beyond the operation itself. O_NOFOLLOW refuses a
// symlink in place of the subdirectory as make_directory() does (open answers ENOTDIR for it, as for a
// file), so the subdirectories stay as strictly checked as when each was lstat'ed before use.
bool missing_or_not_a_directory(int err) {
  return err == ENOENT || err == ENOTDIR || err == ELOOP;
}

// Linking an O_TMPFILE file by its /proc/self/fd name needs /proc (linkat's AT_EMPTY_PATH would need
// CAP_DAC_READ_SEARCH, which a delivery running as the mailbox owner does not have).
bool proc_fd_links_work() {
  static const bool works = ::access("/proc/self/fd", X_OK) == 0;
  return works;
}

// A subaddress names a folder only if it is a plain Maildir++ name: no '/', no leading '.', no empty
// level ("a..b"), nothing that could climb out of the Maildir.
bool usable_folder_name(std::string_view folder) {
  if (folder.empty() || folder.front() == '.' || folder.back() == '.') return false;
  if (folder.find('/') != std::string_view::npos || folder.find("..") != std::string_view::npos) return false;
  return std::none_of(folder.begin(), folder.end(), [](char c) { return c == '\0' || c == '\n'; });
}

}  // namespace

MaildirStore::MaildirStore(const DeliverySettings& delivery, const MaildirSettings& maildir, FsyncBatch& new_dir_syncs,
                           TmpFiles tmp_files)
    : delivery_(delivery), maildir_(maildir), new_dir_syncs_(new_dir_syncs), tmp_files_(tmp_files) {}

std::filesystem::path MaildirStore::target_for(const std::filesystem::path& maildir, std::string_view folder) const {
  if (!delivery_.subaddress_folders || !usable_folder_name(folder)) return maildir;
  auto candidate = maildir / ("." + std::string(folder));
  struct stat st {};
  if (::lstat(candidate.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return candidate;
  return maildir;
}

Outcome MaildirStore::prepare(const std::filesystem::path& maildir, const std::filesystem::path& target) {
  const auto reply = delivery_.quota_full_reply;
  if (const int err = make_directories(delivery_.mail_root, maildir); err != 0) {
    return outcome_from_errno(err, "cannot create " + maildir.string(), reply);
  }
  if (const int err = make_maildir_subdirs(maildir); err != 0) {
    return outcome_from_errno(err, "cannot create the subdirectories of " + maildir.string(), reply);
  }
  if (target != maildir) {
    if (const int err = make_maildir_subdirs(target); err != 0) {
      return outcome_from_errno(err, "cannot create the subdirectories of " + target.string(), reply);
    }
  }
  return make_outcome(Status::Delivered);
}

namespace {

// A shared flock on `lock_fd`, retried until lock_timeout: Delivered, or why not. The lock is then held
// by the caller's descriptor and ends with its close (O_CLOEXEC, never dup'ed: an unlock first would be
// a system call for nothing).
Outcome lock_shared(int lock_fd, const std::filesystem::path& lock_path, Duration timeout, QuotaFullReply reply) {
  LockRetry retry(timeout);
  FlockLock lock;
  for (;;) {
    const auto attempt = lock.try_lock(lock_fd, false);
    if (attempt.result == LockTry::Acquired) {
      lock.release_on_close();
      return make_outcome(Status::Delivered);
    }
    if (attempt.result == LockTry::Failed) return outcome_from_errno(attempt.error, attempt.detail, reply);
    if (!retry.backoff()) {
      return make_outcome(Status::MailboxLocked, lock_path.string() + " is held exclusively");
    }
  }
}

// The Maildir's lock file, created when missing.
UniqueFd open_maildir_lock(const std::filesystem::path& lock_path) {
  // Without O_CREAT first: creating (even an existing name) locks the whole Maildir directory.
  UniqueFd lock_fd(::open(lock_path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
  if (!lock_fd && errno == ENOENT) {
    lock_fd = UniqueFd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  }
  if (!lock_fd && errno == EACCES) {
    // flock needs no write access, and an administrator's `flock -x letterbox.lock rsync ...` run as root
    // creates the file 0644 root: that must not defer every delivery to this Maildir.
    lock_fd = UniqueFd(::open(lock_path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  }
  return lock_fd;
}

}  // namespace

Outcome MaildirStore::open_lock(const std::filesystem::path& maildir, const std::filesystem::path& target,
                                const std::filesystem::path& lock_path, UniqueFd& lock_fd) {
  // The lock file is opened first: in a Maildir that exists (every delivery but its first) that open is
  // the only look at the Maildir needed here. The components of the path were checked for symlinks by
  // confine_to_root() just before; tmp/, new/ and cur/ are checked as they are used (write_message).
  lock_fd = open_maildir_lock(lock_path);
  if (!lock_fd && (errno == ENOENT || errno == ENOTDIR)) {
    // No Maildir yet (or something else in its place, which prepare() refuses as it always did).
    if (auto ready = prepare(maildir, target); !ready.delivered()) return ready;
    lock_fd = open_maildir_lock(lock_path);
  }
  if (!lock_fd) return outcome_from_errno(errno, "cannot open " + lock_path.string(), delivery_.quota_full_reply);
  return make_outcome(Status::Delivered);
}

Outcome MaildirStore::check_quota(const std::filesystem::path& maildir, const Message& message, std::uint64_t quota,
                                  std::optional<MaildirQuota>& quota_file) {
  const auto reply = delivery_.quota_full_reply;
  if (quota == 0) return make_outcome(Status::Delivered);
  quota_file.emplace(maildir, maildir_.quota_file, quota);
  bool fits = false;
  int err = quota_file->check(message.size(), fits);
  if (err == ENOENT) {
    // A rebuild writes maildirsize through tmp/, which an existing Maildir may lack: made here as
    // prepare() made it before every delivery.
    if (err = make_maildir_subdirs(maildir); err == 0) err = quota_file->check(message.size(), fits);
  }
  if (err != 0) {
    return outcome_from_errno(err, "cannot read the quota of " + maildir.string(), reply);
  }
  if (!fits) {
    return make_outcome(Status::MailboxFull,
                        maildir.string() + " is over its quota of " + std::to_string(quota) + " bytes", reply);
  }
  return make_outcome(Status::Delivered);
}

Outcome MaildirStore::deliver(const std::filesystem::path& maildir, std::string_view folder, const Message& message,
                              std::uint64_t quota) {
  const auto reply = delivery_.quota_full_reply;
  // The target is chosen before the subdirectories exist, as it always was: a folder without them yet
  // gets them made below.
  const auto target = target_for(maildir, folder);

  const auto lock_path = maildir / maildir_.lock_file;
  UniqueFd lock_fd;  // holds the shared lock on letterbox.lock until the delivery ends
  if (auto opened = open_lock(maildir, target, lock_path, lock_fd); !opened.delivered()) return opened;
  if (auto locked = lock_shared(lock_fd.get(), lock_path, delivery_.lock_timeout, reply); !locked.delivered()) {
    return locked;
  }

  std::optional<MaildirQuota> quota_file;
  if (auto fits = check_quota(maildir, message, quota, quota_file); !fits.delivered()) return fits;

  Outcome result = write_message(target, message);
  if (result.delivered() && quota_file) {
    if (const int err = quota_file->record(message.size()); err != 0) {
      // The message is safe; a missing line only means the next check rebuilds the file.
      log::warn("cannot update {}: {}", (maildir / maildir_.quota_file).string(), std::strerror(err));
    }
  }
  return result;
}

Outcome MaildirStore::deliver_copy(const std::filesystem::path& maildir, const std::filesystem::path& target,
                                   std::string_view info, const Message& message, std::uint64_t quota,
                                   std::filesystem::path& written) {
  const auto reply = delivery_.quota_full_reply;

  const auto lock_path = maildir / maildir_.lock_file;
  UniqueFd lock_fd;  // holds the shared lock on letterbox.lock until the delivery ends
  if (auto opened = open_lock(maildir, target, lock_path, lock_fd); !opened.delivered()) return opened;
  if (auto locked = lock_shared(lock_fd.get(), lock_path, delivery_.lock_timeout, reply); !locked.delivered()) {
    return locked;
  }
  // A folder's own lock file is never created here: only an administrator who wants to hold that one
  // folder makes it, and a folder without one needs no lock.
  UniqueFd folder_lock_fd;  // holds the folder's shared lock, if it has a lock file
  if (target != maildir) {
    const auto folder_lock_path = target / maildir_.lock_file;
    folder_lock_fd = UniqueFd(::open(folder_lock_path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
    if (!folder_lock_fd && errno != ENOENT) {
      return outcome_from_errno(errno, "cannot open " + folder_lock_path.string(), reply);
    }
    if (folder_lock_fd) {
      auto locked = lock_shared(folder_lock_fd.get(), folder_lock_path, delivery_.lock_timeout, reply);
      if (!locked.delivered()) return locked;
    }
  }

  std::optional<MaildirQuota> quota_file;
  if (auto fits = check_quota(maildir, message, quota, quota_file); !fits.delivered()) return fits;

  Outcome result = write_message(target, message, info, &written);
  if (result.delivered() && quota_file) {
    if (const int err = quota_file->record(message.size()); err != 0) {
      log::warn("cannot update {}: {}", (maildir / maildir_.quota_file).string(), std::strerror(err));
    }
  }
  return result;
}

int MaildirStore::take_back(const std::filesystem::path& maildir, const std::filesystem::path& written,
                            std::uint64_t size, std::uint64_t quota) {
  if (::unlink(written.c_str()) != 0 && errno != ENOENT) return errno;
  if (delivery_.fsync) {
    if (const int err = sync_directory(written.parent_path()); err != 0) return err;
  }
  if (quota != 0) {
    if (const int err = MaildirQuota(maildir, maildir_.quota_file, quota).retract(size); err != 0) {
      // The copy is gone; the count is only high until the file is next rebuilt.
      log::warn("cannot update {}: {}", (maildir / maildir_.quota_file).string(), std::strerror(err));
    }
  }
  return 0;
}

Outcome MaildirStore::write_message(const std::filesystem::path& target, const Message& message, std::string_view info,
                                    std::filesystem::path* written) {
  const auto reply = delivery_.quota_full_reply;
  const std::string name = maildir_unique_name(message.size());
  const auto tmp_dir = target / "tmp";
  const auto tmp_path = tmp_dir / name;
  // A copy with flags is one a reader has already seen in new/ and moved on: cur/, the flags after the name.
  const std::string link_name = info.empty() ? name : name + std::string(info);
  const auto link_dir = target / (info.empty() ? "new" : "cur");
  const auto new_path = link_dir / link_name;

  // tmp/, new/ and cur/ are made (and lstat'ed: a symlink or a file in place of one is refused) only
  // when opening the one needed fails, and at most once per copy.
  bool subdirs_made = false;
  const auto make_subdirs = [&]() -> int {
    subdirs_made = true;
    return make_maildir_subdirs(target);
  };
  const auto subdirs_failed = [&](int err) {
    return outcome_from_errno(err, "cannot create the subdirectories of " + target.string(), reply);
  };

  // new/ (or cur/) is opened first and kept: the link goes into this very directory (no symlink
  // followed at new/), and its fsync below needs no second open.
  const auto open_link_dir = [&] {
    return UniqueFd(::open(link_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  };
  UniqueFd dir_fd = open_link_dir();
  if (!dir_fd && missing_or_not_a_directory(errno)) {
    if (const int err = make_subdirs(); err != 0) return subdirs_failed(err);
    dir_fd = open_link_dir();
  }
  if (!dir_fd) return outcome_from_errno(errno, "cannot open " + link_dir.string(), reply);

  // Preferably an unnamed file in tmp/ (O_TMPFILE): creating it does not lock tmp/ against the other
  // deliveries, and a crash before the link leaves nothing behind to clean up. Where the filesystem or
  // /proc cannot do that (NFS, a chroot), a named tmp/ file, the qmail way.
  const bool unnamed = tmp_files_ == TmpFiles::Unnamed && proc_fd_links_work();
  UniqueFd fd;
  if (unnamed) {
    // tmp/ is the last component here, so O_NOFOLLOW refuses a symlink in its place.
    const auto open_unnamed = [&] {
      return UniqueFd(::open(tmp_dir.c_str(), O_WRONLY | O_TMPFILE | O_NOFOLLOW | O_CLOEXEC, 0600));
    };
    fd = open_unnamed();
    if (!fd && missing_or_not_a_directory(errno) && !subdirs_made) {
      if (const int err = make_subdirs(); err != 0) return subdirs_failed(err);
      fd = open_unnamed();
    }
  }
  const bool named = !fd;
  if (named) {
    // A named file's open follows a symlink at tmp/ (O_NOFOLLOW covers the file only): tmp/ is checked
    // first, as it always was.
    if (!subdirs_made) {
      if (const int err = make_subdirs(); err != 0) return subdirs_failed(err);
    }
    fd = UniqueFd(::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  }
  if (!fd) return outcome_from_errno(errno, "cannot create a file in " + tmp_dir.string(), reply);

  // Headers and the first chunk of the body go out in one write() for a typical small message.
  std::string buffer(message.added_headers);
  int err = message.body.for_each_chunk([&](std::string_view chunk) {
    if (buffer.size() + chunk.size() <= 256 * 1024) {
      buffer.append(chunk);
      return 0;
    }
    const int e = write_all(fd.get(), buffer);
    buffer.clear();
    return e != 0 ? e : write_all(fd.get(), chunk);
  });
  if (err == 0) err = write_all(fd.get(), buffer);
  if (err == 0 && delivery_.fsync && ::fsync(fd.get()) != 0) err = errno;
  if (named) {
    if (err == 0) err = fd.close();  // close() can report a deferred write error (NFS)
    if (err == 0 && ::linkat(AT_FDCWD, tmp_path.c_str(), dir_fd.get(), link_name.c_str(), 0) != 0) err = errno;
    if (err != 0) ::unlink(tmp_path.c_str());
  } else {
    const std::string by_fd = "/proc/self/fd/" + std::to_string(fd.get());
    if (err == 0 && ::linkat(AT_FDCWD, by_fd.c_str(), dir_fd.get(), link_name.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      err = errno;
    }
    if (const int close_err = fd.close(); err == 0 && close_err != 0) {
      err = close_err;
      ::unlinkat(dir_fd.get(), link_name.c_str(), 0);
    }
  }
  if (err != 0) return outcome_from_errno(err, "writing a copy into " + target.string(), reply);
  if (delivery_.fsync) {
    if (const int sync_err = new_dir_syncs_.sync(link_dir, dir_fd.get()); sync_err != 0) {
      // Without a durable name the copy may vanish in a crash: take it back and let the MTA retry.
      ::unlinkat(dir_fd.get(), link_name.c_str(), 0);
      if (named) ::unlink(tmp_path.c_str());
      return outcome_from_errno(sync_err, "syncing " + link_dir.string(), reply);
    }
  }
  if (named) ::unlink(tmp_path.c_str());
  if (written != nullptr) *written = new_path;
  return make_outcome(Status::Delivered);
}

}  // namespace letterbox
