#include "server_tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>
#include <string>
#include <string_view>

namespace letterbox {
namespace ssl = boost::asio::ssl;

namespace {

// Why the OpenSSL call that just failed failed: the earliest error queued is the cause (a missing file,
// "no start line", "key values mismatch"); the later ones only say which layer passed it up. The queue
// is emptied: a stale error would be blamed on the next OpenSSL call of this thread (a session's handshake).
std::string openssl_reason() {
  const unsigned long first = ERR_peek_error();
  ERR_clear_error();
  if (first == 0) return "unknown error";
  if (ERR_SYSTEM_ERROR(first)) return std::strerror(static_cast<int>(ERR_GET_REASON(first)));
  const char* reason = ERR_reason_error_string(first);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(first);
}

// `hint` is for a file that was read: not for one that could not be opened.
[[noreturn]] void unusable(std::string_view key, const std::string& file, std::string_view hint = "") {
  const bool opened = !ERR_SYSTEM_ERROR(ERR_peek_error());
  const std::string reason = openssl_reason();
  throw ConfigError("[server] " + std::string(key) + " " + file + ": cannot be used: " + reason +
                    (opened ? std::string(hint) : ""));
}

}  // namespace

std::shared_ptr<ssl::context> make_server_tls(const ServerSettings& server) {
  const auto& cert = server.tls_cert_file;
  const auto& key = server.tls_key_file;
  if (!cert.empty() && key.empty()) {
    throw ConfigError("[server] tls_cert_file is set, but tls_key_file is not: they go together");
  }
  if (cert.empty() && !key.empty()) {
    throw ConfigError("[server] tls_key_file is set, but tls_cert_file is not: they go together");
  }
  if (cert.empty()) {
    if (server.tls_required) {
      throw ConfigError("[server] tls_required = yes, but tls_cert_file is not set: no TCP client could ever deliver");
    }
    return nullptr;
  }
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  // Postfix offers TLS 1.2 and 1.3; older versions only help an attacker who downgrades the session.
  // Renegotiation is a denial-of-service lever that no LMTP client needs.
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    throw ConfigError("[server] TLS: cannot require TLS 1.2: " + openssl_reason());
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // The whole chain: a client that checks the certificate needs the intermediates too.
  if (SSL_CTX_use_certificate_chain_file(native, cert.c_str()) != 1) unusable("tls_cert_file", cert);
  constexpr std::string_view kKeyHint = " (expected the unencrypted PEM private key of tls_cert_file)";
  if (SSL_CTX_use_PrivateKey_file(native, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    unusable("tls_key_file", key, kKeyHint);
  }
  if (SSL_CTX_check_private_key(native) != 1) unusable("tls_key_file", key, kKeyHint);
  return context;
}

}  // namespace letterbox
