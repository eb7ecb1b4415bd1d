// The message of a failed system call, for a log line or a `why`.
#pragma once

#include <string>

namespace letterbox {

// "WHAT: strerror(errno)", read from errno as it is now: call it before anything else can change errno.
std::string describe_errno(const std::string& what);

}  // namespace letterbox
