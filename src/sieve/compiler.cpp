// The compiler's driver: parse, then check each block in order — require only at the start, if/elsif/else
// chained, ihave enabling its extensions inside its block — and hand back the Script or the errors.
#include "letterbox/sieve/compiler.hpp"

#include "compile_commands.hpp"
#include "compile_context.hpp"
#include "compile_plugin.hpp"
#include "compile_tests.hpp"
#include "letterbox/sieve/parser.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox::sieve {
namespace {

class BlockCompiler {
 public:
  BlockCompiler(Context& context, Script& script) : context_(context), script_(script) {}

  bool block(const std::vector<ast::Command>& nodes, std::vector<Command>& out, bool top_level) {
    bool ok = true;
    bool requires_allowed = top_level;
    bool chain_open = false;  // the last command was an if or elsif, so elsif and else may follow
    for (const auto& node : nodes) {
      if (context_.full()) return false;
      const std::string name = ascii_lower(node.name);
      if (name == "require") {
        ok = require(node, requires_allowed) && ok;
        continue;
      }
      requires_allowed = false;
      if (name == "if" || name == "elsif" || name == "else") {
        ok = conditional(name, node, out, chain_open) && ok;
        continue;
      }
      chain_open = false;
      out.emplace_back();
      ok = simple(name, node, out.back()) && ok;
    }
    return ok;
  }

 private:
  // require <capabilities: string-list>
  bool require(const ast::Command& node, bool allowed) {
    if (!allowed) return context_.error(node.where, "\"require\" must come before any other command");
    if (!shape(node, "require", false)) return false;
    if (node.arguments.size() != 1 || node.arguments.front().kind != ast::Argument::Kind::string_list) {
      return context_.error(node.where, "\"require\" needs a list of extension names");
    }
    bool ok = true;
    for (const auto& name : node.arguments.front().strings) {
      const auto extension = find_extension(name.text);
      if (!extension && context_.plugin != nullptr && context_.plugin->provides(name.text)) {
        context_.plugin_required = true;
        continue;
      }
      if (!extension) {
        ok = context_.error(name.where, "unknown extension \"" + name.text + "\"");
        continue;
      }
      context_.enabled.add(*extension);
      script_.required.add(*extension);
      // RFC 6131 §2's own example requires only "vacation-seconds" and then uses vacation.
      if (*extension == Extension::vacation_seconds) context_.enabled.add(Extension::vacation);
    }
    return ok;
  }

  // A command that is not a control structure: no block, no test, its own arguments.
  bool shape(const ast::Command& node, const std::string& name, bool block) {
    if (!node.tests.empty()) {
      // The grammar reads `keep <newline> stop;` as keep with the test "stop": a forgotten ';'.
      const auto& test = node.tests.front();
      if (!node.test_list) {
        return context_.error(test.where,
                              "missing ';' after command \"" + name + "\" (found identifier \"" + test.name + "\")");
      }
      return context_.error(test.where, "command \"" + name + "\" takes no test");
    }
    if (node.has_block != block) {
      return context_.error(node.end, block ? "\"" + name + "\" needs a block"
                                            : "command \"" + name + "\" takes no block (missing ';'?)");
    }
    return true;
  }

  bool simple(const std::string& name, const ast::Command& node, Command& out) {
    out.where = node.where;
    const CommandSpec* spec = find_command(name);
    if (spec == nullptr && context_.plugin_required) {
      const auto compile_block = [this](const std::vector<ast::Command>& nodes, std::vector<Command>& block_out) {
        return block(nodes, block_out, false);
      };
      if (auto compiled = context_.plugin->compile_command(context_, node, out, compile_block)) return *compiled;
    }
    if (spec == nullptr || (spec->extension && !context_.enabled.has(*spec->extension))) {
      return context_.error(node.where,
                            "unknown command \"" + node.name + "\"" + unknown_name_hint(context_, name, true));
    }
    out.kind = spec->kind;
    if (!shape(node, name, false)) return false;
    Arguments arguments(context_, NodeName{"command", name}, node.arguments, node.where, node.end);
    return spec->compile(arguments, out);
  }

  bool conditional(const std::string& name, const ast::Command& node, std::vector<Command>& out, bool& chain_open) {
    if (name == "if") {
      out.emplace_back();
      out.back().kind = CommandKind::if_;
      out.back().where = node.where;
    } else if (!chain_open) {
      return context_.error(node.where, "\"" + name + "\" without a preceding \"if\"");
    }
    chain_open = name != "else";
    Branch& branch = out.back().branches.emplace_back();
    if (!node.has_block) return context_.error(node.end, "\"" + name + "\" needs a block");
    if (!node.arguments.empty()) {
      return context_.error(node.arguments.front().where, "\"" + name + "\" takes only a test and a block");
    }
    if (name == "else") {
      if (!node.tests.empty()) return context_.error(node.tests.front().where, "\"else\" takes no test");
      return block(node.block, branch.block, false);
    }
    if (node.tests.size() != 1 || node.test_list) {
      return context_.error(node.end, "\"" + name + "\" needs exactly one test (use allof or anyof for more)");
    }
    branch.condition.emplace();
    const bool ok = compile_test(context_, node.tests.front(), *branch.condition);
    return guarded_block(*branch.condition, node.block, branch.block) && ok;
  }

  // RFC 5463 §4: the extensions an ihave condition names (alone or within allof) are usable in its block;
  // if one of them is unknown here, the block is never run and so not compiled.
  bool guarded_block(const Test& condition, const std::vector<ast::Command>& nodes, std::vector<Command>& out) {
    const ExtensionSet saved = context_.enabled;
    bool all_known = true;
    auto enable = [&](const Test& test) {
      if (test.kind != TestKind::ihave) return;
      for (const auto& name : test.names) {
        const auto extension = find_extension(name.text);
        if (extension) context_.enabled.add(*extension);
        all_known = all_known && extension.has_value();
      }
    };
    enable(condition);
    if (condition.kind == TestKind::allof) {
      for (const auto& child : condition.children) enable(child);
    }
    const bool ok = !all_known || block(nodes, out, false);
    context_.enabled = saved;
    return ok;
  }

  Context& context_;
  Script& script_;
};

}  // namespace

CompileResult compile(std::string_view text, const CompileOptions& options) {
  CompileResult result;
  ParseResult parsed = parse(text, options.limits);
  if (!parsed.errors.empty()) {
    result.errors = std::move(parsed.errors);
    return result;
  }
  auto script = std::make_shared<Script>();
  Context context(options.limits, result.errors);
  context.plugin = options.plugin;
  BlockCompiler(context, *script).block(parsed.tree.commands, script->commands, true);
  if (result.errors.empty()) result.script = std::move(script);
  return result;
}

}  // namespace letterbox::sieve
