#include "managesieve_server.hpp"

#include "config_reload.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox {
namespace asio = boost::asio;

ManageSieveServer::ManageSieveServer(NetworkThreads& network, Settings settings, std::string config_file,
                                     unsigned worker_threads)
    : config_file_(std::move(config_file)),
      runtime_(std::make_shared<ManageSieveRuntime>(std::move(settings))),
      worker_threads_(worker_threads),
      listeners_(network) {}

std::shared_ptr<ManageSieveRuntime> ManageSieveServer::runtime() const {
  std::lock_guard lock(mutex_);
  return runtime_;
}

void ManageSieveServer::bind() {
  const auto runtime = this->runtime();
  // A UNIX socket is for a webmail on this host: its mode is [server] socket_mode, its group the
  // delivery group, as for letterbox-lmtpd's socket.
  listeners_.bind(runtime->settings.managesieve.listen, runtime->settings.server.socket_mode, runtime->settings.server);
}

void ManageSieveServer::start() {
  if (!pool_) pool_.emplace(worker_threads_);
  if (listeners_.activated()) {
    log::warn("serving the sockets systemd passed; [managesieve] listen is not used: {}",
              join_words(runtime()->settings.managesieve.listen));
  }
  listeners_.start([this](Listeners::Socket socket, std::string peer) { begin(std::move(socket), std::move(peer)); });
}

void ManageSieveServer::begin(Listeners::Socket socket, std::string peer) {
  const std::string id = live_.next_id();
  const unsigned limit = runtime()->settings.managesieve.max_sessions;
  if (sessions_ >= limit || stopping_) {
    // RFC 5804 lets a server say BYE instead of its greeting; a client that reads it shows the reason.
    log::warn("managesieve session={} from {} refused: max_sessions ({}) reached", id, peer, limit);
    boost::system::error_code ignored;
    const std::string_view bye = "BYE \"Too many connections, try again later.\"\r\n";
    socket.non_blocking(true, ignored);
    (void)socket.write_some(asio::buffer(bye), ignored);
    socket.close(ignored);
    return;
  }
  ++sessions_;
  live_.spawn(std::make_shared<ManageSieveConnectionLoop>(std::move(socket), *this, id, std::move(peer)), id);
}

void ManageSieveServer::stop() {
  log::info("stopping: no new connections; commands under way are answered");
  stopping_ = true;
  listeners_.close();
  live_.shut_down_all();
}

void ManageSieveServer::reload() {
  reload_config(
      config_file_, "letterbox-managesieved",
      [this](const Settings& fresh) {
        if (fresh.managesieve.listen != runtime()->settings.managesieve.listen) {
          log::warn("reload: [managesieve] listen changed; it takes effect at the next restart");
        }
      },
      [this](Settings fresh) {
        auto next = std::make_shared<ManageSieveRuntime>(std::move(fresh));
        std::lock_guard lock(mutex_);
        runtime_ = std::move(next);
      });
}

}  // namespace letterbox
