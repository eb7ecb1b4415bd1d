// MappedFile: a file shared through a read-write memory mapping (the shared directory cache, the
// greylist store) that never kills the process. A mapping raises SIGBUS when a page has nothing behind
// it: the filesystem could not allocate a block for a page of a sparse file (a full disk, a small
// tmpfs), or the file shrank under the mapping (an administrator's `: > file`). So:
//  - map() reserves every block of the file before mapping it, and refuses the file when it cannot;
//  - intact() says whether the file still has the mapped size and its one link (not truncated, deleted
//    or replaced): a caller asks before it touches the mapping and stops using a file that is not;
//  - guarded() runs an access so that a SIGBUS in the moment between that question and the access (the
//    file truncated just then) ends the access instead of the process.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>

#include <boost/interprocess/mapped_region.hpp>

#include "letterbox/util/unique_fd.hpp"

namespace letterbox {

class MappedFile {
 public:
  // Reserves the blocks of the first `size` bytes of `fd` (already that long) and maps them. nullptr with
  // `why` (naming `name`) when the space cannot be reserved or the mapping fails.
  static std::unique_ptr<MappedFile> map(UniqueFd fd, std::size_t size, const std::filesystem::path& name,
                                         std::string& why);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() = default;

  [[nodiscard]] char* data() const { return static_cast<char*>(region_.get_address()); }
  [[nodiscard]] std::size_t size() const { return region_.get_size(); }
  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const std::filesystem::path& name() const { return name_; }

  // The file still covers the mapping and is still the one linked at its name. A system call: ask once
  // per operation, not per byte.
  [[nodiscard]] bool intact() const;

  // Runs `access`; false when a SIGBUS on this mapping interrupted it. `access` must own nothing that
  // needs a destructor (no strings, no locks taken inside): an interrupted access is abandoned, not
  // unwound.
  template <typename Access>
  [[nodiscard]] bool guarded(Access&& access) const {
    using Fn = std::remove_reference_t<Access>;
    return run_guarded([](void* fn) { (*static_cast<Fn*>(fn))(); },
                       const_cast<void*>(static_cast<const void*>(std::addressof(access))));
  }

 private:
  MappedFile(UniqueFd fd, boost::interprocess::mapped_region region, std::filesystem::path name);
  bool run_guarded(void (*access)(void*), void* context) const;

  UniqueFd fd_;
  boost::interprocess::mapped_region region_;
  std::filesystem::path name_;
};

// Reserves the blocks of the first `size` bytes of `fd`: 0, or the error (ENOSPC on a full filesystem).
int reserve_file_space(int fd, std::size_t size);

}  // namespace letterbox
