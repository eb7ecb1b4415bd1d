// The commands that act on the script rather than the message: set (RFC 5229), include/return/global
// (RFC 6609), error (RFC 5463), stop; and the table of every command but if/elsif/else and require.
#include <algorithm>
#include <array>

#include "compile_commands.hpp"
#include "letterbox/sieve/variables.hpp"
#include "letterbox/util/text.hpp"
#include "strings.hpp"

namespace letterbox::sieve {
namespace {

bool modifier_tag(Arguments& arguments, const ast::Argument& tag, Command& command) {
  const auto modifier = find_modifier(arguments.tag_name(tag));
  if (!modifier) return false;
  if (*modifier == SetModifier::quoteregex) {
    arguments.context().needs(Extension::regex, tag.where, "tag \":quoteregex\"");
  }
  // RFC 5229 §4.1: two modifiers of one precedence in one set is an error, as two tags of one kind are.
  if (arguments.claim(tag, "precedence " + std::to_string(modifier_precedence(*modifier)))) {
    command.modifiers.push_back(*modifier);
  }
  return true;
}

bool check_variable_names(Context& context, Position where, const StringList& names) {
  for (const auto& name : names) {
    if (!is_variable_name(name.text)) return context.error(where, "invalid variable name \"" + name.text + "\"");
  }
  return true;
}

bool valid_script_name(std::string_view name) {
  if (name.empty() || name.find("..") != std::string_view::npos || name == ".") return false;
  for (char c : name) {
    if (c == '/' || static_cast<unsigned char>(c) < 32 || c == 127) return false;
  }
  return true;
}

constexpr std::array<CommandSpec, 15> kCommands = {{
    {"stop", CommandKind::stop, std::nullopt, compile_no_arguments},
    {"keep", CommandKind::keep, std::nullopt, compile_keep},
    {"discard", CommandKind::discard, std::nullopt, compile_no_arguments},
    {"redirect", CommandKind::redirect, std::nullopt, compile_redirect},
    {"fileinto", CommandKind::fileinto, Extension::fileinto, compile_fileinto},
    {"reject", CommandKind::reject, Extension::reject, compile_reason},
    {"ereject", CommandKind::ereject, Extension::ereject, compile_reason},
    {"vacation", CommandKind::vacation, Extension::vacation, compile_vacation},
    {"setflag", CommandKind::setflag, Extension::imap4flags, compile_flag_action},
    {"addflag", CommandKind::addflag, Extension::imap4flags, compile_flag_action},
    {"removeflag", CommandKind::removeflag, Extension::imap4flags, compile_flag_action},
    {"set", CommandKind::set, Extension::variables, compile_set},
    {"include", CommandKind::include, Extension::include, compile_include},
    {"return", CommandKind::return_, Extension::include, compile_no_arguments},
    {"global", CommandKind::global, Extension::include, compile_global},
}};

constexpr CommandSpec kError = {"error", CommandKind::error, Extension::ihave, compile_error};

}  // namespace

const CommandSpec* find_command(std::string_view name) {
  for (const auto& spec : kCommands) {
    if (spec.name == name) return &spec;
  }
  return name == kError.name ? &kError : nullptr;
}

// set [MODIFIER] <name: string> <value: string>
bool compile_set(Arguments& arguments, Command& command) {
  for_each_tag(arguments, [&](const ast::Argument& tag) { return modifier_tag(arguments, tag, command); });
  std::sort(command.modifiers.begin(), command.modifiers.end(),
            [](SetModifier a, SetModifier b) { return modifier_precedence(a) > modifier_precedence(b); });
  command.variable.emplace();
  command.arguments.emplace_back();
  if (!arguments.string("the variable name", *command.variable) ||
      !arguments.string("the value", command.arguments.front()) || !arguments.finish()) {
    return false;
  }
  // RFC 6609 §3.5: with include, "global.NAME" sets the global variable NAME.
  Context& context = arguments.context();
  const std::string& name = command.variable->text;
  constexpr std::string_view kGlobal = "global.";
  if (context.enabled.has(Extension::include) && name.size() > kGlobal.size() &&
      iequals_ascii(std::string_view(name).substr(0, kGlobal.size()), kGlobal) &&
      is_variable_name(std::string_view(name).substr(kGlobal.size()))) {
    return true;
  }
  return check_variable_names(context, arguments.node_where(), {*command.variable});
}

// include [:personal / :global] [:once] [:optional] <value: string>
bool compile_include(Arguments& arguments, Command& command) {
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    const std::string name = arguments.tag_name(tag);
    if (name == "personal" || name == "global") {
      if (arguments.claim(tag, "location")) {
        command.location = name == "global" ? IncludeLocation::global : IncludeLocation::personal;
      }
    } else if (name == "once" || name == "optional") {
      if (arguments.claim(tag, name)) (name == "once" ? command.once : command.optional) = true;
    } else {
      return false;
    }
    return true;
  });
  command.arguments.emplace_back();
  const String& script = command.arguments.front();
  if (!arguments.string("the script name", command.arguments.front()) || !arguments.finish()) return false;
  if (script.has_variables || valid_script_name(script.text)) return true;
  return arguments.context().error(arguments.node_where(),
                                   "invalid script name \"" + script.text + "\" (no '/', no '..', not empty)");
}

// global <value: string-list>: needs "variables" as well (RFC 6609 §3.3).
bool compile_global(Arguments& arguments, Command& command) {
  for_each_tag(arguments, [](const ast::Argument&) { return false; });
  Context& context = arguments.context();
  if (!context.needs(Extension::variables, arguments.node_where(), "command \"global\"")) return false;
  return arguments.string_list("the variable names", command.arguments) && arguments.finish() &&
         check_variable_names(context, arguments.node_where(), command.arguments);
}

// error <message: string>
bool compile_error(Arguments& arguments, Command& command) {
  for_each_tag(arguments, [](const ast::Argument&) { return false; });
  command.arguments.emplace_back();
  return arguments.string("the message", command.arguments.front()) && arguments.finish();
}

}  // namespace letterbox::sieve
