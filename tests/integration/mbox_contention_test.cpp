// 50 threads x 20 deliveries into one mbox through one Deliverer, while procmail processes deliver into
// the same mbox with their own dotlock and kernel locks. Every message must be there exactly once and
// intact, as Python's mailbox module reads it.
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "store_fixture.hpp"

using namespace letterbox;
using namespace letterbox::test;
using namespace std::chrono_literals;

TEST_F(StoreTest, FiftyThreadsAndProcmailIntoOneMbox) {
  constexpr int kThreads = 50;
  constexpr int kPerThread = 20;
  constexpr int kProcmails = 4;
  constexpr int kPerProcmail = 25;
  settings_.delivery.lock_timeout = 120s;
  settings_.delivery.max_lock_waiters = kThreads;
  const auto mbox = mail_root() / "example.org" / "shared.mbox";
  std::filesystem::create_directories(mbox.parent_path());
  const auto rcfile = tmp_ / "procmailrc";
  write_file(rcfile, "");

  MailboxQueue locks(settings_.delivery.max_lock_waiters);
  Deliverer deliverer(settings_, locks);
  std::mutex failures_mutex;
  std::vector<std::string> failures;

  std::vector<std::thread> workers;
  for (int p = 0; p < kProcmails; ++p) {
    workers.emplace_back([&, p] {
      for (int i = 0; i < kPerProcmail; ++i) {
        const std::string id = "procmail-" + std::to_string(p) + "-" + std::to_string(i);
        // LOCKSLEEP=1: procmail's default 8 s between dotlock attempts would only make the test slow.
        const auto r = run({"procmail", "-m", "-f", "procmail@example.org", "DEFAULT=" + mbox.string(), "LOCKSLEEP=1",
                            rcfile.string()},
                           test_message(id));
        if (r.exit_code != 0) {
          std::lock_guard lock(failures_mutex);
          failures.push_back(id + ": procmail exit " + std::to_string(r.exit_code) + " " + r.output);
        }
      }
    });
  }
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "thread-" + std::to_string(t) + "-" + std::to_string(i);
        Spool spool(tmp_.path());
        spool.append(test_message(id));
        const auto outcome =
            deliverer.deliver(spool, Envelope{"sender@example.org", "", ""},
                              Recipient{"shared@example.org", mbox.string(), MailboxFormat::Mbox, 0, "", "", ""});
        if (!outcome.delivered()) {
          std::lock_guard lock(failures_mutex);
          failures.push_back(id + ": " + lmtp_reply(outcome, "shared@example.org") + " " + outcome.detail);
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  for (const auto& f : failures) ADD_FAILURE() << f;

  const auto report = read_mailbox("mbox", mbox);
  std::map<std::string, int> seen;
  std::istringstream lines(report);
  std::string line;
  int bad = 0;
  while (std::getline(lines, line)) {
    if (line.starts_with("count ")) continue;
    const auto tab = line.find('\t');
    ++seen[line.substr(0, tab)];
    if (line.find("\tOK\t") == std::string::npos) {
      ++bad;
      ADD_FAILURE() << "damaged: " << line;
    }
  }
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kPerThread + kProcmails * kPerProcmail));
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
  EXPECT_NE(report.find("count " + std::to_string(kThreads * kPerThread + kProcmails * kPerProcmail) + "\n"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(mbox.string() + ".lock"));
}
