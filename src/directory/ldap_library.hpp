// The OpenLDAP client library, loaded with dlopen() the first time a lookup reaches the directory.
//
// Why not linked: libldap brings its TLS stack (GnuTLS, p11-kit, nettle, gmp, …), whose loading and
// constructors cost about 2.6 ms of CPU in every process that links it, two thirds of a letterbox-lda
// start. A letterbox-lda delivery answered from the shared directory cache never talks to LDAP, and
// letterbox-lda is a new process per message: it should not pay for a library it does not use.
// The functions keep their libldap names and types (taken from <ldap.h>), so the code that uses them
// reads as ordinary libldap code: lib().ldap_search_ext_s(…).
#pragma once

#include <ldap.h>

#include <string>

namespace letterbox {

struct LdapLibrary {
#define LETTERBOX_LDAP_FUNCTIONS(X) \
  X(ldap_initialize)                \
  X(ldap_set_option)                \
  X(ldap_start_tls_s)               \
  X(ldap_sasl_bind_s)               \
  X(ldap_unbind_ext_s)              \
  X(ldap_search_ext_s)              \
  X(ldap_first_message)             \
  X(ldap_next_message)              \
  X(ldap_msgtype)                   \
  X(ldap_msgfree)                   \
  X(ldap_parse_result)              \
  X(ldap_count_entries)             \
  X(ldap_count_references)          \
  X(ldap_first_entry)               \
  X(ldap_get_dn)                    \
  X(ldap_memfree)                   \
  X(ldap_get_values_len)            \
  X(ldap_value_free_len)            \
  X(ldap_err2string)                \
  X(ldap_bv2escaped_filter_value)   \
  X(ber_memfree)
#define LETTERBOX_LDAP_MEMBER(name) decltype(&::name) name = nullptr;
  LETTERBOX_LDAP_FUNCTIONS(LETTERBOX_LDAP_MEMBER)
#undef LETTERBOX_LDAP_MEMBER
};

// The library, loaded once per process; nullptr, with `why` set, when it cannot be loaded (the callers
// answer "directory unavailable": a missing library is never a reason to bounce).
const LdapLibrary* load_ldap_library(std::string& why);

}  // namespace letterbox
