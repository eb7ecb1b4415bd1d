#include "daemon_main.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstring>
#include <iostream>
#include <thread>
#include <vector>

#include "letterbox/config/privileges.hpp"
#include "letterbox/observe/logging.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/standard_streams.hpp"
#include "letterbox/util/version.hpp"
#include "metrics_server.hpp"

namespace letterbox {
namespace po = boost::program_options;
namespace asio = boost::asio;

namespace {

int run(int argc, char** argv, const DaemonSpec& spec) {
  const std::string program(spec.program);
  (void)signal(SIGPIPE, SIG_IGN);
  (void)signal(SIGXFSZ, SIG_IGN);  // a file size limit fails the write (and is undone) instead of killing us
  po::options_description options("Usage: " + program + " [-c FILE] [--foreground] [--check-config]\nOptions");
  options.add_options()("help,h", "show this help")("version", "print the version, copyright and licence")(
      "config,c", po::value<std::string>()->default_value("/etc/letterbox/letterbox.conf"), "configuration file")(
      "foreground", "stay in the foreground (for systemd and tests)")(
      "check-config", "validate the configuration, print the effective settings and exit");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << program << ": " << e.what() << "\n" << options;
    return EX_USAGE;
  }
  if (vm.count("help") != 0U) {
    std::cout << options;
    return EX_OK;
  }
  if (vm.count("version") != 0U) {
    std::cout << version_text(program);
    return EX_OK;
  }
  const auto config_file = vm["config"].as<std::string>();
  if (vm.count("check-config") != 0U) return run_check_config(config_file, program, spec.check_scope);
  Settings settings;
  if (const int code = load_config_or_report(config_file, program, settings); code != EX_OK) return code;

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

  // One per core (at least two: a TLS handshake on one does not hold up every other connection).
  NetworkThreads network(std::max(2U, std::thread::hardware_concurrency()));
  asio::io_context& io = network.main();
  const auto server_settings = settings.server;
  const auto log_settings = settings.log;
  std::unique_ptr<Service> service;
  try {
    // Making the service builds what the settings describe (letterbox-lmtpd's TLS context loads its key
    // and certificate here, as root): a file that cannot be used is a configuration error, exit 78.
    service = spec.make(network, std::move(settings), config_file);
    service->bind();
    drop_privileges(server_settings);
  } catch (const ConfigError& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return EX_CONFIG;
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return EX_OSERR;
  }
  // Only now, as the delivery user: a log file created as root would be one that a reload (as the
  // delivery user) cannot reopen. A log file that cannot be opened falls back to syslog.
  setup_logging(log_settings, program);
  service->privileges_dropped();
  // Bound as the delivery user, once the log can say why it failed: metrics are never a reason not to run.
  MetricsServer stats(io, [&service, &program] {
    auto extras = service->metrics_extras();
    extras.program = program;
    return metrics().render(extras);
  });
  stats.bind(service->stats_listen());
  if (vm.count("foreground") == 0U) {
    network.notify_fork(asio::execution_context::fork_prepare);
    if (daemon(0, 0) != 0) {
      std::cerr << program << ": cannot detach: " << std::strerror(errno) << "\n";
      return EX_OSERR;
    }
    network.notify_fork(asio::execution_context::fork_child);  // reactors of our own, not the parent's
  }

  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  asio::signal_set hup(io, SIGHUP);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    service->stop();
    stats.close();
    hup.cancel();  // the loop ends once the sessions and the work in flight have
  });
  std::function<void(const boost::system::error_code&, int)> on_hup = [&](const boost::system::error_code& ec, int) {
    if (ec) return;
    service->reload();
    if (!service->stopping()) hup.async_wait(on_hup);
  };
  hup.async_wait(on_hup);
  pthread_sigmask(SIG_UNBLOCK, &held, nullptr);  // a signal that came meanwhile is delivered now

  service->start();
  stats.start();
  log::info("{} {} started", program, LETTERBOX_VERSION);
  network.run();
  service->stopped();
  log::info("{} stopped", program);
  return EX_OK;
}

}  // namespace

int run_daemon(int argc, char** argv, const DaemonSpec& spec) {
  // Before anything is opened, so that no socket, log or mapped file becomes fd 0, 1 or 2.
  if (!open_standard_streams()) return EX_OSERR;
  try {
    return run(argc, argv, spec);
  } catch (const std::exception& e) {
    // Nothing should get here; if something does, say what instead of dying with a bare "terminate".
    log::critical("stopping on an unexpected error: {}", e.what());
    std::cerr << spec.program << ": unexpected error: " << e.what() << "\n";
    return EX_SOFTWARE;
  }
}

}  // namespace letterbox
