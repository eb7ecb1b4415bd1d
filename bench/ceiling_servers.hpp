// bench_ceiling's ceilings: the least a server can do for the same load, each run in a child process
// (the bench binary re-executed) so that its CPU time and system calls are measured as Letterbox's are.
// Both serve each connection on a thread of their own from a pool started up front, every thread
// blocking in accept() on the shared listening socket: no thread is created, and no connection handed
// from one thread to another, while the load runs.
#pragma once

#include <filesystem>

namespace letterbox::bench {

// An LMTP server on 127.0.0.1:`port` that speaks just enough LMTP for smtp-source -L (LHLO, MAIL, RCPT,
// DATA with dot-unstuffing, RSET, NOOP, QUIT; pipelining) and does a Maildir delivery's durable work per
// recipient: the message kept in memory, written to a new file in <root>/<local part>/tmp, fsync'd,
// linked into new/ (the tmp name then unlinked) and new/ fsync'd, one fsync of a directory covering
// every message linked into it before that fsync began (group commit). With `mbox`, every message is
// appended to <root>/mbox instead ("From " line, >From quoting) and the file fsync'd the same way.
// No directory, no locks between processes, no descriptors kept open below <root> (the benchmark moves
// the mail aside between runs). Runs until killed.
[[noreturn]] void run_lmtp_sink(int port, const std::filesystem::path& root, bool mbox);

// A Postfix policy-delegation server on 127.0.0.1:`port` that answers every request (attribute=value
// lines ending in an empty line) with "action=DUNNO". Runs until killed.
[[noreturn]] void run_policy_responder(int port);

}  // namespace letterbox::bench
