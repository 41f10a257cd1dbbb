// A small HTTP/1.1 server (Boost.Beast) for the JSON API and /metrics. Handlers run on the
// server's own threads, never on the gateway's.
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace baotong::api {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// client_address: the peer's IP address as text (throttling, audit).
using Handler = std::function<Response(const Request&, std::string_view client_address)>;

struct HttpOptions {
  std::string listen_address = "0.0.0.0";
  uint16_t port = 8080;  // 0 picks a free port (tests)
  // A sign-in (argon2id), an export or a waiting long-poll holds a thread: several serve the rest.
  size_t threads = 8;
  size_t max_body_bytes = 64 << 20;  // imports of 100,000 rows are ~15 MiB
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
