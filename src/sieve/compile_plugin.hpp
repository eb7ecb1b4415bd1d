// The narrow door through which a program adds an extension of its own to one compilation (the testsuite
// of `letterbox-sieve svtest`): the compiler asks the plugin about `require` names it does not know and,
// once that was required, about commands and tests it does not know. What the plugin compiles is a
// HostedNode that the interpreter calls back, so neither knows the extension. Delivery passes no plugin.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "compile_context.hpp"
#include "run_state.hpp"

namespace letterbox::sieve {

class HostedNode {
 public:
  virtual ~HostedNode() = default;
  // As a command (CommandKind::hosted) and as a test (TestKind::hosted). A failure is run.fail().
  virtual Flow execute(Run& run, Frame& frame, const Command& command) const {
    run.fail(frame, command.where, "not a command");
    return Flow::error;
  }
  virtual bool evaluate(Run& run, Frame& frame, const Test& test) const {
    return run.fail(frame, test.where, "not a test");
  }
};

class CompilePlugin {
 public:
  using CompileBlock = std::function<bool(const std::vector<ast::Command>&, std::vector<Command>&)>;

  virtual ~CompilePlugin() = default;
  // Whether `require_name` is one of the plugin's extensions; requiring any makes all its commands known.
  virtual bool provides(std::string_view require_name) const = 0;
  // nullopt: not one of the plugin's; else whether it compiled (errors in the context). `compile_block`
  // compiles a command's block with the compiler's own rules.
  virtual std::optional<bool> compile_command(Context& context, const ast::Command& node, Command& out,
                                              const CompileBlock& compile_block) const = 0;
  virtual std::optional<bool> compile_test(Context& context, const ast::Test& node, Test& out) const = 0;
};

}  // namespace letterbox::sieve
