// The fuzz targets, as plain functions so that the same code runs under libFuzzer (scripts/fuzz, built
// with clang: fuzz_main.cpp) and replays every committed input in the ordinary test suite
// (tests/unit/fuzz_corpus_test.cpp). Each asserts invariants, not just "no crash": FUZZ_CHECK aborts
// with the failed condition, which libFuzzer records as a crash and the replay test as a death.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

namespace letterbox::fuzz {

// Passes `bytes` to `feed` whole (seed 0) or in pieces of 1 to `longest` octets whose sizes `seed`
// picks: a parser fed from a socket must make the same of any cut.
template <typename Feed>
void feed_in_pieces(std::string_view bytes, std::uint32_t seed, Feed&& feed, std::size_t longest = 300) {
  std::size_t at = 0;
  std::uint32_t state = seed;
  while (at < bytes.size()) {
    state = state * 1103515245U + 12345U;
    const std::size_t len = seed == 0 ? bytes.size() : 1 + (state >> 16) % longest;
    feed(bytes.substr(at, len));
    at += len;
  }
}

int lmtp_parser(const std::uint8_t* data, std::size_t size);
int address(const std::uint8_t* data, std::size_t size);
int config(const std::uint8_t* data, std::size_t size);
int mbox_quoting(const std::uint8_t* data, std::size_t size);
int maildirsize(const std::uint8_t* data, std::size_t size);
int mail_path(const std::uint8_t* data, std::size_t size);
int policy_protocol(const std::uint8_t* data, std::size_t size);
int managesieve_parser(const std::uint8_t* data, std::size_t size);
int sieve_compile(const std::uint8_t* data, std::size_t size);
int sieve_message(const std::uint8_t* data, std::size_t size);
int sieve_match(const std::uint8_t* data, std::size_t size);
int sieve_run(const std::uint8_t* data, std::size_t size);

struct Target {
  std::string_view name;  // also the corpus directory: tests/fuzz/corpus/<name>/
  int (*run)(const std::uint8_t*, std::size_t);
};

inline constexpr Target kTargets[] = {
    {"lmtp_parser", lmtp_parser},
    {"address", address},
    {"config", config},
    {"mbox_quoting", mbox_quoting},
    {"maildirsize", maildirsize},
    {"mail_path", mail_path},
    {"policy_protocol", policy_protocol},
    {"managesieve_parser", managesieve_parser},
    {"sieve_compile", sieve_compile},
    {"sieve_message", sieve_message},
    {"sieve_match", sieve_match},
    {"sieve_run", sieve_run},
};

}  // namespace letterbox::fuzz
