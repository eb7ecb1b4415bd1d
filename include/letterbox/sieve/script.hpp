// The compiled script: every command and test checked and typed, what the interpreter runs directly and
// what the delivery caches per script file (immutable once built, shared between threads). Each node
// keeps its Position for run-time errors. A field is used only by the kinds its comment names; the
// others leave it at its default.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "letterbox/sieve/address_list.hpp"
#include "letterbox/sieve/body_parts.hpp"
#include "letterbox/sieve/comparator.hpp"
#include "letterbox/sieve/diagnostic.hpp"
#include "letterbox/sieve/extensions.hpp"
#include "letterbox/sieve/match.hpp"
#include "letterbox/sieve/set_modifiers.hpp"

namespace re2 {
class RE2;
}

namespace letterbox::sieve {

// A command or test of an extension a program adds for its own compilations only (the testsuite of
// `letterbox-sieve svtest`, testsuite.hpp): it runs itself, so the interpreter knows nothing about it.
class HostedNode;

// A string argument with encoded characters already decoded. has_variables: it holds a `${…}` reference
// (only when "variables" is required), so the interpreter expands only those strings.
struct String {
  std::string text;
  bool has_variables = false;
};
using StringList = std::vector<String>;

struct Match {
  MatchType type = MatchType::is;
  Relation relation = Relation::eq;  // with :count and :value only
  Comparator comparator = Comparator::ascii_casemap;
  // :regex: the keys compiled once, one per key (case-insensitive under i;ascii-casemap); null for a key
  // with variables, which the interpreter compiles after expansion.
  std::vector<std::shared_ptr<const re2::RE2>> regexes;
};

// RFC 5260 §6: :index N (1-based; 0 = not given), counted from the end with :last.
struct FieldIndex {
  unsigned index = 0;
  bool last = false;
};

enum class ZoneKind { none, zone, original };

enum class TestKind {
  address,
  allof,
  anyof,
  exists,
  false_,
  true_,
  header,
  not_,
  size,  // RFC 5228
  envelope,
  body,
  date,
  currentdate,
  string,
  hasflag,
  mailboxexists,
  duplicate,
  ihave,
  environment,
  hosted,  // `hosted` runs it
};

struct Test {
  TestKind kind = TestKind::true_;
  Position where;
  Match match;                                    // address envelope header body date currentdate string
                                                  // hasflag environment
  AddressPart address_part = AddressPart::all;    // address envelope
  FieldIndex index;                               // address header date
  ZoneKind zone_kind = ZoneKind::none;            // date currentdate
  String zone;                                    //   "+0100" with ZoneKind::zone
  String date_part;                               // date currentdate: lower-case when literal
  BodyTransform transform = BodyTransform::text;  // body
  StringList content_types;                       //   with BodyTransform::content
  bool size_over = false;                         // size: :over (else :under)
  std::uint64_t size_limit = 0;
  // The first list: header names (address header exists date), envelope parts, string sources,
  // hasflag variables (may be empty), mailbox names, the environment item, ihave capabilities.
  StringList names;
  StringList keys;  // the key-list; hasflag flags
  // duplicate: :handle, :header or :uniqueid, :seconds, :last
  std::optional<String> handle, header, uniqueid;
  std::optional<std::uint64_t> seconds;
  bool last = false;
  std::vector<Test> children;  // allof anyof: all; not: one
  std::shared_ptr<const HostedNode> hosted;
};

enum class CommandKind {
  if_,
  stop,
  keep,
  discard,
  redirect,
  fileinto,
  reject,
  ereject,
  vacation,
  setflag,
  addflag,
  removeflag,
  set,
  include,
  return_,
  global,
  error,
  hosted,  // `hosted` runs it
};

struct Command;
struct Branch {
  std::optional<Test> condition;  // none: the else branch
  std::vector<Command> block;     // empty, and not compiled, under an ihave that named an unknown extension
};

struct Vacation {
  std::optional<std::uint64_t> days, seconds;  // at most one of them
  std::optional<String> subject, from, handle;
  StringList addresses;
  bool mime = false;
  String reason;
};

enum class IncludeLocation { personal, global };

struct Command {
  CommandKind kind = CommandKind::stop;
  Position where;
  std::vector<Branch> branches;  // if: the if, each elsif, the else
  // redirect: the address; fileinto: the mailbox; reject ereject: the reason; setflag addflag removeflag:
  // the flags; set: the value; include: the script name; global: the variable names; error: the message.
  StringList arguments;
  std::optional<String> variable;      // set: the name; setflag addflag removeflag: the variable if given
  bool copy = false;                   // redirect fileinto
  bool create = false;                 // fileinto
  std::optional<StringList> flags;     // keep fileinto :flags
  std::vector<SetModifier> modifiers;  // set: in the order they apply, highest precedence first
  Vacation vacation;
  IncludeLocation location = IncludeLocation::personal;
  bool once = false, optional = false;  // include
  std::shared_ptr<const HostedNode> hosted;
};

struct Script {
  ExtensionSet required;  // the top-level require commands
  std::vector<Command> commands;
};

}  // namespace letterbox::sieve
