// This machine's name, as gethostname() gives it.
#pragma once

#include <string>

namespace letterbox {

// gethostname(), or "localhost" when it fails. Callers that put the name in a file name escape it there.
std::string system_host_name();

}  // namespace letterbox
