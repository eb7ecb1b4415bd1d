#include "letterbox/config/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace letterbox {

void drop_privileges(const ServerSettings& server) {
  if (geteuid() != 0 && getuid() != 0) return;
  if (server.user.empty()) {
    throw ConfigError("started as root, but [server] user is empty: refusing to deliver as root");
  }
  // getpwnam/getgrnam leave errno alone (or set ENOENT) for a name that does not exist; anything else is
  // the name service failing (an LDAP-backed NSS that is down), which must not read as a bad configuration.
  errno = 0;
  const passwd* pw = getpwnam(server.user.c_str());
  if (pw == nullptr && errno != 0 && errno != ENOENT && errno != ESRCH) {
    throw std::system_error(errno, std::generic_category(), "cannot look up user '" + server.user + "'");
  }
  if (pw == nullptr) throw ConfigError("[server] user '" + server.user + "' does not exist");
  if (pw->pw_uid == 0) throw ConfigError("[server] user '" + server.user + "' is root: refusing to deliver as root");
  gid_t gid = pw->pw_gid;
  if (!server.group.empty()) {
    errno = 0;
    const group* gr = getgrnam(server.group.c_str());
    if (gr == nullptr && errno != 0 && errno != ENOENT && errno != ESRCH) {
      throw std::system_error(errno, std::generic_category(), "cannot look up group '" + server.group + "'");
    }
    if (gr == nullptr) throw ConfigError("[server] group '" + server.group + "' does not exist");
    gid = gr->gr_gid;
  }
  // Root's group writes what root's own files allow it to (/etc/shadow is group-readable by shadow, but
  // much under /etc and /var is root:root 0664 or group-writable): as refused as root itself.
  if (gid == 0) {
    throw ConfigError(server.group.empty()
                          ? "[server] user '" + server.user + "' has group 0 (root) as its group: set [server] group"
                          : "[server] group '" + server.group +
                                "' is group 0 (root): refusing to deliver as root's group");
  }
  if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
    throw std::system_error(errno, std::generic_category(), "cannot switch to user " + server.user);
  }
  if (setuid(0) == 0 || geteuid() == 0) throw ConfigError("could regain root after switching users");
}

}  // namespace letterbox
