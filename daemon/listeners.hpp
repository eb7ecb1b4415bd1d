// Listeners: the sockets of a `listen` list (letterbox-lmtpd's [server] listen, letterbox-policyd's
// [policy] listen), shared by both daemons. "unix:/PATH" gets `socket_mode` and, when we start as root,
// the [server] user and group, so that Postfix (in that group) can connect after we drop root; a stale
// socket left by a previous run is replaced, anything else at that path is refused. A UNIX socket is
// made under a temporary name and renamed into place once it listens with its mode and owner, so a
// client never finds a socket that refuses it or one it may not use. "inet:HOST:PORT" listens on TCP.
// Started by systemd with sockets of its own (LISTEN_FDS, a .socket unit), the daemon serves those
// instead of the `listen` list, and leaves them in place when it stops. Each accepted connection lives on
// one of the network threads (NetworkThreads::next()) and is handed over as a generic stream socket, with
// the peer's address ("local" for a UNIX socket).
#pragma once

#include <utility>  // before Asio: g++ 12 needs std::exchange declared for Asio's coroutines

#include <sys/types.h>
#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "letterbox/config/config.hpp"
#include "network_threads.hpp"

namespace letterbox {

class Listeners {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;
  // Generic, like the sockets it accepts: accept() then reports the peer's address itself, where a TCP
  // acceptor accepting into a generic socket would need a getpeername() per connection.
  using TcpAcceptor = boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol>;
  using OnAccept = std::function<void(Socket socket, std::string peer)>;

  explicit Listeners(NetworkThreads& network) : network_(network), io_(network.main()) {}

  // The sockets systemd passed (LISTEN_FDS) when there are any, else `listen`. Throws std::runtime_error
  // naming the listener that failed.
  void bind(const std::vector<std::string>& listen, unsigned socket_mode, const ServerSettings& owner);
  // True when the sockets came from systemd.
  [[nodiscard]] bool activated() const { return activated_; }
  void start(OnAccept on_accept);
  // Stops accepting and removes the UNIX sockets it made (never those systemd passed).
  void close();

 private:
  void bind_unix(const std::string& path, unsigned socket_mode, const ServerSettings& owner);
  void bind_tcp(const std::string& spec);
  bool adopt_systemd_sockets();

  boost::asio::awaitable<void> accept_tcp(TcpAcceptor& acceptor);
  boost::asio::awaitable<void> accept_unix(boost::asio::local::stream_protocol::acceptor& acceptor);

  NetworkThreads& network_;
  boost::asio::io_context& io_;  // the acceptors'
  OnAccept on_accept_;
  std::vector<std::unique_ptr<TcpAcceptor>> tcp_;
  std::vector<std::unique_ptr<boost::asio::local::stream_protocol::acceptor>> unix_;
  struct MadeSocket {
    std::string path;
    dev_t device;
    ino_t inode;
  };
  std::vector<MadeSocket> unix_paths_;  // the sockets we made, removed by close() while still ours
  bool activated_ = false;
};

// A TCP acceptor listening on "inet:HOST:PORT" (an empty HOST is 127.0.0.1; an IPv6 one in brackets),
// or nullptr with `ec` saying why.
std::unique_ptr<boost::asio::ip::tcp::acceptor> open_tcp_acceptor(boost::asio::io_context& io, const std::string& spec,
                                                                  boost::system::error_code& ec);

// Logs a failed accept and waits a moment: an error that persists (EMFILE: out of descriptors) must not
// turn the accept loop into a busy loop that floods the log.
boost::asio::awaitable<void> pause_after_accept_error(boost::asio::io_context& io,
                                                      const boost::system::error_code& error, std::string_view what);

// The listening sockets systemd passed to this process (sd_listen_fds(3)'s protocol: LISTEN_PID is us,
// LISTEN_FDS counts descriptors from 3), made close-on-exec; the variables are then removed so that
// nothing started later takes them for its own. Empty when the process was not socket-activated.
std::vector<int> take_systemd_sockets();

}  // namespace letterbox
