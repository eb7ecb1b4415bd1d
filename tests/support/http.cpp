#include "http.hpp"

#include "clients.hpp"

namespace letterbox::test {

HttpAnswer http_exchange(int port, const std::string& request) {
  HttpAnswer answer;
  LineClient client(port);
  client.send(request);
  const std::string raw = client.rest();
  const auto space = raw.find(' ');
  const auto end = raw.find("\r\n\r\n");
  if (!raw.starts_with("HTTP/1.") || space == std::string::npos || end == std::string::npos) return answer;
  answer.status = std::stoi(raw.substr(space + 1, 3));
  answer.body = raw.substr(end + 4);
  return answer;
}

bool has_sample(const std::string& metrics, const std::string& sample) {
  return metrics.find("\n" + sample + "\n") != std::string::npos;
}

}  // namespace letterbox::test
