// PolicyServer: letterbox-policyd's listeners ([policy] listen), one PolicySession per connection on one
// of the network threads, the worker pool that runs the directory look-ups, and the operations: stop() for SIGTERM
// (no new connections; requests in flight are answered, then each session closes), reload() for SIGHUP
// (a bad file is refused and the old one kept). The greylist store outlives reloads: it is opened once,
// after privileges are dropped, and flushed to disk every second.
#pragma once

#include <utility>  // before Asio (see listeners.hpp)

#include <atomic>
#include <boost/asio.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon_main.hpp"
#include "greylist.hpp"
#include "letterbox/config/config.hpp"
#include "letterbox/directory/cached_directory.hpp"
#include "letterbox/directory/ldap_directory.hpp"
#include "listeners.hpp"
#include "policy_decider.hpp"
#include "policy_session.hpp"
#include "session_registry.hpp"
#include "worker_pool.hpp"

namespace letterbox {

// The configuration in force and what was built from it. A session keeps the one it started a request with.
struct PolicyRuntime {
  PolicyRuntime(Settings s, Greylist* store)
      : settings(std::move(s)),
        greylist(store),
        ldap(settings.ldap),
        directory(ldap, settings.ldap, make_cache_store(settings.ldap)),
        decider(settings, directory, greylist) {}

  Settings settings;
  Greylist* greylist;  // owned by the server; null while greylisting is off
  LdapDirectory ldap;
  CachedDirectory directory;
  PolicyDecider decider;
};

class PolicyServer : public Service {
 public:
  PolicyServer(NetworkThreads& network, Settings settings, std::string config_file, unsigned worker_threads);

  void bind() override;  // throws std::runtime_error naming the listener that failed
  // Opens the greylist store when [policy] greylist is on (as the delivery user: after dropping root).
  void privileges_dropped() override { open_greylist(); }
  void start() override;  // after daemon(): the pool's threads would not survive its fork
  void stop() override;
  void reload() override;
  void stopped() override {
    if (pool_) pool_->join();
  }
  [[nodiscard]] bool stopping() const override { return stopping_; }
  [[nodiscard]] std::string stats_listen() const override;
  [[nodiscard]] MetricsExtras metrics_extras() override;
  void open_greylist();

  std::shared_ptr<PolicyRuntime> runtime() const;
  WorkerPool& pool() { return *pool_; }
  void session_ended() { --sessions_; }  // from ~PolicySession

 private:
  void begin(Listeners::Socket socket, std::string peer);
  void schedule_flush();
  void open_greylist_locked();  // under greylist_mutex_

  boost::asio::io_context& io_;
  std::string config_file_;
  mutable std::mutex mutex_;
  // Before runtime_, which points at it. Set under greylist_mutex_ (by the start, reload() and the
  // flush timer's retries while the store cannot be opened); the sessions reach it through the runtime.
  std::mutex greylist_mutex_;
  std::unique_ptr<Greylist> greylist_;
  std::string greylist_refused_;  // why the store could not be opened, said once
  std::shared_ptr<PolicyRuntime> runtime_;
  unsigned worker_threads_;
  std::optional<WorkerPool> pool_;  // destroyed (joined) before the runtime and the greylist
  Listeners listeners_;
  boost::asio::steady_timer flush_timer_;
  std::atomic<unsigned> sessions_{0};
  std::atomic<std::uint64_t> greylist_entries_{0};  // counted on the pool every few flushes, for the metrics
  unsigned flushes_ = 0;
  std::atomic<bool> stopping_{false};
  SessionRegistry<PolicySession> live_{"policy session"};
};

}  // namespace letterbox
