// PolicySession: one connection from Postfix's smtpd, many requests on it. Reads on its network thread, parses
// (PolicyParser), decides on the worker pool (the directory may block) and answers in order. A bad
// request closes the connection without a reply, logged: Postfix then applies its default_action.
#pragma once

#include <utility>  // before Asio (see listeners.hpp)

#include <array>
#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "listeners.hpp"
#include "policy_protocol.hpp"

namespace letterbox {

class PolicyServer;

class PolicySession : public std::enable_shared_from_this<PolicySession> {
 public:
  // How long a connection may sit without a request: Postfix's own policy_time_limit.
  static constexpr std::chrono::seconds kIdleTimeout{1000};

  PolicySession(Listeners::Socket socket, PolicyServer& server, std::string id, std::string peer);
  ~PolicySession();
  PolicySession(const PolicySession&) = delete;
  PolicySession& operator=(const PolicySession&) = delete;
  boost::asio::awaitable<void> run();
  [[nodiscard]] Listeners::Socket::executor_type executor() { return socket_.get_executor(); }
  // SIGTERM: an idle session closes now; one waiting for a decision closes after answering it.
  void shut_down();
  // After run() ended with an exception: close the connection and stop the watchdog.
  void abandon() { close(); }

 private:
  boost::asio::awaitable<void> watchdog();
  void close();

  Listeners::Socket socket_;
  PolicyServer& server_;
  std::string id_;
  std::string peer_;
  PolicyParser parser_;
  std::array<char, 8192> buffer_{};
  boost::asio::steady_timer idle_timer_;
  bool reading_ = false;
  bool closed_ = false;
};

}  // namespace letterbox
