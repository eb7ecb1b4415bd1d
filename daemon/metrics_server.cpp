#include "metrics_server.hpp"

#include "listeners.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>

#include "letterbox/util/log.hpp"

namespace letterbox {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;

struct MetricsServer::Connections {
  std::mutex mutex;
  std::vector<std::weak_ptr<beast::tcp_stream>> open;
  bool closed = false;
};

namespace {

constexpr std::size_t kMaxConnections = 16;
constexpr auto kTimeout = std::chrono::seconds(30);

http::response<http::string_body> respond(const http::request<http::string_body>& request,
                                          const MetricsServer::Render& render) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.keep_alive(request.keep_alive());
  response.set(http::field::server, "letterbox");
  if (request.method() == http::verb::get && request.target() == "/metrics") {
    try {
      response.body() = render();
      response.result(http::status::ok);
      response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    } catch (const std::exception& e) {
      log::error("metrics: {}", e.what());
      response.result(http::status::internal_server_error);
      response.set(http::field::content_type, "text/plain; charset=utf-8");
      response.body() = "Internal Server Error\n";
    }
  } else {
    response.result(http::status::not_found);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "Not Found: only GET /metrics is served here\n";
  }
  response.prepare_payload();
  return response;
}

// Requests on one connection until the client closes it, times out, or sends something that is not HTTP.
awaitable<void> serve(std::shared_ptr<beast::tcp_stream> connection,
                      std::shared_ptr<const MetricsServer::Render> render) {
  beast::tcp_stream& stream = *connection;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(8192);
    parser.body_limit(4096);
    stream.expires_after(kTimeout);
    boost::system::error_code ec;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    auto response = respond(parser.get(), *render);
    stream.expires_after(kTimeout);
    co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
    if (ec || !response.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream.close();
}

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, Render render)
    : io_(io),
      strand_(asio::make_strand(io)),
      render_(std::make_shared<const Render>(std::move(render))),
      connections_(std::make_shared<Connections>()) {}

void MetricsServer::bind(const std::string& spec) {
  if (spec.empty()) return;
  boost::system::error_code ec;
  acceptor_ = open_tcp_acceptor(io_, spec, ec);  // the configuration allows only inet:HOST:PORT here
  if (ec) log::error("metrics are off: cannot listen on {}: {}", spec, ec.message());
}

void MetricsServer::start() {
  if (acceptor_) asio::co_spawn(strand_, accept(), asio::detached);
}

void MetricsServer::close() {
  // On the acceptor's strand: the accept loop may be using it on another network thread right now.
  if (acceptor_) {
    asio::post(strand_, [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
    });
  }
  std::lock_guard lock(connections_->mutex);
  connections_->closed = true;
  for (const auto& weak : connections_->open) {
    if (auto stream = weak.lock()) asio::post(stream->get_executor(), [stream] { stream->close(); });
  }
}

awaitable<void> MetricsServer::accept() {
  for (;;) {
    auto strand = asio::make_strand(io_);
    boost::system::error_code ec;
    asio::ip::tcp::socket socket = co_await acceptor_->async_accept(strand, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      co_await pause_after_accept_error(io_, ec, "metrics: accept");
      continue;
    }
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    {
      std::lock_guard lock(connections_->mutex);
      std::erase_if(connections_->open, [](const auto& weak) { return weak.expired(); });
      if (connections_->closed || connections_->open.size() >= kMaxConnections) continue;  // closed at once
      connections_->open.push_back(stream);
    }
    asio::co_spawn(strand, serve(stream, render_), asio::detached);
  }
}

}  // namespace letterbox
