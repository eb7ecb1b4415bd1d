// The options of a program's command line, read with getopt_long rather than Boost.Program_options:
// letterbox-lda is a process per message, and loading and initialising that library cost about a
// millisecond of CPU per start. Each option may be given once.
#pragma once

#include <getopt.h>

#include <map>
#include <optional>
#include <string>

namespace letterbox {

// Option (its short letter, or its long option's value) -> its argument, if it takes one.
using GivenOptions = std::map<int, std::optional<std::string>>;

// Reads the options of argv into `given`. `short_options` starts with ':' (or "+:" to stop at the first
// operand). Returns "" when every option is known, has its value and is given once, else what is wrong,
// such as "unrecognised option '-x'". Afterwards optind is the index of the first operand.
std::string read_options(int argc, char** argv, const char* short_options, const option* long_options,
                         GivenOptions& given);

}  // namespace letterbox
