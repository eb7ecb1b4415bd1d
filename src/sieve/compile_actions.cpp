// The actions: keep, discard, redirect, fileinto, reject/ereject, vacation and the imap4flags commands.
#include <algorithm>

#include "address_syntax.hpp"
#include "compile_commands.hpp"
#include "letterbox/sieve/variables.hpp"
#include "strings.hpp"
#include "utf8.hpp"

namespace letterbox::sieve {
namespace {

bool flags_tag(Arguments& arguments, const ast::Argument& tag, Command& command) {
  if (arguments.tag_name(tag) != "flags") return false;
  arguments.context().needs(Extension::imap4flags, tag.where, "tag \":flags\"");
  const bool claimed = arguments.claim(tag, "flags");
  StringList flags;
  if (arguments.tag_string_list(tag, flags) && claimed) command.flags = std::move(flags);
  return true;
}

bool copy_tag(Arguments& arguments, const ast::Argument& tag, Command& command) {
  if (arguments.tag_name(tag) != "copy") return false;
  arguments.context().needs(Extension::copy, tag.where, "tag \":copy\"");
  if (arguments.claim(tag, "copy")) command.copy = true;
  return true;
}

}  // namespace

bool compile_no_arguments(Arguments& arguments, Command&) {
  for_each_tag(arguments, [](const ast::Argument&) { return false; });
  return arguments.finish();
}

// keep [:flags <list-of-flags: string-list>]
bool compile_keep(Arguments& arguments, Command& command) {
  for_each_tag(arguments, [&](const ast::Argument& tag) { return flags_tag(arguments, tag, command); });
  return arguments.finish();
}

// redirect [:copy] <address: string>
bool compile_redirect(Arguments& arguments, Command& command) {
  for_each_tag(arguments, [&](const ast::Argument& tag) { return copy_tag(arguments, tag, command); });
  command.arguments.emplace_back();
  String& address = command.arguments.front();
  if (!arguments.string("the address", address) || !arguments.finish()) return false;
  if (address.has_variables || redirect_address(address.text)) return true;
  return arguments.context().error(arguments.node_where(), "invalid redirect address \"" + address.text + "\"");
}

// fileinto [:copy] [:flags <list-of-flags: string-list>] [:create] <mailbox: string>
bool compile_fileinto(Arguments& arguments, Command& command) {
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    if (copy_tag(arguments, tag, command) || flags_tag(arguments, tag, command)) return true;
    if (arguments.tag_name(tag) != "create") return false;
    arguments.context().needs(Extension::mailbox, tag.where, "tag \":create\"");
    if (arguments.claim(tag, "create")) command.create = true;
    return true;
  });
  command.arguments.emplace_back();
  if (!arguments.string("the mailbox", command.arguments.front()) || !arguments.finish()) return false;
  const String& mailbox = command.arguments.front();
  if (mailbox.has_variables) return true;
  if (mailbox.text.empty()) return arguments.context().error(arguments.node_where(), "the mailbox name is empty");
  if (is_valid_utf8(mailbox.text)) return true;
  return arguments.context().error(arguments.node_where(), "the mailbox name is not valid UTF-8");
}

// reject <reason: string>, ereject <reason: string>
bool compile_reason(Arguments& arguments, Command& command) {
  for_each_tag(arguments, [](const ast::Argument&) { return false; });
  command.arguments.emplace_back();
  return arguments.string("the reason", command.arguments.front()) && arguments.finish();
}

// setflag/addflag/removeflag [<variablename: string>] <list-of-flags: string-list>
bool compile_flag_action(Arguments& arguments, Command& command) {
  for_each_tag(arguments, [](const ast::Argument&) { return false; });
  if (!arguments.string_list("the flags", command.arguments)) return false;
  if (arguments.positional_left()) {
    Context& context = arguments.context();
    const Position where = arguments.node_where();
    if (command.arguments.size() != 1) return context.error(where, "the variable name must be a single string");
    command.variable = std::move(command.arguments.front());
    if (!context.needs(Extension::variables, where, "a variable name in \"" + arguments.node().name + "\"")) {
      return false;
    }
    if (!is_variable_name(command.variable->text)) {
      return context.error(where, "invalid variable name \"" + command.variable->text + "\"");
    }
    if (!arguments.string_list("the flags", command.arguments)) return false;
  }
  return arguments.finish();
}

// vacation [:days number | :seconds number] [:subject string] [:from string] [:addresses string-list]
//          [:mime] [:handle string] <reason: string>
bool compile_vacation(Arguments& arguments, Command& command) {
  Vacation& v = command.vacation;
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    const std::string name = arguments.tag_name(tag);
    if (name == "days" || name == "seconds") {
      if (name == "seconds") arguments.context().needs(Extension::vacation_seconds, tag.where, "tag \":seconds\"");
      const bool claimed = arguments.claim(tag, "period");
      std::uint64_t period = 0;
      if (arguments.tag_number(tag, period) && claimed) (name == "days" ? v.days : v.seconds) = period;
    } else if (name == "subject" || name == "from" || name == "handle") {
      const bool claimed = arguments.claim(tag, name);
      String value;
      if (arguments.tag_string(tag, value) && claimed) {
        (name == "subject" ? v.subject : name == "from" ? v.from : v.handle) = std::move(value);
      }
    } else if (name == "addresses") {
      const bool claimed = arguments.claim(tag, name);
      StringList addresses;
      if (arguments.tag_string_list(tag, addresses) && claimed) v.addresses = std::move(addresses);
    } else if (name == "mime") {
      if (arguments.claim(tag, name)) v.mime = true;
    } else {
      return false;
    }
    return true;
  });
  if (!arguments.string("the reason", v.reason) || !arguments.finish()) return false;
  if (!v.from || v.from->has_variables || plausible_mailbox(v.from->text)) return true;
  return arguments.context().error(arguments.node_where(), "invalid vacation :from address \"" + v.from->text + "\"");
}

}  // namespace letterbox::sieve
