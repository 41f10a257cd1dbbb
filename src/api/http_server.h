// A small HTTP/1.1 server (Boost.Beast) for the JSON API and /metrics. Handlers run on the
// server's own threads, never on the gateway's.
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/error.h"

namespace baotong::api {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Handler = std::function<Response(const Request&)>;

struct HttpOptions {
  std::string listen_address = "0.0.0.0";
  uint16_t port = 8080;  // 0 picks a free port (tests)
  size_t threads = 1;
  size_t max_body_bytes = 1 << 20;
};

class HttpServer {
 public:
  HttpServer(HttpOptions options, Handler handler);
  ~HttpServer();
  Result<void> Start();
  void Stop();
  uint16_t port() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace baotong::api
