// letterbox-sieve: checks and tests Sieve scripts and manages a user's scripts (letterbox-sieve(1)). The
// command line is read here; `check` is script_check.cpp, `test` script_test.cpp, `svtest` svtest_run.cpp,
// the commands on a user's scripts user_scripts.cpp.
#include <signal.h>
#include <sysexits.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <filesystem>
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
#include "script_test.hpp"
#include "svtest_run.hpp"
#include "user_scripts.hpp"

namespace {

constexpr const char* kUsage =
    "Usage: letterbox-sieve [-c FILE] check FILE\n"
    "       letterbox-sieve [-c FILE] test [-f SENDER] [-a RCPT] [--global-dir DIR] SCRIPT MESSAGE\n"
    "       letterbox-sieve [-c FILE] svtest FILE...\n"
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
    "  -c [ --config ] FILE  configuration file (default: /etc/letterbox/letterbox.conf)\n"
    "test options:\n"
    "  -f SENDER             envelope sender (\"\" or \"<>\": the null sender; default: Return-Path, From)\n"
    "  -a RCPT               envelope recipient (default: the first address in To)\n"
    "  --global-dir DIR      where include :global finds the administrator's scripts\n";

enum LongOnly { kVersion = 256, kGlobalDir };

constexpr const char* kDefaultConfig = "/etc/letterbox/letterbox.conf";

enum class Tool { check, test, svtest, store };

struct Verb {
  std::string_view name;
  Tool tool;
  std::optional<letterbox::ScriptVerb> store_verb;  // for Tool::store
  std::size_t min_args;                             // after the verb (and its options)
  std::size_t max_args;
};

using letterbox::ScriptVerb;
constexpr std::array<Verb, 10> kVerbs{{{"check", Tool::check, std::nullopt, 1, 1},
                                       {"test", Tool::test, std::nullopt, 2, 2},
                                       {"svtest", Tool::svtest, std::nullopt, 1, SIZE_MAX},
                                       {"list", Tool::store, ScriptVerb::List, 1, 1},
                                       {"get", Tool::store, ScriptVerb::Get, 2, 2},
                                       {"put", Tool::store, ScriptVerb::Put, 2, 3},
                                       {"activate", Tool::store, ScriptVerb::Activate, 2, 2},
                                       {"deactivate", Tool::store, ScriptVerb::Deactivate, 1, 1},
                                       {"delete", Tool::store, ScriptVerb::Delete, 2, 2},
                                       {"rename", Tool::store, ScriptVerb::Rename, 3, 3}}};

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
  const Verb* verb = nullptr;
  for (const auto& v : kVerbs) {
    if (v.name == name) verb = &v;
  }
  if (verb == nullptr) return usage_error("unknown command '" + std::string(name) + "'");
  letterbox::GivenOptions test_options;
  if (verb->tool == Tool::test) {
    // The verb's own options, read from the verb on (getopt starts again at its argv[1]).
    static const option kTestOptions[] = {{"global-dir", required_argument, nullptr, kGlobalDir},
                                          {nullptr, 0, nullptr, 0}};
    const int first = optind;
    optind = 0;  // glibc: start a new scan
    if (auto wrong = letterbox::read_options(argc - first, argv + first, "+:f:a:", kTestOptions, test_options);
        !wrong.empty()) {
      return usage_error("test: " + wrong);
    }
    optind += first;
  }
  const std::vector<std::string> args(argv + optind + (verb->tool == Tool::test ? 0 : 1), argv + argc);
  if (args.size() < verb->min_args || args.size() > verb->max_args) {
    return usage_error(std::string(name) + ": wrong number of arguments");
  }

  letterbox::Settings settings = letterbox::default_settings();
  const bool config_given = given.count('c') != 0U;
  const auto config = given['c'].value_or(kDefaultConfig);
  // `test` and `svtest` need no installed configuration: without -c and without the default file, the
  // defaults.
  std::error_code ignored;
  const bool defaults = (verb->tool == Tool::test || verb->tool == Tool::svtest) && !config_given &&
                        !std::filesystem::exists(kDefaultConfig, ignored) && !ignored;
  if (!defaults) {
    if (const int code = letterbox::load_config_or_report(config, "letterbox-sieve", settings); code != EX_OK) {
      return code;
    }
  }
  if (verb->tool == Tool::check) return letterbox::run_check(settings, args[0]);
  if (verb->tool == Tool::svtest) return letterbox::run_svtest(settings, args);
  if (verb->tool == Tool::test) {
    letterbox::ScriptTest test;
    test.script = args[0];
    test.message = args[1];
    test.sender = test_options['f'];
    test.recipient = test_options['a'];
    test.global_dir = test_options[kGlobalDir];
    return letterbox::run_script_test(settings, test);
  }
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
