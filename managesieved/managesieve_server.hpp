// ManageSieveServer: letterbox-managesieved's listeners ([managesieve] listen, or the sockets systemd
// passed), one ManageSieveConnectionLoop per connection on one of the network threads up to max_sessions, the worker
// pool for what blocks (the directory, the LDAP bind, the script files), and the operations: stop() for
// SIGTERM (no new connections; a command under way is answered, then each connection closes), reload()
// for SIGHUP (a bad file is refused and the old one kept; a connection keeps the configuration it
// started with).
#pragma once

#include <utility>  // before Asio (see listeners.hpp)

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "daemon_main.hpp"
#include "directory_authenticator.hpp"
#include "letterbox/config/config.hpp"
#include "letterbox/directory/cached_directory.hpp"
#include "letterbox/directory/ldap_directory.hpp"
#include "listeners.hpp"
#include "managesieve_connection_loop.hpp"
#include "server_tls.hpp"
#include "session_registry.hpp"
#include "worker_pool.hpp"

namespace letterbox {

// The configuration in force and what was built from it, as letterbox-lmtpd builds its own: the same
// directory stack, so that a login finds exactly the users delivery finds.
struct ManageSieveRuntime {
  explicit ManageSieveRuntime(Settings s)
      : settings(std::move(s)),
        ldap(settings.ldap),
        directory(ldap, settings.ldap, make_cache_store(settings.ldap)),
        authenticator(settings, directory, ldap),
        tls(make_server_tls(settings.server)) {}

  Settings settings;
  LdapDirectory ldap;
  CachedDirectory directory;
  DirectoryAuthenticator authenticator;
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: STARTTLS is not offered
};

class ManageSieveServer : public Service {
 public:
  ManageSieveServer(NetworkThreads& network, Settings settings, std::string config_file, unsigned worker_threads);

  void bind() override;
  void start() override;
  void stop() override;
  void reload() override;
  void stopped() override {
    if (pool_) pool_->join();
  }
  [[nodiscard]] bool stopping() const override { return stopping_; }
  [[nodiscard]] std::string stats_listen() const override { return runtime()->settings.stats.managesieve_listen; }

  std::shared_ptr<ManageSieveRuntime> runtime() const;
  WorkerPool& pool() { return *pool_; }
  void session_ended() { --sessions_; }                     // from ~ManageSieveConnectionLoop
  AuthFailures& auth_failures() { return auth_failures_; }  // kept across reloads

 private:
  void begin(Listeners::Socket socket, std::string peer);

  std::string config_file_;
  mutable std::mutex mutex_;
  std::shared_ptr<ManageSieveRuntime> runtime_;
  unsigned worker_threads_;
  std::optional<WorkerPool> pool_;
  Listeners listeners_;
  std::atomic<unsigned> sessions_{0};
  std::atomic<bool> stopping_{false};
  AuthFailures auth_failures_;
  SessionRegistry<ManageSieveConnectionLoop> live_{"managesieve session"};
};

}  // namespace letterbox
