// The folders of one Sieve user on disk: what a fileinto name (UTF-8, as the script gives it) becomes,
// whether it exists, and making it for `fileinto :create`. A Maildir user's folders are Maildir++
// folders inside the Maildir (".Lists.dev", sieve/mailbox_name.hpp); an mbox user's are files under the
// expanded [sieve] mbox_folders, one directory per level. Every path stays under mail_root and nothing
// is followed through a symlink: a symlink where a folder should be is a folder that does not exist, and
// creating over it fails.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "letterbox/config/config.hpp"

namespace letterbox {

struct UserFolder {
  std::string name;            // as the script gave it, for the logs
  std::filesystem::path path;  // Maildir: the folder's directory; mbox: the folder's file
  bool inbox = false;          // INBOX: the recipient's own mailbox
};

class UserFolders {
 public:
  // `mailbox` is the recipient's mailbox, already confined; `mbox_folders` the expanded template
  // (relative to mail_root, untrusted), "" when the template could not be expanded for this address.
  UserFolders(std::filesystem::path mail_root, std::filesystem::path mailbox, MailboxFormat format,
              std::string mbox_folders);

  // nullopt, with `why`, for a name that cannot be a folder here.
  std::optional<UserFolder> locate(std::string_view name, std::string& why) const;

  // The folder is there: a directory (Maildir++) or a regular file (mbox), not a symlink. INBOX always is.
  [[nodiscard]] bool exists(const UserFolder& folder) const;

  // Makes a missing folder: a Maildir++ folder with tmp/, new/, cur/ and its `maildirfolder` file, or an
  // mbox folder's directories and empty file. 0 or an errno.
  int create(const UserFolder& folder) const;

  [[nodiscard]] MailboxFormat format() const { return format_; }
  [[nodiscard]] const std::filesystem::path& mailbox() const { return mailbox_; }

 private:
  std::filesystem::path mail_root_;
  std::filesystem::path mailbox_;
  MailboxFormat format_;
  std::string mbox_folders_;
};

}  // namespace letterbox
