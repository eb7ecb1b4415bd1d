#include "letterbox/store/mail_path.hpp"

#include "letterbox/util/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace letterbox {

std::optional<std::filesystem::path> confine_to_root(const std::filesystem::path& mail_root, std::string_view mailbox,
                                                     std::string& why) {
  namespace fs = std::filesystem;
  if (mailbox.empty()) {
    why = "empty mailbox path";
    return std::nullopt;
  }
  if (mailbox.find('\0') != std::string_view::npos) {
    why = "mailbox path contains a NUL byte";
    return std::nullopt;
  }
  const fs::path root = mail_root.lexically_normal();
  fs::path relative;
  if (mailbox.front() == '/') {
    const fs::path absolute(mailbox);
    const auto rel = absolute.lexically_relative(root);
    if (rel.empty() || *rel.begin() == "..") {
      why = "mailbox path " + std::string(mailbox) + " is outside mail_root " + root.string();
      return std::nullopt;
    }
    relative = fs::path(mailbox).lexically_relative(root);
    // lexically_relative normalises '..' away; look at the original components too.
    for (const auto& part : absolute) {
      if (part == "..") {
        why = "mailbox path " + std::string(mailbox) + " contains '..'";
        return std::nullopt;
      }
    }
  } else {
    relative = fs::path(mailbox);
  }
  fs::path result = root;
  bool exists_so_far = true;
  for (const auto& part : relative) {
    if (part == "..") {
      why = "mailbox path " + std::string(mailbox) + " contains '..'";
      return std::nullopt;
    }
    if (part.empty() || part == "." || part == "/") continue;
    result /= part;
    if (!exists_so_far) continue;
    struct stat st {};
    if (::lstat(result.c_str(), &st) != 0) {
      exists_so_far = false;  // created later, by us, without following anything
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      why = "mailbox path " + result.string() + " is a symlink";
      return std::nullopt;
    }
  }
  if (result == root) {
    why = "mailbox path " + std::string(mailbox) + " is mail_root itself";
    return std::nullopt;
  }
  return result;
}

int make_directories(const std::filesystem::path& mail_root, const std::filesystem::path& dir) {
  const auto relative = dir.lexically_relative(mail_root.lexically_normal());
  if (relative.empty() || *relative.begin() == "..") return EINVAL;
  std::filesystem::path current = mail_root.lexically_normal();
  std::vector<std::filesystem::path> grown;  // directories that gained an entry
  for (const auto& part : relative) {
    if (part == ".") continue;
    const auto parent = current;
    current /= part;
    bool created = false;
    if (const int err = make_directory(current, created); err != 0) return err;
    if (created) grown.push_back(parent);
  }
  // A new directory is only durable once its parent is synced: a 250 must survive a crash even for the
  // first message of a new mailbox.
  for (const auto& parent : grown) {
    if (const int err = sync_directory(parent); err != 0) return err;
  }
  return 0;
}

int make_directory(const std::filesystem::path& dir, bool& created) {
  created = false;
  // lstat first: mkdir() of an existing name still takes the parent's inode lock exclusively, and every
  // delivery to the mailbox would queue on it.
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return errno;
    if (::mkdir(dir.c_str(), 0700) == 0) {
      created = true;
      return 0;
    }
    if (errno != EEXIST) return errno;
    if (::lstat(dir.c_str(), &st) != 0) return errno;
    // Another delivery created it a moment ago and may not have synced the parent yet: ours must not
    // be acknowledged before that, so the caller syncs it as if we had made it.
    created = true;
  }
  return S_ISDIR(st.st_mode) ? 0 : ELOOP;  // a symlink or a file where a directory belongs
}

int open_mailbox_file(const std::filesystem::path& path, UniqueFd& out, std::string& why) {
  constexpr int kFlags = O_RDWR | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
  UniqueFd fd(::open(path.c_str(), kFlags));
  if (!fd && errno == ENOENT) {
    fd = UniqueFd(::open(path.c_str(), kFlags | O_CREAT | O_EXCL, 0600));
    if (fd) {
      // A new mbox's name must be durable before its first message is acknowledged.
      if (const int err = sync_directory(path.parent_path()); err != 0) {
        why = "cannot sync the directory of " + path.string();
        return err;
      }
    } else if (errno == EEXIST) {
      fd = UniqueFd(::open(path.c_str(), kFlags));  // another delivery created it first
      // and may not have synced its name yet: ours is not acknowledged before it is durable
      if (fd) {
        if (const int err = sync_directory(path.parent_path()); err != 0) {
          why = "cannot sync the directory of " + path.string();
          return err;
        }
      }
    }
  }
  if (!fd) {
    const int err = errno;
    why = err == ELOOP ? path.string() + " is a symlink" : "cannot open " + path.string();
    return err;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    why = "cannot stat " + path.string();
    return errno;
  }
  if (!S_ISREG(st.st_mode)) {
    why = path.string() + " is not a regular file";
    return EINVAL;
  }
  if (st.st_nlink != 1) {
    why = path.string() + " has " + std::to_string(st.st_nlink) + " hard links";
    return EMLINK;
  }
  out = std::move(fd);
  return 0;
}

bool still_same_file(int fd, const std::filesystem::path& path, std::string& why) {
  struct stat by_fd {};
  struct stat by_name {};
  if (::fstat(fd, &by_fd) != 0 || ::lstat(path.c_str(), &by_name) != 0) {
    why = path.string() + " vanished while we waited for the lock";
    return false;
  }
  if (S_ISLNK(by_name.st_mode) || by_fd.st_dev != by_name.st_dev || by_fd.st_ino != by_name.st_ino) {
    why = path.string() + " was replaced while we waited for the lock";
    return false;
  }
  if (by_fd.st_nlink != 1) {
    why = path.string() + " has " + std::to_string(by_fd.st_nlink) + " hard links";
    return false;
  }
  return true;
}

}  // namespace letterbox
