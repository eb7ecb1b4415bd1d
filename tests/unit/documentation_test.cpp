// The documentation an administrator reads is checked against the code it describes: letterbox.conf(5)
// names every configuration key with the default the parser really uses, the Grafana dashboard asks
// only for metrics the daemons really serve, and LICENSE, the package's copyright file and `--version`
// state the same licence.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "letterbox/config/config.hpp"
#include "letterbox/observe/metrics.hpp"
#include "letterbox/util/version.hpp"
#include "test_support.hpp"

using namespace letterbox;
using letterbox::test::read_file;
using letterbox::test::run_split;

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

namespace {

// The metric families the daemons can serve, and the series names of each (a histogram's _bucket, ...).
std::set<std::string> served_metric_names(bool with_series) {
  MetricsExtras everything;
  everything.program = "test";
  everything.lda.emplace();
  everything.greylist_entries = 0;
  const auto served = Metrics().render(everything);
  std::set<std::string> names;
  const std::regex type_line("# TYPE (letterbox_[a-z_]+) (counter|gauge|histogram)");
  for (std::sregex_iterator it(served.begin(), served.end(), type_line), end; it != end; ++it) {
    names.insert((*it)[1]);
    if (with_series && (*it)[2] == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert((*it)[1].str() + suffix);
    }
  }
  return names;
}

}  // namespace

TEST(Documentation, GrafanaDashboardUsesOnlyServedMetrics) {
  const auto names = served_metric_names(true);
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

TEST(Documentation, EveryServedMetricIsInTheManPagesAndTheReadme) {
  const auto pages = read_file(kSource / "docs" / "man" / "letterbox-lmtpd.8") +
                     read_file(kSource / "docs" / "man" / "letterbox-policyd.8") +
                     read_file(kSource / "docs" / "man" / "letterbox-managesieved.8");
  const auto readme = read_file(kSource / "README.md");
  const auto names = served_metric_names(false);
  EXPECT_GE(names.size(), 10U);
  for (const auto& name : names) {
    EXPECT_NE(pages.find(".It Sy " + name), std::string::npos) << name << " is not in a METRICS section";
    EXPECT_NE(readme.find("`" + name), std::string::npos) << name << " is not in the README's metrics table";
  }
}

TEST(Documentation, PackageVersionIsTheProgramsVersion) {
  // dpkg and `letterbox-lmtpd --version` must name the same release, or a bug report names the wrong one.
  const auto changelog = read_file(kSource / "debian" / "changelog");
  const auto first_line = changelog.substr(0, changelog.find('\n'));
  EXPECT_EQ(first_line.substr(0, first_line.find(')') + 1), "letterbox (" LETTERBOX_VERSION ")") << first_line;
}

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// debian/copyright (DEP-5): its paragraphs, each as field name -> value. A continuation line loses its
// leading space and " ." stands for an empty line, so a License paragraph's value is its first line
// (the licence's name), a newline, then the licence text as written.
std::vector<std::map<std::string, std::string>> dep5_paragraphs(const std::string& text) {
  std::vector<std::map<std::string, std::string>> paragraphs(1);
  std::string field;
  for (const auto& line : lines_of(text)) {
    if (line.empty()) {
      if (!paragraphs.back().empty()) paragraphs.emplace_back();
    } else if (line.starts_with(" ") || line.starts_with("\t")) {
      EXPECT_FALSE(field.empty()) << "a continuation line before any field: " << line;
      paragraphs.back()[field] += "\n" + (line == " ." ? std::string() : line.substr(1));
    } else {
      const auto colon = line.find(':');
      EXPECT_NE(colon, std::string::npos) << "not a field: " << line;
      field = line.substr(0, colon);
      EXPECT_FALSE(paragraphs.back().contains(field)) << field << " given twice";
      paragraphs.back()[field] = line.substr(std::min(line.size(), line.find_first_not_of(' ', colon + 1)));
    }
  }
  if (paragraphs.back().empty()) paragraphs.pop_back();
  return paragraphs;
}

}  // namespace

TEST(Documentation, LicenceFileAndPackageCopyrightAgree) {
  // LICENSE: "MIT License", a blank line, the copyright line, a blank line, the licence text.
  const auto licence = read_file(kSource / "LICENSE");
  const auto lines = lines_of(licence);
  ASSERT_GE(lines.size(), 5U) << licence;
  EXPECT_EQ(lines[0], std::string(kLicence) + " License");
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], kCopyright) << "LICENSE and --version (letterbox/version.hpp) name other holders";
  EXPECT_EQ(lines[3], "");
  const auto licence_text = licence.substr(licence.find(lines[4]));
  ASSERT_TRUE(licence_text.ends_with(".\n")) << licence_text;

  const auto paragraphs = dep5_paragraphs(read_file(kSource / "debian" / "copyright"));
  ASSERT_GE(paragraphs.size(), 3U);
  EXPECT_EQ(paragraphs[0].at("Format"), "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/");
  EXPECT_EQ(paragraphs[0].at("Upstream-Name"), "letterbox");
  // Files: * carries LICENSE's holders (its copyright line without "Copyright (c) ") and licence.
  const auto& files = paragraphs[1];
  ASSERT_TRUE(files.contains("Files") && files.contains("Copyright") && files.contains("License"));
  EXPECT_EQ(files.at("Files"), "*");
  EXPECT_EQ("Copyright (c) " + files.at("Copyright"), kCopyright);
  EXPECT_EQ(files.at("License"), kLicence);
  // The stand-alone License paragraph of that name holds LICENSE's text, word for word.
  int licence_paragraphs = 0;
  for (const auto& paragraph : paragraphs) {
    if (paragraph.size() != 1 || !paragraph.contains("License")) continue;
    const auto& value = paragraph.at("License");
    EXPECT_EQ(value.substr(0, value.find('\n')), kLicence);
    EXPECT_EQ(value.substr(value.find('\n') + 1) + "\n", licence_text);
    ++licence_paragraphs;
  }
  EXPECT_EQ(licence_paragraphs, 1);
}

TEST(Documentation, VersionNamesTheLicence) {
  // As GNU programs do: the program and its release, then LICENSE's copyright line and the licence.
  for (const auto& [program, path] :
       {std::pair{"letterbox-lda", LETTERBOX_LDA_PATH}, std::pair{"letterbox-lmtpd", LETTERBOX_LMTPD_PATH},
        std::pair{"letterbox-policyd", LETTERBOX_POLICYD_PATH}, std::pair{"letterbox-sieve", LETTERBOX_SIEVE_PATH}}) {
    const auto r = run_split({path, "--version"});
    EXPECT_EQ(r.exit_code, 0) << program << ": " << r.err;
    EXPECT_EQ(r.err, "") << program;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 2U) << program << ":\n" << r.out;
    EXPECT_EQ(lines[0], std::string(program) + " " LETTERBOX_VERSION);
    const auto holders = lines_of(read_file(kSource / "LICENSE")).at(2);
    EXPECT_EQ(lines[1], holders + ". License: MIT <https://opensource.org/license/mit>.") << program;
  }
}
