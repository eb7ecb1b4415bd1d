// What /proc tells of other processes: who runs, with what, using how much.
#pragma once

#include <sys/types.h>

#include <string>

namespace letterbox::test {

// The first process other than this one with `argument` among its arguments (/proc); -1 if none.
pid_t process_with_argument(const std::string& argument);

// User plus system CPU time `pid` has used so far (/proc/PID/stat); -1 if it is gone.
double cpu_seconds(pid_t pid);

// Whether `pid` is alive (a zombie counts as gone).
bool process_running(pid_t pid);

// A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); -1 when it cannot be read.
long status_kib(pid_t pid, const std::string& field);

}  // namespace letterbox::test
