#include "api/http_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <optional>
#include <thread>
#include <vector>

namespace baotong::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(30);
// Messages a WebSocket client may be behind before it is disconnected.
constexpr size_t kMaxPushBacklog = 4096;

// An accepted WebSocket: messages from any thread are posted to the connection's strand and
// written one at a time; reads only watch for the client's close (and answer pings).
class WebSocketSession : public PushSocket, public std::enable_shared_from_this<WebSocketSession> {
 public:
  explicit WebSocketSession(beast::tcp_stream stream) : socket_(std::move(stream)) {}

  void Accept(Request request, std::function<void(std::shared_ptr<PushSocket>)> on_open) {
    beast::get_lowest_layer(socket_).expires_never();
    socket_.set_option(beast::websocket::stream_base::timeout::suggested(beast::role_type::server));
    socket_.text(true);
    request_ = std::move(request);
    socket_.async_accept(
        request_, [self = shared_from_this(), on_open = std::move(on_open)](beast::error_code ec) {
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
               [self = shared_from_this(), message = std::move(message)]() mutable {
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
                        [self = shared_from_this()](beast::error_code ec, size_t) {
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
    socket_.async_read(inbox_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->open_ = false;
        return;
      }
      self->inbox_.clear();  // the feed is one-way; client messages are ignored
      self->ReadUntilClosed();
    });
  }

  beast::websocket::stream<beast::tcp_stream> socket_;
  Request request_;
  beast::flat_buffer inbox_;
  std::deque<std::string> outbox_;  // strand only
  std::atomic<bool> open_{false};
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const Handler& handler, const UpgradeHandler& upgrade,
             size_t max_body)
      : stream_(std::move(socket)), handler_(handler), upgrade_(upgrade), max_body_(max_body) {
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec)
      client_address_ = remote.address().to_string();
  }

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(max_body_);
    stream_.expires_after(kIdleTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout)
      return Close();
    if (ec == http::error::body_limit) {
      return Write(Refusal(
          http::status::payload_too_large,
          R"json({"error":{"code":"too_large","message":"请求内容过大 (body too large)"}})json"));
    }
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
      response = handler_(request, client_address_);
    } catch (const std::exception& error) {
      // Exceptions stop at this edge; the connection and the server carry on.
      spdlog::error("http {} {}: {}", std::string(request.method_string()),
                    std::string(request.target()), error.what());
      response = Response{http::status::internal_server_error, request.version()};
      response.set(http::field::content_type, "application/json; charset=utf-8");
      response.body() =
          R"json({"error":{"code":"internal","message":"服务器内部错误 (internal error)"}})json";
    }
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    Write(std::move(response));
  }

  void Upgrade(Request request) {
    UpgradeDecision decision;
    if (upgrade_) {
      try {
        decision = upgrade_(request, client_address_);
      } catch (const std::exception& error) {
        spdlog::error("websocket {}: {}", std::string(request.target()), error.what());
        decision.refusal = Refusal(
            http::status::internal_server_error,
            R"json({"error":{"code":"internal","message":"服务器内部错误 (internal error)"}})json");
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
    std::make_shared<WebSocketSession>(std::move(stream_))
        ->Accept(std::move(request), std::move(decision.on_open));
  }

  // The connection cannot be trusted to stay in sync after a refused request: close it.
  static Response Refusal(http::status status, std::string_view body) {
    Response response{status, 11};
    response.set(http::field::content_type, "application/json; charset=utf-8");
    response.body() = std::string(body);
    response.keep_alive(false);
    return response;
  }

  void Write(Response response) {
    response_ = std::make_unique<Response>(std::move(response));
    response_->prepare_payload();
    http::async_write(stream_, *response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec || !self->response_->keep_alive())
                          return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::unique_ptr<Response> response_;
  const Handler& handler_;
  const UpgradeHandler& upgrade_;
  size_t max_body_;
  std::string client_address_;
};

}  // namespace

struct HttpServer::State {
  HttpOptions options;
  Handler handler;
  asio::io_context context;
  tcp::acceptor acceptor{context};
  // Destroyed before the context: what it holds (open WebSockets) must go first.
  UpgradeHandler upgrade;
  std::vector<std::thread> threads;
  bool started = false;

  void Accept() {
    acceptor.async_accept(asio::make_strand(context), [this](beast::error_code ec,
                                                             tcp::socket socket) {
      if (ec == asio::error::operation_aborted)
        return;
      if (!ec) {
        std::make_shared<Connection>(std::move(socket), handler, upgrade, options.max_body_bytes)
            ->Start();
      }
      Accept();
    });
  }
};

HttpServer::HttpServer(HttpOptions options, Handler handler, UpgradeHandler upgrade)
    : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  state_->handler = std::move(handler);
  state_->upgrade = std::move(upgrade);
}

HttpServer::~HttpServer() {
  Stop();
}

Result<void> HttpServer::Start() {
  State& state = *state_;
  beast::error_code ec;
  auto address = asio::ip::make_address(state.options.listen_address, ec);
  if (ec)
    return Fail(ErrorCode::kBadValue, "HTTP listen address is not an IP address");
  tcp::endpoint endpoint(address, state.options.port);
  state.acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    state.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    state.acceptor.bind(endpoint, ec);
  if (!ec)
    state.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::error("HTTP server cannot listen on {}:{}: {}", state.options.listen_address,
                  state.options.port, ec.message());
    return Fail(ErrorCode::kResourceLimit, "HTTP server cannot listen on its address and port");
  }
  state.Accept();
  for (size_t i = 0; i < std::max<size_t>(1, state.options.threads); ++i) {
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
