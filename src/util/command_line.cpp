#include "letterbox/util/command_line.hpp"

namespace letterbox {

std::string read_options(int argc, char** argv, const char* short_options, const option* long_options,
                         GivenOptions& given) {
  opterr = 0;
  for (;;) {
    const int opt = getopt_long(argc, argv, short_options, long_options, nullptr);
    if (opt == -1) return "";
    if (opt == '?') return "unrecognised option '" + std::string(argv[optind - 1]) + "'";
    if (opt == ':') return "option '" + std::string(argv[optind - 1]) + "' needs a value";
    if (given.count(opt) != 0U) {
      std::string name = opt < 256 ? std::string("-") + static_cast<char>(opt) : "";
      for (const option* o = long_options; o->name != nullptr; ++o) {
        if (o->val == opt) name += (name.empty() ? "--" : "/--") + std::string(o->name);
      }
      return "option '" + name + "' given more than once";
    }
    given[opt] = optarg != nullptr ? std::optional<std::string>(optarg) : std::nullopt;
  }
}

}  // namespace letterbox
