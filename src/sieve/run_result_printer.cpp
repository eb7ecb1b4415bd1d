// RunResult as text, one action per line: the format docs/sieve.md defines for `letterbox-sieve test` and
// the differential tests. Any change here changes that document and the corpora written against it.
#include <algorithm>

#include "letterbox/sieve/run_result.hpp"
#include "strings.hpp"

namespace letterbox::sieve {
namespace {

void append_list(std::string& out, const std::vector<std::string>& list) {
  out += '[';
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i != 0) out += ", ";
    out += quote_printable(list[i]);
  }
  out += ']';
}

void append_flags(std::string& out, const std::vector<std::string>& flags) {
  if (flags.empty()) return;
  out += " :flags ";
  append_list(out, flags);
}

void append_vacation(std::string& out, const VacationAction& v) {
  out += "vacation ";
  if (v.period_in_seconds) {
    out += ":seconds " + std::to_string(v.period);
  } else {
    out += ":days " + std::to_string(v.period / 86400);
  }
  if (v.subject) out += " :subject " + quote_printable(*v.subject);
  if (v.from) out += " :from " + quote_printable(*v.from);
  out += " :handle " + quote_printable(v.handle);
  if (v.mime) out += " :mime";
  out += " to " + quote_printable(v.reply_to) + ' ' + quote_printable(v.reason);
}

struct LinePrinter {
  std::string& out;
  void operator()(const KeepAction& a) const {
    if (a.fileinto_name.empty()) {
      out += "keep";
      append_flags(out, a.flags);
      return;
    }
    // tests/sieve/README.md: `fileinto "INBOX"` keeps the name the script gave.
    out += "fileinto";
    if (a.create) out += " :create";
    append_flags(out, a.flags);
    out += ' ' + quote_printable(a.fileinto_name);
  }
  void operator()(const FileintoAction& a) const {
    out += "fileinto";
    if (a.create) out += " :create";
    append_flags(out, a.flags);
    out += ' ' + quote_printable(a.mailbox);
  }
  void operator()(const RedirectAction& a) const { out += "redirect " + quote_printable(a.address); }
  void operator()(const RejectAction& a) const {
    out += (a.extended ? "ereject " : "reject ") + quote_printable(a.reason);
  }
  void operator()(const VacationAction& a) const { append_vacation(out, a); }
};

}  // namespace

bool RunResult::discarded() const {
  return std::none_of(actions.begin(), actions.end(), [](const Action& a) {
    return !std::holds_alternative<VacationAction>(a.what);  // everything else stores, sends or refuses it
  });
}

std::string print_run_result(const RunResult& result) {
  std::string out;
  if (result.error) {
    const Position where = result.error->diagnostic.where;
    out += "error " + std::to_string(where.line) + ':' + std::to_string(where.column) + ": " +
           printable_line(result.error->diagnostic.message) + '\n';
  }
  for (const auto& action : result.actions) {
    std::visit(LinePrinter{out}, action.what);
    out += '\n';
  }
  // tests/sieve/README.md: `discard` only when nothing else happens (a vacation is something).
  if (result.actions.empty()) out += "discard\n";
  return out;
}

}  // namespace letterbox::sieve
