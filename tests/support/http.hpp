// HTTP exchanges with the metrics endpoints, and what they serve.
#pragma once

#include <string>

namespace letterbox::test {

// One HTTP exchange with 127.0.0.1:port: `request` is sent as it is (the client then half-closes), and
// the status code and body of the answer come back (status 0 when nothing answered).
struct HttpAnswer {
  int status = 0;
  std::string body;
};
HttpAnswer http_exchange(int port, const std::string& request);
inline HttpAnswer http_get(int port, const std::string& path) {
  return http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
}

// Whether a Prometheus text exposition holds this sample line, "name{labels} value", whole.
bool has_sample(const std::string& metrics, const std::string& sample);

}  // namespace letterbox::test
