// The documentation an administrator reads is checked against the code it describes: letterbox.conf(5)
// names every configuration key with the default the parser really uses, and the Grafana dashboard asks
// only for metrics the daemons really serve.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "../support/test_support.hpp"
#include "letterbox/config.hpp"
#include "letterbox/metrics.hpp"

using namespace letterbox;
using letterbox::test::read_file;

namespace {

const std::filesystem::path kSource(LETTERBOX_SOURCE_DIR);

// "[section]" -> the "key = value" lines of the effective configuration at its defaults.
std::map<std::string, std::vector<std::pair<std::string, std::string>>> default_keys() {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
  auto defaults = default_settings();
  defaults.server.hostname = "";
  std::string section;
  std::istringstream in(format_effective_config(defaults));
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("[")) section = line;
    const auto eq = line.find(" = ");
    if (eq != std::string::npos) out[section].emplace_back(line.substr(0, eq), line.substr(eq + 3));
  }
  return out;
}

// The text from `start` up to the next occurrence of any of `ends` (or the end).
std::string block(const std::string& text, std::size_t start, std::initializer_list<const char*> ends) {
  std::size_t stop = text.size();
  for (const char* end : ends) stop = std::min(stop, text.find(end, start + 1));
  return text.substr(start, stop - start);
}

}  // namespace

TEST(Documentation, ConfManPageNamesEveryKeyWithItsDefault) {
  const auto page = read_file(kSource / "docs" / "man" / "letterbox.conf.5");
  for (const auto& [section, keys] : default_keys()) {
    const auto at = page.find("\n.Ss \"" + section + "\"\n");
    ASSERT_NE(at, std::string::npos) << "letterbox.conf.5 has no section " << section;
    const auto in_section = block(page, at, {"\n.Ss ", "\n.Sh "});
    for (const auto& [key, value] : keys) {
      const auto item = in_section.find("\n.It Cm " + key + "\n");
      ASSERT_NE(item, std::string::npos) << section << " " << key << " is not documented";
      const auto text = block(in_section, item, {"\n.It Cm ", "\n.El"}) + "\n";
      if (value.empty() || key == "hostname") {
        EXPECT_NE(text.find("\nDefault: empty.\n"), std::string::npos) << section << " " << key << ":\n" << text;
      } else {
        // The documented value, read by the parser, is the default (60s and 1m are the same duration).
        std::smatch documented;
        ASSERT_TRUE(std::regex_search(text, documented, std::regex("\nDefault:\n\\.Ql \"([^\"]*)\"")))
            << section << " " << key << " does not say its default:\n"
            << text;
        const auto parsed = parse_config(section + "\n" + key + " = " + documented[1].str() + "\n", "man page");
        EXPECT_EQ(format_effective_config(parsed), format_effective_config(default_settings()))
            << section << " " << key << ": the man page says " << documented[1] << ", the default is " << value;
      }
    }
  }
}

TEST(Documentation, GrafanaDashboardUsesOnlyServedMetrics) {
  MetricsExtras everything;
  everything.program = "test";
  everything.lda.emplace();
  everything.greylist_entries = 0;
  const auto served = Metrics().render(everything);
  std::set<std::string> names;
  const std::regex type_line("# TYPE (letterbox_[a-z_]+) (counter|gauge|histogram)");
  for (std::sregex_iterator it(served.begin(), served.end(), type_line), end; it != end; ++it) {
    names.insert((*it)[1]);
    if ((*it)[2] == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert((*it)[1].str() + suffix);
    }
  }
  const auto dashboard_file = kSource / "etc" / "grafana" / "letterbox-dashboard.json";
  const auto json = test::run({"python3", "-m", "json.tool", dashboard_file.string()});
  EXPECT_EQ(json.exit_code, 0) << json.output;
  const auto dashboard = read_file(dashboard_file);
  const std::regex metric("letterbox_[a-z_]+");
  std::size_t used = 0;
  for (std::sregex_iterator it(dashboard.begin(), dashboard.end(), metric), end; it != end; ++it) {
    EXPECT_TRUE(names.contains(it->str())) << it->str() << " is not a metric the daemons serve";
    ++used;
  }
  EXPECT_GE(used, 10U);
}

TEST(Documentation, PackageVersionIsTheProgramsVersion) {
  // dpkg and `letterbox-lmtpd --version` must name the same release, or a bug report names the wrong one.
  const auto changelog = read_file(kSource / "debian" / "changelog");
  const auto first_line = changelog.substr(0, changelog.find('\n'));
  EXPECT_EQ(first_line.substr(0, first_line.find(')') + 1), "letterbox (" LETTERBOX_VERSION ")") << first_line;
}
