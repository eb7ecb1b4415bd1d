// The arguments of vnd.dovecot.testsuite's commands and tests, checked as Pigeonhole's testsuite declares
// them, into TestsuiteNodes. Commands whose model this engine lacks (settings, binaries, IMAP metadata)
// are compile errors that name them, so that a test file using one fails for a stated reason.
#include <array>
#include <memory>

#include "compile_match.hpp"
#include "letterbox/util/text.hpp"
#include "testsuite_node.hpp"

namespace letterbox::sieve {
namespace {

// IMAP metadata has no model in this engine (no mailstore with annotations).
constexpr std::array<std::string_view, 1> kUnsupported = {"test_imap_metadata_set"};

struct Spec {
  std::string_view name;
  TestsuiteOp op;
  bool command;  // usable as a command
  bool test;     // usable as a test
};

constexpr std::array<Spec, 20> kSpecs = {{
    {"test", TestsuiteOp::test, true, false},
    {"test_fail", TestsuiteOp::fail, true, false},
    {"test_set", TestsuiteOp::set, true, false},
    {"test_message", TestsuiteOp::message, true, true},
    {"test_mailbox_create", TestsuiteOp::mailbox_create, true, false},
    {"test_result_reset", TestsuiteOp::result_reset, true, false},
    {"test_result_print", TestsuiteOp::print, true, false},
    {"test_message_print", TestsuiteOp::print, true, false},
    {"debug_log", TestsuiteOp::debug_log, true, false},
    {"test_script_compile", TestsuiteOp::script_compile, false, true},
    {"test_script_run", TestsuiteOp::script_run, false, true},
    {"test_multiscript", TestsuiteOp::multiscript, false, true},
    {"test_error", TestsuiteOp::error, false, true},
    {"test_result_action", TestsuiteOp::result_action, false, true},
    {"test_result_execute", TestsuiteOp::result_execute, false, true},
    {"test_config_set", TestsuiteOp::config_set, true, false},
    {"test_config_unset", TestsuiteOp::config_unset, true, false},
    {"test_config_reload", TestsuiteOp::config_reload, true, false},
    {"test_binary_save", TestsuiteOp::binary_save, true, false},
    {"test_binary_load", TestsuiteOp::binary_load, true, false},
}};

const Spec* find_spec(std::string_view name) {
  for (const auto& spec : kSpecs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool no_tags(Arguments& arguments) {
  for_each_tag(arguments, [](const ast::Argument&) { return false; });
  return true;
}

// test_message ( :smtp / :folder <mailbox> ) <index: number>
bool message_arguments(Arguments& arguments, TestsuiteNode& node) {
  bool given = false;
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    const std::string name = arguments.tag_name(tag);
    if (name != "smtp" && name != "folder" && name != "mailbox") return false;
    given = arguments.claim(tag, "source") || given;
    if (name == "smtp") {
      node.smtp = true;
    } else {
      arguments.tag_string(tag, node.text);
    }
    return true;
  });
  if (!given) return arguments.context().error(arguments.node_where(), "test_message needs :smtp or :folder");
  return arguments.number("the message index", node.index) && arguments.finish();
}

// [MATCH-TYPE] [COMPARATOR] [:index N] <key-list>, the key-list matched against the errors or actions.
bool matching_arguments(Arguments& arguments, TestsuiteNode& node, Test& test) {
  for_each_tag(arguments, [&](const ast::Argument& tag) {
    if (match_tag(arguments, tag, test.match)) return true;
    if (arguments.tag_name(tag) != "index") return false;
    arguments.claim(tag, "index");
    arguments.tag_number(tag, node.index);
    return true;
  });
  return arguments.string_list("the keys", test.keys) && arguments.finish() &&
         finish_match(arguments.context(), arguments.node_where(), test.match, test.keys);
}

bool arguments_of(const Spec& spec, Arguments& arguments, TestsuiteNode& node, Test* test) {
  switch (spec.op) {
    case TestsuiteOp::test:
    case TestsuiteOp::fail:
    case TestsuiteOp::mailbox_create:
    case TestsuiteOp::script_compile:
    case TestsuiteOp::config_unset:
    case TestsuiteOp::binary_save:
    case TestsuiteOp::binary_load:
    case TestsuiteOp::debug_log:
      return no_tags(arguments) && arguments.string("a string", node.text) && arguments.finish();
    case TestsuiteOp::config_reload: {
      String extension;
      for_each_tag(arguments, [&](const ast::Argument& tag) {
        if (arguments.tag_name(tag) != "extension") return false;
        arguments.claim(tag, "extension");
        arguments.tag_string(tag, extension);
        return true;
      });
      return arguments.finish();
    }
    case TestsuiteOp::set:
    case TestsuiteOp::config_set:
      return no_tags(arguments) && arguments.string("the object", node.text) &&
             arguments.string("the value", node.value) && arguments.finish();
    case TestsuiteOp::message: return message_arguments(arguments, node);
    case TestsuiteOp::script_run:
      for_each_tag(arguments, [&](const ast::Argument& tag) {
        if (arguments.tag_name(tag) != "append_result") return false;
        node.append = arguments.claim(tag, "append_result");
        return true;
      });
      return arguments.finish();
    case TestsuiteOp::multiscript:
      return no_tags(arguments) && arguments.string_list("the scripts", node.paths) && arguments.finish();
    case TestsuiteOp::error:
    case TestsuiteOp::result_action: return matching_arguments(arguments, node, *test);
    default: return no_tags(arguments) && arguments.finish();
  }
}

class TestsuitePlugin final : public CompilePlugin {
 public:
  explicit TestsuitePlugin(TestsuiteState& state) : state_(state) {}

  // vnd.dovecot.debug too, whose debug_log some test files use or merely require: here it logs nothing.
  bool provides(std::string_view require_name) const override {
    return require_name == "vnd.dovecot.testsuite" || require_name == "vnd.dovecot.debug";
  }

  std::optional<bool> compile_command(Context& context, const ast::Command& node, Command& out,
                                      const CompileBlock& compile_block) const override {
    const std::string name = ascii_lower(node.name);
    if (const auto refused = unsupported(context, name, node.where)) return refused;
    const Spec* spec = find_spec(name);
    if (spec == nullptr) return std::nullopt;
    if (!spec->command) return context.error(node.where, "\"" + name + "\" is a test, not a command");
    if (!node.tests.empty()) return context.error(node.tests.front().where, "\"" + name + "\" takes no test");
    const bool block = spec->op == TestsuiteOp::test;
    if (node.has_block != block) {
      return context.error(node.end, block ? "\"test\" needs a block" : "\"" + name + "\" takes no block");
    }
    auto compiled = std::make_shared<TestsuiteNode>(state_, spec->op);
    Arguments arguments(context, NodeName{"command", name}, node.arguments, node.where, node.end);
    bool ok = arguments_of(*spec, arguments, *compiled, nullptr);
    out.kind = CommandKind::hosted;
    if (block) ok = compile_block(node.block, out.branches.emplace_back().block) && ok;
    out.hosted = std::move(compiled);
    return ok;
  }

  std::optional<bool> compile_test(Context& context, const ast::Test& node, Test& out) const override {
    const std::string name = ascii_lower(node.name);
    if (const auto refused = unsupported(context, name, node.where)) return refused;
    const Spec* spec = find_spec(name);
    if (spec == nullptr) return std::nullopt;
    if (!spec->test) return context.error(node.where, "\"" + name + "\" is a command, not a test");
    if (!node.tests.empty()) return context.error(node.tests.front().where, "\"" + name + "\" takes no test");
    auto compiled = std::make_shared<TestsuiteNode>(state_, spec->op);
    Arguments arguments(context, NodeName{"test", name}, node.arguments, node.where, node.end);
    const bool ok = arguments_of(*spec, arguments, *compiled, &out);
    out.kind = TestKind::hosted;
    out.hosted = std::move(compiled);
    return ok;
  }

 private:
  static std::optional<bool> unsupported(Context& context, std::string_view name, Position where) {
    for (const auto refused : kUnsupported) {
      if (name == refused) {
        return context.error(where, "testsuite command \"" + std::string(name) + "\" is not supported");
      }
    }
    return std::nullopt;
  }

  TestsuiteState& state_;
};

}  // namespace

std::unique_ptr<CompilePlugin> make_testsuite_plugin(TestsuiteState& state) {
  return std::make_unique<TestsuitePlugin>(state);
}

}  // namespace letterbox::sieve
