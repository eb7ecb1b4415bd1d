// SessionRegistry: the live sessions of one server, and the one way both daemons start a session, so
// that their sessions begin, stop and fail alike. A session runs as a coroutine on its network thread and
// owns itself; an exception that escapes it is logged and the session abandoned (its connection closed:
// the client sees a lost connection and tries again); shut_down_all() asks every live session to finish.
// A Session has run(), executor(), shut_down() and abandon().
#pragma once

#include <utility>  // before Asio: g++ 12 needs std::exchange declared for Asio's coroutines

#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "letterbox/util/log.hpp"
#include "letterbox/util/process_identity.hpp"

namespace letterbox {

template <class Session>
class SessionRegistry {
 public:
  // `kind` names a session in the log: "session", "policy session".
  explicit SessionRegistry(std::string_view kind) : kind_(kind) {}

  // A new session's id, "PID-N": unique on this host while the process lives.
  std::string next_id() { return std::to_string(process_id()) + "-" + std::to_string(++next_id_); }

  // Registers `session` and runs it to its end on its executor.
  void spawn(std::shared_ptr<Session> session, const std::string& id) {
    {
      std::lock_guard lock(mutex_);
      std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
      sessions_.push_back(session);
    }
    // The spawned function owns the session: nothing else keeps it alive until its coroutine starts.
    auto executor = session->executor();
    boost::asio::co_spawn(
        executor, [session]() -> boost::asio::awaitable<void> { co_await session->run(); },
        [session, id, kind = kind_](const std::exception_ptr& error) {
          if (!error) return;
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            log::error("{} {} ended on an unexpected error: {}", kind, id, e.what());
          } catch (...) {
            log::error("{} {} ended on an unexpected error", kind, id);
          }
          boost::asio::post(session->executor(), [session] { session->abandon(); });
        });
  }

  // SIGTERM: every live session is asked to finish.
  void shut_down_all() {
    std::lock_guard lock(mutex_);
    for (auto& w : sessions_) {
      if (auto s = w.lock()) s->shut_down();
    }
  }

 private:
  std::string_view kind_;
  std::mutex mutex_;
  std::vector<std::weak_ptr<Session>> sessions_;
  std::atomic<std::uint64_t> next_id_{0};
};

}  // namespace letterbox
