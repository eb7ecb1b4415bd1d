// The parse tree of RFC 5228 §8.2: commands, tests and their arguments exactly as written (escapes and
// dot-stuffing undone, nothing else interpreted). The compiler checks it; the printer can print it back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "letterbox/sieve/diagnostic.hpp"

namespace letterbox::sieve::ast {

struct StringValue {
  std::string text;
  Position where;
  bool operator==(const StringValue&) const = default;
};

struct Argument {
  enum class Kind { number, string_list, tag };
  Kind kind = Kind::number;
  Position where;
  std::uint64_t number = 0;          // with its K/M/G quantifier applied
  std::vector<StringValue> strings;  // a lone string is a list of one with bracketed == false
  bool bracketed = false;
  std::string tag;  // without the ':'
  bool operator==(const Argument&) const = default;
};

struct Test {
  std::string name;
  Position where;
  Position end;  // where the arguments stop: the place to point at when one is missing
  std::vector<Argument> arguments;
  std::vector<Test> tests;
  bool test_list = false;  // the tests were written as ( … , … )
  bool operator==(const Test&) const = default;
};

struct Command {
  std::string name;
  Position where;
  Position end;
  std::vector<Argument> arguments;
  std::vector<Test> tests;
  bool test_list = false;
  bool has_block = false;
  std::vector<Command> block;
  bool operator==(const Command&) const = default;
};

struct Tree {
  std::vector<Command> commands;
  bool operator==(const Tree&) const = default;
};

}  // namespace letterbox::sieve::ast
