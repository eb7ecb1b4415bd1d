// letterbox-lda: delivers one message from standard input (or -p FILE) to one recipient, for Postfix's
// mailbox_command or a pipe(8) transport. Exit codes per sysexits.h; stderr starts with the enhanced
// status code. The commands themselves are in lda_command.cpp.
#include <signal.h>
#include <sysexits.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "lda_command.hpp"
#include "letterbox/config/config_check.hpp"
#include "letterbox/util/command_line.hpp"
#include "letterbox/util/standard_streams.hpp"
#include "letterbox/util/version.hpp"

namespace {

constexpr const char* kUsage =
    "Usage: letterbox-lda [-c FILE] [-f SENDER] [-a RECIPIENT | -d USER] [-m FOLDER] [-p FILE]\n"
    "       letterbox-lda [-c FILE] --lookup ADDRESS\n"
    "       letterbox-lda [-c FILE] --forget ADDRESS | --forget-all\n"
    "       letterbox-lda [-c FILE] --check-config\n"
    "Options:\n"
    "  -h [ --help ]               show this help\n"
    "  --version                   print the version, copyright and licence\n"
    "  -c [ --config ] FILE        configuration file (default: /etc/letterbox/letterbox.conf)\n"
    "  -f [ --from ] SENDER        envelope sender (default: the From_ line, then $SENDER)\n"
    "  -a [ --address ] RECIPIENT  recipient address (default: $RECIPIENT)\n"
    "  -d [ --destination ] USER   recipient user; USER@hostname unless it contains '@'\n"
    "  -m [ --mailbox ] FOLDER     Maildir++ folder; empty means the inbox\n"
    "  -p [ --path ] FILE          read the message from FILE instead of standard input\n"
    "  --lookup ADDRESS            print what the directory says about ADDRESS and exit\n"
    "  --forget ADDRESS            drop ADDRESS from the shared directory cache ([ldap] cache_file)\n"
    "  --forget-all                drop every entry from the shared directory cache\n"
    "  --check-config              validate the configuration as the delivery user, print the effective\n"
    "                              settings and exit\n";

enum LongOnly { kVersion = 256, kLookup, kForget, kForgetAll, kCheckConfig };

int usage_error(const std::string& what) {
  std::cerr << "5.3.0 letterbox-lda: " << what << "\n" << kUsage;
  return EX_USAGE;
}

int run(int argc, char** argv) {
  (void)signal(SIGXFSZ, SIG_IGN);  // a file size limit must fail the write (and be undone), not kill us mid-append
  (void)signal(SIGPIPE, SIG_IGN);
  static const option kOptions[] = {{"help", no_argument, nullptr, 'h'},
                                    {"version", no_argument, nullptr, kVersion},
                                    {"config", required_argument, nullptr, 'c'},
                                    {"from", required_argument, nullptr, 'f'},
                                    {"address", required_argument, nullptr, 'a'},
                                    {"destination", required_argument, nullptr, 'd'},
                                    {"mailbox", required_argument, nullptr, 'm'},
                                    {"path", required_argument, nullptr, 'p'},
                                    {"lookup", required_argument, nullptr, kLookup},
                                    {"forget", required_argument, nullptr, kForget},
                                    {"forget-all", no_argument, nullptr, kForgetAll},
                                    {"check-config", no_argument, nullptr, kCheckConfig},
                                    {nullptr, 0, nullptr, 0}};
  letterbox::GivenOptions given;
  if (auto wrong = letterbox::read_options(argc, argv, ":hc:f:a:d:m:p:", kOptions, given); !wrong.empty()) {
    return usage_error(wrong);
  }
  if (optind < argc) return usage_error("unexpected argument '" + std::string(argv[optind]) + "'");
  const auto value = [&given](int opt) { return given.count(opt) != 0U ? given[opt] : std::nullopt; };

  if (given.count('h') != 0U) {
    std::cout << kUsage;
    return EX_OK;
  }
  if (given.count(kVersion) != 0U) {
    std::cout << letterbox::version_text("letterbox-lda");
    return EX_OK;
  }
  const std::string config = value('c').value_or("/etc/letterbox/letterbox.conf");
  if (given.count(kCheckConfig) != 0U) return letterbox::run_check_config(config, "letterbox-lda", {});
  if (given.count(kForget) != 0U) return letterbox::run_forget(config, value(kForget));
  if (given.count(kForgetAll) != 0U) return letterbox::run_forget(config, std::nullopt);
  if (given.count(kLookup) != 0U) return letterbox::run_lookup(config, *value(kLookup));

  letterbox::LdaRequest request;
  request.config_file = config;
  if (given.count('a') != 0U && given.count('d') != 0U) return usage_error("give -a or -d, not both");
  if (given.count('a') != 0U) {
    request.recipient = *value('a');
  } else if (given.count('d') != 0U) {
    request.recipient = *value('d');
    request.recipient_is_user = true;
  } else if (const char* env = std::getenv("RECIPIENT")) {
    request.recipient = env;
  } else {
    return usage_error("no recipient: give -a ADDRESS or -d USER");
  }
  request.sender = value('f');
  request.folder = value('m');
  request.input_file = value('p');
  return letterbox::run_delivery(request);
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything is opened: a closed stderr would otherwise be the shared cache or the mailbox, and
  // our status line would be written into it. Without even /dev/null, the MTA keeps the message.
  if (!letterbox::open_standard_streams()) return EX_TEMPFAIL;
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Whatever went wrong, it is no reason to bounce the message: the MTA keeps it and tries again.
    std::cerr << "4.3.0 letterbox-lda: unexpected error: " << e.what() << "\n";
    return EX_TEMPFAIL;
  }
}
