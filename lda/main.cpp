// letterbox-lda: the command-line delivery agent. This first version validates its configuration only;
// delivery from the command line is issue #4.
#include <sysexits.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "letterbox/config.hpp"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  po::options_description options("letterbox-lda options");
  options.add_options()("help,h", "show this help")("version", "print the version")(
      "config,c", po::value<std::string>()->default_value("/etc/letterbox/letterbox.conf"), "configuration file")(
      "check-config", "validate the configuration, print it and exit");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "letterbox-lda: " << e.what() << "\n" << options;
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
  try {
    const auto settings = letterbox::load_config(vm["config"].as<std::string>());
    if (vm.count("check-config") != 0U) {
      std::cout << letterbox::format_effective_config(settings);
      return EX_OK;
    }
  } catch (const letterbox::ConfigError& e) {
    std::cerr << "letterbox-lda: " << e.what() << "\n";
    return EX_CONFIG;
  }
  std::cerr << "letterbox-lda: delivery is not implemented yet\n";
  return EX_SOFTWARE;
}
