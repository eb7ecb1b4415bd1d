#include "compile_context.hpp"

#include "letterbox/util/text.hpp"
#include "strings.hpp"

namespace letterbox::sieve {

std::string describe(const ast::Argument* argument) {
  if (argument == nullptr) return "nothing";
  switch (argument->kind) {
    case ast::Argument::Kind::number: return "a number";
    case ast::Argument::Kind::tag: return "tag \":" + argument->tag + "\"";
    case ast::Argument::Kind::string_list: return argument->bracketed ? "a string list" : "a string";
  }
  return "?";
}

bool Context::error(Position where, std::string message) {
  if (!full()) errors_.push_back({where, std::move(message)});
  return false;
}

bool Context::needs(Extension extension, Position where, std::string_view what) {
  if (enabled.has(extension)) return true;
  return error(where, std::string(what) + " needs require \"" + std::string(extension_name(extension)) + "\"");
}

bool Context::make_string(const ast::StringValue& value, String& out) {
  out.text = value.text;
  if (enabled.has(Extension::encoded_character)) {
    if (auto problem = decode_encoded_characters(out.text)) return error(value.where, *problem);
  }
  out.has_variables = enabled.has(Extension::variables) && has_variable_reference(out.text);
  return true;
}

bool Context::make_list(const ast::Argument& argument, StringList& out) {
  out.clear();
  out.reserve(argument.strings.size());
  bool ok = true;
  for (const auto& value : argument.strings) {
    out.emplace_back();
    ok = make_string(value, out.back()) && ok;
  }
  return ok;
}

const ast::Argument* Arguments::next_tag() {
  const ast::Argument* argument = peek();
  if (argument == nullptr || argument->kind != ast::Argument::Kind::tag) return nullptr;
  ++next_;
  return argument;
}

std::string Arguments::tag_name(const ast::Argument& tag) const {
  return ascii_lower(tag.tag);
}

bool Arguments::claim(const ast::Argument& tag, std::string_view family) {
  const std::string name = tag_name(tag);
  for (const auto& [seen_family, seen_tag] : claimed_) {
    if (seen_tag == name) return context_.error(tag.where, "tag \":" + name + "\" given twice");
    if (seen_family == family) {
      return context_.error(tag.where, "tags \":" + seen_tag + "\" and \":" + name + "\" cannot be used together");
    }
  }
  claimed_.emplace_back(std::string(family), name);
  return true;
}

bool Arguments::unknown_tag(const ast::Argument& tag) {
  return context_.error(tag.where, "unknown tag \":" + tag.tag + "\" for " + node_.quoted());
}

bool Arguments::tag_string(const ast::Argument& tag, String& out) {
  const ast::Argument* value = peek();
  if (value == nullptr || value->kind != ast::Argument::Kind::string_list || value->bracketed) {
    return context_.error(value ? value->where : end_,
                          "tag \":" + tag_name(tag) + "\" needs a string after it, found " + describe(value));
  }
  ++next_;
  return context_.make_string(value->strings.front(), out);
}

bool Arguments::tag_string_list(const ast::Argument& tag, StringList& out) {
  const ast::Argument* value = peek();
  if (value == nullptr || value->kind != ast::Argument::Kind::string_list) {
    return context_.error(value ? value->where : end_,
                          "tag \":" + tag_name(tag) + "\" needs a string list after it, found " + describe(value));
  }
  ++next_;
  return context_.make_list(*value, out);
}

bool Arguments::tag_number(const ast::Argument& tag, std::uint64_t& out) {
  const ast::Argument* value = peek();
  if (value == nullptr || value->kind != ast::Argument::Kind::number) {
    return context_.error(value ? value->where : end_,
                          "tag \":" + tag_name(tag) + "\" needs a number after it, found " + describe(value));
  }
  ++next_;
  out = value->number;
  return true;
}

bool Arguments::missing(const char* what, const char* type) {
  const ast::Argument* found = peek();
  if (found != nullptr && found->kind == ast::Argument::Kind::tag) return finish();
  return context_.error(found ? found->where : end_,
                        node_.quoted() + ": expected " + what + " (" + type + "), found " + describe(found));
}

bool Arguments::string(const char* what, String& out) {
  const ast::Argument* value = peek();
  if (value == nullptr || value->kind != ast::Argument::Kind::string_list || value->bracketed) {
    return missing(what, "a string");
  }
  ++next_;
  return context_.make_string(value->strings.front(), out);
}

bool Arguments::string_list(const char* what, StringList& out) {
  const ast::Argument* value = peek();
  if (value == nullptr || value->kind != ast::Argument::Kind::string_list) return missing(what, "a string list");
  ++next_;
  return context_.make_list(*value, out);
}

bool Arguments::number(const char* what, std::uint64_t& out) {
  const ast::Argument* value = peek();
  if (value == nullptr || value->kind != ast::Argument::Kind::number) return missing(what, "a number");
  ++next_;
  out = value->number;
  return true;
}

bool Arguments::positional_left() const {
  const ast::Argument* value = peek();
  return value != nullptr && value->kind == ast::Argument::Kind::string_list;
}

bool Arguments::finish() {
  const ast::Argument* extra = peek();
  if (extra == nullptr) return true;
  if (extra->kind == ast::Argument::Kind::tag) {
    return context_.error(extra->where, "tag \":" + extra->tag + "\" after the positional arguments of " +
                                            node_.quoted() + " (tags come first)");
  }
  return context_.error(extra->where, "too many arguments for " + node_.quoted() + " (an extra " +
                                          describe(extra).substr(describe(extra).find(' ') + 1) + ")");
}

}  // namespace letterbox::sieve
