#include "api/routes.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "api/import_jobs.h"
#include "api/masking.h"
#include "api/openapi_document.h"
#include "api/route_context.h"
#include "api/static_files.h"
#include "common/china_time.h"
#include "common/clock.h"
#include "common/hex.h"
#include "store/sqlite/mbtiles.h"
#include "track/movement.h"

namespace baotong::api {

bool Call::Audit(std::string action, std::string audit_target, std::string detail) const {
  // The log is kept for years and read by auditors, not by the roles that see ID numbers and
  // phones: it names a person by the masked number (as 脱敏 shows it), never the whole one that
  // a record key, a lookup or a purpose may quote. Only strings are masked: numbers stay numbers.
  MaskPersonalNumbersIn(audit_target);
  if (Json parsed = Json::parse(detail, nullptr, /*allow_exceptions=*/false);
      !parsed.is_discarded() && MaskPersonalNumbersIn(parsed)) {
    detail = parsed.dump();
  }
  auto appended =
      services.audit.Append(AuditEntryFor(principal, std::string(client_address), std::move(action),
                                          std::move(audit_target), now_ms, std::move(detail)));
  if (!appended) {
    spdlog::error("audit log append failed: {}", appended.error().Message());
    return false;
  }
  return true;
}

bool Call::AuditRepeatedRead(std::string action, std::string audit_target, Json detail) const {
  RepeatedReads& reads = *services.repeated_reads;
  if (!reads.OpensWindow(principal.username, action, audit_target, now_ms))
    return true;
  // Tells the reader of the log that further reads within the window are not listed.
  detail["repeats_within_s"] = RepeatedReads::kWindowMs / 1000;
  if (Audit(action, audit_target, detail.dump())) {
    reads.Confirm(principal.username, action, audit_target);
    return true;
  }
  reads.Forget(principal.username, action, audit_target);
  return false;
}

bool IsValidPurpose(std::string_view purpose) {
  const auto characters = static_cast<size_t>(
      std::count_if(purpose.begin(), purpose.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  return characters >= 4 && characters <= 200;
}

Response Attachment(std::string body, std::string_view content_type, std::string_view file_name) {
  Response response{http::status::ok, 11};
  response.set(http::field::content_type, std::string(content_type));
  response.set(http::field::content_disposition,
               "attachment; filename=\"" + std::string(file_name) + "\"");
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response Unauthenticated() {
  return ApiError(http::status::unauthorized, "unauthenticated", "请先登录 (sign in first)");
}

Response Forbidden(const Call& call, std::string_view what) {
  call.Audit("access.denied", std::string(call.path),
             Json{{"method", std::string(call.request.method_string())}}.dump());
  return ApiError(http::status::forbidden, "forbidden",
                  std::string("无权") + std::string(what) + " (not allowed for your role)");
}

Response BadRequest(std::string_view message) {
  return ApiError(http::status::bad_request, "bad_request", message);
}

Response NotFound(std::string_view message) {
  return ApiError(http::status::not_found, "not_found", message);
}

Response AuditUnavailable(std::string_view what) {
  return ApiError(http::status::service_unavailable, "audit_unavailable",
                  "审计日志不可用，" + std::string(what) + " (audit log unavailable)");
}

Response Internal(const Error& error) {
  spdlog::error("request failed: {}", error.Message());
  if (error.code == ErrorCode::kBadValue)
    return BadRequest(error.Message());
  return ApiError(http::status::internal_server_error, "internal",
                  "服务器内部错误 (internal error)");
}

std::optional<Paging> ReadPaging(const Call& call, int64_t default_limit, int64_t max_limit,
                                 Response& error) {
  Paging paging{0, default_limit};
  if (auto text = call.Param("offset")) {
    auto value = ParseNumber<int64_t>(*text);
    if (!value || *value < 0) {
      error = BadRequest("offset 应为非负整数 (offset must be a whole number)");
      return std::nullopt;
    }
    paging.offset = *value;
  }
  if (auto text = call.Param("limit")) {
    auto value = ParseNumber<int64_t>(*text);
    if (!value || *value < 1 || *value > max_limit) {
      error = BadRequest("limit 应为 1 到 " + std::to_string(max_limit) + " (limit out of range)");
      return std::nullopt;
    }
    paging.limit = *value;
  }
  return paging;
}

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

namespace {

bool IsPhone(std::string_view text) {
  return !text.empty() && text.size() <= 20 &&
         text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string SessionCookie(std::string_view token, int64_t max_age_s, bool secure) {
  return std::string(kSessionCookieName) + "=" + std::string(token) +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s) +
         (secure ? "; Secure" : "");
}

Response Login(Call& call) {
  Json body = Json::parse(call.request.body(), nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("username") || !body["username"].is_string() ||
      !body.contains("password") || !body["password"].is_string()) {
    return BadRequest("请提供用户名和密码 (username and password are required)");
  }
  const std::string username = body["username"];
  auto outcome = call.services.users.Login(username, body["password"].get<std::string>(),
                                           call.client_address, call.now_ms);
  if (!outcome)
    return Internal(outcome.error());
  using Status = LoginOutcome::Status;
  if (outcome->status != Status::kOk) {
    const char* reason = outcome->status == Status::kThrottled  ? "throttled"
                         : outcome->status == Status::kDisabled ? "disabled"
                                                                : "bad_credentials";
    // Bounded: the username is cut, and a flood becomes counts (api/signin_audit.h).
    RecordFailedSignIn(call, username, reason);
    if (outcome->status == Status::kThrottled)
      return Throttled(outcome->throttled_until_ms, call.now_ms,
                       "登录失败次数过多，请稍后再试 (too many failed sign-ins, try again later)");
    if (outcome->status == Status::kDisabled)
      return ApiError(http::status::forbidden, "account_disabled", "账号已停用 (account disabled)");
    return ApiError(http::status::unauthorized, "bad_credentials",
                    "用户名或密码错误 (wrong username or password)");
  }
  FlushFailedSignIns(call);
  const Principal& principal = *outcome->principal;
  AuditEntry entry = AuditEntryFor(principal, std::string(call.client_address), "auth.login",
                                   "users/" + principal.username, call.now_ms);
  if (auto appended = call.services.audit.Append(entry); !appended)
    spdlog::error("audit log append failed: {}", appended.error().Message());
  Json user = PrincipalToJson(principal);
  user["must_change_password"] = outcome->must_change_password;
  auto response =
      JsonResponse(http::status::ok, Json{{"token", outcome->token}, {"user", std::move(user)}});
  const int64_t max_age_s =
      std::max<int64_t>(1, (outcome->session_expires_at_ms - call.now_ms) / 1000);
  response.set(http::field::set_cookie,
               SessionCookie(outcome->token, max_age_s, call.services.secure_cookies));
  return response;
}

Json PositionWithPlate(const model::Position& position, const TerminalPlates::Snapshot& plates) {
  Json item = PositionToJson(position);
  auto plate = plates.plate_of_terminal.find(position.terminal);
  item["plate"] = plate == plates.plate_of_terminal.end() ? Json(nullptr) : Json(plate->second);
  return item;
}

constexpr std::string_view kTilesPrefix = "/api/map/tiles/";

// GET /api/map/tiles/{z}/{x}/{y}: a tile of the offline base map ([map] mbtiles), for signed-in
// users; 404 when the file has none there.
Response OfflineTile(Call& call) {
  store::MbTiles* tiles = call.services.tiles;
  if (!tiles)
    return NotFound("未配置离线地图 (no offline base map)");
  std::string_view rest = call.path.substr(kTilesPrefix.size());
  uint32_t numbers[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    const size_t slash = rest.find('/');
    auto number = ParseNumber<uint32_t>(rest.substr(0, slash));
    if (!number || (i < 2) == (slash == std::string_view::npos))
      return NotFound("没有该瓦片 (no such tile)");
    numbers[i] = *number;
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  auto tile = tiles->Find(numbers[0], numbers[1], numbers[2]);
  if (!tile)
    return Internal(tile.error());
  if (!*tile)
    return NotFound("没有该瓦片 (no such tile)");
  Response response{http::status::ok, 11};
  response.set(http::field::content_type, tiles->content_type());
  response.set(http::field::cache_control, "private, max-age=86400");
  response.body() = std::move(**tile);
  return response;
}

Response Latest(Call& call) {
  Response error;
  auto paging = ReadPaging(call, 500, static_cast<int64_t>(track::kMaxLatestPageLimit), error);
  if (!paging)
    return error;
  auto visible = VisibleTerminals(call);
  if (!visible)
    return Internal(visible.error());
  auto plates = call.services.terminal_plates->Get(call.services.registry, call.now_ms);
  if (!plates)
    return Internal(plates.error());
  Json items = Json::array();
  size_t total = 0;
  if (!*visible) {
    auto page = call.services.track.LatestPage(static_cast<size_t>(paging->offset),
                                               static_cast<size_t>(paging->limit));
    if (!page)
      return Internal(page.error());
    total = page->total;
    for (const auto& position : page->items)
      items.push_back(PositionWithPlate(position, **plates));
  } else {
    // A scoped view: walk every latest position and keep the principal's own terminals.
    for (size_t offset = 0;; offset += track::kMaxLatestPageLimit) {
      auto page = call.services.track.LatestPage(offset, track::kMaxLatestPageLimit);
      if (!page)
        return Internal(page.error());
      for (const auto& position : page->items) {
        if (!(*visible)->contains(position.terminal))
          continue;
        if (total >= static_cast<size_t>(paging->offset) &&
            items.size() < static_cast<size_t>(paging->limit)) {
          items.push_back(PositionWithPlate(position, **plates));
        }
        ++total;
      }
      if (offset + track::kMaxLatestPageLimit >= page->total)
        break;
    }
  }
  // Where each vehicle is now: recorded once per user and window (the map polls every 2.5 s).
  if (!call.AuditRepeatedRead("positions.latest", "positions/latest"))
    return AuditUnavailable();
  return JsonResponse(http::status::ok, Json{{"total", total},
                                             {"offset", paging->offset},
                                             {"limit", paging->limit},
                                             {"items", std::move(items)}});
}

// A vehicle's history says who was where, as 协查 does: the caller states a purpose, and the
// read is in the audit log before the positions leave.
std::optional<std::string> ReadTrackPurpose(const Call& call, Response& error) {
  auto purpose = call.Param("purpose");
  if (!purpose || !IsValidPurpose(*purpose)) {
    error = BadRequest(kPurposeRequired);
    return std::nullopt;
  }
  return purpose;
}

bool AuditTrackRead(const Call& call, std::string_view action, std::string_view terminal,
                    int64_t from_ms, int64_t to_ms, const std::string& purpose, size_t count) {
  return call.Audit(
      std::string(action), "terminals/" + std::string(terminal),
      Json{{"from_ms", from_ms}, {"to_ms", to_ms}, {"purpose", purpose}, {"positions", count}}
          .dump());
}

// Parses the query; TrackService validates ranges and limits, and its errors are the 400s.
// Trips and stops of one terminal over at most 7 days (docs/track.md has the thresholds).
Response Movement(Call& call) {
  constexpr int64_t kMaxSpanMs = int64_t{7} * 24 * 3600 * 1000;
  constexpr int64_t kLatestMs = 4'102'444'800'000;  // 2100-01-01
  auto terminal = call.Param("terminal");
  auto from = call.Param("from");
  auto to = call.Param("to");
  auto from_parsed = from ? ParseNumber<int64_t>(*from) : std::nullopt;
  auto to_parsed = to ? ParseNumber<int64_t>(*to) : std::nullopt;
  const auto refused = [] {
    return BadRequest(
        "需要 terminal、from、to 参数（毫秒），时间跨度不超过7天 (terminal, from < to in epoch "
        "milliseconds, at most 7 days)");
  };
  if (!terminal || !from_parsed || !to_parsed)
    return refused();
  const int64_t from_ms = *from_parsed;
  const int64_t to_ms = *to_parsed;
  if (from_ms < 0 || to_ms > kLatestMs || from_ms >= to_ms || to_ms - from_ms > kMaxSpanMs)
    return refused();
  Response error;
  auto purpose = ReadTrackPurpose(call, error);
  if (!purpose)
    return error;
  auto visible = VisibleTerminals(call);
  if (!visible)
    return Internal(visible.error());
  if (*visible && !(*visible)->contains(*terminal))
    return Forbidden(call, "查看该车辆轨迹");
  auto track = call.services.track.Replay(*terminal, from_ms, to_ms, track::kMaxReplayLimit);
  if (!track) {
    if (track.error().code == ErrorCode::kBadValue)
      return BadRequest(track.error().Message());
    return Internal(track.error());
  }
  if (!AuditTrackRead(call, "track.movement", *terminal, from_ms, to_ms, *purpose, track->size()))
    return AuditUnavailable();
  const track::Movement movement = track::DeriveMovement(*track);
  Json trips = Json::array();
  for (const track::Trip& trip : movement.trips) {
    trips.push_back(Json{{"start_ms", trip.start_ms},
                         {"end_ms", trip.end_ms},
                         {"from", {{"lat", trip.from.lat}, {"lon", trip.from.lon}}},
                         {"to", {{"lat", trip.to.lat}, {"lon", trip.to.lon}}},
                         {"distance_m", std::round(trip.distance_m)},
                         {"max_speed_kmh", trip.max_speed_kmh},
                         {"reports", trip.reports}});
  }
  Json stops = Json::array();
  for (const track::Stop& stop : movement.stops) {
    stops.push_back(Json{{"start_ms", stop.start_ms},
                         {"end_ms", stop.end_ms},
                         {"lat", stop.center.lat},
                         {"lon", stop.center.lon},
                         {"reports", stop.reports},
                         {"open_start", stop.open_start},
                         {"open_end", stop.open_end}});
  }
  return JsonResponse(http::status::ok, Json{{"terminal", *terminal},
                                             {"from_ms", from_ms},
                                             {"to_ms", to_ms},
                                             {"positions", track->size()},
                                             {"trips", std::move(trips)},
                                             {"stops", std::move(stops)}});
}

Response Track(Call& call) {
  auto terminal = call.Param("terminal");
  auto from = call.Param("from");
  auto to = call.Param("to");
  auto from_parsed = from ? ParseNumber<int64_t>(*from) : std::nullopt;
  auto to_parsed = to ? ParseNumber<int64_t>(*to) : std::nullopt;
  if (!terminal || !from_parsed || !to_parsed) {
    return BadRequest(
        "需要 terminal、from、to 参数，时间为毫秒 (terminal, from and to are required; from and to "
        "in epoch milliseconds)");
  }
  const int64_t from_ms = *from_parsed;
  const int64_t to_ms = *to_parsed;
  Response error;
  auto purpose = ReadTrackPurpose(call, error);
  if (!purpose)
    return error;
  auto visible = VisibleTerminals(call);
  if (!visible)
    return Internal(visible.error());
  if (*visible && !(*visible)->contains(*terminal))
    return Forbidden(call, "查看该车辆轨迹");
  size_t limit = 10'000;
  if (auto text = call.Param("limit")) {
    auto parsed = ParseNumber<size_t>(*text);
    if (!parsed)
      return BadRequest("limit 应为整数 (limit must be a number)");
    limit = *parsed;
  }
  auto track = call.services.track.Replay(*terminal, from_ms, to_ms, limit);
  if (!track) {
    if (track.error().code == ErrorCode::kBadValue)
      return BadRequest(track.error().Message());
    return Internal(track.error());
  }
  if (!AuditTrackRead(call, "track.read", *terminal, from_ms, to_ms, *purpose, track->size()))
    return AuditUnavailable();
  Json positions = Json::array();
  for (const auto& position : *track)
    positions.push_back(PositionToJson(position));
  return JsonResponse(http::status::ok, Json{{"terminal", *terminal},
                                             {"from", from_ms},
                                             {"to", to_ms},
                                             {"count", track->size()},
                                             {"positions", std::move(positions)}});
}

Response SendCommand(Call& call, std::string_view phone) {
  if (!IsPhone(phone))
    return BadRequest("终端号码应为数字 (bad terminal phone)");
  Json body = Json::parse(call.request.body(), nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("type") || !body["type"].is_string())
    return BadRequest(
        "请求体应为带 type 的 JSON 对象 (body must be a JSON object with a \"type\")");
  std::string type = body["type"];
  jt808::Message message;
  if (type == "text") {
    if (!body.contains("text") || !body["text"].is_string() || body["text"].empty())
      return BadRequest("文本指令需要 text (text commands need a non-empty \"text\")");
    jt808::TextMessage text;
    text.flags = 0x0c;  // terminal display + TTS read-out, as dispatch texts are meant
    text.text = body["text"];
    message = text;
  } else if (type == "location_query") {
    message = jt808::LocationQuery{};
  } else if (type == "tracking") {
    auto interval = body.value("interval_s", -1);
    auto validity = body.value("validity_s", -1);
    if (interval < 0 || interval > 0xffff || validity < 0)
      return BadRequest(
          "tracking 需要 interval_s 和 validity_s (tracking needs interval_s and validity_s)");
    message =
        jt808::TemporaryTracking{static_cast<uint16_t>(interval), static_cast<uint32_t>(validity)};
  } else {
    return BadRequest("type 应为 text、location_query 或 tracking");
  }
  auto id = call.services.gateway.SendCommand(phone, std::move(message));
  if (!id) {
    return ApiError(http::status::conflict, "terminal_offline",
                    "终端不在线 (terminal is not connected)");
  }
  call.Audit("command.send", "terminals/" + std::string(phone),
             Json{{"type", type}, {"command_id", *id}}.dump());
  return JsonResponse(http::status::accepted, Json{{"id", *id}});
}

Response CommandStatus(Call& call, std::string_view id_text) {
  auto id = ParseNumber<uint64_t>(id_text);
  if (!id)
    return BadRequest("指令编号应为整数 (command id must be a number)");
  auto record = call.services.gateway.FindCommand(*id);
  if (!record)
    return NotFound("没有该指令 (no such command)");
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

Response AuditListing(Call& call) {
  Response error;
  auto paging = ReadPaging(call, 50, 1000, error);
  if (!paging)
    return error;
  AuditFilter filter;
  filter.actor = call.Param("actor");
  filter.action = call.Param("action");
  auto page = call.services.audit.List(paging->offset, paging->limit, filter);
  if (!page)
    return Internal(page.error());
  Json items = Json::array();
  for (const auto& record : page->items) {
    items.push_back(Json{{"id", record.id},
                         {"at_ms", record.entry.at_ms},
                         {"at", FormatChinaTime(record.entry.at_ms)},
                         {"actor", record.entry.actor},
                         {"role", record.entry.role},
                         {"department", record.entry.department},
                         {"client_address", record.entry.client_address},
                         {"action", record.entry.action},
                         {"target", record.entry.target},
                         {"detail", Json::parse(record.entry.detail, nullptr, false)},
                         {"hash", record.hash}});
  }
  return JsonResponse(http::status::ok, Json{{"total", page->total},
                                             {"offset", paging->offset},
                                             {"limit", paging->limit},
                                             {"items", std::move(items)}});
}

// Routes for a signed-in principal; nullopt when none matches.
std::optional<Response> RouteAuthenticated(Call& call) {
  const auto method = call.request.method();
  const bool is_get = method == http::verb::get;
  const std::string_view path = call.path;
  const Role role = call.principal.role;
  if (path == "/api/auth/me" && is_get) {
    Json me = PrincipalToJson(call.principal);
    me["must_change_password"] = call.password_change_required;
    return JsonResponse(http::status::ok, me);
  }
  if (path == "/api/auth/logout" && method == http::verb::post) {
    if (auto token = SessionToken(call.request)) {
      if (auto ok = call.services.users.Logout(*token); !ok)
        return Internal(ok.error());
    }
    call.Audit("auth.logout", "users/" + call.principal.username);
    auto response = JsonResponse(http::status::ok, Json{{"ok", true}});
    response.set(http::field::set_cookie, SessionCookie("", 0, call.services.secure_cookies));
    return response;
  }
  if (auto response = RouteAccounts(call))
    return response;
  if (auto response = RouteRegistry(call))
    return response;
  if (auto response = RoutePasses(call))
    return response;
  if (auto response = RouteCheckpoints(call))
    return response;
  if (auto response = RouteMonitoring(call))
    return response;
  if (auto response = RouteInvestigations(call))
    return response;
  if (auto response = RouteStats(call))
    return response;
  if (auto response = RouteGeography(call))
    return response;
  if (path.starts_with(kTilesPrefix) && is_get)
    return OfflineTile(call);
  if ((path == "/api/positions/latest" || path == "/api/track" || path == "/api/track/movement" ||
       path == "/api/terminals/connected") &&
      is_get) {
    if (!Allows(role, Permission::kPositionsRead))
      return Forbidden(call, "查看车辆位置");
    if (path == "/api/positions/latest")
      return Latest(call);
    if (path == "/api/track")
      return Track(call);
    if (path == "/api/track/movement")
      return Movement(call);
    auto visible = VisibleTerminals(call);
    if (!visible)
      return Internal(visible.error());
    Json connected = Json::array();
    for (auto& phone : call.services.gateway.ConnectedTerminals()) {
      if (!*visible || (*visible)->contains(phone))
        connected.push_back(phone);
    }
    return JsonResponse(http::status::ok, Json{{"terminals", std::move(connected)}});
  }
  constexpr std::string_view kTerminals = "/api/terminals/";
  constexpr std::string_view kCommandsSuffix = "/commands";
  if (path.starts_with(kTerminals) && path.ends_with(kCommandsSuffix) &&
      path.size() > kTerminals.size() + kCommandsSuffix.size() && method == http::verb::post) {
    if (!Allows(role, Permission::kTerminalsCommand))
      return Forbidden(call, "向终端下发指令");
    return SendCommand(call, path.substr(kTerminals.size(),
                                         path.size() - kTerminals.size() - kCommandsSuffix.size()));
  }
  constexpr std::string_view kCommands = "/api/commands/";
  if (path.starts_with(kCommands) && is_get) {
    if (!Allows(role, Permission::kTerminalsCommand))
      return Forbidden(call, "查看指令");
    return CommandStatus(call, path.substr(kCommands.size()));
  }
  if (path == "/api/audit" && is_get) {
    if (!Allows(role, Permission::kAuditRead))
      return Forbidden(call, "查看审计日志");
    return AuditListing(call);
  }
  return std::nullopt;
}

}  // namespace

Result<std::shared_ptr<const TerminalPlates::Snapshot>> TerminalPlates::Get(
    registry::RegistryStore& registry, int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (snapshot_ && now_ms - loaded_at_ms_ < kRefreshMs)
    return snapshot_;
  auto terminals = registry.Terminals();
  if (!terminals)
    return tl::unexpected(terminals.error());
  auto snapshot = std::make_shared<Snapshot>();
  for (const auto& terminal : *terminals) {
    if (!terminal.plate)
      continue;
    snapshot->plate_of_terminal.emplace(terminal.phone, *terminal.plate);
    snapshot->terminal_of_plate.emplace(*terminal.plate, terminal.phone);
  }
  snapshot_ = std::move(snapshot);
  loaded_at_ms_ = now_ms;
  return snapshot_;
}

Result<void> ForEachInScope(const Call& call, registry::Kind kind, const registry::Scope& scope,
                            const std::function<void(const Json&)>& visit) {
  registry::ListQuery query;
  query.scope = scope;
  query.limit = registry::kMaxListLimit;
  for (query.offset = 0;; query.offset += query.limit) {
    auto page = call.services.registry.List(kind, query);
    if (!page)
      return tl::unexpected(page.error());
    for (const auto& item : page->items)
      visit(item);
    if (query.offset + query.limit >= page->total)
      return {};
  }
}

// The terminals a scoped principal may follow on the map; nullopt: all of them.
Result<std::optional<std::set<std::string>>> VisibleTerminals(const Call& call) {
  const Principal& principal = call.principal;
  if (!principal.district && !principal.carrier_credit_code)
    return std::optional<std::set<std::string>>();
  std::set<std::string> phones;
  auto listed = ForEachInScope(
      call, registry::Kind::kTerminals, {principal.district, principal.carrier_credit_code},
      [&](const Json& terminal) { phones.insert(terminal.value("phone", "")); });
  if (!listed)
    return tl::unexpected(listed.error());
  return std::optional<std::set<std::string>>(std::move(phones));
}

std::optional<std::string> SessionToken(const Request& request) {
  if (auto authorization = request.find(http::field::authorization);
      authorization != request.end()) {
    if (auto token = SessionTokenFromAuthorization(
            std::string_view(authorization->value().data(), authorization->value().size())))
      return token;
  }
  for (auto cookie = request.find(http::field::cookie); cookie != request.end(); ++cookie) {
    if (cookie->name() != http::field::cookie)
      break;
    if (auto token = SessionTokenFromCookie(
            std::string_view(cookie->value().data(), cookie->value().size())))
      return token;
  }
  return std::nullopt;
}

Handler MakeApiHandler(ApiServices services) {
  if (!services.now_ms)
    services.now_ms = NowMs;
  if (!services.terminal_plates)
    services.terminal_plates = std::make_shared<TerminalPlates>();
  if (!services.repeated_reads)
    services.repeated_reads = std::make_shared<RepeatedReads>();
  return [services](const Request& request, std::string_view client_address) mutable -> Response {
    const std::string_view target = TargetOf(request);
    Call call{services, request, client_address, target, PathOf(target), services.now_ms(), {}};
    const std::string_view path = call.path;
    const bool is_get = request.method() == http::verb::get;
    if (path == "/healthz" && is_get)
      return JsonResponse(http::status::ok, Json{{"status", "ok"}});
    if (!path.starts_with("/api/")) {
      if (services.web) {
        if (auto file = services.web->Serve(request))
          return std::move(*file);
      }
      return NotFound("没有该页面 (no such page)");
    }
    // Every body is checked here, before any route's parser sees it.
    if (!JsonDepthWithin(request.body()))
      return ApiError(
          http::status::bad_request, "too_deep",
          "JSON 嵌套层数过多 (JSON nested more than " + std::to_string(kMaxJsonDepth) + " levels)");
    // Public API routes.
    if (path == "/api/auth/login" && request.method() == http::verb::post)
      return Login(call);
    if (path == "/api/ui-config" && is_get) {
      const UiConfig& ui = services.ui;
      Json basemaps = Json::array();
      for (const auto& basemap : OfferedBaseMaps(ui)) {
        basemaps.push_back({{"id", basemap.id},
                            {"name", basemap.name},
                            {"url", basemap.url},
                            {"subdomains", basemap.subdomains},
                            {"attribution", basemap.attribution},
                            {"datum", basemap.datum},
                            {"max_zoom", basemap.max_zoom}});
      }
      return JsonResponse(http::status::ok,
                          Json{{"tile_url", ui.tile_url},
                               {"tile_attribution", ui.tile_attribution},
                               {"basemaps", std::move(basemaps)},
                               {"center", Json::array({ui.center_lat, ui.center_lon})},
                               {"zoom", ui.zoom},
                               {"demo", ui.demo}});
    }
    if (path == "/api/openapi.json" && is_get) {
      Response response{http::status::ok, 11};
      response.set(http::field::content_type, "application/json; charset=utf-8");
      response.body() = std::string(OpenApiDocument());
      return response;
    }
    if (auto response = RouteCamera(call))
      return std::move(*response);
    // Everything else needs a live session.
    auto token = SessionToken(request);
    if (!token)
      return Unauthenticated();
    auto session = services.users.AuthenticateSession(*token, call.now_ms);
    if (!session)
      return Internal(session.error());
    if (!*session)
      return Unauthenticated();
    call.principal = std::move((*session)->principal);
    call.password_change_required = (*session)->must_change_password;
    if (auto refused = PasswordChangeGate(call))
      return std::move(*refused);
    if (auto response = RouteAuthenticated(call))
      return std::move(*response);
    return NotFound("没有该接口 (no such route)");
  };
}

std::vector<BaseMap> OfferedBaseMaps(const UiConfig& ui) {
  std::vector<BaseMap> offered;
  if (!ui.tile_url.empty()) {
    BaseMap configured;
    configured.id = "default";
    configured.name = "底图";
    configured.url = ui.tile_url;
    configured.attribution = ui.tile_attribution;
    configured.max_zoom = 19;
    offered.push_back(std::move(configured));
  }
  for (BaseMap basemap : ui.basemaps) {
    if (const size_t at = basemap.url.find("{key}"); at != std::string::npos)
      basemap.url.replace(at, 5, basemap.key);
    basemap.key.clear();  // in the URL now; not repeated
    offered.push_back(std::move(basemap));
  }
  if (!ui.mbtiles.empty()) {
    BaseMap offline;
    offline.id = "offline";
    offline.name = "离线地图";
    offline.url = std::string(kTilesPrefix) + "{z}/{x}/{y}";
    offline.attribution = "离线瓦片";
    offered.push_back(std::move(offline));
  }
  return offered;
}

size_t RequestBodyLimit(const HttpOptions& options, http::verb method, std::string_view target) {
  const std::string_view path = PathOf(target);
  if (path.starts_with("/api/auth/"))
    return options.auth_body_bytes;
  if (method == http::verb::post && (path == "/api/imports" || path == "/api/indicators/import" ||
                                     path == "/api/geo/preview" || path == "/api/geo/import"))
    return options.max_body_bytes;
  return options.api_body_bytes;
}

BodyAdmission MakeBodyAdmission(ApiServices services, HttpOptions limits) {
  if (!services.now_ms)
    services.now_ms = NowMs;
  return [services, limits](
             const RequestHeader& header,
             std::string_view client_address) mutable -> std::variant<size_t, Response> {
    const std::string_view target(header.target().data(), header.target().size());
    const size_t limit = RequestBodyLimit(limits, header.method(), target);
    if (limit <= limits.api_body_bytes)
      return limit;
    // An import's megabytes are read only for a live session whose role may import that kind:
    // anyone else would make the server buffer what the route refuses anyway.
    const Request request(header);
    auto token = SessionToken(request);
    if (!token)
      return Unauthenticated();
    auto principal = services.users.Authenticate(*token, services.now_ms());
    if (!principal)
      return Internal(principal.error());
    if (!*principal)
      return Unauthenticated();
    const std::string_view path = PathOf(target);
    const std::optional<Permission> needed =
        path == "/api/indicators/import" ? std::optional(Permission::kIndicatorsImport)
        : path.starts_with("/api/geo/")  ? std::optional(Permission::kMonitorConfigure)
                                        : ImportPermission(QueryParam(target, "kind").value_or(""));
    if (!needed)  // no such kind: the route says so (400), from a small body
      return limits.api_body_bytes;
    if (!Allows((*principal)->role, *needed)) {
      // Refused like any route's Forbidden(): the refusal is in the audit log.
      Call call{services,       request,           client_address,        target,
                PathOf(target), services.now_ms(), std::move(**principal)};
      return Forbidden(call, "导入此类数据");
    }
    return limit;
  };
}

Handler MakeMetricsHandler(gateway::Metrics& metrics) {
  return [&metrics](const Request& request, std::string_view) -> Response {
    const std::string_view path = PathOf(TargetOf(request));
    if (request.method() != http::verb::get)
      return NotFound("没有该接口 (no such route)");
    if (path == "/metrics") {
      Response response{http::status::ok, 11};
      response.set(http::field::content_type, "text/plain; version=0.0.4");
      response.body() = metrics.Render();
      return response;
    }
    if (path == "/healthz")
      return JsonResponse(http::status::ok, Json{{"status", "ok"}});
    return NotFound("没有该接口 (no such route)");
  };
}

}  // namespace baotong::api
