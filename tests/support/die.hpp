// For the support code only: a system call failed; the exception names it and errno's text.
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace letterbox::test {

[[noreturn]] inline void die(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace letterbox::test
