#include "letterbox/maildir_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>

#include "letterbox/file_io.hpp"
#include "letterbox/locks.hpp"
#include "letterbox/mail_path.hpp"
#include "letterbox/maildir_name.hpp"
#include "letterbox/maildir_quota.hpp"
#include "letterbox/unique_fd.hpp"

namespace letterbox {
namespace {

// tmp/, new/ and cur/ (0700), created on first delivery.
int make_maildir_subdirs(const std::filesystem::path& dir) {
  bool created = false;
  for (const char* sub : {"tmp", "new", "cur"}) {
    const auto path = dir / sub;
    if (::mkdir(path.c_str(), 0700) == 0) {
      created = true;
      continue;
    }
    if (errno != EEXIST) return errno;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return errno;
    if (!S_ISDIR(st.st_mode)) return ELOOP;
  }
  // new/ must be durable in the Maildir before a message linked into it is acknowledged.
  return created ? sync_directory(dir) : 0;
}

// A subaddress names a folder only if it is a plain Maildir++ name: no '/', no leading '.', no empty
// level ("a..b"), nothing that could climb out of the Maildir.
bool usable_folder_name(std::string_view folder) {
  if (folder.empty() || folder.front() == '.' || folder.back() == '.') return false;
  if (folder.find('/') != std::string_view::npos || folder.find("..") != std::string_view::npos) return false;
  return std::none_of(folder.begin(), folder.end(), [](char c) { return c == '\0' || c == '\n'; });
}

}  // namespace

MaildirStore::MaildirStore(const DeliverySettings& delivery, const MaildirSettings& maildir)
    : delivery_(delivery), maildir_(maildir) {}

std::filesystem::path MaildirStore::target_for(const std::filesystem::path& maildir, std::string_view folder) const {
  if (!delivery_.subaddress_folders || !usable_folder_name(folder)) return maildir;
  auto candidate = maildir / ("." + std::string(folder));
  struct stat st {};
  if (::lstat(candidate.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return candidate;
  return maildir;
}

Outcome MaildirStore::deliver(const std::filesystem::path& maildir, std::string_view folder, const Message& message,
                              std::uint64_t quota) {
  const auto reply = delivery_.quota_full_reply;
  if (const int err = make_directories(delivery_.mail_root, maildir); err != 0) {
    return outcome_from_errno(err, "cannot create " + maildir.string(), reply);
  }
  if (const int err = make_maildir_subdirs(maildir); err != 0) {
    return outcome_from_errno(err, "cannot create the subdirectories of " + maildir.string(), reply);
  }
  const auto target = target_for(maildir, folder);
  if (target != maildir) {
    if (const int err = make_maildir_subdirs(target); err != 0) {
      return outcome_from_errno(err, "cannot create the subdirectories of " + target.string(), reply);
    }
  }

  const auto lock_path = maildir / maildir_.lock_file;
  UniqueFd lock_fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock_fd) return outcome_from_errno(errno, "cannot open " + lock_path.string(), reply);
  FlockLock lock;
  LockRetry retry(delivery_.lock_timeout);
  for (;;) {
    const auto attempt = lock.try_lock(lock_fd.get(), false);
    if (attempt.result == LockTry::Acquired) break;
    if (attempt.result == LockTry::Failed) return outcome_from_errno(attempt.error, attempt.detail, reply);
    if (!retry.backoff()) {
      return make_outcome(Status::MailboxLocked, lock_path.string() + " is held exclusively");
    }
  }

  std::optional<MaildirQuota> quota_file;
  if (quota != 0) {
    quota_file.emplace(maildir, maildir_.quota_file, quota);
    bool fits = false;
    if (const int err = quota_file->check(message.size(), fits); err != 0) {
      return outcome_from_errno(err, "cannot read the quota of " + maildir.string(), reply);
    }
    if (!fits) {
      return make_outcome(Status::MailboxFull,
                          maildir.string() + " is over its quota of " + std::to_string(quota) + " bytes", reply);
    }
  }

  Outcome result = write_message(target, message);
  if (result.delivered() && quota_file) {
    if (const int err = quota_file->record(message.size()); err != 0) {
      // The message is safe; a missing line only means the next check rebuilds the file.
      spdlog::warn("cannot update {}: {}", (maildir / maildir_.quota_file).string(), std::strerror(err));
    }
  }
  return result;
}

Outcome MaildirStore::write_message(const std::filesystem::path& target, const Message& message) {
  const auto reply = delivery_.quota_full_reply;
  const std::string name = maildir_unique_name(message.size());
  const auto tmp_path = target / "tmp" / name;
  const auto new_path = target / "new" / name;

  UniqueFd fd(::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return outcome_from_errno(errno, "cannot create " + tmp_path.string(), reply);

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
  if (err == 0) err = fd.close();  // close() can report a deferred write error (NFS)
  if (err == 0 && ::link(tmp_path.c_str(), new_path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp_path.c_str());
    return outcome_from_errno(err, "writing " + tmp_path.string(), reply);
  }
  if (delivery_.fsync) {
    if (const int sync_err = sync_directory(target / "new"); sync_err != 0) {
      // Without a durable name the copy may vanish in a crash: take it back and let the MTA retry.
      ::unlink(new_path.c_str());
      ::unlink(tmp_path.c_str());
      return outcome_from_errno(sync_err, "syncing " + (target / "new").string(), reply);
    }
  }
  ::unlink(tmp_path.c_str());
  return make_outcome(Status::Delivered);
}

}  // namespace letterbox
