// ManageSieveConnectionLoop: one client connection of letterbox-managesieved, as a coroutine on its network
// thread: the greeting, then read -> ManageSieveParser -> ManageSieveSession::handle -> write until the
// session or the client ends it. The session's work (the directory and the LDAP bind at login, the
// script files afterwards) blocks, so every handle() runs on the worker pool; a failed login's delay is
// an Asio timer, never a sleeping thread. STARTTLS hands the socket to OpenSSL with the [server] key pair
// (daemon/server_tls.hpp), after forgetting whatever came in the clear behind the command.
//
// Idle timeout: kIdleTimeout waiting on the client (a write it does not take, a stalled TLS handshake,
// or a whole command: the time runs from its first read to its last, not from each read, so a client
// that trickles a literal a byte at a time is closed like one that sends nothing), then the connection is
// closed. Webmail opens a connection per page and closes it; an
// editor left open in a desktop client reconnects.
#pragma once

#include <utility>  // before Asio (see listeners.hpp)

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "listeners.hpp"
#include "managesieve_parser.hpp"
#include "managesieve_session.hpp"

namespace letterbox {

class ManageSieveServer;
struct ManageSieveRuntime;

class ManageSieveConnectionLoop : public std::enable_shared_from_this<ManageSieveConnectionLoop> {
 public:
  static constexpr std::chrono::minutes kIdleTimeout{10};

  ManageSieveConnectionLoop(Listeners::Socket socket, ManageSieveServer& server, std::string id, std::string peer);
  ~ManageSieveConnectionLoop();
  ManageSieveConnectionLoop(const ManageSieveConnectionLoop&) = delete;
  ManageSieveConnectionLoop& operator=(const ManageSieveConnectionLoop&) = delete;

  boost::asio::awaitable<void> run();
  [[nodiscard]] Listeners::Socket::executor_type executor() { return socket_.get_executor(); }
  // SIGTERM: a connection waiting for a command closes now; one with a command under way after answering.
  void shut_down();
  // After run() ended with an exception: close the connection and stop the watchdog.
  void abandon() { close(); }

 private:
  using TlsStream = boost::asio::ssl::stream<Listeners::Socket&>;

  boost::asio::awaitable<std::size_t> read_some(boost::system::error_code& ec);
  boost::asio::awaitable<bool> send(const std::string& text);  // false: the connection is gone
  boost::asio::awaitable<bool> start_tls();                    // false: the handshake failed
  boost::asio::awaitable<void> end_tls();
  boost::asio::awaitable<void> watchdog();
  // Marks the time spent from now on as waiting on the client (or not).
  // `fresh_deadline`: the wait starts a new kIdleTimeout; otherwise it keeps the one running.
  void waiting_on_client(bool waiting, bool fresh_deadline = true);
  void close();

  Listeners::Socket socket_;
  ManageSieveServer& server_;
  std::shared_ptr<ManageSieveRuntime> runtime_;  // the session holds references into it
  std::string id_;
  std::string peer_;
  ManageSieveParser parser_;
  std::optional<ManageSieveSession> session_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // the one tls_ was made with: a reload may drop it
  std::unique_ptr<TlsStream> tls_;                          // once the handshake succeeded
  std::array<char, 16384> buffer_{};
  boost::asio::steady_timer idle_timer_;
  boost::asio::steady_timer delay_timer_;
  bool waiting_ = false;  // on the client: the idle timeout runs
  bool reading_command_ = false;
  bool closed_ = false;
  bool timed_out_ = false;
};

}  // namespace letterbox
