// What every part of the compiler shares: the extensions usable at this point of the script, the list of
// errors (capped), the making of checked strings, and a reader over one command's or test's arguments
// that knows the RFC 5228 §2.6 rules (tags first, each at most once, then the positional ones).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "letterbox/sieve/ast.hpp"
#include "letterbox/sieve/extensions.hpp"
#include "letterbox/sieve/limits.hpp"
#include "letterbox/sieve/script.hpp"

namespace letterbox::sieve {

class CompilePlugin;

class Context {
 public:
  Context(const CompileLimits& limits, std::vector<Diagnostic>& errors) : limits(limits), errors_(errors) {}

  bool error(Position where, std::string message);  // always false, to end a check in one statement
  bool full() const { return errors_.size() >= limits.max_errors; }
  std::size_t error_count() const { return errors_.size(); }
  // An error unless `extension` is usable here: `what needs require "ext"`.
  bool needs(Extension extension, Position where, std::string_view what);

  bool make_string(const ast::StringValue& value, String& out);
  bool make_list(const ast::Argument& argument, StringList& out);

  const CompileLimits& limits;
  ExtensionSet enabled;
  const CompilePlugin* plugin = nullptr;  // compile_plugin.hpp
  bool plugin_required = false;           // its extension was required: its commands and tests are known

 private:
  std::vector<Diagnostic>& errors_;
};

// `test "header"` / `command "fileinto"`: how errors name the node they are about.
struct NodeName {
  const char* kind;
  std::string name;
  std::string quoted() const { return std::string(kind) + " \"" + name + "\""; }
};

class Arguments {
 public:
  Arguments(Context& context, NodeName node, const std::vector<ast::Argument>& arguments, Position where, Position end)
      : context_(context), node_(std::move(node)), arguments_(arguments), where_(where), end_(end) {}

  // The next tagged argument, lower-cased in tag_name(); null once the positional ones begin.
  const ast::Argument* next_tag();
  std::string tag_name(const ast::Argument& tag) const;
  // Records the tag; an error if it (or another of the same family, e.g. two match types) came before.
  bool claim(const ast::Argument& tag, std::string_view family);
  bool unknown_tag(const ast::Argument& tag);

  bool tag_string(const ast::Argument& tag, String& out);
  bool tag_string_list(const ast::Argument& tag, StringList& out);
  bool tag_number(const ast::Argument& tag, std::uint64_t& out);

  bool string(const char* what, String& out);
  bool string_list(const char* what, StringList& out);
  bool number(const char* what, std::uint64_t& out);
  bool positional_left() const;  // for an optional positional argument (hasflag's variable list)
  bool finish();                 // an error for anything left over

  const NodeName& node() const { return node_; }
  Position node_where() const { return where_; }
  Context& context() { return context_; }

 private:
  const ast::Argument* peek() const { return next_ < arguments_.size() ? &arguments_[next_] : nullptr; }
  bool missing(const char* what, const char* type);

  Context& context_;
  NodeName node_;
  const std::vector<ast::Argument>& arguments_;
  Position where_;
  Position end_;
  std::size_t next_ = 0;
  std::vector<std::pair<std::string, std::string>> claimed_;  // family, tag
};

std::string describe(const ast::Argument* argument);

// Hands each tagged argument to `handle`, which returns whether it knows the tag.
template <class Handler>
void for_each_tag(Arguments& arguments, Handler&& handle) {
  while (const ast::Argument* tag = arguments.next_tag()) {
    if (!handle(*tag)) arguments.unknown_tag(*tag);
  }
}

}  // namespace letterbox::sieve
