// SIGHUP, the same in both daemons: the configuration file is read again; `inspect` warns about what a
// reload cannot change (the listeners take effect at the next restart), the log is set up anew, and
// `apply` puts the new settings in force. A file that does not load, or an exception from either step,
// leaves the running configuration in force, logged: a bad edit never stops mail.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "letterbox/config/config.hpp"

namespace letterbox {

void reload_config(const std::string& config_file, std::string_view program,
                   const std::function<void(const Settings& fresh)>& inspect,
                   const std::function<void(Settings fresh)>& apply);

}  // namespace letterbox
