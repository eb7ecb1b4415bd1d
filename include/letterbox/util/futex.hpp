// Futex: sleeping on an atomic int and waking its sleepers, for hand-offs where a mutex and condition
// variable would cost more system calls (a condition variable's waiters all take the mutex again on
// waking, and contend for it). Linux only, like the rest of the project.
#pragma once

#include <atomic>

namespace letterbox {

// Sleeps while `word` holds `expected`. Returns at once if it no longer does, and may return spuriously:
// the caller looks at the word again.
void futex_wait(std::atomic<int>& word, int expected);

// Wakes up to `count` threads sleeping on `word` (INT_MAX: all of them).
void futex_wake(std::atomic<int>& word, int count);

}  // namespace letterbox
