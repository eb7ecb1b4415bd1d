#include "script_test.hpp"

#include <fcntl.h>
#include <sysexits.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "letterbox/config/sieve_script_file.hpp"
#include "letterbox/sieve/address_list.hpp"
#include "letterbox/sieve/interpreter.hpp"
#include "letterbox/sieve/message_headers.hpp"
#include "letterbox/sieve/run_result.hpp"
#include "letterbox/sieve/script_name.hpp"
#include "letterbox/sieve/vacation_rules.hpp"
#include "letterbox/util/file_io.hpp"
#include "letterbox/util/text.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {
namespace {

namespace fs = std::filesystem;

// The outside world of a test run: a fresh user. Only INBOX exists (tests/sieve/README.md), nothing was
// seen before, and included scripts come from the script's own directory (:personal) and the
// administrator's (:global), by names that cannot leave them.
class TestHost final : public sieve::ScriptHost {
 public:
  TestHost(const SieveSettings& settings, fs::path personal, std::optional<fs::path> global)
      : settings_(settings), personal_(std::move(personal)), global_(std::move(global)) {}

  bool mailbox_exists(std::string_view name) override { return iequals_ascii(name, "INBOX"); }

  sieve::IncludeLoad load_include(sieve::IncludeLocation location, std::string_view name) override {
    const fs::path* dir = location == sieve::IncludeLocation::global ? (global_ ? &*global_ : nullptr) : &personal_;
    if (dir == nullptr) return sieve::IncludeMissing{};
    if (const auto problem = sieve::script_name_problem(name); !problem.empty()) {
      return sieve::IncludeFailed{"invalid script name \"" + std::string(name) + "\": " + problem};
    }
    const fs::path file = *dir / (std::string(name) + ".sieve");
    const auto check = check_sieve_file(file, settings_);
    if (check.read_errno == ENOENT) return sieve::IncludeMissing{};
    if (!check.ok()) return sieve::IncludeFailed{describe_sieve_file_check(file, check).front()};
    return check.script;
  }

  bool duplicate_seen(std::string_view, std::string_view, std::uint64_t) override { return false; }

 private:
  const SieveSettings& settings_;
  fs::path personal_;
  std::optional<fs::path> global_;
};

// The message, at most max_message_size bytes as delivery would take it; 0 or the errno why not.
int read_message(const std::string& file, std::uint64_t limit, std::string& text) {
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC));
  if (!fd) return errno;
  return read_all(fd.get(), limit, text);
}

// An address as given on the command line or in a header: the first address in it, without brackets; ""
// for the null reverse path.
std::string first_address(std::string_view text) {
  const auto items = sieve::parse_address_list(text, 1);
  return items.empty() ? "" : items.front().all;
}

std::string header_address(const sieve::MessageHeaders& headers, std::string_view name) {
  const auto values = headers.values(name);
  return values.empty() ? "" : first_address(values.front());
}

sieve::ZoneOffset local_zone(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  if (::localtime_r(&t, &tm) == nullptr) return {};
  return {static_cast<int>(tm.tm_gmtoff / 60), false};
}

sieve::RunLimits run_limits(const SieveSettings& s) {
  sieve::RunLimits limits;
  limits.max_actions = s.max_actions;
  limits.max_redirects = s.max_redirects;
  limits.max_cpu_time = s.max_cpu_time;
  const auto seconds = [](Duration d) {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
  };
  limits.vacation_min_period = seconds(s.vacation_min_period);
  limits.vacation_default_period = seconds(s.vacation_default_period);
  limits.vacation_max_period = seconds(s.vacation_max_period);
  return limits;
}

// RFC 5230 §4.5, §4.6: a vacation the delivery would not send is not shown either.
void drop_suppressed_vacations(sieve::RunResult& result, const sieve::MessageHeaders& headers,
                               const sieve::Envelope& envelope) {
  std::erase_if(result.actions, [&](const sieve::Action& action) {
    const auto* v = std::get_if<sieve::VacationAction>(&action.what);
    if (v == nullptr) return false;
    std::vector<std::string> addresses = v->addresses;
    if (!v->original_recipient.empty()) addresses.push_back(v->original_recipient);
    return sieve::vacation_suppression(headers, {envelope.from, envelope.to, addresses}) !=
           sieve::VacationSuppression::none;
  });
}

}  // namespace

int run_script_test(const Settings& settings, const ScriptTest& test) {
  const auto check = check_sieve_file(test.script, settings.sieve);
  for (const auto& line : describe_sieve_file_check(test.script, check)) {
    std::cerr << (check.read_errno != 0 ? "letterbox-sieve: " : "") << line << "\n";
  }
  if (check.read_errno != 0) return EX_NOINPUT;
  if (!check.ok()) return 1;

  std::string text;
  if (const int err = read_message(test.message, settings.server.max_message_size, text); err != 0) {
    std::cerr << "letterbox-sieve: " << test.message << ": cannot read the message: "
              << (err == EFBIG ? "larger than [server] max_message_size" : std::strerror(err)) << "\n";
    return EX_NOINPUT;
  }
  const std::optional<std::string> message = std::move(text);
  const auto headers = sieve::MessageHeaders::parse(*message);

  sieve::RunInput input;
  input.message = *message;
  if (test.sender) {
    input.envelope.from = *test.sender == "<>" ? "" : first_address(*test.sender);
  } else {
    input.envelope.from = header_address(headers, "Return-Path");
    if (input.envelope.from.empty()) input.envelope.from = header_address(headers, "From");
  }
  input.envelope.to = test.recipient ? first_address(*test.recipient) : header_address(headers, "To");
  if (input.envelope.to.empty()) {
    std::cerr << "letterbox-sieve: test: no recipient (give -a RCPT)\n";
    return EX_USAGE;
  }
  input.environment.now = std::chrono::system_clock::now();
  input.environment.local_zone = local_zone(input.environment.now);
  input.environment.host = effective_hostname(settings);
  if (const auto dot = input.environment.host.find('.'); dot != std::string::npos) {
    input.environment.domain = input.environment.host.substr(dot + 1);
  }
  input.environment.version = LETTERBOX_VERSION;
  input.limits = run_limits(settings.sieve);

  fs::path personal = fs::path(test.script).parent_path();
  if (personal.empty()) personal = ".";
  std::optional<fs::path> global;
  if (test.global_dir) global = fs::path(*test.global_dir);
  TestHost host(settings.sieve, personal, global);
  input.host = &host;

  auto result = sieve::run(*check.script, input);
  drop_suppressed_vacations(result, headers, input.envelope);
  std::cout << sieve::print_run_result(result);
  return EX_OK;
}

}  // namespace letterbox
