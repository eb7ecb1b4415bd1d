// on_pool: runs blocking work (a directory look-up, a spool write, a quota count) on the worker pool from
// a session's coroutine and resumes the coroutine on its own executor with the result, so that the network
// threads never block. Shared by letterbox-lmtpd and letterbox-policyd.
#pragma once

#include <utility>  // before Asio: g++ 12 needs std::exchange declared for Asio's coroutines

#include <boost/asio.hpp>
#include <memory>
#include <optional>
#include <type_traits>

#include "worker_pool.hpp"

namespace letterbox {

// A result coming back from the worker pool to a waiting session. The session waits on `signal`; the
// pool thread posts the result to the session's executor and cancels the timer.
template <class R>
struct PoolCall {
  explicit PoolCall(const boost::asio::any_io_executor& executor)
      : signal(executor, boost::asio::steady_timer::time_point::max()) {}
  boost::asio::steady_timer signal;
  std::optional<R> result;
};

// Runs `work` (a named object of the caller's, alive while it waits) on `pool` and resumes the caller on
// its own executor. Deliberately no coroutine lambda and no temporaries inside co_await: g++ 12 destroys
// such temporaries twice.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> on_pool(WorkerPool& pool, F& work) {
  using R = std::invoke_result_t<F&>;
  const auto executor = co_await boost::asio::this_coro::executor;
  auto call = std::make_shared<PoolCall<R>>(executor);
  pool.post([call, &work, executor] {
    R result = work();
    boost::asio::post(executor, [call, result = std::move(result)]() mutable {
      call->result = std::move(result);
      call->signal.cancel();
    });
  });
  while (!call->result) {
    boost::system::error_code ec;
    co_await call->signal.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
  co_return std::move(*call->result);
}

}  // namespace letterbox
