// run: any bytes that compile run on a fixed message without a crash and within the limits: never more
// actions than max_actions nor redirects than max_redirects, one reject at most and never with a store,
// a redirect or a vacation, one vacation at most; a run-time error falls back to exactly one implicit
// keep without flags and records no duplicate; the printed result is whole lines, `discard` only when
// the result stores, sends and refuses nothing.
#include <string>

#include "fuzz_targets.hpp"
#include "letterbox/sieve/compiler.hpp"
#include "letterbox/sieve/interpreter.hpp"

namespace letterbox::fuzz {
namespace {

constexpr std::string_view kMessage =
    "Received: from a by b; Mon, 6 Jan 2025 10:00:05 +0100\r\n"
    "From: \"Wile E. Coyote\" <coyote@desert.example.org>\r\n"
    "To: roadrunner+tricks@acme.example.com, other@acme.example.com\r\n"
    "Subject: =?UTF-8?Q?caf=C3=A9?= I have a present for you\r\n"
    "Message-ID: <1234@desert.example.org>\r\n"
    "Date: Mon, 6 Jan 2025 10:00:00 +0100\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nbirdseed\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n";

// Folders and duplicates from the name's length; include "self" is the script itself (a recursion).
class FuzzHost : public sieve::ScriptHost {
 public:
  explicit FuzzHost(std::shared_ptr<const sieve::Script> self) : self_(std::move(self)) {}
  bool mailbox_exists(std::string_view name) override { return name.size() % 2 == 0; }
  sieve::IncludeLoad load_include(sieve::IncludeLocation, std::string_view name) override {
    if (name == "self") return self_;
    if (name == "failed") return sieve::IncludeFailed{"broken"};
    return sieve::IncludeMissing{};
  }
  bool duplicate_seen(std::string_view handle, std::string_view id, std::uint64_t) override {
    return (handle.size() + id.size()) % 2 == 1;
  }

 private:
  std::shared_ptr<const sieve::Script> self_;
};

void check_actions(const sieve::RunResult& result, const sieve::RunLimits& limits) {
  FUZZ_CHECK(result.actions.size() <= limits.max_actions);
  std::size_t redirects = 0, rejects = 0, vacations = 0, stores = 0;
  for (const auto& action : result.actions) {
    redirects += std::holds_alternative<sieve::RedirectAction>(action.what);
    rejects += std::holds_alternative<sieve::RejectAction>(action.what);
    vacations += std::holds_alternative<sieve::VacationAction>(action.what);
    stores += std::holds_alternative<sieve::KeepAction>(action.what) ||
              std::holds_alternative<sieve::FileintoAction>(action.what);
  }
  FUZZ_CHECK(redirects <= limits.max_redirects);
  FUZZ_CHECK(rejects <= 1 && vacations <= 1);
  FUZZ_CHECK(rejects == 0 || (stores == 0 && redirects == 0 && vacations == 0));
}

}  // namespace

int sieve_run(const std::uint8_t* data, std::size_t size) {
  const auto compiled = sieve::compile(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!compiled.ok()) return 0;
  FuzzHost host(compiled.script);
  sieve::RunInput input;
  input.message = kMessage;
  input.envelope = {"coyote@desert.example.org", "roadrunner+tricks@acme.example.com", ""};
  input.environment.now = std::chrono::system_clock::from_time_t(1736253296);
  input.environment.local_zone = sieve::ZoneOffset{60, false};
  input.limits.max_actions = 6;
  input.limits.max_redirects = 2;
  input.limits.max_variable_size = 256;
  input.limits.max_cpu_time = std::chrono::milliseconds(500);
  input.host = &host;
  const auto result = sieve::run(*compiled.script, input);
  check_actions(result, input.limits);
  if (result.error) {
    FUZZ_CHECK(result.actions.size() == 1 && result.actions[0].implicit);
    const auto* keep = std::get_if<sieve::KeepAction>(&result.actions[0].what);
    FUZZ_CHECK(keep != nullptr && keep->flags.empty());
    FUZZ_CHECK(result.duplicates.empty());
  }
  const std::string printed = sieve::print_run_result(result);
  FUZZ_CHECK(!printed.empty() && printed.back() == '\n');
  const bool says_discard = printed.size() >= 8 && printed.compare(printed.size() - 8, 8, "discard\n") == 0;
  // `discard` is printed only when nothing else happens, not even a vacation (tests/sieve/README.md).
  FUZZ_CHECK(says_discard == result.actions.empty());
  return 0;
}

}  // namespace letterbox::fuzz
