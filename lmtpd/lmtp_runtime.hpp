// What every LMTP session shares: the configuration in force and what was built from it (the directory
// with its cache, the deliverer), the in-process queue per mailbox, the worker pool for blocking work, and the
// session count. SIGHUP swaps in a new LmtpRuntime; sessions keep the one they started a transaction with.
#pragma once

#include <utility>  // before Asio: g++ 12 needs std::exchange declared for Asio's coroutines

#include <atomic>
#include <boost/asio.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "letterbox/config/config.hpp"
#include "letterbox/directory/cached_directory.hpp"
#include "letterbox/directory/ldap_directory.hpp"
#include "letterbox/store/deliverer.hpp"
#include "letterbox/store/mailbox_queue.hpp"
#include "letterbox/store/spool.hpp"
#include "letterbox/util/network.hpp"
#include "server_tls.hpp"
#include "worker_pool.hpp"

namespace letterbox {

struct LmtpRuntime {
  LmtpRuntime(Settings s, MailboxQueue& mailbox_queue)
      : settings(std::move(s)),
        hostname(effective_hostname(settings)),
        ldap(settings.ldap),
        directory(ldap, settings.ldap, make_cache_store(settings.ldap)),
        deliverer(settings, mailbox_queue),
        allow_from(parse_networks(settings.server.allow_from)),
        tls(make_server_tls(settings.server)),
        spool_directory(Spool::default_directory()) {}

  Settings settings;
  std::string hostname;
  LdapDirectory ldap;
  CachedDirectory directory;
  Deliverer deliverer;
  std::vector<Network> allow_from;
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: STARTTLS is not offered
  std::filesystem::path spool_directory;           // looked up once, not once a message
};

class LmtpServerState {
 public:
  LmtpServerState(Settings settings, unsigned worker_threads)
      : mailbox_queue_(settings.delivery.max_lock_waiters),
        runtime_(std::make_shared<LmtpRuntime>(std::move(settings), mailbox_queue_)),
        worker_threads_(worker_threads) {}

  std::shared_ptr<LmtpRuntime> runtime() const {
    std::lock_guard lock(mutex_);
    return runtime_;
  }
  void replace_runtime(Settings settings) {
    mailbox_queue_.set_max_waiters(settings.delivery.max_lock_waiters);
    auto fresh = std::make_shared<LmtpRuntime>(std::move(settings), mailbox_queue_);
    std::lock_guard lock(mutex_);
    runtime_ = std::move(fresh);
  }

  // The workers start here rather than in the constructor: threads do not survive the fork of daemon(),
  // which comes after the listeners are bound.
  void start_workers() {
    if (!pool_) pool_.emplace(worker_threads_);
  }
  WorkerPool& pool() { return *pool_; }
  std::atomic<unsigned>& sessions() { return sessions_; }
  std::atomic<bool>& stopping() { return stopping_; }
  [[nodiscard]] bool stopping() const { return stopping_; }

 private:
  MailboxQueue mailbox_queue_;
  mutable std::mutex mutex_;
  std::shared_ptr<LmtpRuntime> runtime_;
  unsigned worker_threads_;
  std::optional<WorkerPool> pool_;
  std::atomic<unsigned> sessions_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace letterbox
