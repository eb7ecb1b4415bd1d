// What the interpreter tests share: a fake ScriptHost (folders, included scripts and duplicate IDs in memory),
// a message close to RFC 5228's examples with its envelope, a fixed clock and zone, and run() giving the
// printed actions (run_result.hpp's format), which is what every test asserts.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "letterbox/sieve/compiler.hpp"
#include "letterbox/sieve/interpreter.hpp"
#include "sieve_rfc_examples.hpp"

namespace letterbox::sieve::testing {

// An example script of the RFCs by its name in sieve_rfc_examples.hpp.
inline std::string_view rfc_example(std::string_view name) {
  for (const auto& example : examples::rfc_examples()) {
    if (example.name == name) return example.text;
  }
  ADD_FAILURE() << "no example " << name;
  return {};
}

inline constexpr std::string_view kMessage =
    "Return-Path: <coyote@desert.example.org>\r\n"
    "Received: from mx.example.org by mail.example.com; Tue, 7 Jan 2025 09:00:00 +0000\r\n"
    "Received: from desert.example.org by mx.example.org; Mon, 6 Jan 2025 10:00:05 +0100\r\n"
    "From: \"Wile E. Coyote\" <coyote@desert.example.org>\r\n"
    "To: roadrunner+tricks@acme.example.com, \"Other\" <other@acme.example.com>\r\n"
    "Cc: boss@example.edu\r\n"
    "Subject: I have a present for you\r\n"
    "Message-ID: <1234@desert.example.org>\r\n"
    "Date: Mon, 6 Jan 2025 10:00:00 +0100\r\n"
    "X-Caffeine: C8H10N4O2\r\n"
    "\r\n"
    "Look, I'm sorry about the whole anvil thing, and I really\r\n"
    "didn't mean to try and drop it on you from the top of the\r\n"
    "cliff.  I want to try to make it up to you.  I've got some\r\n"
    "great birdseed over here at my place--top of the line\r\n"
    "stuff--and if you come by, I'll have it all wrapped up\r\n"
    "for you.  I'm real sorry for everything.\r\n";

class FakeHost : public ScriptHost {
 public:
  std::set<std::string, std::less<>> mailboxes = {"Lists", "Lists/dev", "Junk"};
  std::map<std::pair<IncludeLocation, std::string>, std::string> scripts;  // compiled on demand
  std::set<std::pair<std::string, std::string>> seen;                      // (handle, id)
  std::vector<std::string> duplicate_queries;                              // "handle|id|seconds"

  bool mailbox_exists(std::string_view name) override { return mailboxes.contains(name); }

  IncludeLoad load_include(IncludeLocation location, std::string_view name) override {
    const auto it = scripts.find({location, std::string(name)});
    if (it == scripts.end()) return IncludeMissing{};
    auto compiled = compile(it->second);
    if (!compiled.ok()) return IncludeFailed{compiled.errors.front().message};
    return compiled.script;
  }

  bool duplicate_seen(std::string_view handle, std::string_view id, std::uint64_t seconds) override {
    duplicate_queries.push_back(std::string(handle) + "|" + std::string(id) + "|" + std::to_string(seconds));
    return seen.contains({std::string(handle), std::string(id)});
  }
};

// 2025-01-07T12:34:56Z (a Tuesday), the local zone +0100.
inline RunInput default_input(ScriptHost& host) {
  RunInput input;
  input.message = kMessage;
  input.envelope = {"coyote@desert.example.org", "roadrunner+tricks@acme.example.com", ""};
  input.environment.now = std::chrono::system_clock::from_time_t(1736253296);
  input.environment.local_zone = ZoneOffset{60, false};
  input.environment.domain = "example.com";
  input.environment.host = "mail.example.com";
  input.environment.version = "1.0";
  input.host = &host;
  return input;
}

class SieveRun : public ::testing::Test {
 protected:
  FakeHost host;
  RunInput input = default_input(host);

  std::shared_ptr<const Script> compiled(std::string_view text) {
    auto result = compile(text);
    if (!result.ok()) {
      ADD_FAILURE() << "does not compile: " << result.errors.front().where.line << ":"
                    << result.errors.front().where.column << ": " << result.errors.front().message;
    }
    return result.script;
  }

  RunResult result(std::string_view text) {
    const auto script = compiled(text);
    if (!script) return {};
    return sieve::run(*script, input);
  }

  // The printed actions of `text` run on `input`.
  std::string run(std::string_view text) { return print_run_result(result(text)); }
  std::string run_on(std::string_view message, std::string_view text) {
    input.message = message;
    return run(text);
  }

  std::string run_sequence(const std::vector<std::string_view>& texts) {
    std::vector<std::shared_ptr<const Script>> scripts;
    std::vector<const Script*> pointers;
    for (const auto text : texts) {
      scripts.push_back(compiled(text));
      if (!scripts.back()) return {};
      pointers.push_back(scripts.back().get());
    }
    return print_run_result(sieve::run_sequence(pointers, input));
  }
};

}  // namespace letterbox::sieve::testing
