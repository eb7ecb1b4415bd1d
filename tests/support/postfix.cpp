#include "postfix.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>
#include <thread>

#include "slapd.hpp"
#include "test_support.hpp"

namespace letterbox::test {
namespace {

constexpr const char* kDefaultMainCf = "/etc/postfix/main.cf";

void check(const RunResult& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.output);
}

// A minimal blocking SMTP client: enough to hand Postfix one message.
class SmtpClient {
 public:
  explicit SmtpClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot connect to Postfix's smtpd");
    }
  }
  ~SmtpClient() { close(fd_); }
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  std::string reply() {
    std::string last;
    for (;;) {
      const auto nl = buffer_.find("\r\n");
      if (nl == std::string::npos) {
        char buf[4096];
        const ssize_t n = read(fd_, buf, sizeof buf);
        if (n <= 0) throw std::runtime_error("smtpd closed the connection");
        buffer_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      last = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 2);
      if (last.size() < 4 || last[3] != '-') return last;
    }
  }
  std::string command(const std::string& line) {
    send(line + "\r\n");
    return reply();
  }
  void send(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = write(fd_, data.data() + done, data.size() - done);
      if (n <= 0) throw std::runtime_error("cannot write to smtpd");
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace

Postfix::Postfix(const std::vector<std::string>& main_cf, const std::string& master_cf_extra, bool local_submission) {
  if (!started_as_root()) throw std::runtime_error("Postfix needs root");
  dir_ = run_as_root({"mktemp", "-d", "/tmp/letterbox-postfix.XXXXXX"}).output;
  while (!dir_.empty() && std::isspace(static_cast<unsigned char>(dir_.string().back()))) {
    dir_ = dir_.string().substr(0, dir_.string().size() - 1);
  }
  const auto etc = (dir_ / "etc").string();
  const auto d = dir_.string();
  port_ = free_port();
  std::string script = "set -e\nchmod 755 " + d + "\nmkdir -p " + etc + " " + d + "/queue " + d + "/data\n" +
                       "chown postfix " + d + "/data\n" + "cp /etc/postfix/master.cf /etc/postfix/dynamicmaps.cf " +
                       etc + "/\ncp -r /etc/postfix/dynamicmaps.cf.d " + etc + "/ 2>/dev/null || true\n" + "touch " +
                       etc + "/main.cf\n";
  std::vector<std::string> settings{"queue_directory = " + d + "/queue",
                                    "data_directory = " + d + "/data",
                                    "maillog_file = " + d + "/maillog",
                                    "maillog_file_prefixes = " + d,
                                    "inet_interfaces = loopback-only",
                                    "inet_protocols = ipv4",
                                    "myhostname = mx.test",
                                    "mydestination =",
                                    "virtual_mailbox_domains = example.org",
                                    "default_transport = error:no relaying from the test Postfix",
                                    "compatibility_level = 3.6",
                                    "smtputf8_enable = no",
                                    "mynetworks = 127.0.0.0/8",
                                    "minimal_backoff_time = 1s",
                                    "maximal_backoff_time = 2s",
                                    "queue_run_delay = 1s",
                                    "alias_maps =",
                                    "alias_database =",
                                    "biff = no",
                                    "smtpd_banner = $myhostname ESMTP"};
  settings.insert(settings.end(), main_cf.begin(), main_cf.end());
  script += "postconf -c " + etc + " -e";
  for (const auto& s : settings) script += " '" + s + "'";
  script += "\npostconf -c " + etc + " -M# smtp/inet\n";
  script += "cat >> " + etc + "/master.cf <<'MASTER'\n127.0.0.1:" + std::to_string(port_) + " inet n - n - - smtpd\n" +
            master_cf_extra + "\nMASTER\n";
  script += "postconf -c " + etc + " -F '*/*/chroot = n'\n";
  script += "postfix -c " + etc + " check\npostfix -c " + etc + " start\n";
  check(run_as_root({"sh", "-c", script}), "starting Postfix");
  started_ = true;
  if (local_submission) allow_local_submission();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      SmtpClient probe(port_);
      if (probe.reply().starts_with("220")) return;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("Postfix's smtpd did not answer on port " + std::to_string(port_) + "\n" + maillog());
}

void Postfix::allow_local_submission() {
  default_main_cf_existed_ = std::filesystem::exists(kDefaultMainCf);
  const auto saved = (dir_ / "default-main.cf").string();
  check(run_as_root({"sh", "-c",
                     default_main_cf_existed_ ? "cp -p " + std::string(kDefaultMainCf) + " " + saved
                                              : "touch " + std::string(kDefaultMainCf)}),
        "keeping the default main.cf");
  default_main_cf_changed_ = true;
  const auto listed = run({"postconf", "-h", "alternate_config_directories"});
  std::string dirs = listed.exit_code == 0 ? listed.output : "";
  while (!dirs.empty() && std::isspace(static_cast<unsigned char>(dirs.back()))) dirs.pop_back();
  dirs += (dirs.empty() ? "" : ", ") + (dir_ / "etc").string();
  check(run_as_root({"postconf", "-e", "alternate_config_directories = " + dirs}), "listing the test instance");
}

Postfix::~Postfix() {
  if (default_main_cf_changed_) {
    run_as_root({"sh", "-c",
                 default_main_cf_existed_ ? "cp -p " + (dir_ / "default-main.cf").string() + " " + kDefaultMainCf
                                          : "rm -f " + std::string(kDefaultMainCf)});
  }
  if (started_) run_as_root({"postfix", "-c", (dir_ / "etc").string(), "stop"});
  if (!dir_.empty()) run_as_root({"rm", "-rf", dir_.string()});
}

std::string Postfix::submit(const std::string& sender, const std::string& recipient, const std::string& message,
                            const std::string& mail_parameters) {
  SmtpClient smtp(port_);
  smtp.reply();
  smtp.command("EHLO client.test");
  std::string r = smtp.command("MAIL FROM:<" + sender + ">" + (mail_parameters.empty() ? "" : " " + mail_parameters));
  if (!r.starts_with("250")) return r;
  r = smtp.command("RCPT TO:<" + recipient + ">");
  if (!r.starts_with("250")) return r;
  r = smtp.command("DATA");
  if (!r.starts_with("354")) return r;
  smtp.send(smtp_data(message));
  r = smtp.reply();
  smtp.command("QUIT");
  return r;
}

std::string Postfix::maillog() const {
  return run_as_root({"cat", (dir_ / "maillog").string()}).output;
}

std::string Postfix::wait_for_log(const std::regex& pattern, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto log = maillog();
    std::size_t pos = 0;
    while (pos < log.size()) {
      auto nl = log.find('\n', pos);
      if (nl == std::string::npos) nl = log.size();
      const auto line = log.substr(pos, nl - pos);
      if (std::regex_search(line, pattern)) return line;
      pos = nl + 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return {};
}

std::string Postfix::queue_json() const {
  return run_as_root({"postqueue", "-c", (dir_ / "etc").string(), "-j"}).output;
}

void Postfix::flush() {
  run_as_root({"postqueue", "-c", (dir_ / "etc").string(), "-f"});
}

}  // namespace letterbox::test
