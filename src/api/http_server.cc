#include "api/http_server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/http_util.h"
#include "gateway/connection_limits.h"

namespace baotong::api {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr auto kTlsShutdownTimeout = std::chrono::seconds(5);
// Messages a WebSocket client may be behind before it is disconnected.
constexpr size_t kMaxPushBacklog = 4096;
constexpr std::string_view kInternalError =
    R"json({"error":{"code":"internal","message":"服务器内部错误 (internal error)"}})json";
constexpr std::string_view kRefusedTooLarge =
    R"json({"error":{"code":"too_large","message":"请求内容过大 (body too large)"}})json";

using gateway::ConnectionLimits;

// A response the server makes itself. The connection cannot be trusted to stay in sync after a
// refused request: it is closed.
Response Refusal(http::status status, std::string_view body) {
  Response response{status, 11};
  response.set(http::field::content_type, "application/json; charset=utf-8");
  response.body() = std::string(body);
  response.keep_alive(false);
  return response;
}

// What every connection shares; it outlives them (HttpServer::State owns it).
struct Shared {
  HttpOptions options;
  Handler handler;
  UpgradeHandler upgrade;
  std::string content_security_policy;
};

void AddSecurityHeaders(Response& response, const Shared& shared) {
  response.set("Content-Security-Policy", shared.content_security_policy);
  response.set("X-Frame-Options", "DENY");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "same-origin");
  if (shared.options.tls())
    response.set("Strict-Transport-Security", "max-age=31536000");
}

template <typename Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, beast::tcp_stream>;

// An accepted WebSocket: messages from any thread are posted to the connection's strand and
// written one at a time; reads only watch for the client's close (and answer pings).
template <typename Stream>
class WebSocketSession : public PushSocket,
                         public std::enable_shared_from_this<WebSocketSession<Stream>> {
 public:
  WebSocketSession(Stream stream, ConnectionLimits::Slot slot)
      : socket_(std::move(stream)), slot_(std::move(slot)) {}

  void Accept(Request request, std::function<void(std::shared_ptr<PushSocket>)> on_open) {
    beast::get_lowest_layer(socket_).expires_never();
    socket_.set_option(beast::websocket::stream_base::timeout::suggested(beast::role_type::server));
    socket_.text(true);
    request_ = std::move(request);
    socket_.async_accept(request_, [self = this->shared_from_this(),
                                    on_open = std::move(on_open)](beast::error_code ec) {
      if (ec)
        return;
      self->open_ = true;
      on_open(self);
      self->ReadUntilClosed();
    });
  }

  bool Send(std::string message) override {
    if (!open_)
      return false;
    asio::post(socket_.get_executor(),
               [self = this->shared_from_this(), message = std::move(message)]() mutable {
                 self->Enqueue(std::move(message));
               });
    return true;
  }

  bool IsOpen() const override { return open_; }

 private:
  void Enqueue(std::string message) {
    if (!open_)
      return;
    if (outbox_.size() >= kMaxPushBacklog) {
      open_ = false;
      beast::get_lowest_layer(socket_).socket().close();
      return;
    }
    outbox_.push_back(std::move(message));
    if (outbox_.size() == 1)
      WriteNext();
  }

  void WriteNext() {
    socket_.async_write(asio::buffer(outbox_.front()),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) {
                            self->open_ = false;
                            return;
                          }
                          self->outbox_.pop_front();
                          if (!self->outbox_.empty())
                            self->WriteNext();
                        });
  }

  void ReadUntilClosed() {
    socket_.async_read(inbox_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->open_ = false;
        return;
      }
      self->inbox_.clear();  // the feed is one-way; client messages are ignored
      self->ReadUntilClosed();
    });
  }

  beast::websocket::stream<Stream> socket_;
  ConnectionLimits::Slot slot_;
  Request request_;
  beast::flat_buffer inbox_;
  std::deque<std::string> outbox_;  // strand only
  std::atomic<bool> open_{false};
};

// One HTTP connection (plain or TLS): reads a request's header first, then its body under the
// route's limit (RequestBodyLimit), so an oversized body is refused before it is buffered.
template <typename Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(Stream stream, const Shared& shared, std::string client_address,
             ConnectionLimits::Slot slot)
      : stream_(std::move(stream)),
        shared_(shared),
        client_address_(std::move(client_address)),
        slot_(std::move(slot)) {}

  void Start() {
    if constexpr (kIsTls<Stream>) {
      beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec)
                                  return;  // not TLS, an old protocol, or gone: just close
                                self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  void Read() {
    parser_.emplace();
    // No limit while the header is read: the route's own is set from it (a Content-Length above
    // that is refused at once, a chunked body when it passes it). Not boost::none: this Beast
    // compares a Content-Length with an empty limit as "above" it.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec)
      return OnRead(ec);
    const auto& header = parser_->get();
    std::variant<size_t, Response> admission = shared_.options.api_body_bytes;
    if (shared_.options.admit_body) {
      try {
        admission = shared_.options.admit_body(header, client_address_);
      } catch (const std::exception& error) {
        spdlog::error("http {}: {}", std::string(header.target()), error.what());
        admission = Refusal(http::status::internal_server_error, kInternalError);
      }
    }
    if (auto* refusal = std::get_if<Response>(&admission)) {
      refusal->version(header.version());
      refusal->keep_alive(false);  // the unread body would follow on this connection
      return Write(std::move(*refusal));
    }
    const size_t limit = std::get<size_t>(admission);
    if (auto length = parser_->content_length(); length && *length > limit)
      return OnRead(http::error::body_limit);
    parser_->body_limit(limit);
    if (parser_->is_done())
      return OnRead({});
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code read_ec, size_t) {
                       self->OnRead(read_ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout)
      return Close();
    if (ec == http::error::body_limit)
      return Write(Refusal(http::status::payload_too_large, kRefusedTooLarge));
    if (ec) {
      return Write(Refusal(
          http::status::bad_request,
          R"json({"error":{"code":"malformed_request","message":"HTTP 请求格式错误 (malformed request)"}})json"));
    }
    Request request = parser_->release();
    if (beast::websocket::is_upgrade(request))
      return Upgrade(std::move(request));
    Response response;
    try {
      response = shared_.handler(request, client_address_);
    } catch (const std::exception& error) {
      // Exceptions stop at this edge; the connection and the server carry on.
      spdlog::error("http {} {}: {}", std::string(request.method_string()),
                    std::string(request.target()), error.what());
      response = Refusal(http::status::internal_server_error, kInternalError);
    }
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    Write(std::move(response));
  }

  void Upgrade(Request request) {
    UpgradeDecision decision;
    if (shared_.upgrade) {
      try {
        decision = shared_.upgrade(request, client_address_);
      } catch (const std::exception& error) {
        spdlog::error("websocket {}: {}", std::string(request.target()), error.what());
        decision.refusal = Refusal(http::status::internal_server_error, kInternalError);
      }
    } else {
      decision.refusal = Refusal(
          http::status::not_found,
          R"json({"error":{"code":"not_found","message":"没有此接口 (no such endpoint)"}})json");
    }
    if (decision.refusal || !decision.on_open) {
      Response refusal =
          decision.refusal ? std::move(*decision.refusal) : Refusal(http::status::forbidden, "{}");
      refusal.version(request.version());
      refusal.keep_alive(false);
      return Write(std::move(refusal));
    }
    std::make_shared<WebSocketSession<Stream>>(std::move(stream_), std::move(slot_))
        ->Accept(std::move(request), std::move(decision.on_open));
  }

  void Write(Response response) {
    response_ = std::make_unique<Response>(std::move(response));
    AddSecurityHeaders(*response_, shared_);
    response_->prepare_payload();
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec || !self->response_->keep_alive())
                          return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    if constexpr (kIsTls<Stream>) {
      beast::get_lowest_layer(stream_).expires_after(kTlsShutdownTimeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->stream_)
            .socket()
            .shutdown(tcp::socket::shutdown_send, ignored);
      });
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  Stream stream_;
  const Shared& shared_;
  std::string client_address_;
  ConnectionLimits::Slot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::unique_ptr<Response> response_;
};

}  // namespace

struct HttpServer::State {
  Shared shared;
  std::unique_ptr<ssl::context> tls;  // set when options.tls()
  std::shared_ptr<ConnectionLimits> limits;
  asio::io_context context;
  tcp::acceptor acceptor{context};
  gateway::AcceptBackoff backoff{context.get_executor(), "HTTP"};
  std::vector<std::thread> threads;
  bool started = false;

  void Accept() {
    acceptor.async_accept(asio::make_strand(context),
                          [this](beast::error_code ec, tcp::socket socket) {
                            if (ec == asio::error::operation_aborted)
                              return;
                            if (backoff.Handle(ec, [this] { Accept(); }))
                              return;  // out of descriptors: retried after a pause
                            if (!ec)
                              OnAccepted(std::move(socket));
                            Accept();
                          });
  }

  void OnAccepted(tcp::socket socket) {
    beast::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec)
      return;  // already gone
    std::string address = remote.address().to_string();
    auto slot = limits->Acquire(address);
    if (!slot) {
      // Over a cap: close at once, before any byte is read or a buffer allocated.
      spdlog::debug("HTTP connection from {} refused: connection cap reached", address);
      socket.close(ec);
      return;
    }
    if (tls) {
      using TlsStream = beast::ssl_stream<beast::tcp_stream>;
      std::make_shared<Connection<TlsStream>>(TlsStream(std::move(socket), *tls), shared,
                                              std::move(address), std::move(slot))
          ->Start();
    } else {
      std::make_shared<Connection<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), shared,
                                                      std::move(address), std::move(slot))
          ->Start();
    }
  }
};

HttpServer::HttpServer(HttpOptions options, Handler handler, UpgradeHandler upgrade)
    : state_(std::make_unique<State>()) {
  Shared& shared = state_->shared;
  shared.options = std::move(options);
  shared.handler = std::move(handler);
  shared.upgrade = std::move(upgrade);
  shared.content_security_policy = shared.options.content_security_policy.empty()
                                       ? ContentSecurityPolicy("")
                                       : shared.options.content_security_policy;
  state_->limits = std::make_shared<ConnectionLimits>(shared.options.max_connections_per_address,
                                                      shared.options.max_connections);
}

HttpServer::~HttpServer() {
  Stop();
  // Open WebSockets (held by the upgrade handler's subscribers) go before the context.
  state_->shared.upgrade = nullptr;
}

namespace {

// TLS 1.2 and 1.3 only, forward-secret AEAD suites for 1.2; the certificate chain and key from
// PEM files.
Result<std::unique_ptr<ssl::context>> MakeTlsContext(const HttpOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native,
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
    return Fail(ErrorCode::kBadValue, "cannot configure TLS");
  }
  beast::error_code ec;
  context->use_certificate_chain_file(options.certificate_file, ec);
  if (ec) {
    spdlog::error("HTTPS certificate {}: {}", options.certificate_file, ec.message());
    return Fail(ErrorCode::kBadValue, "cannot read the HTTPS certificate (http.certificate)");
  }
  context->use_private_key_file(options.private_key_file, ssl::context::pem, ec);
  if (ec) {
    spdlog::error("HTTPS private key {}: {}", options.private_key_file, ec.message());
    return Fail(ErrorCode::kBadValue, "cannot read the HTTPS private key (http.private_key)");
  }
  if (SSL_CTX_check_private_key(native) != 1)
    return Fail(ErrorCode::kBadValue, "the HTTPS private key does not match the certificate");
  return context;
}

}  // namespace

Result<void> HttpServer::Start() {
  State& state = *state_;
  const HttpOptions& options = state.shared.options;
  if (!options.certificate_file.empty() || !options.private_key_file.empty()) {
    if (!options.tls())
      return Fail(ErrorCode::kBadValue, "HTTPS needs both a certificate and a private key");
    auto context = MakeTlsContext(options);
    if (!context)
      return tl::unexpected(context.error());
    state.tls = std::move(*context);
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(options.listen_address, ec);
  if (ec)
    return Fail(ErrorCode::kBadValue, "HTTP listen address is not an IP address");
  tcp::endpoint endpoint(address, options.port);
  state.acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    state.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    state.acceptor.bind(endpoint, ec);
  if (!ec)
    state.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::error("HTTP server cannot listen on {}:{}: {}", options.listen_address, options.port,
                  ec.message());
    return Fail(ErrorCode::kResourceLimit, "HTTP server cannot listen on its address and port");
  }
  state.Accept();
  for (size_t i = 0; i < std::max<size_t>(1, options.threads); ++i) {
    state.threads.emplace_back([&state] { state.context.run(); });
  }
  state.started = true;
  return {};
}

void HttpServer::Stop() {
  State& state = *state_;
  if (!state.started)
    return;
  state.started = false;
  state.context.stop();
  for (auto& thread : state.threads)
    thread.join();
  state.threads.clear();
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

}  // namespace baotong::api
