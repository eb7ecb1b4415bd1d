// letterbox-lda: delivers one message from standard input (or -p FILE) to one recipient, for Postfix's
// mailbox_command or a pipe(8) transport. Exit codes per sysexits.h; stderr starts with the enhanced
// status code. Everything but the command line lives in the core (src/local_delivery.cpp).
#include <signal.h>
#include <sysexits.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <iostream>

#include "letterbox/config_check.hpp"
#include "letterbox/local_delivery.hpp"

namespace po = boost::program_options;

namespace {

int run(int argc, char** argv) {
  (void)signal(SIGXFSZ, SIG_IGN);  // a file size limit must fail the write (and be undone), not kill us mid-append
  (void)signal(SIGPIPE, SIG_IGN);
  po::options_description options(
      "Usage: letterbox-lda [-c FILE] [-f SENDER] [-a RECIPIENT | -d USER] [-m FOLDER] [-p FILE]\n"
      "       letterbox-lda [-c FILE] --lookup ADDRESS\n"
      "       letterbox-lda [-c FILE] --forget ADDRESS | --forget-all\n"
      "       letterbox-lda [-c FILE] --check-config\nOptions");
  options.add_options()("help,h", "show this help")("version", "print the version")(
      "config,c", po::value<std::string>()->default_value("/etc/letterbox/letterbox.conf"), "configuration file")(
      "from,f", po::value<std::string>(), "envelope sender (default: the From_ line, then $SENDER)")(
      "address,a", po::value<std::string>(), "recipient address (default: $RECIPIENT)")(
      "destination,d", po::value<std::string>(), "recipient user; USER@hostname unless it contains '@'")(
      "mailbox,m", po::value<std::string>(), "Maildir++ folder; empty means the inbox")(
      "path,p", po::value<std::string>(), "read the message from FILE instead of standard input")(
      "lookup", po::value<std::string>(), "print what the directory says about ADDRESS and exit")(
      "forget", po::value<std::string>(), "drop ADDRESS from the shared directory cache ([ldap] cache_file)")(
      "forget-all", "drop every entry from the shared directory cache")(
      "check-config", "validate the configuration as the delivery user, print the effective settings and exit");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "5.3.0 letterbox-lda: " << e.what() << "\n" << options;
    return EX_USAGE;
  }
  if (vm.count("help") != 0U) {
    std::cout << options;
    return EX_OK;
  }
  if (vm.count("version") != 0U) {
    std::cout << "letterbox-lda " LETTERBOX_VERSION "\n";
    return EX_OK;
  }
  const auto config = vm["config"].as<std::string>();
  if (vm.count("check-config") != 0U) return letterbox::run_check_config(config, "letterbox-lda", {});
  if (vm.count("forget") != 0U) return letterbox::run_forget(config, vm["forget"].as<std::string>());
  if (vm.count("forget-all") != 0U) return letterbox::run_forget(config, std::nullopt);
  if (vm.count("lookup") != 0U) return letterbox::run_lookup(config, vm["lookup"].as<std::string>());

  letterbox::LdaRequest request;
  request.config_file = config;
  if (vm.count("address") != 0U && vm.count("destination") != 0U) {
    std::cerr << "5.3.0 letterbox-lda: give -a or -d, not both\n";
    return EX_USAGE;
  }
  if (vm.count("address") != 0U) {
    request.recipient = vm["address"].as<std::string>();
  } else if (vm.count("destination") != 0U) {
    request.recipient = vm["destination"].as<std::string>();
    request.recipient_is_user = true;
  } else if (const char* env = std::getenv("RECIPIENT")) {
    request.recipient = env;
  } else {
    std::cerr << "5.3.0 letterbox-lda: no recipient: give -a ADDRESS or -d USER\n" << options;
    return EX_USAGE;
  }
  if (vm.count("from") != 0U) request.sender = vm["from"].as<std::string>();
  if (vm.count("mailbox") != 0U) request.folder = vm["mailbox"].as<std::string>();
  if (vm.count("path") != 0U) request.input_file = vm["path"].as<std::string>();
  return letterbox::run_local_delivery(request);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Whatever went wrong, it is no reason to bounce the message: the MTA keeps it and tries again.
    std::cerr << "4.3.0 letterbox-lda: unexpected error: " << e.what() << "\n";
    return EX_TEMPFAIL;
  }
}
