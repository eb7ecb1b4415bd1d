// run_program: runs one program to its end, without a shell, writing an input to its stdin and keeping the
// start of its stderr, within a time limit. Knows nothing of mail: Sendmail (mail/) is its user.
//
// What it promises: the arguments go to execve as they are; the child sees only its stdin pipe, a /dev/null
// stdout and its stderr pipe, whatever descriptors the caller holds (also without close-on-exec, also when
// the caller's 0, 1 or 2 are closed), with every signal at its default and none blocked; it leads its own
// process group, and at the time limit the whole group is killed; the child is always reaped before the
// call returns; SIGPIPE never reaches the caller. Every failure is in the result: nothing throws but
// std::bad_alloc.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

namespace letterbox {

struct ProgramResult {
  enum class End {
    exited,            // exit_status says how
    killed_by_signal,  // signal says which
    timed_out,         // killed at the time limit
    not_started,       // problem says why (the program is missing, not executable, no pipe...)
    abandoned,         // it ran, but waiting for it failed (problem says why); it was killed
  };
  End end = End::not_started;
  int exit_status = -1;  // for `exited`
  int signal = 0;        // for `killed_by_signal`
  // The program read the whole input: every byte was written and its stdin closed before it exited.
  bool input_complete = false;
  std::string error_output;  // the first kMaxErrorOutput bytes of its stderr
  std::string problem;       // not_started, abandoned: "cannot run PATH: strerror", "poll: ..."

  static constexpr std::size_t kMaxErrorOutput = 1024;
};

// Runs argv[0] (a path: no PATH search) with `argv` (argv[0] included), the environment of this process,
// and the cwd of this process; writes the `input` parts one after the other to its stdin, then closes it;
// returns once it has exited, or once `timeout` has passed since the start (then it was killed).
ProgramResult run_program(std::span<const std::string> argv, std::span<const std::string_view> input,
                          std::chrono::milliseconds timeout);

}  // namespace letterbox
