#include "lmtp_relay.hpp"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include "letterbox/util/text.hpp"
#include "letterbox/util/unique_fd.hpp"

namespace letterbox {
namespace {

class RelayError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr std::size_t kMaxReplyLine = 512;  // RFC 5321 4.5.3.1.5
constexpr std::size_t kWriteBatch = 64 * 1024;

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "TLS error";
  std::array<char, 256> text{};
  ERR_error_string_n(e, text.data(), text.size());
  ERR_clear_error();
  return text.data();
}

// One LMTP client connection, plain and after STARTTLS encrypted. Every wait for the other host is
// bounded by `timeout`; a host that makes no progress for that long is given up.
class Connection {
 public:
  Connection(const std::string& host, unsigned port, Duration timeout) : timeout_(timeout) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const auto service = std::to_string(port);
    if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
      throw RelayError(std::string("cannot resolve the host name: ") + gai_strerror(rc));
    }
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
    std::string why = "no address";
    for (const auto* a = found; a != nullptr; a = a->ai_next) {
      UniqueFd fd(socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
      if (!fd) {
        why = std::strerror(errno);
        continue;
      }
      if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
          why = std::strerror(errno);
          continue;
        }
        fd_ = std::move(fd);
        try {
          wait(POLLOUT);
        } catch (const RelayError& e) {
          why = e.what();
          fd_.reset();
          continue;
        }
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err != 0) {
          why = std::strerror(err);
          fd_.reset();
          continue;
        }
        return;
      }
      fd_ = std::move(fd);
      return;
    }
    throw RelayError("cannot connect: " + why);
  }

  void write(std::string_view bytes) {
    while (!bytes.empty()) bytes.remove_prefix(write_some(bytes));
  }

  // One reply, as its lines without CRLF; the last line has a space (or nothing) after its code.
  std::vector<std::string> read_reply() {
    std::vector<std::string> lines;
    for (;;) {
      auto eol = in_.find('\n');
      while (eol == std::string::npos) {
        if (in_.size() > kMaxReplyLine * 4) throw RelayError("a reply line too long");
        std::array<char, 4096> buffer{};
        in_.append(buffer.data(), read_some(buffer.data(), buffer.size()));
        eol = in_.find('\n');
      }
      std::string line = in_.substr(0, eol);
      in_.erase(0, eol + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      // Passed back to our client as it is: nothing in it may end or forge a reply line there.
      if (line.size() > kMaxReplyLine) line.resize(kMaxReplyLine);
      for (char& c : line) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
      }
      if (line.size() < 3 ||
          !std::all_of(line.begin(), line.begin() + 3,
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
          (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
        throw RelayError("an unreadable reply: " + line.substr(0, 100));
      }
      const bool last = line.size() == 3 || line[3] == ' ';
      lines.push_back(std::move(line));
      if (last) return lines;
      if (lines.size() > 100) throw RelayError("a reply of more than 100 lines");
    }
  }

  // RFC 3207: whatever came before the handshake is dropped, the session starts again after it.
  void start_tls() {
    in_.clear();
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_) throw RelayError(openssl_error());
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    // Opportunistic, as Postfix's "may": it protects from a passive listener; allow_from and the
    // network between the hosts are what keep an active attacker out (README "Several delivery hosts").
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
    ssl_.reset(SSL_new(ctx_.get()));
    if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1) throw RelayError(openssl_error());
    for (;;) {
      const int rc = SSL_connect(ssl_.get());
      if (rc == 1) return;
      wait_for_tls(rc, "TLS handshake");
    }
  }

  [[nodiscard]] bool tls() const { return ssl_ != nullptr; }

 private:
  void wait(short events) {
    pollfd p{fd_.get(), events, 0};
    for (;;) {
      const int n = poll(&p, 1, static_cast<int>(timeout_.count()));
      if (n > 0) return;
      if (n == 0) throw RelayError("no answer within proxy_timeout");
      if (errno != EINTR) throw RelayError(std::string("poll: ") + std::strerror(errno));
    }
  }

  void wait_for_tls(int rc, std::string_view what) {
    switch (SSL_get_error(ssl_.get(), rc)) {
      case SSL_ERROR_WANT_READ: wait(POLLIN); return;
      case SSL_ERROR_WANT_WRITE: wait(POLLOUT); return;
      case SSL_ERROR_ZERO_RETURN: throw RelayError("the connection was closed");
      default: throw RelayError(std::string(what) + ": " + openssl_error());
    }
  }

  std::size_t read_some(char* buffer, std::size_t size) {
    for (;;) {
      if (ssl_) {
        const int n = SSL_read(ssl_.get(), buffer, static_cast<int>(size));
        if (n > 0) return static_cast<std::size_t>(n);
        wait_for_tls(n, "TLS read");
        continue;
      }
      const ssize_t n = recv(fd_.get(), buffer, size, 0);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) throw RelayError("the connection was closed");
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait(POLLIN);
      } else if (errno != EINTR) {
        throw RelayError(std::string("read: ") + std::strerror(errno));
      }
    }
  }

  std::size_t write_some(std::string_view bytes) {
    for (;;) {
      if (ssl_) {
        const int n =
            SSL_write(ssl_.get(), bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 20)));
        if (n > 0) return static_cast<std::size_t>(n);
        wait_for_tls(n, "TLS write");
        continue;
      }
      const ssize_t n = send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait(POLLOUT);
      } else if (errno != EINTR) {
        throw RelayError(std::string("write: ") + std::strerror(errno));
      }
    }
  }

  UniqueFd fd_;
  Duration timeout_;
  std::string in_;
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;  // declared before ssl_: freed after it
  std::unique_ptr<SSL, SslFree> ssl_;
};

int code_of(const std::vector<std::string>& reply) {
  return std::stoi(reply.back().substr(0, 3));
}

bool offers(const std::vector<std::string>& lhlo_reply, std::string_view extension) {
  return std::any_of(lhlo_reply.begin() + 1, lhlo_reply.end(), [&](const std::string& line) {
    std::string_view keyword(line);
    keyword.remove_prefix(std::min<std::size_t>(4, keyword.size()));
    keyword = keyword.substr(0, keyword.find(' '));
    return iequals_ascii(keyword, extension);
  });
}

std::vector<std::string> command(Connection& c, const std::string& line) {
  c.write(line + "\r\n");
  return c.read_reply();
}

// The spool holds LF line ends: the wire wants CRLF, and a line starting with '.' doubled (RFC 5321
// 4.5.2). Written in batches, so memory stays flat whatever the message size.
void send_message(Connection& c, const Spool& message) {
  std::string out;
  bool line_start = true;
  const int err = message.for_each_chunk([&](std::string_view chunk) {
    for (const char ch : chunk) {
      if (ch == '\n') {
        out += "\r\n";
        line_start = true;
        continue;
      }
      if (line_start && ch == '.') out += '.';
      out += ch;
      line_start = false;
    }
    if (out.size() >= kWriteBatch) {
      c.write(out);
      out.clear();
    }
    return 0;
  });
  // Without the final dot the other host discards what it got: nothing half-sent is ever delivered.
  if (err != 0) throw RelayError(std::string("reading the spool: ") + std::strerror(err));
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  c.write(out);
}

}  // namespace

std::vector<Outcome> relay_message(const RelayJob& job, const Spool& message) {
  std::vector<std::optional<Outcome>> answers(job.recipients.size());
  const std::string where = job.host + ":" + std::to_string(job.port);
  std::string stage = "connecting";
  try {
    Connection c(job.host, job.port, job.timeout);
    stage = "the greeting";
    if (code_of(c.read_reply()) != 220) throw RelayError("no 220 greeting");
    stage = "LHLO";
    auto lhlo = command(c, "LHLO " + job.own_hostname);
    if (code_of(lhlo) != 250) throw RelayError("LHLO refused: " + lhlo.back());
    if (offers(lhlo, "STARTTLS")) {
      stage = "STARTTLS";
      if (code_of(command(c, "STARTTLS")) == 220) {
        c.start_tls();
        lhlo = command(c, "LHLO " + job.own_hostname);
        if (code_of(lhlo) != 250) throw RelayError("LHLO after STARTTLS refused: " + lhlo.back());
      }
    }
    if (offers(lhlo, kProxiedExtension)) {
      stage = "the loop marker";
      const auto marked = command(c, std::string(kProxiedExtension) + " " + job.own_hostname);
      if (code_of(marked) != 250) throw RelayError(std::string(kProxiedExtension) + " refused: " + marked.back());
    }
    const std::string mail_line = "MAIL FROM:<" + job.sender + ">" + (offers(lhlo, "8BITMIME") ? " BODY=8BITMIME" : "");
    const bool pipelining = offers(lhlo, "PIPELINING");
    if (pipelining) {
      // RFC 2920: the whole envelope in one write, its replies read in order: one round trip, not 2 + n.
      std::string envelope = mail_line + "\r\n";
      for (const auto& r : job.recipients) envelope += "RCPT TO:<" + r + ">\r\n";
      envelope += "DATA\r\n";
      c.write(envelope);
    }
    stage = "MAIL";
    const auto mail = pipelining ? c.read_reply() : command(c, mail_line);
    // A refused sender is not a recipient's answer: retried, never a bounce of every recipient.
    if (code_of(mail) != 250) throw RelayError("MAIL refused: " + mail.back());
    std::vector<std::size_t> accepted;
    stage = "RCPT";
    for (std::size_t i = 0; i < job.recipients.size(); ++i) {
      const auto rcpt = pipelining ? c.read_reply() : command(c, "RCPT TO:<" + job.recipients[i] + ">");
      if (code_of(rcpt) / 100 == 2) {
        accepted.push_back(i);
      } else {
        answers[i] = relayed(rcpt.back(), job.host);
      }
    }
    if (!accepted.empty() || pipelining) {
      stage = "DATA";
      const auto data = pipelining ? c.read_reply() : command(c, "DATA");
      if (accepted.empty()) {
        // Every recipient refused, and a server that still said 354 gets an empty message to end it.
        if (code_of(data) == 354) (void)command(c, ".");
      } else {
        if (code_of(data) != 354) throw RelayError("DATA refused: " + data.back());
        stage = "the message";
        send_message(c, message);
        stage = "the replies after the message";
        for (const auto i : accepted) answers[i] = relayed(c.read_reply().back(), job.host);
      }
    }
    // Every recipient has its answer: the 221 is not worth a round trip.
    try {
      c.write("QUIT\r\n");
    } catch (const RelayError&) {
    }
  } catch (const std::exception& e) {
    for (auto& a : answers) {
      if (!a) a = host_unavailable(job.host, where + ", at " + stage + ": " + e.what());
    }
  }
  std::vector<Outcome> out;
  out.reserve(answers.size());
  for (auto& a : answers) out.push_back(std::move(*a));
  return out;
}

}  // namespace letterbox
