// A temporary directory of small shell scripts that stand in for another program (the MTA's sendmail, say)
// and record what they were given; removed with everything in it at the end of the test.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace letterbox::test {

class ScriptDirectory {
 public:
  ScriptDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "letterbox-scripts-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ScriptDirectory(const ScriptDirectory&) = delete;
  ScriptDirectory& operator=(const ScriptDirectory&) = delete;
  ~ScriptDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // An executable /bin/sh script `name` holding `body`, in which "@DIR@" stands for this directory.
  std::string script(const std::string& name, std::string body) const {
    for (auto at = body.find("@DIR@"); at != std::string::npos; at = body.find("@DIR@")) {
      body.replace(at, 5, dir_.string());
    }
    const auto path = (dir_ / name).string();
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0755);
    return path;
  }

  // A script that writes its arguments, one a line, to "argv" and its stdin to "stdin".
  std::string recorder() const { return script("record", "printf '%s\\n' \"$@\" > @DIR@/argv\ncat > @DIR@/stdin\n"); }

  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  bool exists(const std::string& name) const { return std::filesystem::exists(dir_ / name); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace letterbox::test
