// Sendmail: one message to the MTA through its sendmail program (letterbox/mail/sendmail.hpp).
#include "letterbox/mail/sendmail.hpp"

#include <sysexits.h>

#include <string>
#include <utility>
#include <vector>

#include "letterbox/util/run_program.hpp"
#include "letterbox/util/text.hpp"

namespace letterbox {

namespace {

SendmailResult failure(SendmailStatus status, std::string reason) {
  SendmailResult r;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

std::string first_line(const std::string& text) {
  const auto end = text.find_first_of("\r\n");
  return text.substr(0, end);
}

// The status of a program that exited by itself: EX_TEMPFAIL and EX_OSERR are worth another try, as
// Postfix reads the sysexits codes; any other failure is the program's final word.
SendmailStatus status_of_exit(int code) {
  if (code == 0) return SendmailStatus::sent;
  if (code == EX_TEMPFAIL || code == EX_OSERR) return SendmailStatus::temporary_failure;
  return SendmailStatus::permanent_failure;
}

std::string seconds_text(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

std::string sendmail_address_problem(std::string_view address, bool null_allowed) {
  if (address.empty()) return null_allowed ? "" : "the address is empty";
  if (address.front() == '-') return "the address starts with '-' (it would be read as an option)";
  for (const char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "the address holds a control character";
    if (c == ' ') return "the address holds a space";
    if (std::string_view(",<>()").find(c) != std::string_view::npos) {
      return std::string("the address holds '") + c + "' (the program would read it as an address list)";
    }
  }
  return "";
}

Sendmail::Sendmail(std::string_view command, std::chrono::milliseconds timeout)
    : command_(split_words(command, " \t")), timeout_(timeout) {
  if (command_.empty()) command_.emplace_back();  // not started, and said so, at the first submission
}

SendmailResult Sendmail::submit(std::string_view sender, std::span<const std::string> recipients,
                                std::string_view message) const {
  const std::string_view parts[] = {message};
  return submit(sender, recipients, parts);
}

SendmailResult Sendmail::submit(std::string_view sender, std::span<const std::string> recipients,
                                std::span<const std::string_view> message_parts) const {
  if (auto why = sendmail_address_problem(sender, true); !why.empty()) {
    return failure(SendmailStatus::permanent_failure, "sender <" + std::string(sender) + "> refused: " + why);
  }
  if (recipients.empty()) return failure(SendmailStatus::permanent_failure, "no recipient");
  for (const auto& rcpt : recipients) {
    if (auto why = sendmail_address_problem(rcpt); !why.empty()) {
      return failure(SendmailStatus::permanent_failure, "recipient <" + rcpt + "> refused: " + why);
    }
  }

  // "-i": a line with a single dot is text, not the end. "-f <>": Postfix's sendmail parses -f as an
  // address, and "<>" is the empty one (an empty argument would be too, but other MTAs' sendmail
  // programs take "<>" more reliably). "--" ends the options, so no address can become one.
  std::vector<std::string> argv = command_;
  argv.insert(argv.end(), {"-i", "-f", sender.empty() ? std::string("<>") : std::string(sender), "--"});
  argv.insert(argv.end(), recipients.begin(), recipients.end());
  auto run = run_program(argv, message_parts, timeout_);

  SendmailResult result;
  result.error_output = first_line(run.error_output);
  switch (run.end) {
    case ProgramResult::End::not_started:
    case ProgramResult::End::abandoned:
      // A missing or broken program is the site's configuration, which can be mended: worth a retry.
      result.reason = std::move(run.problem);
      return result;
    case ProgramResult::End::timed_out:
      result.reason = program() + " did not finish within " + seconds_text(timeout_) + " and was killed";
      return result;
    case ProgramResult::End::killed_by_signal:
      result.reason = program() + " was killed by signal " + std::to_string(run.signal);
      return result;
    case ProgramResult::End::exited: break;
  }
  result.exit_status = run.exit_status;
  result.status = status_of_exit(run.exit_status);
  if (run.exit_status != 0) {
    result.reason = program() + " exited with status " + std::to_string(run.exit_status) +
                    (result.temporary() ? " (temporary failure)" : " (permanent failure)");
  } else if (!run.input_complete) {
    // It may have queued part of the message: a retry is better than a truncated message passed as sent.
    result.status = SendmailStatus::temporary_failure;
    result.reason = program() + " exited before reading the whole message";
  } else {
    result.reason = "sent";
  }
  return result;
}

}  // namespace letterbox
