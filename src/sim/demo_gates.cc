#include "sim/demo_gates.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

namespace baotong::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr auto kRetryPause = std::chrono::seconds(2);
constexpr auto kRequestTimeout = std::chrono::seconds(5);

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

}  // namespace

Result<std::unique_ptr<GateCameras>> GateCameras::Start(DemoFleet& fleet,
                                                        GateCameraOptions options) {
  std::map<std::string, std::string> keys;
  for (const auto& gate : fleet.plan().gates) {
    for (const std::string& id : {gate.in_checkpoint, gate.out_checkpoint}) {
      std::ifstream file(options.keys_dir / (id + ".key"));
      std::stringstream key;
      key << file.rdbuf();
      // Error details are literals (common/error.h): the operator finds the gate in the
      // directory listing, the message says where to look.
      if (!file || Trimmed(key.str()).empty())
        return Fail(
            ErrorCode::kNotFound,
            "a checkpoint of the demo fleet has no camera key (DATA_DIR/checkpoint-keys/ID.key)");
      keys[id] = Trimmed(key.str());
    }
  }
  return std::unique_ptr<GateCameras>(new GateCameras(fleet, std::move(options), std::move(keys)));
}

GateCameras::GateCameras(DemoFleet& fleet, GateCameraOptions options,
                         std::map<std::string, std::string> keys)
    : fleet_(fleet), options_(std::move(options)), keys_(std::move(keys)) {
  thread_ = std::thread([this] { Run(); });
}

GateCameras::~GateCameras() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

void GateCameras::Run() {
  std::vector<GateRequest> waiting;
  auto retry_at = std::chrono::steady_clock::now();
  while (!stop_) {
    for (auto& request : fleet_.TakeRequests())
      waiting.push_back(std::move(request));
    if (!waiting.empty() && std::chrono::steady_clock::now() >= retry_at) {
      std::vector<GateRequest> failed;
      for (const auto& request : waiting) {
        if (stop_)
          return;
        auto answer = Read(request);
        if (answer) {
          ++reads_;
          fleet_.Answer(request.truck, *answer);
        } else {
          ++failures_;
          failed.push_back(request);
        }
      }
      waiting = std::move(failed);
      if (!waiting.empty())
        retry_at = std::chrono::steady_clock::now() + kRetryPause;
    }
    std::this_thread::sleep_for(kPoll);
  }
}

Result<GateAnswer> GateCameras::Read(const GateRequest& request) {
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(kRequestTimeout);
    stream.connect(resolver.resolve(options_.host, std::to_string(options_.port)));
    http::request<http::string_body> post{
        http::verb::post, "/api/checkpoints/" + request.checkpoint_id + "/plate-reads", 11};
    post.set(http::field::host, options_.host);
    post.set(http::field::content_type, "application/json");
    post.set("X-Api-Key", keys_.at(request.checkpoint_id));
    post.body() =
        nlohmann::json{{"plate", request.plate}, {"plate_color", request.plate_color}}.dump();
    post.prepare_payload();
    http::write(stream, post);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (response.result() != http::status::ok)
      return Fail(ErrorCode::kBadValue, "camera API: an HTTP error status");
    const auto decision = nlohmann::json::parse(response.body(), nullptr, false);
    if (decision.is_discarded() || !decision.is_object())
      return Fail(ErrorCode::kBadValue, "camera API: not JSON");
    GateAnswer answer;
    const std::string verdict = decision.value("decision", "");
    answer.verdict = verdict == "release"        ? GateVerdict::kRelease
                     : verdict == "manual_check" ? GateVerdict::kManualCheck
                                                 : GateVerdict::kTurnBack;
    answer.reason_code = decision.value("reason_code", "");
    return answer;
  } catch (const std::exception& error) {
    return Fail(ErrorCode::kBadValue, "camera API: the answer could not be read");
  }
}

}  // namespace baotong::sim
