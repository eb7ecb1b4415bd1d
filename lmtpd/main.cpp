// letterbox-lmtpd: the LMTP server (RFC 2033) Postfix hands mail to. run_daemon (daemon/) does the rest:
// it binds [server] listen as root, drops to [server] user/group and runs until SIGTERM.
#include "daemon_main.hpp"
#include "lmtp_server.hpp"

int main(int argc, char** argv) {
  return letterbox::run_daemon(argc, argv,
                               {"letterbox-lmtpd",
                                {.lmtpd = true},
                                [](letterbox::NetworkThreads& network, letterbox::Settings settings, std::string file) {
                                  // Deliveries wait on fsync and locks: many workers let the disk merge their flushes.
                                  return std::make_unique<letterbox::LmtpServer>(network, std::move(settings),
                                                                                 std::move(file), 32);
                                }});
}
