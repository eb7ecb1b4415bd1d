#include "letterbox/util/errno_text.hpp"

#include <cerrno>
#include <cstring>

namespace letterbox {

std::string describe_errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

}  // namespace letterbox
