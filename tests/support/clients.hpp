// LMTP and SMTP clients over TCP and UNIX sockets, and the messages they send.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace letterbox::test {

// Waits until a UNIX socket at `path` is listening, read from /proc/net/unix without connecting (a
// connection would start a socket-activated service). A file alone is not enough: bind(2) makes it before
// listen(2), and a connection in between is refused. False on timeout.
bool wait_for_unix_listener(const std::filesystem::path& path,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

// One LMTP/SMTP client connection over TCP (port) or a UNIX socket (path).
class LineClient {
 public:
  // `source`: the local address to connect from (127.0.0.2, ...); empty: the kernel's choice.
  // `destination`: the server's address, for servers on loopback addresses of their own.
  explicit LineClient(int port, const std::string& source = "", const std::string& destination = "127.0.0.1");
  explicit LineClient(const std::filesystem::path& unix_socket);
  ~LineClient();
  LineClient(const LineClient&) = delete;
  LineClient& operator=(const LineClient&) = delete;
  void send(const std::string& bytes);
  // One whole reply; a multi-line reply comes back joined with '\n'. "" when the server closed.
  std::string reply(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::string command(const std::string& line) {
    send(line + "\r\n");
    return reply();
  }
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Everything still to come, until the server closes (or `timeout` passes without a byte).
  std::string rest(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  int fd_ = -1;
  std::string buffer_;
};

// Moves the whole lines of a reply from the front of `buffer` to `joined` (joined with '\n'); true once
// its last line has come.
bool take_reply_lines(std::string& buffer, std::string& joined);

// After DATA's 354: a message of at least `bytes` octets of numbered lines, and the final dot.
void send_large_message(LineClient& client, const std::string& subject, std::uint64_t bytes);

// A message as an SMTP/LMTP client sends it after DATA: CRLF line ends, dot-stuffed, ".\r\n" at the end.
std::string smtp_data(const std::string& message);

// Does something accept connections on this loopback port right now?
bool port_accepts(int port, const std::string& address = "127.0.0.1");

// Waits until something accepts connections on the loopback port.
bool wait_for_port(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace letterbox::test
