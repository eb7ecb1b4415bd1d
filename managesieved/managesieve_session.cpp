#include "managesieve_session.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>
#include <vector>

#include "letterbox/observe/metrics.hpp"
#include "letterbox/sieve/extensions.hpp"
#include "letterbox/sieve/script_name.hpp"
#include "letterbox/sieve/transfer_encoding.hpp"
#include "letterbox/util/log.hpp"

namespace letterbox {
namespace {

using Next = ManageSieveStep::Next;

ManageSieveStep respond(std::string response, Next next = Next::Read) {
  return {std::move(response), next, {}};
}

// "OK", "NO" or "BYE", an optional response code in parentheses, and the human text.
std::string answer(std::string_view kind, std::string_view code, std::string_view text) {
  std::string out(kind);
  if (!code.empty()) {
    out += " (";
    out += code;
    out += ')';
  }
  out += ' ';
  out += managesieve_string(text);
  out += "\r\n";
  return out;
}
std::string ok(std::string_view text) {
  return answer("OK", "", text);
}
std::string no(std::string_view text, std::string_view code = "") {
  return answer("NO", code, text);
}

// RFC 4648 base64 as SASL requires it: the alphabet only, in whole quanta, padding only at the end.
std::optional<std::string> strict_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  const auto pad = text.find('=');
  if (pad != std::string_view::npos &&
      (text.size() - pad > 2 || text.find_first_not_of('=', pad) != std::string_view::npos)) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < (pad == std::string_view::npos ? text.size() : pad); ++i) {
    const unsigned char c = text[i];
    if (!std::isalnum(c) && c != '+' && c != '/') return std::nullopt;
  }
  return sieve::decode_base64(text);
}

bool all_strings(const ManageSieveLine& line, std::size_t count) {
  return line.arguments.size() == count &&
         std::all_of(line.arguments.begin(), line.arguments.end(), [](const auto& a) { return a.is_string(); });
}

std::string script_errors(const ScriptResult& result) {
  std::string text;
  for (const auto& error : result.errors) {
    if (!text.empty()) text += "\r\n";
    text += "line " + std::to_string(error.where.line) + ", column " + std::to_string(error.where.column) + ": " +
            error.message;
  }
  return text.empty() ? result.detail : text;
}

}  // namespace

std::string managesieve_string(std::string_view text) {
  const bool quotable = text.size() <= ManageSieveParser::kMaxQuoted &&
                        text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
  if (!quotable) return "{" + std::to_string(text.size()) + "}\r\n" + std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

ManageSieveSession::ManageSieveSession(const Settings& settings, ManageSieveAuthenticator& authenticator,
                                       ManageSieveConnection connection)
    : settings_(settings), authenticator_(authenticator), connection_(std::move(connection)) {}

std::string ManageSieveSession::greeting() const {
  std::string extensions;
  for (const auto name : sieve::supported_extension_names()) {
    if (!extensions.empty()) extensions += ' ';
    extensions += name;
  }
  std::string out = "\"IMPLEMENTATION\" \"Letterbox\"\r\n\"SIEVE\" " + managesieve_string(extensions) + "\r\n";
  const bool may_authenticate =
      connection_.tls_active || connection_.loopback || settings_.managesieve.allow_plaintext_auth;
  if (!authenticated()) out += std::string("\"SASL\" \"") + (may_authenticate ? "PLAIN LOGIN" : "") + "\"\r\n";
  if (connection_.tls_available && !connection_.tls_active && !authenticated()) out += "\"STARTTLS\"\r\n";
  out += "\"MAXREDIRECTS\" \"" + std::to_string(settings_.sieve.max_redirects) + "\"\r\n";
  out += "\"UNAUTHENTICATE\"\r\n\"VERSION\" \"1.0\"\r\n";
  return out + ok("Letterbox ManageSieve ready.");
}

std::string ManageSieveSession::tls_started() {
  connection_.tls_active = true;
  auto listing = greeting();
  listing.resize(listing.rfind("OK "));
  return listing + ok("TLS negotiation successful.");
}

ManageSieveStep ManageSieveSession::handle(const ManageSieveLine& line, ManageSieveParser& parser) {
  switch (line.status) {
    case ManageSieveLine::Status::Ok: break;
    case ManageSieveLine::Status::BadSyntax: sasl_ = Sasl::None; return respond(no("Syntax error: " + line.problem));
    case ManageSieveLine::Status::LineTooLong: return respond(answer("BYE", "", "Line too long."), Next::Close);
    case ManageSieveLine::Status::LiteralTooLarge:
      // The parser skips the literal, so a user's over-large script costs no more than its upload; before
      // login nothing that large has a reason to come.
      if (authenticated() && (line.name == "PUTSCRIPT" || line.name == "CHECKSCRIPT")) {
        return respond(
            no("The script is larger than the " + std::to_string(settings_.sieve.max_script_size) + " octets allowed.",
               "QUOTA/MAXSIZE"));
      }
      return respond(answer("BYE", "", "Literal too large."), Next::Close);
  }
  if (sasl_ != Sasl::None) return sasl_response(line, parser);
  metrics().count_managesieve_command(line.name);
  return command(line, parser);
}

ManageSieveStep ManageSieveSession::command(const ManageSieveLine& line, ManageSieveParser& parser) {
  const auto& name = line.name;
  if (name == "CAPABILITY" && line.arguments.empty()) {
    auto listing = greeting();
    listing.resize(listing.rfind("OK "));
    return respond(listing + ok("Capability completed."));
  }
  if (name == "LOGOUT") return respond(ok("Logout completed."), Next::Close);
  if (name == "NOOP") {
    if (line.arguments.empty()) return respond(ok("NOOP completed."));
    if (!all_strings(line, 1)) return respond(no("Syntax: NOOP [tag]"));
    return respond(answer("OK", "TAG " + managesieve_string(line.arguments[0].text), "Done."));
  }
  if (name == "STARTTLS") {
    if (authenticated() || connection_.tls_active) return respond(no("TLS is not possible now."));
    if (!connection_.tls_available) return respond(no("TLS is not configured on this server."));
    return respond(ok("Begin TLS negotiation now."), Next::StartTls);
  }
  if (name == "AUTHENTICATE") {
    if (authenticated()) return respond(no("Already authenticated."));
    return authenticate(line, parser);
  }
  if (name == "UNAUTHENTICATE") {
    if (!authenticated() || !line.arguments.empty()) return respond(no("Not authenticated."));
    store_.reset();
    user_.clear();
    parser.set_max_literal(kMaxLiteralBeforeLogin);
    return respond(ok("Unauthenticate completed."));
  }
  static constexpr std::array<std::string_view, 8> kScriptCommands = {
      "LISTSCRIPTS", "GETSCRIPT", "PUTSCRIPT", "CHECKSCRIPT", "SETACTIVE", "DELETESCRIPT", "RENAMESCRIPT", "HAVESPACE"};
  if (std::find(kScriptCommands.begin(), kScriptCommands.end(), name) != kScriptCommands.end()) {
    if (!authenticated()) return respond(no("Authenticate first."));
    return script_command(line);
  }
  return respond(no("Unknown command " + name + "."));
}

ManageSieveStep ManageSieveSession::authenticate(const ManageSieveLine& line, ManageSieveParser& parser) {
  if (line.arguments.empty() || line.arguments.size() > 2)
    return respond(no("Syntax: AUTHENTICATE mechanism [response]"));
  if (!connection_.tls_active && !connection_.loopback && !settings_.managesieve.allow_plaintext_auth) {
    return respond(no("Use STARTTLS before authenticating.", "ENCRYPT-NEEDED"));
  }
  std::string mechanism = line.arguments[0].text;
  std::transform(mechanism.begin(), mechanism.end(), mechanism.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (mechanism != "PLAIN" && mechanism != "LOGIN") return respond(no("Unsupported SASL mechanism " + mechanism + "."));
  if (mechanism == "LOGIN") {
    if (line.arguments.size() == 2) return respond(no("LOGIN takes no initial response."));
    sasl_ = Sasl::LoginName;
    parser.expect_continuation();
    return respond("\"VXNlcm5hbWU6\"\r\n");  // "Username:"
  }
  if (line.arguments.size() == 1) {
    sasl_ = Sasl::PlainResponse;
    parser.expect_continuation();
    return respond("\"\"\r\n");
  }
  sasl_ = Sasl::PlainResponse;
  return sasl_response(ManageSieveLine{ManageSieveLine::Status::Ok, "", {line.arguments[1]}, "", 0}, parser);
}

ManageSieveStep ManageSieveSession::sasl_response(const ManageSieveLine& line, ManageSieveParser& parser) {
  const auto step = sasl_;
  sasl_ = Sasl::None;
  if (!all_strings(line, 1)) return respond(no("Expected one string as the SASL response."));
  const auto& text = line.arguments[0].text;
  if (text == "*") return respond(no("Authentication cancelled."));
  const auto decoded = strict_base64(text);
  if (!decoded) return respond(no("The SASL response is not base64."));
  switch (step) {
    case Sasl::PlainResponse: {
      // authzid NUL authcid NUL password; acting for another user (an authzid of its own) is refused.
      const auto first = decoded->find('\0');
      const auto second = first == std::string::npos ? std::string::npos : decoded->find('\0', first + 1);
      if (second == std::string::npos) return respond(no("Malformed PLAIN response."));
      const std::string_view whole(*decoded);
      const auto authzid = whole.substr(0, first);
      const auto authcid = whole.substr(first + 1, second - first - 1);
      if (!authzid.empty() && authzid != authcid) return respond(no("Acting as another user is not allowed."));
      return finish_login(authcid, whole.substr(second + 1), parser);
    }
    case Sasl::LoginName:
      login_name_ = *decoded;
      sasl_ = Sasl::LoginPassword;
      parser.expect_continuation();
      return respond("\"UGFzc3dvcmQ6\"\r\n");  // "Password:"
    case Sasl::LoginPassword: return finish_login(std::exchange(login_name_, {}), *decoded, parser);
    case Sasl::None: break;
  }
  return respond(no("Authentication failed."));
}

ManageSieveStep ManageSieveSession::finish_login(std::string_view name, std::string_view password,
                                                 ManageSieveParser& parser) {
  const auto login = name.empty() || name.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos
                         ? Login{LoginResult::Refused, {}, {}, "a malformed name"}
                         : authenticator_.login(name, password);
  const std::string shown = std::string(name.substr(0, 256));
  static constexpr std::array<ManageSieveLoginResult, 4> kCounted{
      ManageSieveLoginResult::accepted, ManageSieveLoginResult::refused, ManageSieveLoginResult::disabled,
      ManageSieveLoginResult::unavailable};  // in LoginResult's order
  metrics().count_managesieve_login(kCounted.at(static_cast<std::size_t>(login.result)));
  switch (login.result) {
    case LoginResult::Accepted: {
      std::string why;
      auto store = SieveScriptStore::open(settings_.delivery.mail_root, login.user_dir, settings_.sieve, why);
      if (!store) {
        log::error("managesieve: user=<{}> rip={}: the script directory cannot be used: {}", login.user,
                   connection_.peer, why);
        return respond(no("Your script directory cannot be used now.", "TRYLATER"));
      }
      store_ = std::move(*store);
      user_ = login.user;
      parser.set_max_literal(settings_.sieve.max_script_size);
      log::info("managesieve: login: user=<{}> rip={}{}", user_, connection_.peer,
                connection_.tls_active ? " TLS" : "");
      return respond(ok("Logged in."));
    }
    case LoginResult::Unavailable:
      log::warn("managesieve: login deferred: user=<{}> rip={} (directory unavailable: {})", shown, connection_.peer,
                login.detail);
      return respond(no("The directory is unavailable; try again later.", "TRYLATER"));
    case LoginResult::Refused:
    case LoginResult::Disabled: break;
  }
  ++failures_;
  const bool counted_by_address = connection_.failures_by_address != nullptr && !connection_.loopback;
  const unsigned failures =
      counted_by_address
          ? std::max(failures_, connection_.failures_by_address->failed(connection_.peer, AuthFailures::Clock::now()))
          : failures_;
  log::warn("managesieve: login failed: user=<{}> rip={} ({})", shown, connection_.peer,
            login.result == LoginResult::Disabled ? "account disabled" : login.detail);
  ManageSieveStep step;
  step.delay = settings_.managesieve.auth_failure_delay;
  if (failures >= settings_.managesieve.max_auth_failures) {
    step.response = answer("BYE", "", "Too many failed logins.");
    step.next = Next::Close;
  } else {
    step.response = no("Authentication failed.");
  }
  return step;
}

std::string ManageSieveSession::quota_problem(std::string_view name, std::uint64_t size) const {
  if (size > settings_.sieve.max_script_size) {
    return no("The script is larger than the " + std::to_string(settings_.sieve.max_script_size) + " octets allowed.",
              "QUOTA/MAXSIZE");
  }
  std::vector<ScriptEntry> scripts;
  if (const auto listed = store_->list(scripts); !listed.ok()) return no(listed.detail, "TRYLATER");
  std::uint64_t others = 0;
  bool replacing = false;
  for (const auto& script : scripts) {
    if (script.name == name) {
      replacing = true;
      continue;
    }
    std::string text;
    if (store_->get(script.name, text).ok()) others += text.size();
  }
  if (!replacing && scripts.size() >= settings_.managesieve.max_scripts) {
    return no("You have " + std::to_string(scripts.size()) + " scripts, the most allowed.", "QUOTA/MAXSCRIPTS");
  }
  if (others + size > settings_.managesieve.max_storage) {
    return no("Your scripts would take more than the " + std::to_string(settings_.managesieve.max_storage) +
                  " octets allowed.",
              "QUOTA/MAXSIZE");
  }
  return "";
}

ManageSieveStep ManageSieveSession::have_space(std::string_view name, std::uint64_t size) const {
  if (auto problem = sieve::script_name_problem(name); !problem.empty()) return respond(no(problem));
  if (auto problem = quota_problem(name, size); !problem.empty()) return respond(std::move(problem));
  return respond(ok("Putscript would succeed."));
}

ManageSieveStep ManageSieveSession::script_command(const ManageSieveLine& line) {
  const auto& name = line.name;
  const auto& args = line.arguments;
  // What the store said, as RFC 5804 wants it said.
  const auto result_response = [&](const ScriptResult& result, std::string_view done) {
    switch (result.status) {
      case ScriptStatus::Ok: return ok(done);
      case ScriptStatus::BadName: return no(result.detail);
      case ScriptStatus::NoSuchScript: return no(result.detail, "NONEXISTENT");
      case ScriptStatus::ScriptIsActive: return no(result.detail, "ACTIVE");
      case ScriptStatus::AlreadyExists: return no(result.detail, "ALREADYEXISTS");
      case ScriptStatus::TooLarge: return no(result.detail, "QUOTA/MAXSIZE");
      case ScriptStatus::DoesNotCompile: return no(script_errors(result));
      case ScriptStatus::Failed: break;
    }
    log::error("managesieve: user=<{}> {} failed: {}", user_, name, result.detail);
    return no("The script store failed; try again later.", "TRYLATER");
  };

  if (name == "LISTSCRIPTS" && args.empty()) {
    std::vector<ScriptEntry> scripts;
    const auto result = store_->list(scripts);
    if (!result.ok()) return respond(result_response(result, ""));
    std::string out;
    for (const auto& script : scripts)
      out += managesieve_string(script.name) + (script.active ? " ACTIVE\r\n" : "\r\n");
    return respond(out + ok("Listscripts completed."));
  }
  if (name == "GETSCRIPT" && all_strings(line, 1)) {
    std::string text;
    const auto result = store_->get(args[0].text, text);
    if (!result.ok()) return respond(result_response(result, ""));
    return respond("{" + std::to_string(text.size()) + "}\r\n" + text + "\r\n" + ok("Getscript completed."));
  }
  if (name == "PUTSCRIPT" && all_strings(line, 2)) {
    if (auto problem = quota_problem(args[0].text, args[1].text.size()); !problem.empty()) return respond(problem);
    const auto result = store_->put(args[0].text, args[1].text);
    if (result.ok()) {
      metrics().count_managesieve_script_stored();
      log::info("managesieve: user=<{}> stored the script \"{}\"", user_, args[0].text);
    }
    return respond(result_response(result, "Putscript completed."));
  }
  if (name == "CHECKSCRIPT" && all_strings(line, 1)) {
    return respond(result_response(store_->check(args[0].text), "Script is valid."));
  }
  if (name == "SETACTIVE" && all_strings(line, 1)) {
    const auto result = args[0].text.empty() ? store_->deactivate() : store_->activate(args[0].text);
    return respond(result_response(result, "Setactive completed."));
  }
  if (name == "DELETESCRIPT" && all_strings(line, 1)) {
    return respond(result_response(store_->remove(args[0].text), "Deletescript completed."));
  }
  if (name == "RENAMESCRIPT" && all_strings(line, 2)) {
    return respond(result_response(store_->rename(args[0].text, args[1].text), "Renamescript completed."));
  }
  if (name == "HAVESPACE" && args.size() == 2 && args[0].is_string() &&
      args[1].kind == ManageSieveArgument::Kind::Number) {
    return have_space(args[0].text, args[1].number);
  }
  return respond(no("Wrong arguments for " + name + "."));
}

}  // namespace letterbox
