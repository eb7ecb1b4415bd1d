// Mail paths: whatever the address (%u, %d, %a) or the directory's mailbox attribute says, and whatever
// the subaddress folder, a path that confine_to_root() lets through lies under mail_root, is lexically
// normal, passes through no symlink below mail_root, and the folder adds at most one ".name" level.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_targets.hpp"
#include "letterbox/config/config.hpp"
#include "letterbox/directory/recipient_resolver.hpp"
#include "letterbox/store/fsync_batch.hpp"
#include "letterbox/store/mail_path.hpp"
#include "letterbox/store/maildir_store.hpp"

namespace letterbox::fuzz {
namespace {

// A mail_root with real mailboxes, a Maildir++ folder and symlinks pointing out of it, made once.
const std::filesystem::path& mail_root() {
  static const std::filesystem::path root = [] {
    char pattern[] = "/tmp/letterbox-fuzz-root.XXXXXX";
    const char* made = ::mkdtemp(pattern);
    FUZZ_CHECK(made != nullptr);
    const std::filesystem::path r(made);
    std::filesystem::create_directories(r / "example.org" / "alice" / "Maildir" / ".Lists");
    std::filesystem::create_directories(r / "example.org" / "bob");
    std::filesystem::create_symlink("/etc", r / "evil");
    std::filesystem::create_symlink("/tmp", r / "example.org" / "link");
    std::filesystem::create_symlink("../../..", r / "example.org" / "bob" / "up");
    return r;
  }();
  return root;
}

void check_confined(const std::filesystem::path& path) {
  const std::string root = mail_root().string();
  FUZZ_CHECK(path.is_absolute());
  FUZZ_CHECK(path.lexically_normal() == path);
  FUZZ_CHECK(path.string().starts_with(root + "/"));
  for (const auto& part : path) FUZZ_CHECK(part != ".." && part != ".");
  std::filesystem::path walk = mail_root();
  for (const auto& part : path.lexically_relative(mail_root())) {
    walk /= part;
    struct stat st {};
    if (::lstat(walk.c_str(), &st) != 0) break;
    FUZZ_CHECK(!S_ISLNK(st.st_mode));
  }
}

}  // namespace

int mail_path(const std::uint8_t* data, std::size_t size) {
  // The input: a template choice, then local part, domain, subaddress and a raw mailbox attribute,
  // separated by NUL bytes.
  if (size == 0) return 0;
  std::vector<std::string> parts(1);
  for (std::size_t i = 1; i < size; ++i) {
    if (data[i] == 0 && parts.size() < 4) {
      parts.emplace_back();
    } else {
      parts.back() += static_cast<char>(data[i]);
    }
  }
  parts.resize(4);
  static constexpr const char* kTemplates[] = {"%d/%u/Maildir", "%a", "%u", "%d/%u.mbox", "x/%u/%d/", "%%/%u/%a"};
  const Address address{parts[0], parts[1], parts[2]};
  const std::string expanded = expand_mailbox_template(kTemplates[data[0] % 6], address);
  static FsyncBatch syncs;
  static const Settings settings = default_settings();
  const MaildirStore store(settings.delivery, settings.maildir, syncs);
  for (const std::string& mailbox : {expanded, parts[3]}) {
    if (mailbox.empty()) continue;
    std::string why;
    const auto path = confine_to_root(mail_root(), mailbox, why);
    if (!path) {
      FUZZ_CHECK(!why.empty());
      continue;
    }
    check_confined(*path);
    const auto target = store.target_for(*path, address.subaddress);
    if (target != *path) {
      FUZZ_CHECK(target.parent_path() == *path);
      const std::string name = target.filename().string();
      FUZZ_CHECK(name.size() > 1 && name.front() == '.' && name != "..");
      FUZZ_CHECK(name.find('/') == std::string::npos);
      check_confined(target);
    }
  }
  return 0;
}

}  // namespace letterbox::fuzz
