// Mailbox paths that come from the directory or a template are untrusted. confine_to_root() is the only
// way from such a string to a filesystem path; open_mailbox_file() the only way an mbox is opened.
// Both refuse symlinks below mail_root, '..', and anything outside mail_root.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "letterbox/util/unique_fd.hpp"

namespace letterbox {

// `mailbox` is relative to `mail_root`, or absolute and under it. Returns the absolute path, or nullopt
// with `why` set. Components that already exist must not be symlinks (mail_root itself may be one).
std::optional<std::filesystem::path> confine_to_root(const std::filesystem::path& mail_root, std::string_view mailbox,
                                                     std::string& why);

// Creates the missing directories from `mail_root` down to `dir` (mode 0700), syncing each parent that
// gained an entry. Returns 0 or an errno; ELOOP when an existing component is a symlink or not a directory.
int make_directories(const std::filesystem::path& mail_root, const std::filesystem::path& dir);

// Creates `dir` (0700) unless it already exists; `created` tells whether it did (or lost a race to
// create it just now), so that the caller syncs the parent. Returns 0 or an errno; ELOOP when `dir` is a symlink or not
// a directory.
int make_directory(const std::filesystem::path& dir, bool& created);

// Opens (creating with mode 0600 if missing, and syncing the new name into its directory) a mailbox file for appending
// (read-write: the append looks at how the file ends). Refuses a symlink, anything but a regular file, and a file with
// more than one hard link. Returns 0 or an errno, with `why` set.
int open_mailbox_file(const std::filesystem::path& path, UniqueFd& out, std::string& why);

// After locking: does `path` still name the very file `fd` has open, single-linked? (Someone may have
// renamed or replaced it while we waited for the lock.)
bool still_same_file(int fd, const std::filesystem::path& path, std::string& why);

}  // namespace letterbox
