// A throwaway Postfix for end-to-end tests: its own configuration, queue and data directories under a
// temporary directory, SMTP on a random loopback port, every service unchrooted, a log file instead of
// syslog, short retry times, and mail for example.org handed to `virtual_transport`. Needs root (the
// tests start as root in CI; elsewhere the e2e tests skip).
#pragma once

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

namespace letterbox::test {

class Postfix {
 public:
  // `master_cf_extra` is appended to master.cf (e.g. a pipe transport); `main_cf` are extra
  // "name = value" settings (e.g. virtual_transport). With `local_submission`, a process that is not
  // root may submit with sendmail_command(): Postfix allows that only for a configuration directory
  // listed in alternate_config_directories of the default main.cf, so the instance adds its own there
  // and takes it out again when it stops (the e2e tests hold the "postfix" resource lock one at a time).
  Postfix(const std::vector<std::string>& main_cf, const std::string& master_cf_extra, bool local_submission = false);
  ~Postfix();
  Postfix(const Postfix&) = delete;
  Postfix& operator=(const Postfix&) = delete;

  // Submits one message over SMTP; returns the server's last reply (250 once queued), or the first
  // refusal (of MAIL FROM, with `mail_parameters` such as "SIZE=2000", or of RCPT TO).
  std::string submit(const std::string& sender, const std::string& recipient, const std::string& message,
                     const std::string& mail_parameters = "");

  // Waits until the mail log has a line matching `pattern`; returns that line, or "" on timeout.
  std::string wait_for_log(const std::regex& pattern, std::chrono::seconds timeout = std::chrono::seconds(60));
  std::string maillog() const;

  // `/usr/sbin/sendmail -C DIR`: Postfix's own sendmail(1), submitting to this instance.
  std::string sendmail_command() const { return "/usr/sbin/sendmail -C " + (dir_ / "etc").string(); }

  std::string queue_json() const;  // postqueue -j
  void flush();                    // postqueue -f

  [[nodiscard]] int smtp_port() const { return port_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  void allow_local_submission();

  std::filesystem::path dir_;
  int port_ = 0;
  bool started_ = false;
  // Whether there was a default main.cf (Debian's install leaves none): a copy is kept in dir_ and put
  // back on stop, or the one made for the test is removed.
  bool default_main_cf_existed_ = false;
  bool default_main_cf_changed_ = false;
};

}  // namespace letterbox::test
