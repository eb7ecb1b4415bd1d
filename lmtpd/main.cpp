// letterbox-lmtpd: the LMTP server (RFC 2033) Postfix hands mail to. Parses the command line, loads the
// configuration, binds the listeners as root, drops to [server] user/group, and runs until SIGTERM.
#include <utility>  // before Asio (see server_state.hpp)

#include <signal.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/program_options.hpp>
#include <functional>
#include <iostream>
#include <thread>
#include <vector>

#include "letterbox/config.hpp"
#include "letterbox/config_check.hpp"
#include "letterbox/logging.hpp"
#include "letterbox/privileges.hpp"
#include "lmtp_server.hpp"

namespace po = boost::program_options;
namespace asio = boost::asio;

namespace {

int run(int argc, char** argv) {
  (void)signal(SIGPIPE, SIG_IGN);
  (void)signal(SIGXFSZ, SIG_IGN);  // a file size limit fails the write (and is undone) instead of killing us
  po::options_description options("Usage: letterbox-lmtpd [-c FILE] [--foreground] [--check-config]\nOptions");
  options.add_options()("help,h", "show this help")("version", "print the version")(
      "config,c", po::value<std::string>()->default_value("/etc/letterbox/letterbox.conf"), "configuration file")(
      "foreground", "stay in the foreground (for systemd and tests)")(
      "check-config", "validate the configuration, print the effective settings and exit");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "letterbox-lmtpd: " << e.what() << "\n" << options;
    return EX_USAGE;
  }
  if (vm.count("help") != 0U) {
    std::cout << options;
    return EX_OK;
  }
  if (vm.count("version") != 0U) {
    std::cout << "letterbox-lmtpd " LETTERBOX_VERSION "\n";
    return EX_OK;
  }
  const auto config_file = vm["config"].as<std::string>();
  if (vm.count("check-config") != 0U) {
    return letterbox::run_check_config(config_file, "letterbox-lmtpd", {.listeners = true});
  }
  letterbox::Settings settings;
  try {
    settings = letterbox::load_config(config_file);
  } catch (const letterbox::ConfigError& e) {
    std::cerr << "letterbox-lmtpd: " << e.what() << "\n";
    return EX_CONFIG;
  } catch (const std::system_error& e) {
    std::cerr << "letterbox-lmtpd: " << e.what() << "\n";
    return EX_OSERR;
  }

  // One descriptor per session plus the files being delivered: the default soft limit (1024) is too low
  // for max_sessions in the hundreds.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  // From the moment the socket listens until the handlers below are in place, the signals are held,
  // not lost: a SIGHUP (logrotate, systemctl reload) or SIGTERM in that window used to end the daemon
  // by the default action. Threads started later inherit the mask, so it is lifted before they start.
  sigset_t held{};
  sigemptyset(&held);
  for (const int signal : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&held, signal);
  pthread_sigmask(SIG_BLOCK, &held, nullptr);

  asio::io_context io;
  // Deliveries wait on fsync and locks: many workers let the disk merge their flushes.
  letterbox::LmtpServer server(io, settings, config_file, 32);
  try {
    server.bind();
    letterbox::drop_privileges(settings.server);
  } catch (const letterbox::ConfigError& e) {
    std::cerr << "letterbox-lmtpd: " << e.what() << "\n";
    return EX_CONFIG;
  } catch (const std::exception& e) {
    std::cerr << "letterbox-lmtpd: " << e.what() << "\n";
    return EX_OSERR;
  }
  // Only now, as the delivery user: a log file created as root would be one that a reload (as the
  // delivery user) cannot reopen. A log file that cannot be opened falls back to syslog.
  letterbox::setup_logging(settings.log, "letterbox-lmtpd");
  if (vm.count("foreground") == 0U) {
    io.notify_fork(asio::execution_context::fork_prepare);
    if (daemon(0, 0) != 0) {
      std::cerr << "letterbox-lmtpd: cannot detach: " << std::strerror(errno) << "\n";
      return EX_OSERR;
    }
    io.notify_fork(asio::execution_context::fork_child);  // a reactor of our own, not the parent's
  }

  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  asio::signal_set hup(io, SIGHUP);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    server.stop();
    hup.cancel();  // the loop ends once the sessions and deliveries in flight have
  });
  std::function<void(const boost::system::error_code&, int)> on_hup = [&](const boost::system::error_code& ec, int) {
    if (ec) return;
    server.reload();
    if (!server.state().stopping()) hup.async_wait(on_hup);
  };
  hup.async_wait(on_hup);
  pthread_sigmask(SIG_UNBLOCK, &held, nullptr);  // a signal that came meanwhile is delivered now

  server.start();
  spdlog::info("letterbox-lmtpd {} started", LETTERBOX_VERSION);
  const unsigned network_threads = std::max(2U, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < network_threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  server.state().pool().join();
  spdlog::info("letterbox-lmtpd stopped");
  return EX_OK;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Nothing should get here; if something does, say what instead of dying with a bare "terminate".
    spdlog::critical("stopping on an unexpected error: {}", e.what());
    std::cerr << "letterbox-lmtpd: unexpected error: " << e.what() << "\n";
    return EX_SOFTWARE;
  }
}
