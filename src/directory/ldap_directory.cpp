#include "letterbox/directory/ldap_directory.hpp"

#include <string.h>
#include <sys/time.h>

#include <algorithm>
#include <fstream>

#include "ldap_library.hpp"
#include "letterbox/util/log.hpp"
#include "letterbox/util/placeholders.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox {
namespace {

// Only called once load_ldap_library() has succeeded (lookup() and escape_filter_value() check first).
const LdapLibrary& lib() {
  std::string ignored;
  return *load_ldap_library(ignored);
}

struct Unbind {
  void operator()(LDAP* ld) const { lib().ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
using LdapHandle = std::unique_ptr<LDAP, Unbind>;

struct MessageFree {
  void operator()(LDAPMessage* m) const { lib().ldap_msgfree(m); }
};
using LdapResult = std::unique_ptr<LDAPMessage, MessageFree>;

timeval to_timeval(Duration d) {
  // A zero timeout means "no limit" to some libldap calls and is a parameter error to others.
  const auto ms = std::max<long long>(d.count(), 1);
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

std::string error_text(int rc) {
  return std::string(lib().ldap_err2string(rc)) + " (" + std::to_string(rc) + ")";
}

std::string read_password(const std::string& file) {
  if (file.empty()) return {};
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) {
    throw ConfigError(file + ": cannot read the LDAP bind password");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

struct LdapDirectory::Connection {
  LdapHandle handle;
  std::string uri;  // the server it is bound to
};

std::string escape_filter_value(std::string_view value) {
  berval in{static_cast<ber_len_t>(value.size()), const_cast<char*>(value.data())};
  berval out{0, nullptr};
  std::string ignored;
  if (load_ldap_library(ignored) == nullptr || lib().ldap_bv2escaped_filter_value(&in, &out) != 0 ||
      out.bv_val == nullptr) {
    // Only fails on memory exhaustion (or without the library); escape by hand rather than pass the raw
    // value on.
    std::string escaped;
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : value) {
      escaped += '\\';
      escaped += kHex[c >> 4];
      escaped += kHex[c & 15];
    }
    return escaped;
  }
  std::string escaped(out.bv_val, out.bv_len);
  lib().ber_memfree(out.bv_val);
  return escaped;
}

std::string expand_filter(std::string_view filter_template, const Address& address) {
  const auto value = [&address](char letter) -> std::optional<std::string> {
    switch (letter) {
      case 's': return escape_filter_value(address.lookup_key());
      case 'u': return escape_filter_value(address.local);
      case 'd': return escape_filter_value(address.domain);
      default:  // the configuration refuses other placeholders; keep the text as written
        return std::string{'%', letter};
    }
  };
  return *expand_placeholders(filter_template, value);  // never refused: every placeholder has a value
}

LdapDirectory::LdapDirectory(LdapSettings settings)
    : settings_(std::move(settings)), bind_password_(read_password(settings_.bind_password_file)) {
  for (const auto* attribute : {&settings_.mailbox_attribute, &settings_.format_attribute, &settings_.quota_attribute,
                                &settings_.status_attribute, &settings_.host_attribute}) {
    if (!attribute->empty()) attributes_.push_back(*attribute);
  }
  if (attributes_.empty()) attributes_.emplace_back(LDAP_NO_ATTRS);  // "1.1": the DN is all we need
}

LdapDirectory::~LdapDirectory() = default;

std::unique_ptr<LdapDirectory::Connection> LdapDirectory::take_connection(
    std::chrono::steady_clock::time_point deadline, std::string& why) {
  std::unique_lock lock(mutex_);
  const bool got =
      returned_.wait_until(lock, deadline, [&] { return !idle_.empty() || created_ < settings_.pool_size; });
  if (!got) {
    why = "all " + std::to_string(settings_.pool_size) + " directory connections are busy";
    return nullptr;
  }
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }
  ++created_;
  return std::make_unique<Connection>();
}

void LdapDirectory::return_connection(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
  }
  returned_.notify_one();
}

bool LdapDirectory::connect(Connection& connection, std::string& why) {
  int bind_rc = -1;
  return bind_to_first_server(settings_.bind_dn, bind_password_, connection, why, bind_rc);
}

bool LdapDirectory::bind_to_first_server(const std::string& dn, std::string_view password, Connection& connection,
                                         std::string& why, int& bind_rc) {
  const timeval network_timeout = to_timeval(settings_.network_timeout);
  const timeval timeout = to_timeval(settings_.timeout);
  std::string errors;
  for (const auto& uri : settings_.uri) {
    LDAP* raw = nullptr;
    int rc = lib().ldap_initialize(&raw, uri.c_str());
    LdapHandle ld(raw);
    if (rc != LDAP_SUCCESS) {
      errors += uri + ": " + error_text(rc) + "; ";
      continue;
    }
    const int version = LDAP_VERSION3;
    lib().ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
    lib().ldap_set_option(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);  // never chase referrals anonymously
    lib().ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &network_timeout);
    lib().ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &timeout);  // bounds bind and StartTLS
    if (settings_.starttls) {
      const int demand = LDAP_OPT_X_TLS_DEMAND;
      lib().ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
      if (!settings_.tls_ca_file.empty()) {
        lib().ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE, settings_.tls_ca_file.c_str());
      }
      const int is_server = 0;
      lib().ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &is_server);  // per-handle TLS options take effect here
      rc = lib().ldap_start_tls_s(ld.get(), nullptr, nullptr);
      if (rc != LDAP_SUCCESS) {
        errors += uri + ": StartTLS: " + error_text(rc) + "; ";
        continue;
      }
    }
    std::string secret(password);  // libldap takes a non-const buffer
    berval credentials{static_cast<ber_len_t>(secret.size()), secret.data()};
    rc = lib().ldap_sasl_bind_s(ld.get(), dn.empty() ? nullptr : dn.c_str(), LDAP_SASL_SIMPLE, &credentials, nullptr,
                                nullptr, nullptr);
    explicit_bzero(secret.data(), secret.size());
    bind_rc = rc;
    if (rc != LDAP_SUCCESS) {
      errors += uri + ": bind: " + error_text(rc) + "; ";
      // A wrong password is the directory's answer, the same from every replica: asking the next one
      // would only count the failure twice against the account.
      if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH) break;
      continue;
    }
    connection.handle = std::move(ld);
    connection.uri = uri;
    return true;
  }
  if (errors.size() >= 2) errors.resize(errors.size() - 2);
  why = errors;
  return false;
}

PasswordCheck LdapDirectory::check_password(const std::string& dn, std::string_view password, std::string& why) {
  if (dn.empty() || password.empty()) {
    why = dn.empty() ? "no entry to bind as" : "an empty password";
    return PasswordCheck::Refused;
  }
  std::string load_why;
  if (load_ldap_library(load_why) == nullptr) {
    why = load_why;
    return PasswordCheck::Unavailable;
  }
  Connection connection;
  int bind_rc = -1;
  if (bind_to_first_server(dn, password, connection, why, bind_rc)) return PasswordCheck::Accepted;
  return bind_rc == LDAP_INVALID_CREDENTIALS || bind_rc == LDAP_INAPPROPRIATE_AUTH ? PasswordCheck::Refused
                                                                                   : PasswordCheck::Unavailable;
}

Lookup LdapDirectory::search(Connection& connection, const Address& address, int& ldap_result_code) {
  const std::string filter = expand_filter(settings_.filter, address);
  std::vector<char*> attributes;
  for (auto& a : attributes_) attributes.push_back(a.data());
  attributes.push_back(nullptr);
  timeval timeout = to_timeval(settings_.timeout);
  const int scope = settings_.scope == LdapScope::Base  ? LDAP_SCOPE_BASE
                    : settings_.scope == LdapScope::One ? LDAP_SCOPE_ONELEVEL
                                                        : LDAP_SCOPE_SUBTREE;
  LDAPMessage* raw = nullptr;
  const int rc = lib().ldap_search_ext_s(connection.handle.get(), settings_.base.c_str(), scope, filter.c_str(),
                                         attributes.data(), 0, nullptr, nullptr, &timeout, 2, &raw);
  const LdapResult result(raw);  // freed whatever the search returned
  LDAP* ld = connection.handle.get();
  // ldap_search_ext_s reports the final result's code only when the first message is not a reference,
  // so read the code from the final SearchResultDone itself. Without one the search did not finish.
  int final_rc = rc;
  bool finished = false;
  for (LDAPMessage* m = result.get() != nullptr ? lib().ldap_first_message(ld, result.get()) : nullptr; m != nullptr;
       m = lib().ldap_next_message(ld, m)) {
    if (lib().ldap_msgtype(m) != LDAP_RES_SEARCH_RESULT) continue;
    finished = true;
    int code = LDAP_OTHER;
    if (lib().ldap_parse_result(ld, m, &code, nullptr, nullptr, nullptr, nullptr, 0) != LDAP_SUCCESS) code = LDAP_OTHER;
    final_rc = code;
  }
  if (rc == LDAP_SUCCESS && !finished) final_rc = LDAP_OTHER;
  ldap_result_code = final_rc;

  Lookup lookup;
  const std::string where = " (" + connection.uri + ", filter " + filter + ")";
  if (final_rc == LDAP_SIZELIMIT_EXCEEDED) {
    lookup.kind = LookupKind::Ambiguous;
    lookup.detail = "more than one directory entry" + where;
    return lookup;
  }
  if (final_rc != LDAP_SUCCESS) {
    // Down, timed out, busy, unwilling, a missing base: none of these says the user does not exist.
    lookup.kind = LookupKind::Unavailable;
    lookup.detail = "search failed: " + error_text(final_rc) + where;
    return lookup;
  }
  const int count = lib().ldap_count_entries(ld, result.get());
  if (count == 0 && lib().ldap_count_references(ld, result.get()) > 0) {
    // Part of the tree lives on another server, and the user may be there: we cannot say "unknown".
    lookup.kind = LookupKind::Unavailable;
    lookup.detail =
        "no entry here, but the search was referred to another server (referrals are not followed; "
        "set [ldap] base or scope so the search stays on this one)" +
        where;
    return lookup;
  }
  if (count == 0) {
    lookup.kind = LookupKind::Unknown;
    lookup.detail = "no directory entry" + where;
    return lookup;
  }
  if (count != 1) {
    lookup.kind = count > 1 ? LookupKind::Ambiguous : LookupKind::Unavailable;
    lookup.detail = (count > 1 ? "more than one directory entry" : "unreadable search result") + where;
    return lookup;
  }
  LDAPMessage* entry = lib().ldap_first_entry(connection.handle.get(), result.get());
  if (char* dn = lib().ldap_get_dn(connection.handle.get(), entry)) {
    lookup.entry.dn = dn;
    lib().ldap_memfree(dn);
  }
  for (const auto& name : attributes_) {
    if (name == LDAP_NO_ATTRS) continue;
    berval** values = lib().ldap_get_values_len(connection.handle.get(), entry, name.c_str());
    if (values != nullptr && values[0] != nullptr) {
      lookup.entry.attributes[ascii_lower(name)] = std::string(values[0]->bv_val, values[0]->bv_len);
    }
    lib().ldap_value_free_len(values);
  }
  lookup.kind = LookupKind::Found;
  return lookup;
}

Lookup LdapDirectory::lookup(const Address& address) {
  // Connecting, binding and searching each have their own bound; this one covers waiting for the pool.
  const auto deadline = std::chrono::steady_clock::now() + settings_.network_timeout + settings_.timeout;
  std::string why;
  if (load_ldap_library(why) == nullptr) return Lookup{LookupKind::Unavailable, {}, why, false};
  auto connection = take_connection(deadline, why);
  if (!connection) return Lookup{LookupKind::Unavailable, {}, why, false};

  Lookup result;
  // A pooled connection may have died while idle (the server restarted): one more try on a fresh one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool fresh = !connection->handle;
    if (fresh && !connect(*connection, why)) {
      result = Lookup{LookupKind::Unavailable, {}, "cannot reach the directory: " + why, false};
      break;
    }
    int rc = LDAP_SUCCESS;
    result = search(*connection, address, rc);
    if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) break;
    connection->handle.reset();  // rebuilt on next use, starting again from the first uri
    if (fresh || rc != LDAP_SERVER_DOWN) break;
  }
  if (result.kind == LookupKind::Unavailable || result.kind == LookupKind::Ambiguous) {
    log::error("directory lookup of <{}>: {}", address.lookup_key(), result.detail);
  }
  return_connection(std::move(connection));
  return result;
}

}  // namespace letterbox
