// One asynchronous operation of a test's client, run to its completion or cancelled after a timeout, so
// that a silent server fails the test instead of hanging it. Shared by the TLS-capable clients of the
// daemons' tests (letterbox-lmtpd's STARTTLS, letterbox-managesieved).
#pragma once

#include <utility>  // before Asio: g++ 12 needs std::exchange declared for Asio

#include <boost/asio.hpp>
#include <chrono>
#include <cstddef>
#include <optional>

namespace letterbox::test {

// `start(done)` begins the operation on `socket` (or a stream over it) with `done(ec, n)` as its handler;
// its result, or asio::error::timed_out once `timeout` has passed. `transferred`: the octets it moved.
template <class Socket, class Start>
boost::system::error_code run_bounded(boost::asio::io_context& io, Socket& socket, Start start,
                                      std::chrono::milliseconds timeout, std::size_t& transferred) {
  std::optional<boost::system::error_code> result;
  start([&result, &transferred](const boost::system::error_code& ec, std::size_t n) {
    result = ec;
    transferred = n;
  });
  io.restart();
  io.run_for(timeout);
  if (result) return *result;
  boost::system::error_code ignored;
  socket.cancel(ignored);
  io.restart();
  io.run();
  return boost::asio::error::timed_out;
}

}  // namespace letterbox::test
