// LmtpServer: the listeners of [server] listen (UNIX sockets with socket_mode, TCP), one LmtpSession
// per connection on one of the network threads, max_sessions (beyond it 421 4.3.2 and close), and the operations:
// stop() for SIGTERM (no new connections, idle sessions told 421 4.3.2, deliveries in flight finish)
// and reload() for SIGHUP (a bad new configuration is refused and the old one kept; the log reopened).
#pragma once

#include <utility>  // before Asio (see lmtp_runtime.hpp)

#include <boost/asio.hpp>
#include <string>

#include "daemon_main.hpp"
#include "listeners.hpp"
#include "lmtp_runtime.hpp"
#include "lmtp_session.hpp"
#include "session_registry.hpp"

namespace letterbox {

class LmtpServer : public Service {
 public:
  LmtpServer(NetworkThreads& network, Settings settings, std::string config_file, unsigned worker_threads);

  // Binds every listener (throws std::runtime_error naming the one that failed).
  void bind() override;
  // Starts the worker pool and accepting (after daemon(): the pool's threads would not survive its fork).
  void start() override;
  void stop() override;
  void reload() override;
  void stopped() override { state_.pool().join(); }
  [[nodiscard]] bool stopping() const override { return state_.stopping(); }
  [[nodiscard]] std::string stats_listen() const override;
  [[nodiscard]] MetricsExtras metrics_extras() override;

  [[nodiscard]] LmtpServerState& state() { return state_; }

 private:
  void begin(LmtpSession::Socket socket, std::string peer);

  std::string config_file_;
  LmtpServerState state_;
  Listeners listeners_;
  SessionRegistry<LmtpSession> sessions_{"session"};
};

}  // namespace letterbox
