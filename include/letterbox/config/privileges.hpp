// Leaving root: both programs run deliveries as [server] user/group, never as root. Throws ConfigError
// (exit 78) when started as root with no usable user configured, and std::system_error when the name
// service or the switch itself fails (a temporary failure, not a bad configuration).
#pragma once

#include "letterbox/config/config.hpp"

namespace letterbox {

// As root: switches to `user`/`group` (supplementary groups reset) for good and checks that root cannot
// be regained. As anyone else: does nothing (the invoking user delivers).
void drop_privileges(const ServerSettings& server);

}  // namespace letterbox
