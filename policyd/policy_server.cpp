#include "policy_server.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "letterbox/logging.hpp"
#include "policy_session.hpp"

namespace letterbox {
namespace asio = boost::asio;
using asio::awaitable;

PolicyServer::PolicyServer(asio::io_context& io, Settings settings, std::string config_file, unsigned worker_threads)
    : io_(io),
      config_file_(std::move(config_file)),
      runtime_(std::make_shared<PolicyRuntime>(std::move(settings), nullptr)),
      worker_threads_(worker_threads),
      listeners_(io),
      flush_timer_(io) {}

std::shared_ptr<PolicyRuntime> PolicyServer::runtime() const {
  std::lock_guard lock(mutex_);
  return runtime_;
}

void PolicyServer::bind() {
  const auto runtime = this->runtime();
  const auto& settings = runtime->settings;
  listeners_.bind(settings.policy.listen, settings.policy.socket_mode, settings.server);
}

void PolicyServer::open_greylist() {
  std::lock_guard opening(greylist_mutex_);
  open_greylist_locked();
}

void PolicyServer::open_greylist_locked() {
  auto settings = runtime()->settings;
  if (!settings.policy.greylist || greylist_) return;
  std::string rebuilt;
  std::string why;
  greylist_ = Greylist::open(settings.policy.greylist_db, settings.policy, rebuilt, why);
  if (!greylist_) {
    // Greylisting is a delay, never a reason to reject: without its store the service answers the rest,
    // and the flush timer tries the store again every few seconds (a full disk may have room later).
    if (why != greylist_refused_) spdlog::error("greylisting is off: {}", why);
    greylist_refused_ = why;
    return;
  }
  if (!greylist_refused_.empty()) spdlog::info("greylisting is on: {} opened", settings.policy.greylist_db);
  greylist_refused_.clear();
  if (!rebuilt.empty()) spdlog::warn("greylist store rebuilt empty: {}", rebuilt);
  auto fresh = std::make_shared<PolicyRuntime>(std::move(settings), greylist_.get());
  std::lock_guard lock(mutex_);
  runtime_ = std::move(fresh);
}

std::string PolicyServer::stats_listen() const {
  return runtime()->settings.stats.policy_listen;
}

MetricsExtras PolicyServer::metrics_extras() {
  MetricsExtras extras;
  const auto runtime = this->runtime();
  extras.lda = runtime->directory.store().lda_deliveries();
  if (runtime->greylist != nullptr) extras.greylist_entries = greylist_entries_.load(std::memory_order_relaxed);
  return extras;
}

void PolicyServer::start() {
  if (!pool_) pool_.emplace(worker_threads_);
  if (listeners_.activated()) {
    spdlog::warn("serving the sockets systemd passed; [policy] listen is not used: {}",
                 fmt::join(runtime()->settings.policy.listen, " "));
  }
  listeners_.start([this](Listeners::Socket socket, std::string peer) { begin(std::move(socket), std::move(peer)); });
  schedule_flush();
}

void PolicyServer::schedule_flush() {
  // At most a second of greylist updates is lost to a machine crash; a kill -9 loses nothing (the
  // mapping is the file). The msync runs on the pool, away from the network threads.
  flush_timer_.expires_after(std::chrono::seconds(1));
  flush_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    const auto runtime = this->runtime();
    if (runtime->greylist == nullptr && runtime->settings.policy.greylist && flushes_++ % 10 == 0) {
      asio::post(*pool_, [this] { open_greylist(); });
    }
    if (Greylist* greylist = runtime->greylist) {
      // Only for the metrics: a scan of the whole store, which nobody asked for without them.
      const bool count = !runtime->settings.stats.policy_listen.empty() && flushes_++ % 5 == 0;
      asio::post(*pool_, [this, greylist, count] {
        greylist->flush();
        if (count) greylist_entries_.store(greylist->size(Greylist::Clock::now()), std::memory_order_relaxed);
      });
    }
    schedule_flush();
  });
}

void PolicyServer::begin(Listeners::Socket socket, std::string peer) {
  const std::string id = std::to_string(::getpid()) + "-" + std::to_string(++next_id_);
  const unsigned limit = runtime()->settings.policy.max_sessions;
  if (sessions_ >= limit || stopping_) {
    // Closed at once: Postfix's smtpd retries, then applies its default_action (DUNNO).
    spdlog::warn("policy session={} from {} refused: max_sessions ({}) reached", id, peer, limit);
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  ++sessions_;
  auto session = std::make_shared<PolicySession>(std::move(socket), *this, id, std::move(peer));
  {
    std::lock_guard lock(mutex_);
    std::erase_if(live_, [](const auto& w) { return w.expired(); });
    live_.push_back(session);
  }
  auto executor = session->executor();
  asio::co_spawn(
      executor, [session]() -> awaitable<void> { co_await session->run(); },
      [id](const std::exception_ptr& error) {
        if (!error) return;
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          spdlog::error("policy session {} ended on an unexpected error: {}", id, e.what());
        }
      });
}

void PolicyServer::stop() {
  spdlog::info("stopping: no new connections; requests in flight are answered");
  stopping_ = true;
  flush_timer_.cancel();
  listeners_.close();
  std::lock_guard lock(mutex_);
  for (auto& w : live_) {
    if (auto s = w.lock()) s->shut_down();
  }
}

void PolicyServer::reload() {
  try {
    std::lock_guard opening(greylist_mutex_);
    Settings fresh = load_config(config_file_);
    const auto current = runtime();
    if (fresh.policy.listen != current->settings.policy.listen) {
      spdlog::warn("reload: [policy] listen changed; it takes effect at the next restart");
    }
    if (greylist_ && fresh.policy.greylist_db != current->settings.policy.greylist_db) {
      spdlog::warn("reload: [policy] greylist_db changed; it takes effect at the next restart");
    }
    setup_logging(fresh.log, "letterbox-policyd");
    if (greylist_) greylist_->configure(fresh.policy);
    auto next = std::make_shared<PolicyRuntime>(std::move(fresh), greylist_.get());
    {
      std::lock_guard lock(mutex_);
      runtime_ = std::move(next);
    }
    open_greylist_locked();  // greylisting turned on by this reload
    spdlog::info("reloaded {}", config_file_);
  } catch (const std::exception& e) {
    spdlog::error("reload refused, keeping the running configuration: {}", e.what());
  }
}

}  // namespace letterbox
