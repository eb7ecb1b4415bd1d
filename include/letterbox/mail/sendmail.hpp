// Sendmail: hands one message to the MTA by running its sendmail program (`[sieve] sendmail`, Postfix's
// sendmail(1) by default) as `PROGRAM [ARGUMENT...] -i -f SENDER -- RECIPIENT...`, the message on its
// standard input. The arguments let a site name its outbound Postfix instance (`-C /etc/postfix-out`).
// Vacation replies, redirects and notifications leave through it, after the delivered copies are durable.
//
// What it promises: no shell (the program runs through util's run_program, whose contract covers the
// child's descriptors, signals, time limit and reaping), and an address that the program could read as an
// option or as a list is refused before anything runs. The answer is a value: I/O errors, a missing
// program, a crash or a timeout never throw.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace letterbox {

enum class SendmailStatus {
  sent,               // the program took the message (exit status 0 after reading all of it)
  temporary_failure,  // worth trying again: EX_TEMPFAIL, EX_OSERR, a signal, a timeout, a program not started
  permanent_failure,  // any other exit status, or arguments refused before running anything
};

struct SendmailResult {
  SendmailStatus status = SendmailStatus::temporary_failure;
  int exit_status = -1;      // the program's exit status; -1 when it did not exit by itself or never ran
  std::string error_output;  // the first line of its stderr (without the line end), "" if it wrote none
  std::string reason;        // for the log: what happened, e.g. "exited with status 75 (temporary failure)"

  [[nodiscard]] bool ok() const { return status == SendmailStatus::sent; }
  [[nodiscard]] bool temporary() const { return status == SendmailStatus::temporary_failure; }
};

class Sendmail {
 public:
  // `command`: the path of the MTA's sendmail program, then any arguments of its own, split at blanks
  // (no quoting: no shell runs it). `timeout` bounds the whole submission, from the start of the program
  // to its exit.
  explicit Sendmail(std::string_view command, std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // Submits the message made of `message_parts` (written one after the other, so that a prepended header
  // needs no copy of the message) from `sender` ("" is the null sender, passed as `-f <>`, which Postfix
  // reads as the empty address) to every address of `recipients` (at least one). Lines may end in CRLF or
  // LF: Postfix's sendmail takes either. With `-i` a line holding a single "." is message text.
  SendmailResult submit(std::string_view sender, std::span<const std::string> recipients,
                        std::span<const std::string_view> message_parts) const;
  SendmailResult submit(std::string_view sender, std::span<const std::string> recipients,
                        std::string_view message) const;

  const std::string& program() const { return command_.front(); }

 private:
  std::vector<std::string> command_;  // never empty
  std::chrono::milliseconds timeout_;
};

// Why `address` may not be passed to the sendmail program ("" when it may): empty, starting with '-' (an
// option), holding a space, a control character or one of `,<>()` (Postfix's sendmail parses each argument
// as an address list, so "a@x, b@y" would be two recipients). `null_allowed` accepts "" (a sender).
std::string sendmail_address_problem(std::string_view address, bool null_allowed = false);

}  // namespace letterbox
