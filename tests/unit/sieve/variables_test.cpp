// RFC 5229: the variable store, "${...}" expansion and the set modifiers, with the RFC's examples.
#include "letterbox/sieve/variables.hpp"

#include <gtest/gtest.h>

#include "letterbox/sieve/set_modifiers.hpp"

namespace letterbox::sieve {
namespace {

using M = SetModifier;

std::string expand(std::string_view text, const VariableStore& store, const MatchVariables& matches = {}) {
  return expand_variables(text, store, matches, 4096);
}

TEST(Variables, NamesAreCaseInsensitive) {
  VariableStore store(10, 100);
  EXPECT_TRUE(store.set("Company", "ACME"));
  EXPECT_EQ(store.get("company"), "ACME");
  EXPECT_TRUE(store.set("COMPANY", "Road Runner"));
  EXPECT_EQ(store.size(), 1U);
  EXPECT_EQ(expand("${company}", store), "Road Runner");
  EXPECT_FALSE(store.get("other"));
}

TEST(Variables, InvalidNamesRefused) {
  VariableStore store(10, 100);
  EXPECT_FALSE(store.set("1abc", "x"));
  EXPECT_FALSE(store.set("a-b", "x"));
  EXPECT_FALSE(store.set("", "x"));
  EXPECT_TRUE(store.set("_a1", "x"));
  EXPECT_TRUE(is_variable_name("a_B9"));
  EXPECT_FALSE(is_variable_name("a.b"));
}

TEST(Variables, LimitsOnCountAndSize) {
  VariableStore store(2, 5);
  EXPECT_TRUE(store.set("a", "1"));
  EXPECT_TRUE(store.set("b", "2"));
  EXPECT_FALSE(store.set("c", "3"));
  EXPECT_TRUE(store.set("a", "123456789"));
  EXPECT_EQ(store.get("a"), "12345");
  EXPECT_TRUE(store.set("b", "abc\xc3\xa9"));  // 5 octets exactly
  EXPECT_EQ(store.get("b"), "abc\xc3\xa9");
  EXPECT_TRUE(store.set("b", "abcd\xc3\xa9"));  // the cut would split é
  EXPECT_EQ(store.get("b"), "abcd");
}

TEST(Variables, Utf8Prefix) {
  EXPECT_EQ(utf8_prefix("\xe2\x82\xac\xe2\x82\xac", 4), "\xe2\x82\xac");
  EXPECT_EQ(utf8_prefix("abc", 10), "abc");
  EXPECT_EQ(utf8_prefix("\xe2\x82\xac", 2), "");
}

TEST(Expand, Rfc5229Examples) {
  VariableStore store(10, 100);
  store.set("company", "ACME");
  EXPECT_EQ(expand("${full}", store), "");
  EXPECT_EQ(expand("${company}", store), "ACME");
  EXPECT_EQ(expand("${BAD${Company}", store), "${BADACME");
  EXPECT_EQ(expand("${President, ${Company} Inc.}", store), "${President, ACME Inc.}");
}

TEST(Expand, MatchVariables) {
  VariableStore store(10, 100);
  const MatchVariables m{{"whole", "one", "two"}};
  EXPECT_EQ(expand("${0}/${1}/${2}/${3}", store, m), "whole/one/two/");
  EXPECT_EQ(expand("${002}", store, m), "two");  // leading zeroes ignored
  EXPECT_EQ(expand("${00}", store, m), "whole");
  EXPECT_EQ(expand("${99999999999999999999}", store, m), "");
}

TEST(Expand, InvalidReferencesStayLiteral) {
  VariableStore store(10, 100);
  store.set("a", "A");
  EXPECT_EQ(expand("${", store), "${");
  EXPECT_EQ(expand("${}", store), "${}");
  EXPECT_EQ(expand("${a b}", store), "${a b}");
  EXPECT_EQ(expand("${1a}", store), "${1a}");
  EXPECT_EQ(expand("$${a}}", store), "$A}");
  EXPECT_EQ(expand("${a", store), "${a");
}

TEST(Expand, OnePassOnly) {
  VariableStore store(10, 100);
  store.set("a", "${b}");
  store.set("b", "no");
  EXPECT_EQ(expand("${a}", store), "${b}");
}

TEST(Expand, NamespacesThroughTheLookup) {
  VariableStore store(10, 100);
  const NamespaceLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "env.name") return "letterbox";
    return std::nullopt;
  };
  EXPECT_EQ(expand_variables("${env.name}-${env.other}", store, {}, 100, env), "letterbox-");
  EXPECT_EQ(expand("${env.name}", store), "");
  EXPECT_EQ(expand("${env.}", store), "${env.}");
}

TEST(Expand, OutputBoundedAtCharacterBoundary) {
  VariableStore store(10, 1000);
  store.set("x", std::string(100, 'x'));
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "${x}";
  EXPECT_EQ(expand_variables(text, store, {}, 250).size(), 250U);
  EXPECT_EQ(expand_variables("ab\xc3\xa9", store, {}, 3), "ab");
}

TEST(SetModifiers, EachModifier) {
  EXPECT_EQ(apply_modifiers("Hello World", std::vector{M::lower}), "hello world");
  EXPECT_EQ(apply_modifiers("Hello \xc3\xa9", std::vector{M::upper}), "HELLO \xc3\xa9");
  EXPECT_EQ(apply_modifiers("HELLO", std::vector{M::lowerfirst}), "hELLO");
  EXPECT_EQ(apply_modifiers("hello", std::vector{M::upperfirst}), "Hello");
  EXPECT_EQ(apply_modifiers("a*b?c\\d", std::vector{M::quotewildcard}), "a\\*b\\?c\\\\d");
  EXPECT_EQ(apply_modifiers("a.b(c)|d$", std::vector{M::quoteregex}), "a\\.b\\(c\\)\\|d\\$");
  EXPECT_EQ(apply_modifiers("\xc3\xa9t\xc3\xa9", std::vector{M::length}), "3");
  EXPECT_EQ(apply_modifiers("", std::vector{M::length}), "0");
  EXPECT_EQ(apply_modifiers("", std::vector{M::upperfirst}), "");
}

TEST(SetModifiers, PrecedenceNotScriptOrder) {
  // RFC 5229 §4: set :upperfirst :lower "b" "JUMBLED lETTERS" gives "Jumbled letters".
  EXPECT_EQ(apply_modifiers("JUMBLED lETTERS", std::vector{M::upperfirst, M::lower}), "Jumbled letters");
  // :length last: the length of the quoted text.
  EXPECT_EQ(apply_modifiers("a*", std::vector{M::length, M::quotewildcard}), "3");
  EXPECT_EQ(apply_modifiers("ab", std::vector{M::upper, M::upper}), "AB");
}

TEST(SetModifiers, Conflicts) {
  EXPECT_TRUE(modifiers_conflict(std::vector{M::lower, M::upper}));
  EXPECT_TRUE(modifiers_conflict(std::vector{M::quotewildcard, M::quoteregex}));
  EXPECT_FALSE(modifiers_conflict(std::vector{M::lower, M::upperfirst, M::length}));
  EXPECT_FALSE(modifiers_conflict(std::vector{M::lower, M::lower}));
  EXPECT_EQ(modifier_precedence(M::length), 10);
}

TEST(Expand, PlainTextAndEmpty) {
  VariableStore store(1, 10);
  EXPECT_EQ(expand("", store), "");
  EXPECT_EQ(expand("no references $ here {}", store), "no references $ here {}");
}

}  // namespace
}  // namespace letterbox::sieve
