// letterbox-sieve: checks Sieve scripts and manages a user's scripts (letterbox-sieve(1)). The command
// line is read here; `check` is script_check.cpp, the commands on a user's scripts user_scripts.cpp.
#include <signal.h>
#include <sysexits.h>

#include <array>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "letterbox/config/config_check.hpp"
#include "letterbox/util/command_line.hpp"
#include "letterbox/util/standard_streams.hpp"
#include "letterbox/util/version.hpp"
#include "script_check.hpp"
#include "user_scripts.hpp"

namespace {

constexpr const char* kUsage =
    "Usage: letterbox-sieve [-c FILE] check FILE\n"
    "       letterbox-sieve [-c FILE] list USER@DOMAIN\n"
    "       letterbox-sieve [-c FILE] get USER@DOMAIN NAME\n"
    "       letterbox-sieve [-c FILE] put USER@DOMAIN NAME [FILE]\n"
    "       letterbox-sieve [-c FILE] activate USER@DOMAIN NAME\n"
    "       letterbox-sieve [-c FILE] deactivate USER@DOMAIN\n"
    "       letterbox-sieve [-c FILE] delete USER@DOMAIN NAME\n"
    "       letterbox-sieve [-c FILE] rename USER@DOMAIN OLD NEW\n"
    "Options:\n"
    "  -h [ --help ]         show this help\n"
    "  --version             print the version, copyright and licence\n"
    "  -c [ --config ] FILE  configuration file (default: /etc/letterbox/letterbox.conf)\n";

enum LongOnly { kVersion = 256 };

struct Verb {
  std::string_view name;
  std::optional<letterbox::ScriptVerb> store_verb;  // none: check
  std::size_t min_args;                             // after the verb
  std::size_t max_args;
};

using letterbox::ScriptVerb;
// NOT YET: `test [-f SENDER] [-a RCPT] SCRIPT MESSAGE` (run a script on a message, print the actions it
// would take) joins this table with the Sieve interpreter. Until then `test` is an unknown command
// (exit 64), not a command that pretends.
constexpr std::array<Verb, 8> kVerbs{{{"check", std::nullopt, 1, 1},
                                      {"list", ScriptVerb::List, 1, 1},
                                      {"get", ScriptVerb::Get, 2, 2},
                                      {"put", ScriptVerb::Put, 2, 3},
                                      {"activate", ScriptVerb::Activate, 2, 2},
                                      {"deactivate", ScriptVerb::Deactivate, 1, 1},
                                      {"delete", ScriptVerb::Delete, 2, 2},
                                      {"rename", ScriptVerb::Rename, 3, 3}}};

int usage_error(const std::string& what) {
  std::cerr << "letterbox-sieve: " << what << "\n" << kUsage;
  return EX_USAGE;
}

int run(int argc, char** argv) {
  (void)signal(SIGPIPE, SIG_IGN);
  static const option kOptions[] = {{"help", no_argument, nullptr, 'h'},
                                    {"version", no_argument, nullptr, kVersion},
                                    {"config", required_argument, nullptr, 'c'},
                                    {nullptr, 0, nullptr, 0}};
  letterbox::GivenOptions given;
  // '+': options end at the command, so that a script or file named "-x" is not taken for one.
  if (auto wrong = letterbox::read_options(argc, argv, "+:hc:", kOptions, given); !wrong.empty()) {
    return usage_error(wrong);
  }
  if (given.count('h') != 0U) {
    std::cout << kUsage;
    return EX_OK;
  }
  if (given.count(kVersion) != 0U) {
    std::cout << letterbox::version_text("letterbox-sieve");
    return EX_OK;
  }
  if (optind >= argc) return usage_error("no command given");
  const std::string_view name = argv[optind];
  const std::vector<std::string> args(argv + optind + 1, argv + argc);
  const Verb* verb = nullptr;
  for (const auto& v : kVerbs) {
    if (v.name == name) verb = &v;
  }
  if (verb == nullptr) return usage_error("unknown command '" + std::string(name) + "'");
  if (args.size() < verb->min_args || args.size() > verb->max_args) {
    return usage_error(std::string(name) + ": wrong number of arguments");
  }

  letterbox::Settings settings;
  const auto config = given['c'].value_or("/etc/letterbox/letterbox.conf");
  if (const int code = letterbox::load_config_or_report(config, "letterbox-sieve", settings); code != EX_OK) {
    return code;
  }
  if (!verb->store_verb) return letterbox::run_check(settings, args[0]);
  letterbox::ScriptCommand command;
  command.verb = *verb->store_verb;
  command.user = args[0];
  command.names.assign(args.begin() + 1, args.end());
  if (command.verb == ScriptVerb::Put && args.size() == 3) {
    command.input_file = command.names.back();
    command.names.pop_back();
  }
  return letterbox::run_script_command(settings, command);
}

}  // namespace

int main(int argc, char** argv) {
  if (!letterbox::open_standard_streams()) return EX_OSERR;
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // The name service or the directory library failing: worth trying again.
    std::cerr << "letterbox-sieve: unexpected error: " << e.what() << "\n";
    return EX_TEMPFAIL;
  }
}
