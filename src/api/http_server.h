// A small HTTP/1.1 server (Boost.Beast) for the JSON API and /metrics. Handlers run on the
// server's own threads, never on the gateway's.
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace baotong::api {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// client_address: the peer's IP address as text (throttling, audit).
using Handler = std::function<Response(const Request&, std::string_view client_address)>;

// The sending side of an accepted WebSocket, as the application holds it.
class PushSocket {
 public:
  virtual ~PushSocket() = default;
  // Queues a text message; safe from any thread. Returns false once the socket is closed, or
  // when the client has fallen too far behind (it is then disconnected: its page reconnects
  // and reloads rather than the server buffering without bound).
  virtual bool Send(std::string message) = 0;
  virtual bool IsOpen() const = 0;
};

// What the application says to a WebSocket upgrade request: a refusal (e.g. 401), or the
// function that receives the socket once the handshake is done.
struct UpgradeDecision {
  std::optional<Response> refusal;
  std::function<void(std::shared_ptr<PushSocket>)> on_open;
};
using UpgradeHandler =
    std::function<UpgradeDecision(const Request&, std::string_view client_address)>;

struct HttpOptions {
  std::string listen_address = "0.0.0.0";
  uint16_t port = 8080;  // 0 picks a free port (tests)
  // A sign-in (argon2id), an export or a waiting long-poll holds a thread: several serve the rest.
  size_t threads = 8;
  size_t max_body_bytes = 64 << 20;  // imports of 100,000 rows are ~15 MiB
};

class HttpServer {
 public:
  // `upgrade` answers WebSocket upgrade requests; without it they get 404.
  HttpServer(HttpOptions options, Handler handler, UpgradeHandler upgrade = nullptr);
  ~HttpServer();
  Result<void> Start();
  void Stop();
  uint16_t port() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace baotong::api
