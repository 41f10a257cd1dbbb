#include "api/routes.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string_view>

#include "common/china_time.h"
#include "common/hex.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using Json = nlohmann::ordered_json;

Response JsonResponse(http::status status, const Json& body) {
  Response response{status, 11};
  response.set(http::field::content_type, "application/json; charset=utf-8");
  response.body() = body.dump();
  return response;
}

Response Error(http::status status, std::string_view message) {
  return JsonResponse(status, Json{{"error", message}});
}

// Query string parameters; values are used as they come (no percent-encoding needed for
// digits, and phones are digits).
std::optional<std::string_view> Param(std::string_view target, std::string_view name) {
  size_t query = target.find('?');
  if (query == std::string_view::npos)
    return std::nullopt;
  std::string_view rest = target.substr(query + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos)
      break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

template <typename T>
std::optional<T> Number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::string_view Path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::string_view TargetOf(const Request& request) {
  auto target = request.target();
  return {target.data(), target.size()};
}

std::optional<int64_t> MillisParam(std::string_view target, std::string_view name) {
  auto text = Param(target, name);
  if (!text)
    return std::nullopt;
  return Number<int64_t>(*text);
}

// A request the service refused is the client's mistake; anything else is ours.
Response StoreError(const baotong::Error& error) {
  if (error.code == ErrorCode::kBadValue)
    return Error(http::status::bad_request, error.Message());
  return Error(http::status::internal_server_error, error.Message());
}

bool IsPhone(std::string_view text) {
  return !text.empty() && text.size() <= 20 &&
         text.find_first_not_of("0123456789") == std::string_view::npos;
}

// Parses the query; TrackService validates ranges and limits, and its errors are the 400s.
Response Track(ApiServices& services, const Request& request) {
  std::string_view target = TargetOf(request);
  auto terminal = Param(target, "terminal");
  auto from = MillisParam(target, "from");
  auto to = MillisParam(target, "to");
  if (!terminal || !from || !to) {
    return Error(http::status::bad_request,
                 "terminal, from and to are required; from and to in epoch milliseconds");
  }
  size_t limit = 10'000;
  if (auto text = Param(target, "limit")) {
    auto parsed = Number<size_t>(*text);
    if (!parsed)
      return Error(http::status::bad_request, "limit must be a number");
    limit = *parsed;
  }
  auto track = services.track.Replay(*terminal, *from, *to, limit);
  if (!track)
    return StoreError(track.error());
  Json positions = Json::array();
  for (const auto& position : *track)
    positions.push_back(PositionToJson(position));
  return JsonResponse(http::status::ok, Json{{"terminal", std::string(*terminal)},
                                             {"from", *from},
                                             {"to", *to},
                                             {"count", track->size()},
                                             {"positions", std::move(positions)}});
}

Response Latest(ApiServices& services, const Request& request) {
  std::string_view target = TargetOf(request);
  size_t offset = 0;
  size_t limit = 500;
  if (auto text = Param(target, "offset")) {
    auto parsed = Number<size_t>(*text);
    if (!parsed)
      return Error(http::status::bad_request, "offset must be a number");
    offset = *parsed;
  }
  if (auto text = Param(target, "limit")) {
    auto parsed = Number<size_t>(*text);
    if (!parsed)
      return Error(http::status::bad_request, "limit must be a number");
    limit = *parsed;
  }
  auto page = services.track.LatestPage(offset, limit);
  if (!page)
    return StoreError(page.error());
  Json list = Json::array();
  for (const auto& position : page->items)
    list.push_back(PositionToJson(position));
  return JsonResponse(http::status::ok, Json{{"total", page->total},
                                             {"offset", offset},
                                             {"limit", limit},
                                             {"items", std::move(list)}});
}

Response SendCommand(ApiServices& services, const Request& request, std::string_view phone) {
  if (!IsPhone(phone))
    return Error(http::status::bad_request, "bad terminal phone");
  Json body = Json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("type") || !body["type"].is_string()) {
    return Error(http::status::bad_request, "body must be a JSON object with a \"type\"");
  }
  std::string type = body["type"];
  jt808::Message message;
  if (type == "text") {
    if (!body.contains("text") || !body["text"].is_string() || body["text"].empty()) {
      return Error(http::status::bad_request, "text commands need a non-empty \"text\"");
    }
    jt808::TextMessage text;
    text.flags = 0x0c;  // terminal display + TTS read-out, as dispatch texts are meant
    text.text = body["text"];
    message = text;
  } else if (type == "location_query") {
    message = jt808::LocationQuery{};
  } else if (type == "tracking") {
    auto interval = body.value("interval_s", -1);
    auto validity = body.value("validity_s", -1);
    if (interval < 0 || interval > 0xffff || validity < 0) {
      return Error(http::status::bad_request, "tracking needs interval_s and validity_s");
    }
    message =
        jt808::TemporaryTracking{static_cast<uint16_t>(interval), static_cast<uint32_t>(validity)};
  } else {
    return Error(http::status::bad_request, "type must be text, location_query or tracking");
  }
  auto id = services.gateway.SendCommand(phone, std::move(message));
  if (!id)
    return Error(http::status::conflict, "terminal is not connected");
  return JsonResponse(http::status::accepted, Json{{"id", *id}});
}

Response CommandStatus(ApiServices& services, std::string_view id_text) {
  auto id = Number<uint64_t>(id_text);
  if (!id)
    return Error(http::status::bad_request, "command id must be a number");
  auto record = services.gateway.FindCommand(*id);
  if (!record)
    return Error(http::status::not_found, "no such command");
  return JsonResponse(http::status::ok,
                      Json{{"id", record->id},
                           {"terminal", record->terminal},
                           {"msg_id", record->msg_id},
                           {"serial", record->serial},
                           {"sent_at_ms", record->sent_at_ms},
                           {"answered_at_ms", record->answered_at_ms},
                           {"status", std::string(gateway::ToString(record->status))},
                           {"terminal_result", record->terminal_result}});
}

}  // namespace

Json PositionToJson(const model::Position& position) {
  return Json{
      {"terminal", position.terminal},
      {"serial", position.serial},
      {"device_time",
       position.device_time_ms ? Json(FormatChinaTime(position.device_time_ms)) : Json(nullptr)},
      {"device_time_ms", position.device_time_ms},
      {"receive_time_ms", position.receive_time_ms},
      {"lat", position.lat_e6 / 1e6},
      {"lon", position.lon_e6 / 1e6},
      {"altitude_m", position.altitude_m},
      {"speed_kmh", position.speed_dkmh / 10.0},
      {"direction", position.direction},
      {"alarm", position.alarm},
      {"status", position.status},
      {"extras", ToHex(position.extras)}};
}

Handler MakeApiHandler(ApiServices services) {
  return [services](const Request& request) mutable -> Response {
    std::string_view path = Path(TargetOf(request));
    const bool is_get = request.method() == http::verb::get;
    if (path == "/metrics" && is_get) {
      Response response{http::status::ok, 11};
      response.set(http::field::content_type, "text/plain; version=0.0.4");
      response.body() = services.metrics.Render();
      return response;
    }
    if (path == "/healthz" && is_get)
      return JsonResponse(http::status::ok, Json{{"status", "ok"}});
    if (path == "/api/track" && is_get)
      return Track(services, request);
    if (path == "/api/positions/latest" && is_get)
      return Latest(services, request);
    if (path == "/api/terminals/connected" && is_get) {
      return JsonResponse(http::status::ok,
                          Json{{"terminals", services.gateway.ConnectedTerminals()}});
    }
    constexpr std::string_view kTerminals = "/api/terminals/";
    constexpr std::string_view kCommandsSuffix = "/commands";
    if (path.starts_with(kTerminals) && path.ends_with(kCommandsSuffix) &&
        request.method() == http::verb::post) {
      std::string_view phone =
          path.substr(kTerminals.size(), path.size() - kTerminals.size() - kCommandsSuffix.size());
      return SendCommand(services, request, phone);
    }
    constexpr std::string_view kCommands = "/api/commands/";
    if (path.starts_with(kCommands) && is_get) {
      return CommandStatus(services, path.substr(kCommands.size()));
    }
    return Error(http::status::not_found, "no such route");
  };
}

}  // namespace baotong::api
