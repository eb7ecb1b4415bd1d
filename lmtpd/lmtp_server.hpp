// LmtpServer: the listeners of [server] listen (UNIX sockets with socket_mode, TCP), one LmtpSession
// per connection on its own strand, max_sessions (beyond it 421 4.3.2 and close), and the operations:
// stop() for SIGTERM (no new connections, idle sessions told 421 4.3.2, deliveries in flight finish)
// and reload() for SIGHUP (a bad new configuration is refused and the old one kept; the log reopened).
#pragma once

#include <utility>  // before Asio (see server_state.hpp)

#include <boost/asio.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lmtp_session.hpp"
#include "server_state.hpp"

namespace letterbox {

class LmtpServer {
 public:
  LmtpServer(boost::asio::io_context& io, Settings settings, std::string config_file, unsigned worker_threads);

  // Binds every listener (throws std::runtime_error naming the one that failed).
  void bind();
  // Starts the worker pool and accepting (after daemon(): the pool's threads would not survive its fork).
  void start();
  void stop();
  void reload();

  [[nodiscard]] ServerState& state() { return state_; }

 private:
  boost::asio::awaitable<void> accept_tcp(boost::asio::ip::tcp::acceptor& acceptor);
  boost::asio::awaitable<void> accept_unix(boost::asio::local::stream_protocol::acceptor& acceptor);
  void begin(LmtpSession::Socket socket, std::string peer);

  boost::asio::io_context& io_;
  std::string config_file_;
  ServerState state_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> tcp_;
  std::vector<std::unique_ptr<boost::asio::local::stream_protocol::acceptor>> unix_;
  std::mutex sessions_mutex_;
  std::vector<std::weak_ptr<LmtpSession>> sessions_;
  std::uint64_t next_id_ = 0;
};

}  // namespace letterbox
