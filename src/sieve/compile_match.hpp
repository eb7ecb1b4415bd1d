// The tagged arguments several tests share: COMPARATOR and MATCH-TYPE (RFC 5228 §2.7, relational RFC
// 5231, regex), ADDRESS-PART (§2.7.4, subaddress RFC 5233) and :index/:last (RFC 5260 §6).
#pragma once

#include "compile_context.hpp"

namespace letterbox::sieve {

// Each returns false when the tag is not of its family (nothing consumed); true when it took the tag,
// whether or not the tag was valid (errors go to the context).
bool match_tag(Arguments& arguments, const ast::Argument& tag, Match& match);
bool address_part_tag(Arguments& arguments, const ast::Argument& tag, AddressPart& part);
bool index_tag(Arguments& arguments, const ast::Argument& tag, FieldIndex& index);

// Once the keys are known: the comparator supports the match type, :last comes with :index, and
// literal :regex keys compile.
bool finish_match(Context& context, Position where, Match& match, const StringList& keys);
bool finish_index(Context& context, Position where, const FieldIndex& index);

}  // namespace letterbox::sieve
