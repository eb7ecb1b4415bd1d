// letterbox-policyd: the Postfix policy service that answers the sending server at RCPT time
// (letterbox-policyd(8)). run_daemon (daemon/) does the rest: it binds [policy] listen as root, drops
// to [server] user/group, opens the greylist store as that user and runs until SIGTERM.
#include "daemon_main.hpp"
#include "policy_server.hpp"

int main(int argc, char** argv) {
  return letterbox::run_daemon(argc, argv,
                               {"letterbox-policyd",
                                {.policyd = true},
                                [](letterbox::NetworkThreads& network, letterbox::Settings settings, std::string file) {
                                  // Workers wait on the directory (up to [ldap] timeout each): enough of them that a
                                  // slow directory does not queue the requests of every smtpd process.
                                  return std::make_unique<letterbox::PolicyServer>(network, std::move(settings),
                                                                                   std::move(file), 16);
                                }});
}
