// The Sieve corpus (tests/sieve/corpus, described in tests/sieve/README.md) run through Pigeonhole's
// sieve-test and through `letterbox-sieve test`: one test per pair and implementation, so a failure names
// the pair. Pigeonhole's listing, normalised, must equal the pair's `pigeonhole` file where it has one
// (a documented difference) and its `expected` file otherwise; Letterbox must print `expected` exactly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>

#include "pigeonhole_actions.hpp"
#include "test_support.hpp"

using namespace letterbox::test;
using namespace letterbox::test::sieve_corpus;
namespace fs = std::filesystem;

namespace {

const fs::path kCorpus = fs::path(LETTERBOX_SOURCE_DIR) / "tests/sieve/corpus";

std::vector<std::string> pair_names() {
  std::vector<std::string> names;
  if (!fs::is_directory(kCorpus)) return names;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

// A pair's files; see tests/sieve/README.md.
struct Pair {
  fs::path dir;
  std::string from;
  std::string to;
  int runs = 1;  // 2: the message is delivered once before the run that is compared (duplicate, vacation)
  std::vector<std::string> expected;
  std::optional<std::vector<std::string>> pigeonhole;  // without its `# reason:` lines
  std::string pigeonhole_reason;

  explicit Pair(const std::string& name) : dir(kCorpus / name) {
    for (const auto& line : lines_of(read_file(dir / "envelope"))) {
      const std::size_t space = line.find(' ');
      const std::string key = line.substr(0, space);
      const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
      if (key == "from") from = value;
      if (key == "to") to = value;
      if (key == "runs") runs = std::stoi(value);
    }
    expected = lines_of(read_file(dir / "expected"));
    if (fs::exists(dir / "pigeonhole")) {
      std::vector<std::string> lines;
      for (auto& line : lines_of(read_file(dir / "pigeonhole"))) {
        if (line.starts_with("#")) {
          pigeonhole_reason += line + "\n";
        } else {
          lines.push_back(line);
        }
      }
      pigeonhole = lines;
    }
  }

  [[nodiscard]] bool has_includes() const { return fs::exists(dir / "personal") || fs::exists(dir / "global"); }
};

std::optional<fs::path> find_sieve_test() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  dirs += ":/usr/bin";
  std::istringstream in(dirs);
  for (std::string dir; std::getline(in, dir, ':');) {
    const fs::path candidate = fs::path(dir) / "sieve-test";
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

void copy_tree(const fs::path& from, const fs::path& to) {
  if (fs::exists(from)) fs::copy(from, to, fs::copy_options::recursive);
}

// A private Dovecot for one pair: a configuration sieve-test reads instead of /etc/dovecot, a home with a
// Maildir, the pair's scripts. Works as root (the tests' main() runs as nobody) and as any other user.
class PigeonholeHome {
 public:
  PigeonholeHome(const Pair& pair, fs::path sieve_test) : pair_(pair), sieve_test_(std::move(sieve_test)) {
    fs::permissions(dir_.path(), fs::perms::all);
    fs::copy_file(pair.dir / "script.sieve", dir_ / "script.sieve");
    copy_tree(pair.dir / "personal", dir_ / "personal");
    copy_tree(pair.dir / "global", dir_ / "global");
    fs::create_directories(dir_ / "personal");
    fs::create_directories(dir_ / "global");
    fs::create_directories(dir_ / "home/Maildir");
    const uid_t uid = geteuid() == 0 ? 65534 : geteuid();
    const gid_t gid = getegid() == 0 ? 65534 : getegid();
    const std::string home = dir_.path().string();
    write_file(dir_ / "dovecot.conf",
               "mail_uid = " + std::to_string(uid) + "\nmail_gid = " + std::to_string(gid) +
                   "\nfirst_valid_uid = 0\nfirst_valid_gid = 0\n"
                   "mail_home = " +
                   home + "/home\nmail_location = maildir:" + home +
                   "/home/Maildir:LAYOUT=fs:UTF-8\n"
                   "base_dir = " +
                   home +
                   "/run\nlog_path = /dev/stderr\n"
                   "namespace inbox {\n  inbox = yes\n  separator = /\n}\n"
                   "plugin {\n  sieve = file:" +
                   home + "/personal\n  sieve_global = " + home +
                   "/global\n"
                   "  sieve_extensions = +vacation-seconds\n  sieve_max_actions = 32\n  sieve_max_redirects = 4\n"
                   "  sieve_vacation_min_period = 1d\n  sieve_vacation_default_period = 7d\n"
                   "  sieve_vacation_max_period = 60d\n  sieve_vacation_send_from_recipient = no\n}\n");
    if (geteuid() == 0) {
      for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
        fs::permissions(entry.path(), fs::perms::all);
      }
    }
  }

  // sieve-test without -e: the result it would execute, printed.
  Listing list() { return run(false); }
  // sieve-test -e: executes the result (stores into the Maildir, "sends" through its dummy MTA, keeps
  // vacation and duplicate state in the home); returns the log.
  std::string execute(const std::string& listing) {
    for (const auto& folder : listed_folders(listing)) {
      for (const char* sub : {"cur", "new", "tmp"}) fs::create_directories(dir_ / "home/Maildir" / folder / sub);
    }
    const Listing run_log = run(true);
    return run_log.out + run_log.err;
  }

 private:
  Listing run(bool execute) {
    std::vector<std::string> argv = {sieve_test_.string(), "-c", (dir_ / "dovecot.conf").string()};
    if (execute) argv.emplace_back("-e");
    // sieve-test cannot take the null reverse-path: `from <>` leaves -f out (it then reads the message).
    if (!pair_.from.empty() && pair_.from != "<>") argv.insert(argv.end(), {"-f", pair_.from});
    // -a alone leaves vacation's own-address check without a recipient; -r is the final recipient.
    argv.insert(argv.end(), {"-a", pair_.to, "-r", pair_.to});
    argv.push_back((dir_ / "script.sieve").string());
    argv.push_back((pair_.dir / "message.eml").string());
    const SplitRunResult result = run_split(argv);
    return Listing{result.exit_code, result.out, result.err};
  }

  const Pair& pair_;
  fs::path sieve_test_;
  TempDir dir_;
};

class SieveCorpus : public testing::TestWithParam<std::string> {};

TEST_P(SieveCorpus, Pigeonhole) {
  const auto sieve_test = find_sieve_test();
  if (!sieve_test) GTEST_SKIP() << "sieve-test is not installed (Debian: dovecot-sieve)";
  const Pair pair(GetParam());
  PigeonholeHome home(pair, *sieve_test);
  Listing listing = home.list();
  if (pair.runs == 2) {
    home.execute(listing.out);
    listing = home.list();
  }
  NormaliseContext context{read_file(pair.dir / "script.sieve"), pair.from, true};
  if (lists_vacation(listing.out)) context.vacation_sent = vacation_sent(home.execute(listing.out));
  const std::vector<std::string> actions = normalise(listing, context);
  const std::vector<std::string>& wanted = pair.pigeonhole ? *pair.pigeonhole : pair.expected;
  EXPECT_TRUE(same_actions(actions, wanted))
      << "pair " << pair.dir.filename().string() << (pair.pigeonhole ? " (pigeonhole file)" : " (expected file)")
      << "\n--- Pigeonhole, normalised:\n"
      << joined(actions) << "--- wanted:\n"
      << joined(wanted) << "--- sieve-test stdout:\n"
      << listing.out << "--- sieve-test stderr:\n"
      << listing.err;
}

TEST_P(SieveCorpus, Letterbox) {
#ifndef LETTERBOX_SIEVE_PATH
  GTEST_SKIP() << "letterbox-sieve is not built yet";
#else
  const fs::path tool = LETTERBOX_SIEVE_PATH;
  if (!fs::exists(tool)) GTEST_SKIP() << tool << " does not exist";
  const Pair pair(GetParam());
  if (pair.runs != 1) GTEST_SKIP() << "letterbox-sieve test keeps no state between runs (unit tests cover it)";
  // :personal scripts are the ones beside the script, as in a user's user_dir.
  TempDir dir;
  fs::copy_file(pair.dir / "script.sieve", dir / "script.sieve");
  if (fs::exists(pair.dir / "personal")) {
    for (const auto& entry : fs::directory_iterator(pair.dir / "personal")) {
      fs::copy_file(entry.path(), dir / entry.path().filename());
    }
  }
  std::vector<std::string> argv = {tool.string(), "test"};
  // :global scripts are the administrator's directory.
  if (fs::exists(pair.dir / "global")) argv.insert(argv.end(), {"--global-dir", (pair.dir / "global").string()});
  if (!pair.from.empty()) argv.insert(argv.end(), {"-f", pair.from});
  argv.insert(argv.end(), {"-a", pair.to, (dir / "script.sieve").string(), (pair.dir / "message.eml").string()});
  const SplitRunResult result = run_split(argv);
  EXPECT_EQ(joined(lines_of(result.out)), joined(pair.expected))
      << "pair " << pair.dir.filename().string() << ", exit " << result.exit_code << "\n--- stderr:\n"
      << result.err;
#endif
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) == 0; }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, SieveCorpus, testing::ValuesIn(pair_names()), test_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SieveCorpus);

}  // namespace
