// MetricsServer: the Prometheus scrape endpoint of a daemon ([stats] listen for letterbox-lmtpd,
// [stats] policy_listen for letterbox-policyd). HTTP/1.1 through Boost.Beast on the daemon's own Asio
// loop: GET /metrics answers the text exposition format, anything else 404. A metrics problem never stops
// mail: an address that cannot be bound is logged and the daemon runs without metrics; a slow or
// misbehaving client is timed out, and only a few connections are served at once.
#pragma once

#include <utility>  // before Asio (see listeners.hpp)

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace letterbox {

class MetricsServer {
 public:
  using Render = std::function<std::string()>;

  MetricsServer(boost::asio::io_context& io, Render render);

  // "inet:HOST:PORT"; empty means off. Logs and carries on when the address cannot be bound.
  void bind(const std::string& spec);
  void start();
  // Stops accepting and closes the open connections, so that a stopping daemon does not wait for a
  // scraper's idle keep-alive connection.
  void close();

 private:
  boost::asio::awaitable<void> accept();

  struct Connections;  // the open connections, shared with their coroutines

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;  // the acceptor's
  std::shared_ptr<const Render> render_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::shared_ptr<Connections> connections_;
};

}  // namespace letterbox
