#include "config_reload.hpp"

#include <exception>
#include <utility>

#include "letterbox/observe/logging.hpp"
#include "letterbox/util/log.hpp"

namespace letterbox {

void reload_config(const std::string& config_file, std::string_view program,
                   const std::function<void(const Settings& fresh)>& inspect,
                   const std::function<void(Settings fresh)>& apply) {
  try {
    Settings fresh = load_config(config_file);
    inspect(fresh);  // to the log in force until now
    setup_logging(fresh.log, program);
    apply(std::move(fresh));
    log::info("reloaded {}", config_file);
  } catch (const std::exception& e) {
    log::error("reload refused, keeping the running configuration: {}", e.what());
  }
}

}  // namespace letterbox
