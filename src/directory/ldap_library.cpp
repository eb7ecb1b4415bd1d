#include "ldap_library.hpp"

#include <dlfcn.h>

#include <mutex>

namespace letterbox {

const LdapLibrary* load_ldap_library(std::string& why) {
  static std::once_flag once;
  static LdapLibrary library;
  static const LdapLibrary* loaded = nullptr;
  static std::string error;
  std::call_once(once, [] {
    // RTLD_NODELETE: the handle is never closed anyway, and libldap's TLS stack must not be unloaded.
    void* handle = ::dlopen(LETTERBOX_LDAP_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle == nullptr) {
      error = std::string("cannot load ") + LETTERBOX_LDAP_SONAME + ": " + ::dlerror();
      return;
    }
#define LETTERBOX_LDAP_RESOLVE(name)                                               \
  library.name = reinterpret_cast<decltype(library.name)>(::dlsym(handle, #name)); \
  if (library.name == nullptr) {                                                   \
    error = std::string(LETTERBOX_LDAP_SONAME) + " has no " #name;                 \
    return;                                                                        \
  }
    LETTERBOX_LDAP_FUNCTIONS(LETTERBOX_LDAP_RESOLVE)
#undef LETTERBOX_LDAP_RESOLVE
    loaded = &library;
  });
  if (loaded == nullptr) why = error;
  return loaded;
}

}  // namespace letterbox
