// A ManageSieve client for the tests of letterbox-managesieved: TCP or a UNIX socket, TLS after STARTTLS through
// Boost.Asio's OpenSSL client (not the server's code), literals in responses understood. Every operation is bounded, so
// a silent server fails the test instead of hanging it. The server's certificate is the test's own: not
// verified.
#pragma once

#include <utility>  // before Asio: g++ 12 needs std::exchange declared for Asio

#include <gtest/gtest.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "bounded_io.hpp"

namespace letterbox::test {

class ManageSieveClient {
 public:
  ManageSieveClient(int port, const std::string& host = "127.0.0.1") {
    socket_.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(host), static_cast<unsigned short>(port)));
    context_.set_verify_mode(boost::asio::ssl::verify_none);
  }
  explicit ManageSieveClient(const std::string& unix_socket) {
    socket_.connect(boost::asio::local::stream_protocol::endpoint(unix_socket));
    context_.set_verify_mode(boost::asio::ssl::verify_none);
  }

  void send(const std::string& bytes) {
    const auto ec = wait([&](auto done) {
      if (tls_) {
        boost::asio::async_write(*tls_, boost::asio::buffer(bytes), done);
      } else {
        boost::asio::async_write(socket_, boost::asio::buffer(bytes), done);
      }
    });
    EXPECT_FALSE(ec) << ec.message();
  }

  // One whole response: the lines up to and including the one that starts with OK, NO or BYE, joined
  // with '\n' (a literal's octets included as they came); "" once the server has closed.
  std::string response(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::string joined;
    for (;;) {
      while (auto line = take_line()) {
        if (!joined.empty()) joined += '\n';
        joined += *line;
        if (line->starts_with("OK") || line->starts_with("NO") || line->starts_with("BYE")) {
          last_ = *line;
          return joined;
        }
      }
      if (!read_more(timeout)) return joined;
    }
  }
  std::string command(const std::string& line) {
    send(line + "\r\n");
    return response();
  }
  // The first line of the response: "OK ...", "NO (CODE) ...".
  std::string status(const std::string& line) {
    last_.clear();
    command(line);
    return last_;
  }

  // After "OK" to STARTTLS.
  boost::system::error_code start_tls() {
    tls_.emplace(socket_, context_);
    return wait([&](auto done) {
      tls_->async_handshake(boost::asio::ssl::stream_base::client,
                            [done](const boost::system::error_code& ec) mutable { done(ec, 0); });
    });
  }

  // True when the server closes the connection within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    while (read_more(timeout)) {
    }
    return end_.has_value() && *end_ != boost::asio::error::timed_out;
  }

 private:
  // The next line, or a line with a literal {n} at its end and the n octets after it.
  std::optional<std::string> take_line() {
    const auto end = buffer_.find("\r\n");
    if (end == std::string::npos) return std::nullopt;
    std::size_t size = end + 2;
    if (end > 0 && buffer_[end - 1] == '}') {
      const auto open = buffer_.rfind('{', end);
      if (open != std::string::npos) {
        const auto count = std::stoul(buffer_.substr(open + 1, end - open - 2));
        if (buffer_.size() < end + 2 + count) return std::nullopt;
        size = end + 2 + count;
        if (buffer_.compare(size, 2, "\r\n") == 0) size += 2;  // the end of the line the literal ends
      }
    }
    std::string line = buffer_.substr(0, size);
    buffer_.erase(0, size);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
  }

  bool read_more(std::chrono::milliseconds timeout) {
    if (end_) return false;
    std::array<char, 4096> chunk{};
    const auto ec = wait(
        [&](auto done) {
          if (tls_) {
            tls_->async_read_some(boost::asio::buffer(chunk), done);
          } else {
            socket_.async_read_some(boost::asio::buffer(chunk), done);
          }
        },
        timeout);
    if (ec) {
      end_ = ec;
      return false;
    }
    buffer_.append(chunk.data(), transferred_);
    return true;
  }

  template <class Start>
  boost::system::error_code wait(Start start, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return run_bounded(io_, socket_, start, timeout, transferred_);
  }

  boost::asio::io_context io_;
  using Socket = boost::asio::generic::stream_protocol::socket;
  Socket socket_{io_};
  boost::asio::ssl::context context_{boost::asio::ssl::context::tls_client};
  std::optional<boost::asio::ssl::stream<Socket&>> tls_;
  std::string buffer_;
  std::size_t transferred_ = 0;
  std::optional<boost::system::error_code> end_;
  std::string last_;  // the last response's OK, NO or BYE line
};

}  // namespace letterbox::test
