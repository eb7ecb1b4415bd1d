// The delivery fan-out of a finished message: every accepted recipient's copy is delivered on the worker
// pool (local recipients one task each, proxied ones one relay session per host), the session waits for
// all of them up to data_deadline, and each recipient gets its one reply in RCPT order.

#include <map>
#include <mutex>

#include "letterbox/observe/delivery_log.hpp"
#include "letterbox/util/log.hpp"
#include "lmtp_relay.hpp"
#include "lmtp_session.hpp"

namespace letterbox {
namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

// Where a proxied copy went, for the delivery log's mailbox field.
std::string relay_label(const std::string& host, unsigned port) {
  return "lmtp:" + host + ":" + std::to_string(port);
}

}  // namespace

// The outcomes shared between the session and the pool threads delivering one message.
struct LmtpSession::DeliveryBatch : std::enable_shared_from_this<DeliveryBatch> {
  DeliveryBatch(const Socket::executor_type& executor, std::size_t recipients, Duration deadline)
      : executor(executor), done(std::make_shared<asio::steady_timer>(executor)), results(recipients) {
    done->expires_after(deadline);
  }

  // Called on the pool once results[i] is set for every index a task owns.
  void finished(std::size_t count) {
    std::lock_guard lock(mutex);
    remaining -= count;
    if (remaining == 0) {
      asio::post(executor, [self = shared_from_this()] {
        self->all_done = true;
        self->done->cancel();
      });
    }
  }

  Socket::executor_type executor;
  // Shared: a delivery still running past data_deadline signals a timer the session no longer waits on.
  std::shared_ptr<asio::steady_timer> done;
  std::mutex mutex;
  std::vector<std::optional<Outcome>> results;
  std::size_t remaining = 0;  // under `mutex` once the first delivery is posted
  bool all_done = false;      // touched on the session's network thread only
};

std::string LmtpSession::destination(const Accepted& accepted) const {
  if (accepted.recipient) return accepted.recipient->mailbox;
  return relay_label(accepted.relay_host, runtime_->settings.server.proxy_port);
}

awaitable<void> LmtpSession::finish_message(bool line_too_long) {
  in_message_ = false;
  co_await append_to_spool();
  const bool too_big = spool_ && spool_->size() > runtime_->settings.server.max_message_size;
  const auto started = std::chrono::steady_clock::now();
  const bool delivered_on_pool = spool_ && !line_too_long && !too_big;
  std::vector<Outcome> outcomes(accepted_.size());
  if (!spool_) {
    for (auto& o : outcomes) o = make_outcome(Status::LocalError, "the spool could not be written");
  } else if (line_too_long || too_big) {
    for (auto& o : outcomes) o = make_outcome(too_big ? Status::MessageTooBig : Status::LineTooLong);
  } else {
    outcomes = co_await deliver_copies(started);
  }
  answer_recipients(outcomes, delivered_on_pool, started);
  reset_transaction();
}

awaitable<std::vector<Outcome>> LmtpSession::deliver_copies(std::chrono::steady_clock::time_point started) {
  const Envelope envelope{sender_, "from " + helo_ + " (" + peer_ + ")", id_ + "." + std::to_string(transactions_),
                          tls_ != nullptr};
  auto batch = std::make_shared<DeliveryBatch>(socket_.get_executor(), accepted_.size(),
                                               runtime_->settings.server.data_deadline);
  // Proxied recipients go to their host together: one LMTP session per host and message.
  std::map<std::string, std::vector<std::size_t>> relays;
  for (std::size_t i = 0; i < accepted_.size(); ++i) {
    if (accepted_[i].recipient) ++batch->remaining;
    if (!accepted_[i].relay_host.empty()) {
      ++batch->remaining;
      relays[accepted_[i].relay_host].push_back(i);
    }
  }
  batch->all_done = batch->remaining == 0;
  for (std::size_t i = 0; i < accepted_.size(); ++i) {
    if (accepted_[i].recipient) deliver_here(batch, i, envelope, started);
  }
  for (const auto& [host, indexes] : relays) relay_to(batch, host, indexes, envelope, started);
  // Not batch->remaining: the pool threads are counting it down (a data race ThreadSanitizer found).
  boost::system::error_code ec;
  while (!batch->all_done) {
    co_await batch->done->async_wait(asio::redirect_error(use_awaitable, ec));
    if (!ec) break;  // data_deadline passed
  }
  // The pool threads still delivering past data_deadline hold their own references to the batch and spool.
  co_return collect_outcomes(*batch, envelope, started);
}

void LmtpSession::deliver_here(const std::shared_ptr<DeliveryBatch>& batch, std::size_t i, const Envelope& envelope,
                               std::chrono::steady_clock::time_point started) {
  // Logged here, on the pool: the line records what happened on disk (even after data_deadline), and its
  // write stays off the network threads.
  state_.pool().post([batch, i, spool = spool_, runtime = runtime_, envelope, recipient = *accepted_[i].recipient,
                      started, shown = accepted_[i].shown] {
    Outcome outcome;
    try {
      outcome = runtime->deliverer.deliver(*spool, envelope, recipient);
    } catch (const std::exception& e) {  // an exception on the pool would end the whole process
      outcome = make_outcome(Status::LocalError, std::string("delivery failed: ") + e.what());
    }
    log_delivery(DeliveryRecord{envelope.id, envelope.sender, shown, recipient.mailbox, spool->size(), outcome,
                                std::chrono::steady_clock::now() - started});
    {
      std::lock_guard lock(batch->mutex);
      batch->results[i] = std::move(outcome);
    }
    batch->finished(1);
  });
}

void LmtpSession::relay_to(const std::shared_ptr<DeliveryBatch>& batch, const std::string& host,
                           const std::vector<std::size_t>& indexes, const Envelope& envelope,
                           std::chrono::steady_clock::time_point started) {
  const auto& server = runtime_->settings.server;
  RelayJob job{host, server.proxy_port, server.proxy_timeout, runtime_->hostname, sender_, {}};
  for (const auto i : indexes) job.recipients.push_back(accepted_[i].shown);
  state_.pool().post([batch, indexes, spool = spool_, envelope, job = std::move(job), started] {
    std::vector<Outcome> outcomes;
    try {
      outcomes = relay_message(job, *spool);
    } catch (const std::exception& e) {
      outcomes.assign(indexes.size(), host_unavailable(job.host, std::string("relay failed: ") + e.what()));
    }
    const auto where = relay_label(job.host, job.port);
    for (std::size_t k = 0; k < indexes.size(); ++k) {
      log_delivery(DeliveryRecord{envelope.id, envelope.sender, job.recipients[k], where, spool->size(), outcomes[k],
                                  std::chrono::steady_clock::now() - started});
    }
    {
      std::lock_guard lock(batch->mutex);
      for (std::size_t k = 0; k < indexes.size(); ++k) batch->results[indexes[k]] = std::move(outcomes[k]);
    }
    batch->finished(indexes.size());
  });
}

std::vector<Outcome> LmtpSession::collect_outcomes(DeliveryBatch& batch, const Envelope& envelope,
                                                   std::chrono::steady_clock::time_point started) {
  std::vector<Outcome> outcomes(accepted_.size());
  std::lock_guard lock(batch.mutex);
  for (std::size_t i = 0; i < accepted_.size(); ++i) {
    if (accepted_[i].duplicate()) continue;
    if (batch.results[i]) {
      outcomes[i] = *batch.results[i];
      continue;
    }
    outcomes[i] = make_outcome(Status::LocalError,
                               "still being delivered at data_deadline; its own log line follows when it ends");
    log_delivery(DeliveryRecord{envelope.id, sender_, accepted_[i].shown, destination(accepted_[i]), spool_->size(),
                                outcomes[i], std::chrono::steady_clock::now() - started});
  }
  return outcomes;
}

void LmtpSession::answer_recipients(std::vector<Outcome>& outcomes, bool delivered_on_pool,
                                    std::chrono::steady_clock::time_point started) {
  for (std::size_t i = 0; i < accepted_.size(); ++i) {
    const auto& a = accepted_[i];
    if (a.duplicate()) outcomes[i] = outcomes[a.same_as];
    reply(lmtp_reply(outcomes[i], a.shown));
    if (!a.duplicate() && !delivered_on_pool) {  // refused before any delivery began
      log_delivery(DeliveryRecord{id_ + "." + std::to_string(transactions_), sender_, a.shown, destination(a),
                                  spool_ ? spool_->size() : 0, outcomes[i],
                                  std::chrono::steady_clock::now() - started});
    }
  }
}

}  // namespace letterbox
