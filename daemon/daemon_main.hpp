// run_daemon: the life of letterbox-lmtpd and letterbox-policyd around their service, in one place:
// the command line (-c FILE, --foreground, --check-config, --version), the configuration, the listeners
// bound as root, the drop to [server] user/group, logging set up as that user, detaching, the signals
// (SIGTERM/SIGINT stop, SIGHUP reloads; held, not lost, from before the bind until their handlers are in
// place), the metrics endpoint and the network threads.
#pragma once

#include <utility>  // before Asio (see listeners.hpp)

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "letterbox/config/config.hpp"
#include "letterbox/config/config_check.hpp"
#include "letterbox/observe/metrics.hpp"
#include "network_threads.hpp"

namespace letterbox {

class Service {
 public:
  virtual ~Service() = default;
  virtual void bind() = 0;              // as root; throws std::runtime_error naming the listener
  virtual void privileges_dropped() {}  // as the delivery user, before detaching
  virtual void start() = 0;             // after detaching: worker threads do not survive the fork
  virtual void stop() = 0;              // SIGTERM or SIGINT
  virtual void reload() = 0;            // SIGHUP
  virtual void stopped() = 0;           // the loop has ended: wait for the workers
  [[nodiscard]] virtual bool stopping() const = 0;
  // Where this daemon serves its metrics ([stats]; empty: nowhere), and what only it knows at a scrape.
  [[nodiscard]] virtual std::string stats_listen() const = 0;
  [[nodiscard]] virtual MetricsExtras metrics_extras() { return {}; }
};

struct DaemonSpec {
  std::string_view program;  // "letterbox-lmtpd"
  ConfigCheckScope check_scope;
  std::function<std::unique_ptr<Service>(NetworkThreads& network, Settings settings, std::string config_file)> make;
};

// The process's exit code (sysexits.h).
int run_daemon(int argc, char** argv, const DaemonSpec& spec);

}  // namespace letterbox
