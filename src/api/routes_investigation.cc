// 协查 routes: who was in an area during a window, where a vehicle stopped and who stopped near
// it, a vehicle's track, and the Excel exports of the first two. Every call states its purpose
// (事由) and is written to the audit log before anything is answered: the answers are personal
// data (who was where). District accounts see only vehicles of their district.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "api/audit_log.h"
#include "api/masking.h"
#include "api/route_context.h"
#include "api/xlsx_export.h"
#include "checkpoint/checkpoint_service.h"
#include "common/china_time.h"
#include "pass/pass_store.h"
#include "registry/records.h"
#include "track/investigation.h"
#include "track/movement.h"

namespace baotong::api {
namespace {

using Json = nlohmann::ordered_json;
using InJson = nlohmann::json;

constexpr int64_t kPassageLookBackMs = int64_t{7} * 24 * 3600 * 1000;
constexpr double kMaxContactRadiusM = 2'000;
constexpr int64_t kMaxContactMarginMs = int64_t{24} * 3600 * 1000;
constexpr size_t kMaxTrackPoints = 20'000;

// What every 协查 request carries: the window and the purpose.
struct Common {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::string purpose;
};

std::optional<Common> ReadCommon(const InJson& body, Response& error) {
  Common common;
  const auto purpose = body.find("purpose");
  if (purpose == body.end() || !purpose->is_string() ||
      !IsValidPurpose(purpose->get<std::string>())) {
    error = BadRequest(kPurposeRequired);
    return std::nullopt;
  }
  common.purpose = purpose->get<std::string>();
  const auto from = body.find("from_ms");
  const auto to = body.find("to_ms");
  if (from == body.end() || to == body.end() || !from->is_number_integer() ||
      !to->is_number_integer() || !track::IsValidWindow(from->get<int64_t>(), to->get<int64_t>())) {
    error = BadRequest(
        "时间范围无效：开始不晚于结束，且不超过31天 (from_ms <= to_ms, at most 31 days)");
    return std::nullopt;
  }
  common.from_ms = from->get<int64_t>();
  common.to_ms = to->get<int64_t>();
  return common;
}

std::optional<double> Number(const InJson& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number())
    return std::nullopt;
  return it->get<double>();
}

std::optional<track::Area> ReadArea(const InJson& body, Response& error) {
  const auto area = body.find("area");
  const std::string refused =
      "区域无效：圆形需 lat、lon、radius_m（不超过50公里），多边形需3至500个 [lat, lon] 点 "
      "(area: a circle {type, lat, lon, radius_m} or a polygon {type, points})";
  if (area == body.end() || !area->is_object() || !area->contains("type") ||
      !(*area)["type"].is_string()) {
    error = BadRequest(refused);
    return std::nullopt;
  }
  const std::string type = (*area)["type"].get<std::string>();
  track::AreaShape shape;
  if (type == "circle") {
    const auto lat = Number(*area, "lat");
    const auto lon = Number(*area, "lon");
    const auto radius = Number(*area, "radius_m");
    if (!lat || !lon || !radius) {
      error = BadRequest(refused);
      return std::nullopt;
    }
    shape = geo::Circle{{*lat, *lon}, *radius};
  } else if (type == "polygon") {
    const auto points = area->find("points");
    if (points == area->end() || !points->is_array()) {
      error = BadRequest(refused);
      return std::nullopt;
    }
    std::vector<geo::LatLon> ring;
    for (const auto& point : *points) {
      if (!point.is_array() || point.size() != 2 || !point[0].is_number() ||
          !point[1].is_number()) {
        error = BadRequest(refused);
        return std::nullopt;
      }
      ring.push_back({point[0].get<double>(), point[1].get<double>()});
    }
    shape = std::move(ring);
  } else {
    error = BadRequest(refused);
    return std::nullopt;
  }
  auto made = track::Area::Make(shape);
  if (!made) {
    error = BadRequest(refused);
    return std::nullopt;
  }
  return std::move(*made);
}

// Only the terminals a scoped caller may see (nullopt: all).
track::Investigations::TerminalFilter VisibleFilter(
    const std::optional<std::set<std::string>>& visible) {
  if (!visible)
    return {};
  return [&visible](std::string_view terminal) {
    return visible->find(std::string(terminal)) != visible->end();
  };
}

// Records the query before it is answered; false: the answer must not be given.
bool AuditQuery(const Call& call, std::string action, std::string target, const Common& common,
                Json detail) {
  detail["purpose"] = common.purpose;
  detail["from_ms"] = common.from_ms;
  detail["to_ms"] = common.to_ms;
  return call.Audit(std::move(action), std::move(target), detail.dump());
}

Response AuditFailed() {
  return ApiError(http::status::internal_server_error, "audit_failed",
                  "审计日志写入失败，查询未执行 (the audit log could not record the query)");
}

// Who a terminal's vehicle is: plate, class, carrier and district from the registry, drivers
// from the pass in force at `at_ms`, and how it entered and left the city around the visit.
class VehicleDescriber {
 public:
  explicit VehicleDescriber(Call& call) : call_(call) {
    if (call.services.checkpoints) {
      for (const auto& checkpoint : call.services.checkpoints->Checkpoints())
        checkpoint_names_[checkpoint.id] = checkpoint.name;
    }
  }

  Json Describe(std::string_view terminal, int64_t first_ms, int64_t last_ms) {
    Json vehicle{{"terminal", terminal},
                 {"plate", nullptr},
                 {"plate_color", nullptr},
                 {"vehicle_class", nullptr},
                 {"vehicle_class_name", nullptr},
                 {"district", nullptr},
                 {"carrier", nullptr},
                 {"drivers", Json::array()},
                 {"entry", nullptr},
                 {"exit", nullptr}};
    registry::RegistryStore& registry = call_.services.registry;
    auto record = registry.FindTerminal(terminal);
    if (!record || !*record || !(*record)->plate)
      return vehicle;
    const std::string plate = *(*record)->plate;
    const registry::PlateColor color =
        (*record)->plate_color.value_or(registry::PlateColor::kYellow);
    vehicle["plate"] = plate;
    vehicle["plate_color"] = static_cast<int>(color);
    std::optional<std::string> carrier_code;
    if (auto found = registry.FindVehicle(plate, color); found && *found) {
      vehicle["vehicle_class"] = registry::VehicleClassId((*found)->vehicle_class);
      vehicle["vehicle_class_name"] = registry::VehicleClassName((*found)->vehicle_class);
      carrier_code = (*found)->carrier_credit_code;
      if (auto carrier = registry.FindCarrier(*carrier_code); carrier && *carrier) {
        vehicle["carrier"] = Json{{"name", (*carrier)->name}, {"credit_code", *carrier_code}};
        vehicle["district"] = (*carrier)->district;
      }
    }
    if (call_.services.passes) {
      const auto lookup = call_.services.passes->Lookup(plate, color, first_ms);
      if (lookup.pass) {
        const pass::PassApplication& pass = *lookup.pass;
        const bool unmasked =
            SeesUnmasked(call_.principal, PersonalField::kIdNumber, pass.carrier_credit_code);
        for (size_t i = 0; i < pass.driver_id_numbers.size(); ++i) {
          const std::string& id = pass.driver_id_numbers[i];
          vehicle["drivers"].push_back(
              Json{{"name", i < pass.driver_names.size() ? pass.driver_names[i] : ""},
                   {"id_number", unmasked ? id : MaskIdNumber(id)}});
        }
      }
    }
    if (call_.services.checkpoints) {
      checkpoint::CheckpointService& checkpoints = *call_.services.checkpoints;
      auto released = [](const checkpoint::Passage& passage, checkpoint::Direction direction) {
        return passage.direction == direction && passage.verdict == checkpoint::Verdict::kRelease;
      };
      if (auto before = checkpoints.PassagesOfPlate(plate, first_ms - kPassageLookBackMs, first_ms,
                                                    1000, /*newest_first=*/true)) {
        for (const auto& passage : *before) {
          if (released(passage, checkpoint::Direction::kIn)) {
            vehicle["entry"] = PassageJson(passage);
            break;
          }
        }
      }
      if (auto after = checkpoints.PassagesOfPlate(plate, last_ms, last_ms + kPassageLookBackMs,
                                                   1000, /*newest_first=*/false)) {
        for (const auto& passage : *after) {
          if (released(passage, checkpoint::Direction::kOut)) {
            vehicle["exit"] = PassageJson(passage);
            break;
          }
        }
      }
    }
    return vehicle;
  }

 private:
  Json PassageJson(const checkpoint::Passage& passage) const {
    const auto name = checkpoint_names_.find(passage.checkpoint_id);
    return Json{
        {"checkpoint_id", passage.checkpoint_id},
        {"checkpoint", name == checkpoint_names_.end() ? passage.checkpoint_id : name->second},
        {"time_ms", passage.time_ms}};
  }

  Call& call_;
  std::map<std::string, std::string> checkpoint_names_;
};

// The vehicles in the area, described, visible to the caller.
Result<Json> AreaVehicles(Call& call, const track::Area& area, const Common& common) {
  auto visible = VisibleTerminals(call);
  if (!visible)
    return tl::unexpected(visible.error());
  auto answer = call.services.investigations->InArea(area, common.from_ms, common.to_ms,
                                                     VisibleFilter(*visible));
  if (!answer)
    return tl::unexpected(answer.error());
  VehicleDescriber describer(call);
  Json vehicles = Json::array();
  for (const track::Presence& presence : answer->vehicles) {
    Json vehicle = describer.Describe(presence.terminal, presence.first_ms, presence.last_ms);
    vehicle["first_ms"] = presence.first_ms;
    vehicle["last_ms"] = presence.last_ms;
    vehicle["reports"] = presence.reports;
    vehicle["between_reports"] = presence.between_reports;
    vehicles.push_back(std::move(vehicle));
  }
  return vehicles;
}

std::string DriversText(const Json& drivers, const char* field) {
  std::string text;
  for (const auto& driver : drivers) {
    if (!text.empty())
      text += "、";
    text += driver[field].get<std::string>();
  }
  return text;
}

std::string TimeText(const Json& value) {
  return value.is_number() ? FormatChinaTime(value.get<int64_t>()) : "";
}

// One spreadsheet row of a described vehicle (times in China time).
Json VehicleRow(const Json& vehicle) {
  const Json& carrier = vehicle["carrier"];
  const Json& entry = vehicle["entry"];
  const Json& exit = vehicle["exit"];
  return Json{
      {"plate", vehicle["plate"]},
      {"vehicle_class_name", vehicle["vehicle_class_name"]},
      {"district", vehicle["district"]},
      {"carrier", carrier.is_object() ? carrier["name"] : Json(nullptr)},
      {"credit_code", carrier.is_object() ? carrier["credit_code"] : Json(nullptr)},
      {"driver_names", DriversText(vehicle["drivers"], "name")},
      {"driver_ids", DriversText(vehicle["drivers"], "id_number")},
      {"first", TimeText(vehicle.value("first_ms", Json(nullptr)))},
      {"last", TimeText(vehicle.value("last_ms", Json(nullptr)))},
      {"reports", vehicle.value("reports", Json(nullptr))},
      {"between", vehicle.value("between_reports", false) ? "是（两次报告之间途经，推算）" : ""},
      {"entry_checkpoint", entry.is_object() ? entry["checkpoint"] : Json(nullptr)},
      {"entry_time", entry.is_object() ? TimeText(entry["time_ms"]) : ""},
      {"exit_checkpoint", exit.is_object() ? exit["checkpoint"] : Json(nullptr)},
      {"exit_time", exit.is_object() ? TimeText(exit["time_ms"]) : ""},
      {"terminal", vehicle["terminal"]}};
}

const std::vector<XlsxColumn>& VehicleColumns() {
  static const std::vector<XlsxColumn> columns = {{"plate", "车牌号码"},
                                                  {"vehicle_class_name", "车辆类型"},
                                                  {"district", "所属区县"},
                                                  {"carrier", "运输企业"},
                                                  {"credit_code", "统一社会信用代码"},
                                                  {"driver_names", "驾驶员"},
                                                  {"driver_ids", "驾驶员身份证号"},
                                                  {"first", "首次出现"},
                                                  {"last", "最后出现"},
                                                  {"reports", "区域内位置报告数"},
                                                  {"between", "途经（推算）"},
                                                  {"entry_checkpoint", "入城卡口"},
                                                  {"entry_time", "入城时间"},
                                                  {"exit_checkpoint", "出城卡口"},
                                                  {"exit_time", "出城时间"},
                                                  {"terminal", "终端号"}};
  return columns;
}

Response Workbook(Result<std::string> workbook, const std::string& name) {
  if (!workbook)
    return Internal(workbook.error());
  return Attachment(std::move(*workbook), kXlsxContentType, name);
}

std::string FileStamp(int64_t now_ms) {
  // "2026-11-26T08:30:00+08:00" -> "20261126-0830"
  const std::string time = FormatChinaTime(now_ms);
  return time.substr(0, 4) + time.substr(5, 2) + time.substr(8, 2) + "-" + time.substr(11, 2) +
         time.substr(14, 2);
}

Response AreaQuery(Call& call, const InJson& body, bool export_file) {
  Response error;
  auto common = ReadCommon(body, error);
  if (!common)
    return error;
  auto area = ReadArea(body, error);
  if (!area)
    return error;
  if (!AuditQuery(call, export_file ? "investigations.area.export" : "investigations.area", "area",
                  *common, Json{{"area", Json::parse(body["area"].dump())}}))
    return AuditFailed();
  auto vehicles = AreaVehicles(call, *area, *common);
  if (!vehicles)
    return Internal(vehicles.error());
  if (export_file) {
    std::vector<Json> rows;
    for (const auto& vehicle : *vehicles)
      rows.push_back(VehicleRow(vehicle));
    return Workbook(RecordsToXlsx("协查结果", VehicleColumns(), rows),
                    "xiecha-" + FileStamp(call.now_ms) + ".xlsx");
  }
  const size_t count = vehicles->size();
  return JsonResponse(http::status::ok, Json{{"from_ms", common->from_ms},
                                             {"to_ms", common->to_ms},
                                             {"count", count},
                                             {"truncated", false},
                                             {"vehicles", std::move(*vehicles)}});
}

// The terminal of a request naming "terminal" or "plate" (the registry's terminal fitted to
// it); nullopt and `error` set when neither resolves or the caller may not see it.
std::optional<std::string> ReadTerminal(Call& call, const InJson& body, Response& error) {
  std::string terminal;
  if (auto it = body.find("terminal"); it != body.end() && it->is_string()) {
    terminal = it->get<std::string>();
  } else if (auto plate = body.find("plate"); plate != body.end() && plate->is_string()) {
    auto plates = call.services.terminal_plates->Get(call.services.registry, call.now_ms);
    if (!plates) {
      error = Internal(plates.error());
      return std::nullopt;
    }
    const auto found = (*plates)->terminal_of_plate.find(plate->get<std::string>());
    if (found != (*plates)->terminal_of_plate.end())
      terminal = found->second;
  }
  auto visible = VisibleTerminals(call);
  if (!visible) {
    error = Internal(visible.error());
    return std::nullopt;
  }
  if (terminal.empty() || (*visible && !(*visible)->contains(terminal))) {
    error = NotFound("未找到该车辆的车载终端 (no terminal for this vehicle)");
    return std::nullopt;
  }
  return terminal;
}

Response VehicleQuery(Call& call, const InJson& body, bool export_file) {
  Response error;
  auto common = ReadCommon(body, error);
  if (!common)
    return error;
  const double radius_m = body.contains("radius_m") ? Number(body, "radius_m").value_or(-1) : 200;
  const auto margin = body.find("margin_ms");
  const int64_t margin_ms = margin == body.end()          ? int64_t{1'800'000}
                            : margin->is_number_integer() ? margin->get<int64_t>()
                                                          : int64_t{-1};
  if (!(radius_m > 0 && radius_m <= kMaxContactRadiusM) || margin_ms < 0 ||
      margin_ms > kMaxContactMarginMs)
    return BadRequest(
        "接触范围无效：距离 1-2000 米，时间差不超过24小时 (radius_m 1-2000, margin_ms <= 24 h)");
  auto terminal = ReadTerminal(call, body, error);
  if (!terminal)
    return error;
  if (!AuditQuery(call, export_file ? "investigations.vehicle.export" : "investigations.vehicle",
                  "terminals/" + *terminal, *common,
                  Json{{"radius_m", radius_m}, {"margin_ms", margin_ms}}))
    return AuditFailed();
  track::Investigations& investigations = *call.services.investigations;
  auto own = investigations.TrackOf(*terminal, common->from_ms, common->to_ms);
  if (!own)
    return Internal(own.error());
  auto visible = VisibleTerminals(call);
  if (!visible)
    return Internal(visible.error());
  const auto keep = VisibleFilter(*visible);
  VehicleDescriber describer(call);
  Json stops = Json::array();
  std::vector<Json> rows;
  for (const track::Stop& stop : track::DeriveMovement(*own).stops) {
    Json contacts = Json::array();
    auto area = track::Area::Make(geo::Circle{stop.center, radius_m});
    if (!area)
      return Internal(area.error());
    // The stop widened by the margin, within the request's window widened by it, and no longer
    // than a query may be (a vehicle parked for the whole month).
    const int64_t near_from = std::max(stop.start_ms, common->from_ms) - margin_ms;
    const int64_t near_to = std::min({stop.end_ms + margin_ms, common->to_ms + margin_ms,
                                      near_from + track::kMaxInvestigationSpanMs});
    auto near = investigations.InArea(*area, near_from, near_to, keep);
    if (!near)
      return Internal(near.error());
    for (const track::Presence& presence : near->vehicles) {
      if (presence.terminal == *terminal)
        continue;
      // Stopped there too: one of its stops lies within the radius and overlaps the time.
      auto other = investigations.TrackOf(presence.terminal, near_from, near_to);
      if (!other)
        return Internal(other.error());
      for (const track::Stop& theirs : track::DeriveMovement(*other).stops) {
        const double distance = geo::DistanceM(theirs.center, stop.center);
        if (distance > radius_m)
          continue;
        Json contact = describer.Describe(presence.terminal, theirs.start_ms, theirs.end_ms);
        contact["start_ms"] = theirs.start_ms;
        contact["end_ms"] = theirs.end_ms;
        contact["distance_m"] = std::round(distance);
        contacts.push_back(std::move(contact));
        break;
      }
    }
    Json item{{"start_ms", stop.start_ms},
              {"end_ms", stop.end_ms},
              {"lat", stop.center.lat},
              {"lon", stop.center.lon},
              {"duration_s", (stop.end_ms - stop.start_ms) / 1000},
              {"contacts", contacts}};
    for (const auto& contact : contacts) {
      Json row = VehicleRow(contact);
      row["stop_start"] = FormatChinaTime(stop.start_ms);
      row["stop_end"] = FormatChinaTime(stop.end_ms);
      row["stop_place"] = std::to_string(stop.center.lat) + "," + std::to_string(stop.center.lon);
      row["contact_start"] = FormatChinaTime(contact["start_ms"].get<int64_t>());
      row["contact_end"] = FormatChinaTime(contact["end_ms"].get<int64_t>());
      row["distance_m"] = contact["distance_m"];
      rows.push_back(std::move(row));
    }
    stops.push_back(std::move(item));
  }
  Json vehicle = describer.Describe(*terminal, common->from_ms, common->to_ms);
  if (export_file) {
    std::vector<XlsxColumn> columns = {
        {"stop_start", "停留开始"},        {"stop_end", "停留结束"},
        {"stop_place", "停留位置"},        {"distance_m", "距离（米）"},
        {"contact_start", "对方停留开始"}, {"contact_end", "对方停留结束"}};
    for (const XlsxColumn& column : VehicleColumns()) {
      if (column.key != "first" && column.key != "last" && column.key != "reports" &&
          column.key != "between")
        columns.push_back(column);
    }
    return Workbook(RecordsToXlsx("密接车辆", columns, rows),
                    "xiecha-vehicle-" + FileStamp(call.now_ms) + ".xlsx");
  }
  return JsonResponse(http::status::ok, Json{{"vehicle", std::move(vehicle)},
                                             {"from_ms", common->from_ms},
                                             {"to_ms", common->to_ms},
                                             {"radius_m", radius_m},
                                             {"margin_ms", margin_ms},
                                             {"stops", std::move(stops)}});
}

Response TrackQuery(Call& call, const InJson& body) {
  Response error;
  auto common = ReadCommon(body, error);
  if (!common)
    return error;
  auto terminal = ReadTerminal(call, body, error);
  if (!terminal)
    return error;
  if (!AuditQuery(call, "investigations.track", "terminals/" + *terminal, *common, Json::object()))
    return AuditFailed();
  auto track = call.services.investigations->TrackOf(*terminal, common->from_ms, common->to_ms);
  if (!track)
    return Internal(track.error());
  // Thinned evenly to at most kMaxTrackPoints for drawing.
  const size_t step = std::max<size_t>(1, (track->size() + kMaxTrackPoints - 1) / kMaxTrackPoints);
  Json positions = Json::array();
  for (size_t i = 0; i < track->size(); i += step) {
    const model::Position& p = (*track)[i];
    positions.push_back(Json{{"lat", p.lat_e6 / 1e6},
                             {"lon", p.lon_e6 / 1e6},
                             {"time_ms", p.device_time_ms},
                             {"speed_kmh", p.speed_dkmh / 10.0}});
  }
  return JsonResponse(http::status::ok,
                      Json{{"terminal", *terminal}, {"positions", std::move(positions)}});
}

}  // namespace

std::optional<Response> RouteInvestigations(Call& call) {
  constexpr std::string_view kPrefix = "/api/investigations/";
  if (!call.path.starts_with(kPrefix))
    return std::nullopt;
  if (!call.services.investigations)
    return NotFound("协查功能未启用 (investigations are not enabled)");
  if (call.request.method() != http::verb::post)
    return ApiError(http::status::method_not_allowed, "method_not_allowed",
                    "请使用 POST (use POST)");
  if (!Allows(call.principal.role, Permission::kInvestigate))
    return Forbidden(call, "进行协查查询");
  const InJson body = InJson::parse(call.request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object())
    return BadRequest("请求体须为 JSON 对象 (the body must be a JSON object)");
  const std::string_view what = call.path.substr(kPrefix.size());
  if (what == "area")
    return AreaQuery(call, body, false);
  if (what == "area/export")
    return AreaQuery(call, body, true);
  if (what == "vehicle")
    return VehicleQuery(call, body, false);
  if (what == "vehicle/export")
    return VehicleQuery(call, body, true);
  if (what == "track")
    return TrackQuery(call, body);
  return NotFound("没有该协查接口 (no such investigation route)");
}

}  // namespace baotong::api
