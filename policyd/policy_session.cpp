#include "policy_session.hpp"

#include "letterbox/observe/metrics.hpp"
#include "letterbox/util/log.hpp"

#include "on_pool.hpp"
#include "policy_server.hpp"

namespace letterbox {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

PolicySession::PolicySession(Listeners::Socket socket, PolicyServer& server, std::string id, std::string peer)
    : socket_(std::move(socket)),
      server_(server),
      id_(std::move(id)),
      peer_(std::move(peer)),
      idle_timer_(socket_.get_executor(), kIdleTimeout) {
  metrics().session_opened();
}

PolicySession::~PolicySession() {
  server_.session_ended();  // however the session ended, an exception included
  metrics().session_closed();
}

void PolicySession::close() {
  if (closed_) return;
  closed_ = true;
  idle_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(Listeners::Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void PolicySession::shut_down() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->reading_) self->close();
  });
}

awaitable<void> PolicySession::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    boost::system::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (ec) continue;  // re-armed by a read, or closed
    if (reading_) {
      log::info("policy session={} from {}: idle for {} s, closed", id_, peer_, kIdleTimeout.count());
      close();
      break;
    }
    idle_timer_.expires_after(kIdleTimeout);  // it ran out during a decision: the read re-arms it
  }
}

awaitable<void> PolicySession::run() {
  auto self = shared_from_this();
  asio::co_spawn(
      socket_.get_executor(), [self]() -> awaitable<void> { co_await self->watchdog(); }, asio::detached);
  while (!closed_) {
    if (auto request = parser_.next()) {
      const auto runtime = server_.runtime();
      const PolicyRequest& asked = *request;  // lives in this coroutine frame across the co_await
      auto work = [&runtime, &asked](bool may_wait) -> std::optional<PolicyDecision> {
        try {
          const auto now = Greylist::Clock::now();
          if (may_wait) return runtime->decider.decide(asked, now);
          return runtime->decider.decide_without_waiting(asked, now);
        } catch (const std::exception& e) {  // an exception on the pool would end the whole process
          return PolicyDecision{"DUNNO", std::string("decision failed: ") + e.what()};
        }
      };
      auto on_the_pool = [&work] { return *work(true); };
      std::optional<PolicyDecision> answer = work(false);
      if (!answer) answer = co_await on_pool(server_.pool(), on_the_pool);
      const PolicyDecision& decision = *answer;
      metrics().count_policy_decision(decision.action);
      // Written on the pool, as letterbox-lmtpd's delivery lines are: a slow log file never holds up the
      // network threads.
      if (!decision.dunno()) {
        server_.pool().post(
            [line = fmt::format("policy session={} client={} from=<{}> to=<{}> action=\"{}\" "
                                "reason=\"{}\"",
                                id_, asked.get("client_address"), asked.get("sender"), asked.get("recipient"),
                                decision.action, decision.reason)] { log::info("{}", line); });
      } else if (!decision.reason.empty()) {
        log::warn("policy session={} to=<{}>: {}", id_, asked.get("recipient"), decision.reason);
      }
      const std::string reply = format_policy_reply(decision.action);
      boost::system::error_code ec;
      co_await asio::async_write(socket_, asio::buffer(reply), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      continue;
    }
    if (parser_.failed()) {
      log::warn("policy session={} from {}: bad request ({}), connection closed without a reply", id_, peer_,
                parser_.error());
      break;
    }
    if (server_.stopping()) break;
    reading_ = true;
    idle_timer_.expires_after(kIdleTimeout);
    boost::system::error_code ec;
    const std::size_t n =
        co_await socket_.async_read_some(asio::buffer(buffer_), asio::redirect_error(use_awaitable, ec));
    reading_ = false;
    if (ec) break;
    parser_.feed(std::string_view(buffer_.data(), n));
  }
  close();
}

}  // namespace letterbox
