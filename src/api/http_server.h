// A small HTTP/1.1 server (Boost.Beast, HTTPS through OpenSSL when configured) for the JSON
// API, and a second one for /metrics. Handlers run on the server's own threads, never on the
// gateway's. Every response carries the security headers (CSP, X-Frame-Options, ...).
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

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

using RequestHeader = boost::beast::http::request_header<>;
// Asked once a request's header is read, before any of its body: how large its body may be
// (the application knows its routes), or a refusal (e.g. 401/403 for an import from someone who
// may not import), so that nobody makes the server buffer what it would refuse anyway.
using BodyAdmission = std::function<std::variant<size_t, Response>(
    const RequestHeader&, std::string_view client_address)>;

struct HttpOptions {
  std::string listen_address = "0.0.0.0";
  uint16_t port = 8080;  // 0 picks a free port (tests)
  // A sign-in (argon2id), an export or a waiting long-poll holds a thread: several serve the rest.
  size_t threads = 8;
  // Request bodies are limited by route (api::MakeBodyAdmission): imports (registry files, the
  // indicators CSV) up to max_body_bytes; sign-in and the other /api/auth routes
  // auth_body_bytes; every other request api_body_bytes.
  size_t max_body_bytes = 64 << 20;  // imports of 100,000 rows are ~15 MiB
  size_t api_body_bytes = 1 << 20;
  size_t auth_body_bytes = 8 << 10;
  BodyAdmission admit_body;  // null: every request may send up to api_body_bytes
  // Open connections (WebSockets included) from one client address, and in all; 0: no cap.
  // Behind a reverse proxy every connection comes from the proxy's address.
  size_t max_connections_per_address = 64;
  size_t max_connections = 4096;
  // HTTPS when both are set: PEM files, TLS 1.2 and newer only (HttpServer::Start fails when
  // they do not load). The session cookie is then Secure and responses carry HSTS.
  std::string certificate_file;
  std::string private_key_file;
  // Sent with every response; empty: ContentSecurityPolicy("") of api/http_util.h (serve
  // passes the map's tile server).
  std::string content_security_policy;

  bool tls() const { return !certificate_file.empty() && !private_key_file.empty(); }
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
