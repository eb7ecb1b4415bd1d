#include "letterbox/store/user_folders.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "letterbox/sieve/mailbox_name.hpp"
#include "letterbox/store/mail_path.hpp"
#include "letterbox/util/file_io.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {

UserFolders::UserFolders(std::filesystem::path mail_root, std::filesystem::path mailbox, MailboxFormat format,
                         std::string mbox_folders)
    : mail_root_(std::move(mail_root)),
      mailbox_(std::move(mailbox)),
      format_(format),
      mbox_folders_(std::move(mbox_folders)) {}

std::optional<UserFolder> UserFolders::locate(std::string_view name, std::string& why) const {
  if (format_ == MailboxFormat::Maildir) {
    const auto folder = sieve::maildir_folder(name, why);
    if (!folder) return std::nullopt;
    if (folder->empty()) return UserFolder{std::string(name), mailbox_, true};
    // One path component starting with '.', with no '/' in it (mailbox_name.hpp): it cannot leave the Maildir.
    return UserFolder{std::string(name), mailbox_ / *folder, false};
  }
  const auto relative = sieve::mbox_folder(name, why);
  if (!relative) return std::nullopt;
  if (relative->empty()) return UserFolder{std::string(name), mailbox_, true};
  if (mbox_folders_.empty()) {
    why = "[sieve] mbox_folders names no directory for this address";
    return std::nullopt;
  }
  const auto path = confine_to_root(mail_root_, mbox_folders_ + "/" + *relative, why);
  if (!path) return std::nullopt;
  return UserFolder{std::string(name), *path, false};
}

bool UserFolders::exists(const UserFolder& folder) const {
  if (folder.inbox) return true;
  struct stat st {};
  if (::lstat(folder.path.c_str(), &st) != 0) return false;
  return format_ == MailboxFormat::Maildir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
}

int UserFolders::create(const UserFolder& folder) const {
  if (folder.inbox) return 0;
  if (format_ == MailboxFormat::Mbox) {
    if (const int err = make_directories(mail_root_, folder.path.parent_path()); err != 0) return err;
    UniqueFd fd;
    std::string why;
    return open_mailbox_file(folder.path, fd, why);
  }
  // The folder and its parts, each synced into its parent before the next: a crash leaves either no
  // folder or a usable one, never a new/ that a later copy's acknowledgement depends on but is not there.
  if (const int err = make_directories(mail_root_, folder.path); err != 0) return err;
  bool any_created = false;
  for (const char* sub : {"tmp", "new", "cur"}) {
    bool created = false;
    if (const int err = make_directory(folder.path / sub, created); err != 0) return err;
    any_created = any_created || created;
  }
  // Maildir++: the file that tells IMAP servers (Courier, Dovecot) this directory is a folder.
  const auto marker = folder.path / "maildirfolder";
  const UniqueFd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return errno;
  return any_created ? sync_directory(folder.path) : 0;
}

}  // namespace letterbox
