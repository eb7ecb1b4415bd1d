// Files that only this program's user may write and that steer mail (the shared directory cache, the
// greylist store): opened without following a symlink, trusted only when they are a regular file of
// ours alone, and memory-mapped through the very descriptor that was checked.
#pragma once

#include <sys/stat.h>

#include <boost/interprocess/detail/os_file_functions.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <filesystem>
#include <string>

#include "letterbox/util/unique_fd.hpp"

namespace letterbox {

// Empty when `st` (of `path`) is a regular file owned by this process's uid, without group or other
// permissions, with one link; else why not, naming the file.
std::string private_file_problem(const std::filesystem::path& path, const struct stat& st);

// Boost.Interprocess maps what it opened by name; this maps a descriptor we opened and checked, so the
// file mapped is the file checked.
struct DescriptorMapping {
  int fd;
  [[nodiscard]] boost::interprocess::mapping_handle_t get_mapping_handle() const {
    return boost::interprocess::ipcdetail::mapping_handle_from_file_handle(fd);
  }
};

}  // namespace letterbox
