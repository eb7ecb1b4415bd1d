// LmtpSession: one LMTP connection (RFC 2033), from greeting to QUIT, as a coroutine on one network thread.
// Commands are answered in order; replies to pipelined commands go out together. RCPT is checked with
// the directory at once; the message is streamed to a spool; after it, every accepted recipient is
// delivered in parallel on the worker pool and gets exactly one reply, in RCPT order, 250 only once its
// copy is durable. Directory lookups, spool writes and deliveries never run on the network threads.
// On TCP, with a certificate configured, STARTTLS (RFC 3207) turns the rest of the session into TLS.
// Reads are bounded per request, not per read: a command line by idle_timeout from when we start waiting
// for it, a DATA or BDAT transfer by idle_timeout plus its bytes at min_data_rate, so a client trickling
// bytes cannot hold a session (and max_sessions) for ever.
#pragma once

#include <utility>  // before Asio (see lmtp_runtime.hpp)

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "letterbox/directory/address.hpp"
#include "letterbox/mail/outcome.hpp"
#include "letterbox/store/deliverer.hpp"
#include "letterbox/store/spool.hpp"
#include "lmtp_parser.hpp"
#include "lmtp_runtime.hpp"

namespace letterbox {

class LmtpSession : public std::enable_shared_from_this<LmtpSession> {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;

  LmtpSession(Socket socket, LmtpServerState& state, std::string id, std::string peer);
  ~LmtpSession();

  // Runs the session to its end; spawn it on the socket's executor (its network thread).
  boost::asio::awaitable<void> run();
  [[nodiscard]] Socket::executor_type executor() { return socket_.get_executor(); }
  // SIGTERM: an idle session answers 421 4.3.2 and closes; a busy one after its transaction.
  void shut_down();
  // After run() ended with an exception: close the connection and stop the watchdog.
  void abandon();

 private:
  struct Accepted {
    std::string shown;                   // as the client wrote it
    std::optional<Recipient> recipient;  // empty for a duplicate and a proxied recipient
    std::size_t same_as = 0;             // for a duplicate: the index of the first
    std::string relay_host;              // [server] proxy = yes: the host its mailbox is on

    [[nodiscard]] bool duplicate() const { return !recipient && relay_host.empty(); }
  };

  // Every byte of the session goes through these two: the socket itself, or TLS after STARTTLS.
  boost::asio::awaitable<std::size_t> read_some(boost::system::error_code& ec);
  boost::asio::awaitable<void> write_all(std::string_view data, boost::system::error_code& ec);

  boost::asio::awaitable<bool> read_more();
  [[nodiscard]] std::chrono::steady_clock::time_point read_deadline();
  boost::asio::awaitable<void> flush();
  boost::asio::awaitable<void> watchdog();
  // Every wait on the client (read, write, TLS handshake and shutdown) starts here: the idle timeout applies until
  // `deadline`.
  void start_waiting_on_client(std::chrono::steady_clock::time_point deadline);
  void reply(std::string_view line);
  void reply_timed_out();                                             // after the watchdog ended a read
  boost::asio::awaitable<bool> handle_event(const LmtpEvent& event);  // false: the session ends
  boost::asio::awaitable<void> append_to_spool();                     // moves spool_buffer_ to the spool, on the pool
  boost::asio::awaitable<void> end_tls();
  [[nodiscard]] bool tls_offered() const;
  void reset_transaction();

  // The commands (lmtp_commands.cpp).
  boost::asio::awaitable<bool> handle_command(const std::string& line);  // false: the session ends
  void handle_lhlo(std::string_view args);
  void handle_mail(std::string_view args);
  boost::asio::awaitable<void> handle_rcpt(std::string_view args);
  boost::asio::awaitable<void> accept_recipient(const std::string& path, const Address& address);
  boost::asio::awaitable<void> handle_data(std::string_view args);
  bool handle_bdat(std::string_view args);  // false: the session ends
  void handle_proxied(std::string_view args);
  boost::asio::awaitable<bool> handle_starttls(std::string_view args);  // false: the session ends

  // The delivery of a finished message (lmtp_delivery.cpp).
  struct DeliveryBatch;
  boost::asio::awaitable<void> finish_message(bool line_too_long);
  boost::asio::awaitable<std::vector<Outcome>> deliver_copies(std::chrono::steady_clock::time_point started);
  void deliver_here(const std::shared_ptr<DeliveryBatch>& batch, std::size_t i, const Envelope& envelope,
                    std::chrono::steady_clock::time_point started);
  void relay_to(const std::shared_ptr<DeliveryBatch>& batch, const std::string& host,
                const std::vector<std::size_t>& indexes, const Envelope& envelope,
                std::chrono::steady_clock::time_point started);
  std::vector<Outcome> collect_outcomes(DeliveryBatch& batch, const Envelope& envelope,
                                        std::chrono::steady_clock::time_point started);
  void answer_recipients(std::vector<Outcome>& outcomes, bool delivered_on_pool,
                         std::chrono::steady_clock::time_point started);
  // The mailbox a recipient's copy went to, or where it was relayed: for the delivery log.
  [[nodiscard]] std::string destination(const Accepted& accepted) const;

  using TlsStream = boost::asio::ssl::stream<Socket&>;

  Socket socket_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // the one tls_ was made with: a reload may drop it
  std::unique_ptr<TlsStream> tls_;  // set once the handshake succeeded; allocated only then (32 KiB of buffers)
  LmtpServerState& state_;
  std::shared_ptr<LmtpRuntime> runtime_;
  std::string id_;
  std::string peer_;
  std::string helo_;
  std::string proxied_by_;  // the host that marked this session as proxied (lmtp_relay.hpp)
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point idle_deadline_;    // the watchdog's: of the read or write under way
  std::chrono::steady_clock::time_point watchdog_expiry_;  // when idle_timer_ fires as armed now
  // The command line being waited for must be complete by then; set when the wait begins, re-armed only
  // once an event has been taken, so bytes trickling in never extend it.
  std::chrono::steady_clock::time_point command_deadline_;
  bool command_deadline_armed_ = false;
  bool waiting_for_input_ = false;  // a wait on the client is under way: the idle timeout applies
  bool reading_command_ = false;    // ... and it is for the next command: SIGTERM may interrupt it
  bool timed_out_ = false;
  bool shutdown_requested_ = false;
  bool closed_ = false;

  LmtpParser parser_;
  // Held by every idle session: small enough that 1,000 of them cost 16 MB, large enough for DATA.
  std::array<char, 16 * 1024> read_buffer_{};
  std::string out_;

  // The transaction.
  bool have_mail_ = false;
  std::string sender_;
  std::vector<Accepted> accepted_;
  unsigned recipients_seen_ = 0;
  std::shared_ptr<Spool> spool_;
  std::string spool_buffer_;
  bool in_message_ = false;     // DATA or BDAT under way
  bool chunk_refused_ = false;  // a BDAT chunk whose bytes are being discarded
  bool spool_failed_ = false;   // a spool write failed: this message ends in 451 for every recipient
  bool chunk_last_ = false;
  std::uint64_t chunk_size_ = 0;
  // The DATA or BDAT transfer under way: when it began, and the bytes it earns time for at min_data_rate.
  std::chrono::steady_clock::time_point transfer_start_;
  std::uint64_t transfer_credit_ = 0;  // BDAT: the chunk's announced size; DATA: the bytes received so far
  bool credit_per_byte_read_ = false;  // DATA: every byte read adds to the credit
  std::chrono::steady_clock::time_point transaction_start_;
  unsigned transactions_ = 0;
};

}  // namespace letterbox
