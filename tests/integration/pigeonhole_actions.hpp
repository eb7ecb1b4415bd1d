// Pigeonhole's `sieve-test` listing turned into the stable action format that `letterbox-sieve test`
// prints (tests/sieve/README.md), and the looser comparison the differential test uses against it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace letterbox::test::sieve_corpus {

// A string of the stable format: Sieve quoted-string syntax (`"` and `\` escaped with `\`), control
// characters and bytes that are not UTF-8 as `${hex:XX}`.
std::string quote(std::string_view text);

// One run of sieve-test without -e: the printed result on stdout, the diagnostics on stderr.
struct Listing {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct NormaliseContext {
  std::string script;         // the main script: `:seconds` and `:mime` are not visible in the listing
  std::string sender;         // the envelope sender, where a vacation reply goes
  bool vacation_sent = true;  // false when an execution run (-e) logged that the reply was not sent
};

// The actions of the listing in the stable format, one per line, the implicit keep last.
std::vector<std::string> normalise(const Listing& listing, const NormaliseContext& context);

// The folders the listing stores into, to create before an execution run (sieve-test -e cannot create
// a missing folder for fileinto without :create, and would then abandon the vacation reply too).
std::vector<std::string> listed_folders(const std::string& out);
bool lists_vacation(const std::string& out);
// Whether the log of an execution run (-e) says the vacation reply went out.
bool vacation_sent(const std::string& execution_log);

// A line of the stable format as it compares with Pigeonhole: `:flags` as a set in lower case (RFC 5232
// §3 lets an implementation reorder and recase; Pigeonhole prints system flags first, lower-cased), a
// control character (`${hex:XX}` below 20, and 7F) as `?` (Pigeonhole sanitises reject reasons so), and
// `error LINE:COLUMN: message` as `error LINE` (Pigeonhole's wording and positions are its own).
std::string comparable(std::string_view line);
// Lines equal after comparable(); `error ?` (Pigeonhole named no line) matches any error line.
bool same_actions(const std::vector<std::string>& pigeonhole, const std::vector<std::string>& ours);

}  // namespace letterbox::test::sieve_corpus
