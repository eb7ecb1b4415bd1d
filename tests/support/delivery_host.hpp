// A delivery host for the many-hosts tests and benchmarks: letterbox-lmtpd (program()) on a loopback
// address of its own, with its own mail_root and log, calling itself by that address, which is what the
// test directory's letterboxHost values hold.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "slapd.hpp"
#include "test_support.hpp"

namespace letterbox::test {

class DeliveryHost {
 public:
  // The letterbox-lmtpd to run: the test target's build, or what a benchmark was given.
  static std::string& program() {
#ifdef LETTERBOX_LMTPD_PATH
    static std::string path = LETTERBOX_LMTPD_PATH;
#else
    static std::string path;
#endif
    return path;
  }

  DeliveryHost(std::string address, int port, const std::vector<const Slapd*>& directories,
               const std::string& server_extra = "", const std::string& ldap_extra = "host_attribute = letterboxHost\n")
      : address_(std::move(address)), port_(port) {
    std::filesystem::create_directories(mail_root());
    write_file(config(), "[server]\nlisten = inet:" + address_ + ":" + std::to_string(port_) +
                             " unix:" + socket().string() + "\nuser = nobody\ngroup = nogroup\nhostname = " + address_ +
                             "\nallow_from = 127.0.0.0/8\nproxy_port = " + std::to_string(port_) + "\n" + server_extra +
                             ldap_section(directories, ldap_extra) + "[delivery]\nmail_root = " + mail_root().string() +
                             "\nlock_timeout = 30s\nmax_lock_waiters = 64\n[log]\ntarget = " + log().string() + "\n");
    server_ =
        std::make_unique<Background>(std::vector<std::string>{program(), "-c", config().string(), "--foreground"});
    if (!wait_for_file(socket())) {
      throw std::runtime_error("lmtpd on " + address_ + " did not start: " + read_file(log()));
    }
  }
  ~DeliveryHost() {
    stop();
  }
  DeliveryHost(const DeliveryHost&) = delete;
  DeliveryHost& operator=(const DeliveryHost&) = delete;

  void stop() {
    if (server_) server_->stop();
    server_.reset();
  }
  [[nodiscard]] int port() const {
    return port_;
  }
  [[nodiscard]] pid_t pid() const {
    return server_ ? server_->pid() : -1;
  }
  [[nodiscard]] const std::string& address() const {
    return address_;
  }
  [[nodiscard]] std::filesystem::path mail_root() const {
    return dir_ / "mail";
  }
  [[nodiscard]] std::filesystem::path maildir(const std::string& user) const {
    return mail_root() / "example.org" / user / "Maildir";
  }
  [[nodiscard]] std::filesystem::path log() const {
    return dir_ / "lmtpd.log";
  }

 private:
  std::filesystem::path config() const {
    return dir_ / "letterbox.conf";
  }
  std::filesystem::path socket() const {
    return dir_ / "lmtp.sock";
  }

  TempDir dir_;
  std::string address_;
  int port_;
  std::unique_ptr<Background> server_;
};

}  // namespace letterbox::test
