// NetworkThreads: the daemon's network threads, each running an io_context of its own. A connection is
// served from its accept to its close by one of them (chosen in turn), so its handlers never wait on a
// lock shared with another thread, and a result posted to it from the worker pool wakes its thread
// through the reactor (one eventfd write) rather than a futex hand-off between threads that share one
// queue. The first context also holds what is the daemon's own: the signals, the listeners, the metrics
// endpoint and the timers.
#pragma once

#include <utility>  // before Asio: g++ 12 needs std::exchange declared for Asio's coroutines

#include <atomic>
#include <boost/asio.hpp>
#include <memory>
#include <vector>

namespace letterbox {

class NetworkThreads {
 public:
  explicit NetworkThreads(unsigned count);

  boost::asio::io_context& main() { return *contexts_.front(); }
  // The context a new connection lives on.
  boost::asio::io_context& next() { return *contexts_[next_++ % contexts_.size()]; }
  [[nodiscard]] std::size_t size() const { return contexts_.size(); }

  // Around daemon()'s fork: every context gets a reactor of its own in the child.
  void notify_fork(boost::asio::execution_context::fork_event event);

  // Runs main() on the calling thread and every other context on a thread of its own. Returns when main()
  // has run out of work (the daemon is stopping) and every other context has finished its connections.
  void run();

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace letterbox
