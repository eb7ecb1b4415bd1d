#include "policy_server.hpp"

#include "config_reload.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/text.hpp"
#include "policy_session.hpp"

namespace letterbox {
namespace asio = boost::asio;

PolicyServer::PolicyServer(NetworkThreads& network, Settings settings, std::string config_file, unsigned worker_threads)
    : io_(network.main()),
      config_file_(std::move(config_file)),
      runtime_(std::make_shared<PolicyRuntime>(std::move(settings), nullptr)),
      worker_threads_(worker_threads),
      listeners_(network),
      flush_timer_(network.main()) {}

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
    if (why != greylist_refused_) log::error("greylisting is off: {}", why);
    greylist_refused_ = why;
    return;
  }
  if (!greylist_refused_.empty()) log::info("greylisting is on: {} opened", settings.policy.greylist_db);
  greylist_refused_.clear();
  if (!rebuilt.empty()) log::warn("greylist store rebuilt empty: {}", rebuilt);
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
    log::warn("serving the sockets systemd passed; [policy] listen is not used: {}",
              join_words(runtime()->settings.policy.listen));
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
      pool_->post([this] { open_greylist(); });
    }
    if (Greylist* greylist = runtime->greylist) {
      // Only for the metrics: a scan of the whole store, which nobody asked for without them.
      const bool count = !runtime->settings.stats.policy_listen.empty() && flushes_++ % 5 == 0;
      pool_->post([this, greylist, count] {
        greylist->flush();
        if (count) greylist_entries_.store(greylist->size(Greylist::Clock::now()), std::memory_order_relaxed);
      });
    }
    schedule_flush();
  });
}

void PolicyServer::begin(Listeners::Socket socket, std::string peer) {
  const std::string id = live_.next_id();
  const unsigned limit = runtime()->settings.policy.max_sessions;
  if (sessions_ >= limit || stopping_) {
    // Closed at once: Postfix's smtpd retries, then applies its default_action (DUNNO).
    log::warn("policy session={} from {} refused: max_sessions ({}) reached", id, peer, limit);
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  ++sessions_;
  auto session = std::make_shared<PolicySession>(std::move(socket), *this, id, std::move(peer));
  live_.spawn(std::move(session), id);
}

void PolicyServer::stop() {
  log::info("stopping: no new connections; requests in flight are answered");
  stopping_ = true;
  flush_timer_.cancel();
  listeners_.close();
  live_.shut_down_all();
}

void PolicyServer::reload() {
  std::lock_guard opening(greylist_mutex_);
  reload_config(
      config_file_, "letterbox-policyd",
      [this](const Settings& fresh) {
        const auto current = runtime();
        if (fresh.policy.listen != current->settings.policy.listen) {
          log::warn("reload: [policy] listen changed; it takes effect at the next restart");
        }
        if (greylist_ && fresh.policy.greylist_db != current->settings.policy.greylist_db) {
          log::warn("reload: [policy] greylist_db changed; it takes effect at the next restart");
        }
      },
      [this](Settings fresh) {
        if (greylist_) greylist_->configure(fresh.policy);
        auto next = std::make_shared<PolicyRuntime>(std::move(fresh), greylist_.get());
        {
          std::lock_guard lock(mutex_);
          runtime_ = std::move(next);
        }
        open_greylist_locked();  // greylisting turned on by this reload
      });
}

}  // namespace letterbox
