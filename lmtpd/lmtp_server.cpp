#include "lmtp_server.hpp"

#include "config_reload.hpp"
#include "letterbox/directory/shared_cache.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/network.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox {
namespace asio = boost::asio;

LmtpServer::LmtpServer(NetworkThreads& network, Settings settings, std::string config_file, unsigned worker_threads)
    : config_file_(std::move(config_file)), state_(std::move(settings), worker_threads), listeners_(network) {}

void LmtpServer::bind() {
  const auto runtime = state_.runtime();
  const auto& server = runtime->settings.server;
  listeners_.bind(server.listen, server.socket_mode, server);
}

std::string LmtpServer::stats_listen() const {
  return state_.runtime()->settings.stats.listen;
}

MetricsExtras LmtpServer::metrics_extras() {
  MetricsExtras extras;
  const auto runtime = state_.runtime();  // held: a reload may replace it, and unmap its cache, meanwhile
  extras.lda = runtime->directory.store().lda_deliveries();
  return extras;
}

void LmtpServer::start() {
  state_.start_workers();
  if (listeners_.activated()) {
    // A warning: an administrator who enabled the .socket unit may still expect these to be served.
    log::warn("serving the sockets systemd passed; [server] listen is not used: {}",
              join_words(state_.runtime()->settings.server.listen));
  }
  listeners_.start([this](LmtpSession::Socket socket, std::string peer) { begin(std::move(socket), std::move(peer)); });
}

namespace {

// Greets a connection that will not be served with why, then closes it.
void refuse(LmtpSession::Socket socket, std::string greeting) {
  auto refused = std::make_shared<LmtpSession::Socket>(std::move(socket));
  auto text = std::make_shared<std::string>(std::move(greeting) + "\r\n");
  asio::async_write(*refused, asio::buffer(*text), [refused, text](boost::system::error_code, std::size_t) {
    boost::system::error_code ignored;
    refused->shutdown(LmtpSession::Socket::shutdown_both, ignored);
    refused->close(ignored);
  });
}

}  // namespace

void LmtpServer::begin(LmtpSession::Socket socket, std::string peer) {
  const auto runtime = state_.runtime();  // held: a reload may replace it meanwhile
  const auto& server = runtime->settings.server;
  const std::string id = sessions_.next_id();
  if (peer != "local") {  // a UNIX socket's client is on this host, and its mode says who may connect
    const auto address = parse_ip_address(peer.substr(0, peer.find('%')));  // fe80::1%eth0: no scope
    if (!address) {
      // The peer's address could not be read (getpeername failed): not a reason to refuse for good.
      log::warn("session={} from {} refused for now: its address is unknown", id, peer);
      refuse(std::move(socket), "421 4.3.2 " + runtime->hostname + " Try again later");
      return;
    }
    if (!any_contains(runtime->allow_from, *address)) {
      log::warn("session={} from {} refused: not in [server] allow_from", id, peer);
      refuse(std::move(socket), "554 5.7.1 Access denied");
      return;
    }
  }
  if (state_.sessions() >= server.max_sessions || state_.stopping()) {
    // The MTA tries again later.
    log::warn("session={} from {} refused: max_sessions ({}) reached", id, peer, server.max_sessions);
    refuse(std::move(socket), "421 4.3.2 " + runtime->hostname + " Too many sessions, try again later");
    return;
  }
  auto session = std::make_shared<LmtpSession>(std::move(socket), state_, id, std::move(peer));
  sessions_.spawn(std::move(session), id);
}

void LmtpServer::stop() {
  log::info("stopping: no new sessions; deliveries in flight finish");
  state_.stopping() = true;
  listeners_.close();
  sessions_.shut_down_all();
}

void LmtpServer::reload() {
  reload_config(
      config_file_, "letterbox-lmtpd",
      [this](const Settings& fresh) {
        if (fresh.server.listen != state_.runtime()->settings.server.listen) {
          log::warn("reload: [server] listen changed; it takes effect at the next restart");
        }
      },
      [this](Settings fresh) { state_.replace_runtime(std::move(fresh)); });
}

}  // namespace letterbox
