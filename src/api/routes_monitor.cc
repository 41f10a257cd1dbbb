// Monitoring routes: vehicle states for the live map, the alarm centre (listing, detail with the
// track around the alarm, the handling workflow), zones and rule settings, and the live alarm
// feed over a WebSocket. District accounts see only their district's alarms and vehicles.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <mutex>

#include "alarm/alarm_service.h"
#include "api/masking.h"
#include "api/monitoring_control.h"
#include "api/route_context.h"
#include "common/clock.h"
#include "pass/pass_store.h"

namespace baotong::api {
namespace {

// Free text of an alarm and its steps (notes typed by staff, subjects) may quote a driver's
// phone or ID number: masked for whoever sees those masked (issue 13).
Json ShownAlarm(const alarm::Alarm& item, const Principal& principal, int64_t now_ms) {
  Json json = alarm::AlarmJson(item, now_ms);
  MaskPersonalNumbersFor(
      json, {"subject", "detail", "dispatched_to", "dispatch_note", "outcome", "handle_note"},
      principal, std::nullopt);
  return json;
}
Json ShownStep(const alarm::Step& step, const Principal& principal) {
  Json json = alarm::StepJson(step);
  MaskPersonalNumbersFor(json, {"to", "outcome", "note"}, principal, std::nullopt);
  return json;
}

constexpr int64_t kVehicleTrackMs = 3600 * 1000;      // a clicked vehicle: its last hour
constexpr int64_t kAlarmTrackMarginMs = 1800 * 1000;  // an alarm: 30 min either side
constexpr size_t kTrackLimit = 5'000;

Json TrackJson(Call& call, std::string_view terminal, int64_t from_ms, int64_t to_ms) {
  Json points = Json::array();
  auto track = call.services.track.Replay(terminal, from_ms, to_ms, kTrackLimit);
  if (!track)
    return points;  // an unknown or malformed terminal simply has no track
  for (const auto& position : *track) {
    points.push_back(Json{{"at_ms", position.device_time_ms},
                          {"lat", position.lat_e6 / 1e6},
                          {"lon", position.lon_e6 / 1e6},
                          {"speed_kmh", position.speed_dkmh / 10.0}});
  }
  return points;
}

Json VehicleJson(const monitor::RuleEngine::VehicleStatus& status) {
  Json alarms = Json::array();
  for (auto kind : status.active)
    alarms.push_back(monitor::AlarmKindId(kind));
  return Json{{"terminal", status.terminal},
              {"plate", status.plate},
              {"plate_color", status.plate_color},
              {"state", monitor::MotionStateId(status.state)},
              {"lat", status.lat},
              {"lon", status.lon},
              {"speed_kmh", status.speed_kmh},
              {"direction", status.direction},
              {"at_ms", status.at_ms},
              {"alarms", std::move(alarms)},
              {"in_city", status.in_city}};
}

bool SeesAlarm(const Principal& principal, const alarm::Alarm& alarm) {
  return !principal.district || alarm.district == *principal.district;
}

Response Vehicles(Call& call, MonitoringControl& monitoring) {
  auto visible = VisibleTerminals(call);
  if (!visible)
    return Internal(visible.error());
  Json vehicles = Json::array();
  for (const auto& status : monitoring.monitor().Snapshot(call.now_ms)) {
    if (*visible && !(*visible)->contains(status.terminal))
      continue;
    vehicles.push_back(VehicleJson(status));
  }
  // Where every vehicle is now, as /api/positions/latest: once per user and window.
  if (!call.AuditRepeatedRead("monitor.vehicles", "monitor/vehicles",
                              Json{{"vehicles", vehicles.size()}}))
    return AuditUnavailable();
  return JsonResponse(http::status::ok, Json{{"vehicles", std::move(vehicles)}});
}

// The vehicle panel's company (carrier name, from the vehicle's registry record) and its drivers'
// phones (from the drivers' records), read within the caller's registry scope and only by a role
// that reads those records; phones masked by role (MaskRecord) and a read that shows any
// personal field unmasked recorded first, as the registry's own reads are. An answer when the
// audit log cannot take the entry.
std::optional<Response> AddPeople(Call& call, const monitor::RuleEngine::VehicleStatus& status,
                                  const std::vector<std::string>& driver_id_numbers, Json& body) {
  const registry::Scope scope{call.principal.district, call.principal.carrier_credit_code};
  const Role role = call.principal.role;
  body["carrier"] = nullptr;
  if (Allows(role, Permission::kReadVehicles) && Allows(role, Permission::kReadCarriers)) {
    auto record = call.services.registry.Get(
        registry::Kind::kVehicles, status.plate + "-" + std::to_string(status.plate_color), scope);
    if (record && *record) {
      const Json& vehicle = **record;
      const Json name = vehicle.contains("carrier_name") ? vehicle["carrier_name"] : Json();
      body["carrier"] = Json{{"credit_code", vehicle.value("carrier_credit_code", "")},
                             {"name", name.is_string() ? name : Json()}};
    }
  }
  if (!Allows(role, Permission::kReadDrivers))
    return std::nullopt;
  Json revealed = Json::array();
  for (size_t i = 0; i < driver_id_numbers.size() && i < body["drivers"].size(); ++i) {
    Json& driver = body["drivers"][i];
    const std::string& key = driver_id_numbers[i];
    auto record = call.services.registry.Get(registry::Kind::kDrivers, key, scope);
    if (!record || !*record)
      continue;
    Json& value = **record;
    const MaskOutcome outcome = MaskRecord(value, "drivers", call.principal);
    if (value.contains("phone") && value["phone"].is_string())
      driver["phone"] = value["phone"];
    if (std::find(outcome.revealed.begin(), outcome.revealed.end(), "phone") !=
        outcome.revealed.end())
      revealed.push_back(driver["name"]);
  }
  if (revealed.empty())
    return std::nullopt;
  Json detail{{"records", revealed.size()}, {"fields", Json::array({"phone"})}};
  if (!call.Audit("registry.read", "terminals/" + status.terminal + "/drivers", detail.dump()))
    return AuditUnavailable();
  return std::nullopt;
}

Response Vehicle(Call& call, MonitoringControl& monitoring, std::string_view terminal) {
  auto visible = VisibleTerminals(call);
  if (!visible)
    return Internal(visible.error());
  auto status = monitoring.monitor().Find(terminal, call.now_ms);
  if (!status || (*visible && !(*visible)->contains(status->terminal)))
    return NotFound("没有该车辆的实时状态 (no live state for this vehicle)");
  Json body{{"vehicle", VehicleJson(*status)}, {"pass", nullptr}, {"drivers", Json::array()}};
  std::vector<std::string> driver_id_numbers;
  if (call.services.passes) {
    auto lookup = call.services.passes->Lookup(
        status->plate, static_cast<registry::PlateColor>(status->plate_color), call.now_ms);
    if (lookup.pass) {
      body["pass"] = PassJson(*lookup.pass, call.principal, call.now_ms);
      const auto& pass = *lookup.pass;
      driver_id_numbers = pass.driver_id_numbers;
      for (size_t i = 0; i < pass.driver_id_numbers.size(); ++i) {
        Json driver{{"name", i < pass.driver_names.size() ? pass.driver_names[i] : ""},
                    {"id_number", body["pass"]["driver_id_numbers"][i]},
                    {"phone", nullptr}};
        body["drivers"].push_back(std::move(driver));
      }
    }
  }
  // The company and the drivers' names and phones, as the caller's role may see them.
  std::optional<Response> refused = AddPeople(call, *status, driver_id_numbers, body);
  if (refused)
    return std::move(*refused);
  alarm::AlarmQuery query;
  query.open_only = true;
  query.plate = status->plate;
  query.limit = 50;
  Json alarms = Json::array();
  if (auto page = monitoring.alarms().List(query, call.now_ms)) {
    for (const auto& item : page->items) {
      if (item.terminal == status->terminal)
        alarms.push_back(ShownAlarm(item, call.principal, call.now_ms));
    }
  }
  body["alarms"] = std::move(alarms);
  body["track"] = TrackJson(call, status->terminal, call.now_ms - kVehicleTrackMs, call.now_ms + 1);
  // Its recent track and its drivers: who is where. The alarm centre reopens a vehicle often,
  // so one entry per user, vehicle and window.
  if (!call.AuditRepeatedRead("monitor.vehicle", "terminals/" + status->terminal,
                              Json{{"drivers", body["drivers"].size()}}))
    return AuditUnavailable();
  return JsonResponse(http::status::ok, body);
}

// The alarm centre's filters (status, kind, severity, department, plate, overdue, from, to) and
// the caller's district scope; nullopt (and `error` set) for a malformed one.
std::optional<alarm::AlarmQuery> AlarmQueryOf(const Call& call, Response& error) {
  alarm::AlarmQuery query;
  const auto refuse = [&error](std::string_view message) {
    error = BadRequest(message);
    return std::nullopt;
  };
  if (auto status = call.Param("status"); status && !status->empty()) {
    if (*status == "open") {
      query.open_only = true;
    } else if (auto parsed = alarm::ParseStatus(*status)) {
      query.status = *parsed;
    } else {
      return refuse("status 取值无效 (unknown status)");
    }
  }
  if (auto kind = call.Param("kind"); kind && !kind->empty()) {
    query.kind = monitor::ParseAlarmKind(*kind);
    if (!query.kind)
      return refuse("kind 取值无效 (unknown alarm kind)");
  }
  if (auto severity = call.Param("severity"); severity && !severity->empty()) {
    auto parsed = ParseNumber<int>(*severity);
    if (!parsed || !alarm::IsSeverity(*parsed))
      return refuse("severity 应为 1-4 (severity must be 1-4)");
    query.severity = *parsed;
  }
  if (auto department = call.Param("department"); department && !department->empty())
    query.department = *department;
  if (auto plate = call.Param("plate"); plate && !plate->empty())
    query.plate = *plate;
  if (auto overdue = call.Param("overdue"))
    query.overdue_only = *overdue == "1" || *overdue == "true";
  for (auto [name, target] : {std::pair{"from", &query.from_ms}, std::pair{"to", &query.to_ms}}) {
    if (auto text = call.Param(name); text && !text->empty()) {
      auto parsed = ParseNumber<int64_t>(*text);
      if (!parsed)
        return refuse("from、to 应为毫秒时间 (from and to are epoch milliseconds)");
      *target = *parsed;
    }
  }
  // A district account's scope is part of the query, so paging and totals stay right.
  query.district = call.principal.district;
  return query;
}

Response ListAlarms(Call& call, MonitoringControl& monitoring) {
  Response error;
  auto paging = ReadPaging(call, 50, alarm::kMaxAlarmListLimit, error);
  if (!paging)
    return error;
  auto query = AlarmQueryOf(call, error);
  if (!query)
    return error;
  query->offset = paging->offset;
  query->limit = paging->limit;
  auto page = monitoring.alarms().List(*query, call.now_ms);
  if (!page)
    return Internal(page.error());
  Json items = Json::array();
  for (const auto& item : page->items)
    items.push_back(ShownAlarm(item, call.principal, call.now_ms));
  Json counts = Json::object();
  if (call.principal.district) {
    alarm::AlarmQuery open;
    open.open_only = true;
    open.district = call.principal.district;
    for (int severity = alarm::kMinSeverity; severity <= alarm::kMaxSeverity; ++severity) {
      open.severity = severity;
      open.limit = 1;
      auto counted = monitoring.alarms().List(open, call.now_ms);
      counts[std::to_string(severity)] = counted ? counted->total : 0;
    }
  } else if (auto open = monitoring.alarms().OpenCounts()) {
    for (int severity = alarm::kMinSeverity; severity <= alarm::kMaxSeverity; ++severity) {
      auto found = open->find("severity." + std::to_string(severity));
      counts[std::to_string(severity)] = found == open->end() ? 0 : found->second;
    }
  }
  return JsonResponse(
      http::status::ok,
      Json{{"items", std::move(items)}, {"total", page->total}, {"counts", std::move(counts)}});
}

// The alarm `id_text` names, if the caller may see it.
std::optional<alarm::Alarm> VisibleAlarm(Call& call, MonitoringControl& monitoring,
                                         std::string_view id_text, Response& error) {
  auto id = ParseNumber<int64_t>(id_text);
  if (!id) {
    error = BadRequest("报警编号应为整数 (alarm id must be a number)");
    return std::nullopt;
  }
  auto found = monitoring.alarms().Get(*id);
  if (!found) {
    error = Internal(found.error());
    return std::nullopt;
  }
  if (!*found || !SeesAlarm(call.principal, **found)) {
    error = NotFound("没有该报警 (no such alarm)");
    return std::nullopt;
  }
  return std::move(**found);
}

Response AlarmDetail(Call& call, MonitoringControl& monitoring, std::string_view id_text) {
  Response error;
  auto found = VisibleAlarm(call, monitoring, id_text, error);
  if (!found)
    return error;
  auto steps = monitoring.alarms().Steps(found->id);
  if (!steps)
    return Internal(steps.error());
  Json step_list = Json::array();
  for (const auto& step : *steps)
    step_list.push_back(ShownStep(step, call.principal));
  // The vehicle's track around the alarm says where it was: recorded as a vehicle's live state
  // is, once per user and alarm in a window.
  if (!call.AuditRepeatedRead("alarm.read", "alarms/" + std::to_string(found->id),
                              Json{{"terminal", found->terminal}}))
    return AuditUnavailable();
  return JsonResponse(
      http::status::ok,
      Json{{"alarm", ShownAlarm(*found, call.principal, call.now_ms)},
           {"steps", std::move(step_list)},
           {"track", TrackJson(call, found->terminal, found->first_at_ms - kAlarmTrackMarginMs,
                               found->last_at_ms + kAlarmTrackMarginMs)}});
}

std::string TextField(const Json& body, const char* name) {
  auto found = body.find(name);
  if (found == body.end() || !found->is_string())
    return {};
  return found->get<std::string>();
}

Json RequestObject(const Call& call) {
  if (call.request.body().empty())
    return Json::object();
  return Json::parse(call.request.body(), nullptr, /*allow_exceptions=*/false);
}

// One handling step on one alarm with `body`'s note, to and outcome: the single route and each
// alarm of a bulk request go through here, so each change is checked and audited alike.
Response StepOne(Call& call, MonitoringControl& monitoring, std::string_view id_text,
                 std::string_view action, const Json& body) {
  Response error;
  auto found = VisibleAlarm(call, monitoring, id_text, error);
  if (!found)
    return error;
  const std::string note = TextField(body, "note");
  const std::string& by = call.principal.username;
  alarm::AlarmService& alarms = monitoring.alarms();
  Result<alarm::Alarm> done = Fail(ErrorCode::kBadValue, "unknown step");
  Json detail{{"note", note}};
  if (action == "acknowledge") {
    done = alarms.Acknowledge(found->id, by, note, call.now_ms);
  } else if (action == "dispatch") {
    const std::string to = TextField(body, "to");
    if (to.empty())
      return BadRequest("派发需要填写派发对象 to (dispatch needs \"to\")");
    detail["to"] = to;
    done = alarms.Dispatch(found->id, by, to, note, call.now_ms);
  } else if (action == "handle") {
    const std::string outcome = TextField(body, "outcome");
    if (outcome.empty())
      return BadRequest("处置需要填写处置结果 outcome (handling needs an \"outcome\")");
    detail["outcome"] = outcome;
    done = alarms.Handle(found->id, by, outcome, note, call.now_ms);
  } else {
    done = alarms.Close(found->id, by, note, call.now_ms);
  }
  if (!done) {
    switch (done.error().code) {
      case ErrorCode::kNotFound:
        return NotFound("没有该报警 (no such alarm)");
      case ErrorCode::kConflict:
        return ApiError(http::status::conflict, "conflict",
                        "报警当前状态不允许此操作 (not allowed in the alarm's current status)");
      case ErrorCode::kBadValue:
        return BadRequest("请填写说明 note (a note is required for this step)");
      default:
        return Internal(done.error());
    }
  }
  call.Audit("alarm." + std::string(action), "alarms/" + std::to_string(found->id), detail.dump());
  return JsonResponse(http::status::ok,
                      Json{{"alarm", ShownAlarm(*done, call.principal, call.now_ms)}});
}

Response AlarmStep(Call& call, MonitoringControl& monitoring, std::string_view id_text,
                   std::string_view action) {
  Json body = RequestObject(call);
  if (!body.is_object())
    return BadRequest("请求体应为 JSON 对象 (body must be a JSON object)");
  return StepOne(call, monitoring, id_text, action, body);
}

constexpr size_t kMaxBulkAlarms = 200;

// POST /api/alarms/bulk {"action", "ids", "note", "to", "outcome"}: one step with one comment
// on many alarms. Each alarm is stepped (and audited) as the single route does; the answer lists
// every alarm's result, so a partial failure names the alarms that failed and why.
Response BulkStep(Call& call, MonitoringControl& monitoring) {
  Json body = RequestObject(call);
  if (!body.is_object())
    return BadRequest("请求体应为 JSON 对象 (body must be a JSON object)");
  const std::string action = TextField(body, "action");
  if (action != "acknowledge" && action != "dispatch" && action != "handle" && action != "close")
    return BadRequest(
        "action 应为 acknowledge、dispatch、handle 或 close (action: acknowledge, dispatch, "
        "handle or close)");
  const auto ids = body.find("ids");
  if (ids == body.end() || !ids->is_array() || ids->empty() || ids->size() > kMaxBulkAlarms)
    return BadRequest("ids 应为 1 至 200 个报警编号 (ids: 1 to 200 alarm ids)");
  std::vector<int64_t> unique_ids;
  for (const auto& id : *ids) {
    if (!id.is_number_integer())
      return BadRequest("报警编号应为整数 (alarm ids are integers)");
    if (std::find(unique_ids.begin(), unique_ids.end(), id.get<int64_t>()) == unique_ids.end())
      unique_ids.push_back(id.get<int64_t>());
  }
  Json results = Json::array();
  int succeeded = 0;
  for (int64_t id : unique_ids) {
    Response one = StepOne(call, monitoring, std::to_string(id), action, body);
    Json answer = Json::parse(one.body(), nullptr, /*allow_exceptions=*/false);
    const bool ok = one.result() == http::status::ok;
    succeeded += ok ? 1 : 0;
    Json result{{"id", id}, {"ok", ok}, {"status", one.result_int()}};
    if (ok && answer.is_object())
      result["alarm"] = std::move(answer["alarm"]);
    else if (answer.is_object())
      result["error"] = std::move(answer["error"]);
    results.push_back(std::move(result));
  }
  return JsonResponse(http::status::ok,
                      Json{{"action", action},
                           {"succeeded", succeeded},
                           {"failed", static_cast<int>(unique_ids.size()) - succeeded},
                           {"results", std::move(results)}});
}

// CSV text: quoted when it holds a comma, quote or line break.
std::string CsvCell(const Json& value) {
  std::string text;
  if (value.is_string())
    text = value.get<std::string>();
  else if (!value.is_null())
    text = value.dump();
  if (text.find_first_of(",\"\r\n") == std::string::npos)
    return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"')
      quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string ChinaTimeText(int64_t ms) {
  if (ms <= 0)
    return "";
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000 + 8 * 3600);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &parts);
  return text;
}

constexpr int64_t kMaxAlarmExportRows = 20'000;

// GET /api/alarms/export.csv with the listing's filters: the alarms as the caller sees them
// (district scope, masked free text), UTF-8 with a BOM so that Excel reads the Chinese.
Response ExportAlarms(Call& call, MonitoringControl& monitoring) {
  Response error;
  auto query = AlarmQueryOf(call, error);
  if (!query)
    return error;
  std::string csv =
      "\xEF\xBB\xBF编号,车牌号码,报警类型,严重程度,责任部门,所属区县,状态,次数,首次报警时间,"
      "最近报警时间,报警详情,纬度,经度,速度(km/h)\r\n";
  int64_t rows = 0;
  query->limit = alarm::kMaxAlarmListLimit;
  for (query->offset = 0; rows < kMaxAlarmExportRows; query->offset += query->limit) {
    auto page = monitoring.alarms().List(*query, call.now_ms);
    if (!page)
      return Internal(page.error());
    for (const auto& item : page->items) {
      Json shown = ShownAlarm(item, call.principal, call.now_ms);
      csv += CsvCell(shown["id"]) + "," + CsvCell(shown["plate"]) + "," +
             CsvCell(shown["kind_name"]) + "," + CsvCell(shown["severity_name"]) + "," +
             CsvCell(shown["department_name"]) + "," + CsvCell(shown["district"]) + "," +
             CsvCell(shown["status_name"]) + "," + CsvCell(shown["count"]) + "," +
             CsvCell(ChinaTimeText(item.first_at_ms)) + "," +
             CsvCell(ChinaTimeText(item.last_at_ms)) + "," + CsvCell(shown["detail"]) + "," +
             CsvCell(shown["lat"]) + "," + CsvCell(shown["lon"]) + "," +
             CsvCell(shown["speed_kmh"]) + "\r\n";
      ++rows;
    }
    if (page->items.size() < static_cast<size_t>(query->limit))
      break;
  }
  // Where vehicles were and when, in bulk: recorded as other exports are.
  if (!call.Audit("alarm.export", "alarms/export.csv", Json{{"rows", rows}}.dump()))
    return AuditUnavailable();
  return Attachment(std::move(csv), "text/csv; charset=utf-8", "alarms.csv");
}

Json ZoneEntryJson(const ZoneEntry& entry) {
  Json json = monitor::ZoneJson(entry.zone);
  json["source"] = entry.source;
  return json;
}

Response InvalidField(const registry::Invalid& invalid) {
  return JsonResponse(
      http::status::bad_request,
      Json{
          {"error", {{"code", "invalid"}, {"message", invalid.message}, {"field", invalid.code}}}});
}

Response ListZones(MonitoringControl& monitoring) {
  auto zones = monitoring.Zones();
  if (!zones)
    return Internal(zones.error());
  Json list = Json::array();
  for (const auto& entry : *zones)
    list.push_back(ZoneEntryJson(entry));
  return JsonResponse(http::status::ok, Json{{"zones", std::move(list)}});
}

Response SaveZone(Call& call, MonitoringControl& monitoring, std::optional<std::string> code) {
  Json body = Json::parse(call.request.body(), nullptr, /*allow_exceptions=*/false);
  if (!body.is_object())
    return BadRequest("请求体应为 JSON 对象 (body must be a JSON object)");
  if (code) {
    if (body.contains("code") && body["code"] != *code)
      return BadRequest("区域编码不可修改 (a zone's code cannot change)");
    body["code"] = *code;
  }
  body.erase("source");
  auto zone = monitor::ParseZone(body);
  if (!zone)
    return InvalidField(zone.error());
  if (zone->kind != monitor::ZoneKind::kRestricted) {
    return InvalidField(registry::Invalid{
        "kind", "自定义区域只能是管控区域 restricted (zones drawn here are restricted zones)"});
  }
  auto saved = monitoring.SaveZone(*zone, !code, call.principal.username, call.now_ms);
  if (!saved) {
    if (saved.error().code == ErrorCode::kConflict)
      return ApiError(http::status::conflict, "conflict",
                      "区域编码已存在或属于系统区域 (the code exists or names a derived zone)");
    if (saved.error().code == ErrorCode::kNotFound)
      return NotFound("没有该区域 (no such zone)");
    return Internal(saved.error());
  }
  Json saved_json = ZoneEntryJson(ZoneEntry{*zone, "user"});
  call.Audit(code ? "zone.update" : "zone.create", "zones/" + zone->code, saved_json.dump());
  return JsonResponse(code ? http::status::ok : http::status::created,
                      Json{{"zone", std::move(saved_json)}});
}

Response DeleteZone(Call& call, MonitoringControl& monitoring, std::string_view code) {
  auto deleted = monitoring.DeleteZone(code);
  if (!deleted)
    return Internal(deleted.error());
  if (!*deleted)
    return NotFound("没有该自定义区域 (no such user zone)");
  call.Audit("zone.delete", "zones/" + std::string(code));
  return JsonResponse(http::status::ok, Json{{"deleted", std::string(code)}});
}

Response SaveSettings(Call& call, MonitoringControl& monitoring) {
  Json body = Json::parse(call.request.body(), nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("settings"))
    return BadRequest("请求体应为 {\"settings\": {...}} (body must hold \"settings\")");
  auto settings = monitor::ParseRuleSettings(body["settings"]);
  if (!settings)
    return InvalidField(settings.error());
  if (auto saved = monitoring.SaveSettings(*settings, call.principal.username, call.now_ms); !saved)
    return Internal(saved.error());
  Json json = monitor::RuleSettingsJson(*settings);
  call.Audit("monitor.settings", "monitor/rules", json.dump());
  return JsonResponse(http::status::ok, Json{{"settings", std::move(json)}});
}

// The live feed: one subscription to the alarm service, fanned out to every open socket whose
// user may see the alarm. Each change is serialised once.
class AlarmPushHub : public std::enable_shared_from_this<AlarmPushHub> {
 public:
  explicit AlarmPushHub(alarm::AlarmService& alarms) : alarms_(alarms) {}
  ~AlarmPushHub() { alarms_.Unsubscribe(subscription_); }

  void Start() {
    subscription_ = alarms_.Subscribe([weak = weak_from_this()](const alarm::AlarmUpdate& update) {
      if (auto hub = weak.lock())
        hub->Publish(update);
    });
  }

  void Add(const std::shared_ptr<PushSocket>& socket, const Principal& principal) {
    socket->Send(Json{{"type", "hello"}, {"at_ms", NowMs()}}.dump());
    // Decided from the role, as every other read of alarms is (ShownAlarm).
    const bool masked = !SeesUnmasked(principal, PersonalField::kPhone, std::nullopt);
    std::lock_guard lock(mutex_);
    clients_.push_back({socket, principal.district, masked});
  }

 private:
  // Weak: a socket lives as long as its connection; the hub does not keep closed ones.
  struct Client {
    std::weak_ptr<PushSocket> socket;
    std::optional<std::string> district;
    bool masked = true;  // sees personal numbers in alarm texts masked
  };

  void Publish(const alarm::AlarmUpdate& update) {
    const int64_t now_ms = NowMs();
    const std::string message =
        Json{{"type", "alarm"}, {"alarm", alarm::AlarmJson(update.alarm, now_ms)}}.dump();
    // The form every client whose role sees personal numbers masked gets (a district reader
    // stands for them all: ShownAlarm masks by role).
    Principal masked_reader;
    masked_reader.role = Role::kDistrict;
    const std::string masked_message =
        Json{{"type", "alarm"}, {"alarm", ShownAlarm(update.alarm, masked_reader, now_ms)}}.dump();
    std::lock_guard lock(mutex_);
    std::erase_if(clients_, [](const Client& client) {
      auto socket = client.socket.lock();
      return !socket || !socket->IsOpen();
    });
    for (const Client& client : clients_) {
      if (client.district && *client.district != update.alarm.district)
        continue;
      if (auto socket = client.socket.lock())
        socket->Send(client.masked ? masked_message : message);
    }
  }

  alarm::AlarmService& alarms_;
  uint64_t subscription_ = 0;
  std::mutex mutex_;
  std::vector<Client> clients_;
};

}  // namespace

std::optional<Response> RouteMonitoring(Call& call) {
  const std::string_view path = call.path;
  constexpr std::string_view kAlarms = "/api/alarms";
  constexpr std::string_view kVehicles = "/api/monitor/vehicles";
  constexpr std::string_view kZones = "/api/monitor/zones";
  const bool ours = path.starts_with(kAlarms) || path.starts_with("/api/monitor/");
  if (!ours)
    return std::nullopt;
  MonitoringControl* monitoring = call.services.monitoring;
  if (!monitoring)
    return NotFound("本服务未启用监控 (monitoring is not enabled on this server)");
  const auto method = call.request.method();
  const bool is_get = method == http::verb::get;
  const Role role = call.principal.role;
  const auto require = [&](Permission permission,
                           std::string_view what) -> std::optional<Response> {
    if (!Allows(role, permission))
      return Forbidden(call, what);
    return std::nullopt;
  };

  if (path == kVehicles && is_get) {
    if (auto refused = require(Permission::kAlarmsRead, "查看车辆监控状态"))
      return refused;
    return Vehicles(call, *monitoring);
  }
  if (path.starts_with(std::string(kVehicles) + "/") && is_get) {
    if (auto refused = require(Permission::kAlarmsRead, "查看车辆监控状态"))
      return refused;
    return Vehicle(call, *monitoring, path.substr(kVehicles.size() + 1));
  }
  if (path == kAlarms && is_get) {
    if (auto refused = require(Permission::kAlarmsRead, "查看报警"))
      return refused;
    return ListAlarms(call, *monitoring);
  }
  if (path == "/api/alarms/bulk" && method == http::verb::post) {
    if (auto refused = require(Permission::kAlarmsHandle, "处置报警"))
      return refused;
    return BulkStep(call, *monitoring);
  }
  if (path == "/api/alarms/export.csv" && is_get) {
    if (auto refused = require(Permission::kAlarmsRead, "导出报警"))
      return refused;
    return ExportAlarms(call, *monitoring);
  }
  if (path.starts_with(std::string(kAlarms) + "/")) {
    std::string_view rest = path.substr(kAlarms.size() + 1);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos && is_get) {
      if (auto refused = require(Permission::kAlarmsRead, "查看报警"))
        return refused;
      return AlarmDetail(call, *monitoring, rest);
    }
    const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (method == http::verb::post && (action == "acknowledge" || action == "dispatch" ||
                                       action == "handle" || action == "close")) {
      if (auto refused = require(Permission::kAlarmsHandle, "处置报警"))
        return refused;
      return AlarmStep(call, *monitoring, rest.substr(0, slash), action);
    }
  }
  if (path == kZones && is_get) {
    if (auto refused = require(Permission::kAlarmsRead, "查看监控区域"))
      return refused;
    return ListZones(*monitoring);
  }
  if (path == kZones && method == http::verb::post) {
    if (auto refused = require(Permission::kMonitorConfigure, "设置监控区域"))
      return refused;
    return SaveZone(call, *monitoring, std::nullopt);
  }
  if (path.starts_with(std::string(kZones) + "/") &&
      (method == http::verb::put || method == http::verb::delete_)) {
    if (auto refused = require(Permission::kMonitorConfigure, "设置监控区域"))
      return refused;
    const std::string code(path.substr(kZones.size() + 1));
    if (method == http::verb::put)
      return SaveZone(call, *monitoring, code);
    return DeleteZone(call, *monitoring, code);
  }
  if (path == "/api/monitor/rules") {
    if (is_get) {
      if (auto refused = require(Permission::kAlarmsRead, "查看监控规则"))
        return refused;
      return JsonResponse(http::status::ok,
                          Json{{"settings", monitor::RuleSettingsJson(monitoring->Settings())}});
    }
    if (method == http::verb::put) {
      if (auto refused = require(Permission::kMonitorConfigure, "设置监控规则"))
        return refused;
      return SaveSettings(call, *monitoring);
    }
  }
  return std::nullopt;
}

UpgradeHandler MakeUpgradeHandler(ApiServices services) {
  if (!services.now_ms)
    services.now_ms = NowMs;
  std::shared_ptr<AlarmPushHub> hub;
  if (services.monitoring) {
    hub = std::make_shared<AlarmPushHub>(services.monitoring->alarms());
    hub->Start();
  }
  return [services, hub](const Request& request,
                         std::string_view client_address) mutable -> UpgradeDecision {
    UpgradeDecision decision;
    const std::string_view target = TargetOf(request);
    if (PathOf(target) != "/api/alarms/live" || !hub) {
      decision.refusal = NotFound("没有该接口 (no such route)");
      return decision;
    }
    Call call{services, request, client_address, target, PathOf(target), services.now_ms(), {}};
    auto token = SessionToken(request);
    auto principal = token ? services.users.Authenticate(*token, call.now_ms)
                           : Result<std::optional<Principal>>(std::nullopt);
    if (!principal) {
      decision.refusal = Internal(principal.error());
      return decision;
    }
    if (!*principal) {
      decision.refusal = Unauthenticated();
      return decision;
    }
    call.principal = std::move(**principal);
    if (!Allows(call.principal.role, Permission::kAlarmsRead)) {
      decision.refusal = Forbidden(call, "接收实时报警");
      return decision;
    }
    decision.on_open = [hub, principal = call.principal](std::shared_ptr<PushSocket> socket) {
      hub->Add(socket, principal);
    };
    return decision;
  };
}

}  // namespace baotong::api
