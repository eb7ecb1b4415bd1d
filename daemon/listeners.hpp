// Listeners: the sockets of a `listen` list (letterbox-lmtpd's [server] listen, letterbox-policyd's
// [policy] listen), shared by both daemons. "unix:/PATH" gets `socket_mode` and, when we start as root,
// the [server] user and group, so that Postfix (in that group) can connect after we drop root; a stale
// socket left by a previous run is replaced, anything else at that path is refused. "inet:HOST:PORT"
// listens on TCP. Each accepted connection gets a strand of its own and is handed over as a generic
// stream socket, with the peer's address ("local" for a UNIX socket).
#pragma once

#include <utility>  // before Asio: g++ 12 needs std::exchange declared for Asio's coroutines

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "letterbox/config.hpp"

namespace letterbox {

class Listeners {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;
  using OnAccept = std::function<void(Socket socket, std::string peer)>;

  explicit Listeners(boost::asio::io_context& io) : io_(io) {}

  // Throws std::runtime_error naming the listener that failed.
  void bind(const std::vector<std::string>& listen, unsigned socket_mode, const ServerSettings& owner);
  void start(OnAccept on_accept);
  // Stops accepting and removes the UNIX sockets.
  void close();

 private:
  boost::asio::awaitable<void> accept_tcp(boost::asio::ip::tcp::acceptor& acceptor);
  boost::asio::awaitable<void> accept_unix(boost::asio::local::stream_protocol::acceptor& acceptor);

  boost::asio::io_context& io_;
  OnAccept on_accept_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> tcp_;
  std::vector<std::unique_ptr<boost::asio::local::stream_protocol::acceptor>> unix_;
};

}  // namespace letterbox
