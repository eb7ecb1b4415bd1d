#include "clients.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "die.hpp"
#include "processes.hpp"

namespace letterbox::test {

bool wait_for_unix_listener(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
  constexpr unsigned long kAcceptConnections = 0x10000;  // __SO_ACCEPTCON in the Flags column
  return wait_until(
      [&] {
        std::ifstream table("/proc/net/unix");
        std::string line;
        std::getline(table, line);  // the header
        while (std::getline(table, line)) {
          std::istringstream fields(line);
          std::string num, refcount, protocol, flags, type, state, inode, socket_path;
          fields >> num >> refcount >> protocol >> flags >> type >> state >> inode >> socket_path;
          if (socket_path == path.string() && (std::stoul(flags, nullptr, 16) & kAcceptConnections) != 0) return true;
        }
        return false;
      },
      timeout);
}

LineClient::LineClient(int port, const std::string& source, const std::string& destination) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      die("bind " + source);
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, destination.c_str(), &addr.sin_addr) != 1) die("address " + destination);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect " + destination);
}

LineClient::LineClient(const std::filesystem::path& unix_socket) {
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, unix_socket.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect " + unix_socket.string());
}

LineClient::~LineClient() {
  close(fd_);
}

void LineClient::send(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may have closed; the next reply() says so
    done += static_cast<std::size_t>(n);
  }
}

bool take_reply_lines(std::string& buffer, std::string& joined) {
  for (auto nl = buffer.find("\r\n"); nl != std::string::npos; nl = buffer.find("\r\n")) {
    const std::string line = buffer.substr(0, nl);
    buffer.erase(0, nl + 2);
    if (!joined.empty()) joined += '\n';
    joined += line;
    if (line.size() < 4 || line[3] != '-') return true;
  }
  return false;
}

std::string LineClient::reply(std::chrono::milliseconds timeout) {
  std::string joined;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (take_reply_lines(buffer_, joined)) return joined;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return joined + "<timeout>";
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return joined;
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

void send_large_message(LineClient& client, const std::string& subject, std::uint64_t bytes) {
  client.send("Subject: " + subject + "\r\n\r\n");
  std::string block;
  for (int i = 0; i < 1000; ++i) block += "line " + std::to_string(i) + " of a large message ....................\r\n";
  for (std::uint64_t sent = 0; sent < bytes; sent += block.size()) client.send(block);
  client.send(".\r\n");
}

bool LineClient::closed_by_peer(std::chrono::milliseconds timeout) {
  pollfd pfd{fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char c;
  return recv(fd_, &c, 1, MSG_PEEK) == 0;
}

std::string LineClient::rest(std::chrono::milliseconds timeout) {
  std::string out = std::exchange(buffer_, {});
  for (;;) {
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return out;
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return out;
    out.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string smtp_data(const std::string& message) {
  std::string out;
  std::size_t pos = 0;
  while (pos < message.size()) {
    auto nl = message.find('\n', pos);
    if (nl == std::string::npos) nl = message.size();
    std::string line = message.substr(pos, nl - pos);
    if (line.starts_with(".")) line.insert(0, ".");
    out += line + "\r\n";
    pos = nl + 1;
  }
  return out + ".\r\n";
}

bool port_accepts(int port, const std::string& address) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (port_accepts(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace letterbox::test
