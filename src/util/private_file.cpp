#include "letterbox/util/private_file.hpp"

#include <unistd.h>

namespace letterbox {

std::string private_file_problem(const std::filesystem::path& path, const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return path.string() + " is not a regular file";
  if (st.st_uid != ::geteuid()) {
    return path.string() + " is owned by uid " + std::to_string(st.st_uid) + ", not by this process's uid " +
           std::to_string(::geteuid());
  }
  if ((st.st_mode & 077) != 0) {
    return path.string() + " is accessible by group or others (mode 0" + std::to_string((st.st_mode >> 6) & 7) +
           std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) + ")";
  }
  if (st.st_nlink != 1) return path.string() + " has more than one hard link";
  return "";
}

}  // namespace letterbox
