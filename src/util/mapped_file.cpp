#include "letterbox/util/mapped_file.hpp"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "letterbox/util/private_file.hpp"

namespace letterbox {
namespace bip = boost::interprocess;

namespace {

// The access under way on this thread, if any: where its mapping lies and where to go back to.
struct Guard {
  sigjmp_buf resume;
  const char* begin;
  std::size_t size;
};
thread_local Guard* t_guard = nullptr;

struct sigaction g_previous {};
std::once_flag g_installed;

// A SIGBUS inside a guarded access to its own mapping abandons the access. Any other SIGBUS is what it
// would have been without us: the previous handler's, or the default action (a core dump).
extern "C" void on_sigbus(int signal, siginfo_t* info, void* context) {
  Guard* guard = t_guard;
  const auto* address = static_cast<const char*>(info->si_addr);
  if (guard != nullptr && address >= guard->begin && address < guard->begin + guard->size) {
    siglongjmp(guard->resume, 1);
  }
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(signal, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN && g_previous.sa_handler != nullptr) {
    g_previous.sa_handler(signal);
    return;
  }
  // Returning re-runs the faulting access, which now meets the default action.
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  ::sigaction(SIGBUS, &fallback, nullptr);
}

void install_handler() {
  struct sigaction action {};
  action.sa_sigaction = on_sigbus;
  // SA_NODEFER: the handler leaves by siglongjmp without restoring the signal mask (which would cost a
  // system call on every guarded access), so SIGBUS must not stay blocked behind it.
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, &g_previous);
}

}  // namespace

int reserve_file_space(int fd, std::size_t size) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno;
  // Already backed: most opens, and a cheap test (reserving again walks every page of a tmpfs file).
  if (static_cast<std::uint64_t>(st.st_blocks) * 512 >= size) return 0;
  int err = 0;
  do {
    err = ::posix_fallocate(fd, 0, static_cast<off_t>(size));
  } while (err == EINTR);
  return err;
}

std::unique_ptr<MappedFile> MappedFile::map(UniqueFd fd, std::size_t size, const std::filesystem::path& name,
                                            std::string& why) {
  if (const int err = reserve_file_space(fd.get(), size); err != 0) {
    why = "cannot reserve " + std::to_string(size) + " bytes for " + name.string() + ": " + std::strerror(err);
    return nullptr;
  }
  try {
    bip::mapped_region region(DescriptorMapping{fd.get()}, bip::read_write, 0, size);
    return std::unique_ptr<MappedFile>(new MappedFile(std::move(fd), std::move(region), name));
  } catch (const bip::interprocess_exception& e) {
    why = "cannot map " + name.string() + ": " + e.what();
    return nullptr;
  }
}

MappedFile::MappedFile(UniqueFd fd, bip::mapped_region region, std::filesystem::path name)
    : fd_(std::move(fd)), region_(std::move(region)), name_(std::move(name)) {
  std::call_once(g_installed, install_handler);
}

bool MappedFile::intact() const {
  struct stat st {};
  return ::fstat(fd_.get(), &st) == 0 && st.st_nlink == 1 && static_cast<std::uint64_t>(st.st_size) >= size();
}

bool MappedFile::run_guarded(void (*access)(void*), void* context) const {
  Guard guard{};
  guard.begin = data();
  guard.size = size();
  Guard* const outer = t_guard;
  if (sigsetjmp(guard.resume, 0) != 0) {
    t_guard = outer;
    return false;
  }
  t_guard = &guard;
  access(context);
  t_guard = outer;
  return true;
}

}  // namespace letterbox
