// letterbox-managesieved: the ManageSieve server (RFC 5804) users edit their Sieve filters through
// (letterbox-managesieved(8)). run_daemon (daemon/) does the rest: it binds [managesieve] listen as root,
// drops to [server] user/group (the scripts are the delivery user's files) and runs until SIGTERM.
#include "daemon_main.hpp"
#include "managesieve_server.hpp"

int main(int argc, char** argv) {
  return letterbox::run_daemon(argc, argv,
                               {"letterbox-managesieved",
                                {},
                                [](letterbox::NetworkThreads& network, letterbox::Settings settings, std::string file) {
                                  // Workers wait on the directory and on LDAP binds (up to [ldap] timeout each): enough
                                  // of them that one slow directory answer does not hold up every other login.
                                  return std::make_unique<letterbox::ManageSieveServer>(network, std::move(settings),
                                                                                        std::move(file), 16);
                                }});
}
