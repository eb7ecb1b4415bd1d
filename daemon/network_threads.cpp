#include "network_threads.hpp"

#include <algorithm>
#include <thread>

namespace letterbox {
namespace asio = boost::asio;

NetworkThreads::NetworkThreads(unsigned count) {
  // Concurrency hint 1: each context is run by exactly one thread (other threads only post to it).
  for (unsigned i = 0; i < std::max(1U, count); ++i) contexts_.push_back(std::make_unique<asio::io_context>(1));
}

void NetworkThreads::notify_fork(asio::execution_context::fork_event event) {
  for (auto& c : contexts_) c->notify_fork(event);
}

void NetworkThreads::run() {
  // The other contexts may have no connection yet: without a guard their run() would return at once.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    guards.push_back(asio::make_work_guard(*contexts_[i]));
    threads.emplace_back([context = contexts_[i].get()] { context->run(); });
  }
  main().run();
  guards.clear();  // each ends once its connections have
  for (auto& t : threads) t.join();
}

}  // namespace letterbox
