// The server side of STARTTLS (RFC 3207 for LMTP, RFC 5804 for ManageSieve): the TLS context built from
// [server] tls_cert_file, tls_key_file and tls_required. Built with each daemon's runtime (at start and at
// every reload), so a renewed certificate is picked up by SIGHUP; sessions hold the context they started
// TLS with.
#pragma once

#include <utility>  // before Asio (see listeners.hpp)

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "letterbox/config/config.hpp"

namespace letterbox {

// Null when tls_cert_file is empty (no STARTTLS). Throws ConfigError, naming the key and the file, for
// a half-configured pair, tls_required without a certificate, a file OpenSSL cannot use, or a key that
// is not the certificate's. TLS 1.2 and later only, no renegotiation.
std::shared_ptr<boost::asio::ssl::context> make_server_tls(const ServerSettings& server);

}  // namespace letterbox
