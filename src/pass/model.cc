#include "pass/model.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "pass/rules.h"

namespace baotong::pass {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

tl::unexpected<Invalid> Refuse(std::string code, std::string message) {
  return tl::unexpected<Invalid>(Invalid{std::move(code), std::move(message)});
}

ordered_json Optional(const std::optional<std::string>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

ordered_json Optional(const std::optional<int64_t>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

// The member `key` of `object` when it is present and not null.
const json* Member(const json& object, std::string_view key) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null())
    return nullptr;
  return &*found;
}

std::optional<std::string> StringOf(const json& object, std::string_view key) {
  const json* value = Member(object, key);
  if (!value || !value->is_string())
    return std::nullopt;
  return value->get<std::string>();
}

std::optional<int64_t> IntOf(const json& object, std::string_view key) {
  const json* value = Member(object, key);
  if (!value || !value->is_number_integer())
    return std::nullopt;
  return value->get<int64_t>();
}

std::string Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return std::string(text);
}

ordered_json CargoJson(const Cargo& cargo) {
  return ordered_json{{"category", cargo.category},
                      {"name", cargo.name},
                      {"weight_kg", cargo.weight_kg},
                      {"dangerous", cargo.dangerous},
                      {"un_number", Optional(cargo.un_number)},
                      {"hazard_class", Optional(cargo.hazard_class)}};
}

Cargo ReadCargo(const json& object) {
  Cargo cargo;
  cargo.category = StringOf(object, "category").value_or("");
  cargo.name = StringOf(object, "name").value_or("");
  if (const json* weight = Member(object, "weight_kg"); weight && weight->is_number())
    cargo.weight_kg = weight->get<double>();
  if (const json* dangerous = Member(object, "dangerous"); dangerous && dangerous->is_boolean())
    cargo.dangerous = dangerous->get<bool>();
  cargo.un_number = StringOf(object, "un_number");
  cargo.hazard_class = StringOf(object, "hazard_class");
  return cargo;
}

std::vector<std::string> StringsOf(const json& object, std::string_view key) {
  std::vector<std::string> strings;
  if (const json* array = Member(object, key); array && array->is_array()) {
    for (const auto& item : *array) {
      if (item.is_string())
        strings.push_back(item.get<std::string>());
    }
  }
  return strings;
}

// [[lat, lon], ...] with both in range; nullopt if any point is not.
std::optional<std::vector<LatLon>> WaypointsOf(const json& array) {
  std::vector<LatLon> points;
  if (!array.is_array())
    return std::nullopt;
  for (const auto& point : array) {
    if (!point.is_array() || point.size() != 2 || !point[0].is_number() || !point[1].is_number())
      return std::nullopt;
    LatLon at{point[0].get<double>(), point[1].get<double>()};
    if (!(at.lat >= -90 && at.lat <= 90 && at.lon >= -180 && at.lon <= 180))
      return std::nullopt;
    points.push_back(at);
  }
  return points;
}

}  // namespace

std::string_view PassKindId(PassKind kind) {
  return kind == PassKind::kStanding ? "standing" : "trip";
}

std::optional<PassKind> ParsePassKind(std::string_view id) {
  if (id == "trip")
    return PassKind::kTrip;
  if (id == "standing")
    return PassKind::kStanding;
  return std::nullopt;
}

std::string_view PassStatusId(PassStatus status) {
  switch (status) {
    case PassStatus::kPendingReview:
      return "pending_review";
    case PassStatus::kApproved:
      return "approved";
    case PassStatus::kRejected:
      return "rejected";
    case PassStatus::kRevoked:
      return "revoked";
  }
  return "";
}

std::optional<PassStatus> ParsePassStatus(std::string_view id) {
  for (auto status : {PassStatus::kPendingReview, PassStatus::kApproved, PassStatus::kRejected,
                      PassStatus::kRevoked}) {
    if (PassStatusId(status) == id)
      return status;
  }
  return std::nullopt;
}

std::string_view OutcomeId(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kReview:
      return "review";
    case Outcome::kReject:
      return "reject";
  }
  return "";
}

std::optional<Outcome> ParseOutcome(std::string_view id) {
  for (auto outcome : {Outcome::kOk, Outcome::kReview, Outcome::kReject}) {
    if (OutcomeId(outcome) == id)
      return outcome;
  }
  return std::nullopt;
}

bool IsExpired(const PassApplication& pass, int64_t now_ms) {
  return pass.status == PassStatus::kApproved && pass.valid_until_ms &&
         now_ms > *pass.valid_until_ms;
}

bool Covers(const PassApplication& pass, int64_t t_ms) {
  return pass.valid_from_ms && pass.valid_until_ms && *pass.valid_from_ms <= t_ms &&
         t_ms <= *pass.valid_until_ms;
}

int64_t CoverUntilMs(const PassApplication& pass) {
  return std::max(pass.entry_until_ms, pass.planned_exit_ms);
}

std::string_view StatusName(const PassApplication& pass, int64_t now_ms) {
  if (IsExpired(pass, now_ms))
    return "已过期";
  switch (pass.status) {
    case PassStatus::kPendingReview:
      return "待审核";
    case PassStatus::kApproved:
      return "已通过";
    case PassStatus::kRejected:
      return "已驳回";
    case PassStatus::kRevoked:
      return "已撤销";
  }
  return "";
}

std::string ChinaMinute(int64_t utc_ms) {
  using namespace std::chrono;
  sys_time<milliseconds> local{milliseconds(utc_ms + 8 * 3600 * 1000)};
  auto day = floor<days>(local);
  year_month_day date{day};
  hh_mm_ss time{floor<minutes>(local - day)};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()));
  return text;
}

// The check's name in words, for pages that list findings by kind (the review queue's filter):
// the code stays for machines.
namespace {
std::string_view CheckName(std::string_view code) {
  for (const auto& reason : ReasonCodes()) {
    if (reason.code == code)
      return reason.summary;
  }
  return {};
}
}  // namespace

ordered_json CheckJson(const Check& check) {
  return {{"code", check.code},
          {"name", CheckName(check.code)},
          {"outcome", OutcomeId(check.outcome)},
          {"message", check.message},
          {"driver_index",
           check.driver_index ? ordered_json(*check.driver_index) : ordered_json(nullptr)}};
}

ordered_json ApplicationJson(const PassApplication& pass, int64_t now_ms) {
  ordered_json waypoints = ordered_json::array();
  for (const auto& point : pass.waypoints)
    waypoints.push_back({point.lat, point.lon});
  ordered_json checks = ordered_json::array();
  for (const auto& check : pass.checks)
    checks.push_back(CheckJson(check));
  ordered_json review = nullptr;
  if (pass.review) {
    review = {
        {"by", pass.review->by}, {"at_ms", pass.review->at_ms}, {"comment", pass.review->comment}};
  }
  ordered_json revocation = nullptr;
  if (pass.revocation) {
    revocation = {{"by", pass.revocation->by},
                  {"at_ms", pass.revocation->at_ms},
                  {"reason", pass.revocation->reason}};
  }
  return ordered_json{{"id", pass.id},
                      {"kind", PassKindId(pass.kind)},
                      {"plate", pass.plate},
                      {"plate_color", static_cast<int>(pass.plate_color)},
                      {"plate_color_name", registry::PlateColorName(pass.plate_color)},
                      {"carrier_credit_code", pass.carrier_credit_code},
                      {"driver_id_numbers", pass.driver_id_numbers},
                      {"driver_names", pass.driver_names},
                      {"cargo", pass.cargo ? CargoJson(*pass.cargo) : ordered_json(nullptr)},
                      {"origin", pass.origin},
                      {"destination_site_codes", pass.destination_site_codes},
                      {"route_id", Optional(pass.route_id)},
                      {"waypoints", waypoints},
                      {"entry_from_ms", pass.entry_from_ms},
                      {"entry_until_ms", pass.entry_until_ms},
                      {"planned_exit_ms", pass.planned_exit_ms},
                      {"applicant", pass.applicant},
                      {"applicant_role", pass.applicant_role},
                      {"created_at_ms", pass.created_at_ms},
                      {"status", PassStatusId(pass.status)},
                      {"status_name", StatusName(pass, now_ms)},
                      {"expired", IsExpired(pass, now_ms)},
                      {"checks", checks},
                      {"review", review},
                      {"revocation", revocation},
                      {"token", Optional(pass.token)},
                      {"valid_from_ms", Optional(pass.valid_from_ms)},
                      {"valid_until_ms", Optional(pass.valid_until_ms)}};
}

Checked<PassApplication> ApplicationFromJson(const json& object) {
  if (!object.is_object())
    return Refuse("pass.json", "通行证记录不是JSON对象 (not a JSON object)");
  PassApplication pass;
  pass.id = IntOf(object, "id").value_or(0);
  pass.kind = ParsePassKind(StringOf(object, "kind").value_or("")).value_or(PassKind::kTrip);
  pass.plate = StringOf(object, "plate").value_or("");
  pass.plate_color = static_cast<PlateColor>(IntOf(object, "plate_color").value_or(2));
  pass.carrier_credit_code = StringOf(object, "carrier_credit_code").value_or("");
  pass.driver_id_numbers = StringsOf(object, "driver_id_numbers");
  pass.driver_names = StringsOf(object, "driver_names");
  if (const json* cargo = Member(object, "cargo"); cargo && cargo->is_object())
    pass.cargo = ReadCargo(*cargo);
  pass.origin = StringOf(object, "origin").value_or("");
  pass.destination_site_codes = StringsOf(object, "destination_site_codes");
  pass.route_id = StringOf(object, "route_id");
  if (const json* waypoints = Member(object, "waypoints"))
    pass.waypoints = WaypointsOf(*waypoints).value_or(std::vector<LatLon>{});
  pass.entry_from_ms = IntOf(object, "entry_from_ms").value_or(0);
  pass.entry_until_ms = IntOf(object, "entry_until_ms").value_or(0);
  pass.planned_exit_ms = IntOf(object, "planned_exit_ms").value_or(0);
  pass.applicant = StringOf(object, "applicant").value_or("");
  pass.applicant_role = StringOf(object, "applicant_role").value_or("");
  pass.created_at_ms = IntOf(object, "created_at_ms").value_or(0);
  pass.status =
      ParsePassStatus(StringOf(object, "status").value_or("")).value_or(PassStatus::kPendingReview);
  if (const json* checks = Member(object, "checks"); checks && checks->is_array()) {
    for (const auto& item : *checks) {
      if (!item.is_object())
        continue;
      std::optional<int> driver_index;
      if (auto index = IntOf(item, "driver_index"); index && *index >= 0 && *index < 100)
        driver_index = static_cast<int>(*index);
      pass.checks.push_back(
          Check{StringOf(item, "code").value_or(""),
                ParseOutcome(StringOf(item, "outcome").value_or("")).value_or(Outcome::kReview),
                StringOf(item, "message").value_or(""), driver_index});
    }
  }
  if (const json* review = Member(object, "review"); review && review->is_object()) {
    pass.review = Review{StringOf(*review, "by").value_or(""), IntOf(*review, "at_ms").value_or(0),
                         StringOf(*review, "comment").value_or("")};
  }
  if (const json* revocation = Member(object, "revocation");
      revocation && revocation->is_object()) {
    pass.revocation = Revocation{StringOf(*revocation, "by").value_or(""),
                                 IntOf(*revocation, "at_ms").value_or(0),
                                 StringOf(*revocation, "reason").value_or("")};
  }
  pass.token = StringOf(object, "token");
  pass.valid_from_ms = IntOf(object, "valid_from_ms");
  pass.valid_until_ms = IntOf(object, "valid_until_ms");
  return pass;
}

Checked<PassApplication> ParseApplicationRequest(const json& body, int today_yyyymmdd) {
  if (!body.is_object())
    return Refuse("pass.json", "申请内容应为JSON对象 (the body must be a JSON object)");
  PassApplication pass;
  if (const json* kind = Member(body, "kind")) {
    auto parsed = kind->is_string() ? ParsePassKind(kind->get<std::string>()) : std::nullopt;
    if (!parsed)
      return Refuse("kind", "申请类型应为trip或standing (kind is trip or standing)");
    pass.kind = *parsed;
  }
  const bool trip = pass.kind == PassKind::kTrip;

  auto plate = registry::NormalisePlate(StringOf(body, "plate").value_or(""));
  if (!plate)
    return tl::unexpected(plate.error());
  pass.plate = *plate;
  auto color_code = IntOf(body, "plate_color");
  if (!color_code || *color_code < 0 || *color_code > 255)
    return Refuse("plate_color", "缺少车牌颜色 (plate_color: a JT/T 808 colour code)");
  auto color = registry::ParsePlateColor(static_cast<int>(*color_code));
  if (!color)
    return tl::unexpected(color.error());
  pass.plate_color = *color;

  auto credit_code =
      registry::NormaliseCreditCode(StringOf(body, "carrier_credit_code").value_or(""));
  if (!credit_code)
    return tl::unexpected(credit_code.error());
  pass.carrier_credit_code = *credit_code;

  const json* drivers = Member(body, "driver_id_numbers");
  if (!drivers || !drivers->is_array() || drivers->empty() || drivers->size() > kMaxDrivers)
    return Refuse("driver_id_numbers", "驾驶员应为1至3人 (driver_id_numbers: 1 to 3 ID numbers)");
  for (const auto& item : *drivers) {
    if (!item.is_string())
      return Refuse("driver_id_numbers", "驾驶员身份证号应为字符串 (ID numbers are strings)");
    auto id_number = registry::NormaliseIdNumber(item.get<std::string>(), today_yyyymmdd);
    if (!id_number)
      return tl::unexpected(id_number.error());
    if (std::find(pass.driver_id_numbers.begin(), pass.driver_id_numbers.end(), *id_number) !=
        pass.driver_id_numbers.end())
      return Refuse("driver_id_numbers", "驾驶员重复 (a driver is listed twice)");
    pass.driver_id_numbers.push_back(*id_number);
  }

  if (const json* cargo = Member(body, "cargo")) {
    if (!cargo->is_object())
      return Refuse("cargo", "货物信息应为对象 (cargo is an object)");
    Cargo read = ReadCargo(*cargo);
    read.category = Trim(read.category);
    read.name = Trim(read.name);
    if (read.name.empty())
      return Refuse("cargo.name", "缺少货物名称 (cargo.name is required)");
    if (const json* weight = Member(*cargo, "weight_kg");
        weight &&
        (!weight->is_number() || weight->get<double>() < 0 || weight->get<double>() > 1e6))
      return Refuse("cargo.weight_kg", "货物重量应为0至1000000千克 (weight_kg: 0 to 1e6)");
    if (read.un_number) {
      std::string un = Trim(*read.un_number);
      for (char& c : un) {
        if (c >= 'a' && c <= 'z')
          c = static_cast<char>(c - 'a' + 'A');
      }
      if (un.size() == 4 &&
          std::all_of(un.begin(), un.end(), [](char c) { return c >= '0' && c <= '9'; }))
        un = "UN" + un;
      read.un_number = un.empty() ? std::nullopt : std::optional<std::string>(un);
    }
    if (read.hazard_class) {
      std::string hazard = Trim(*read.hazard_class);
      read.hazard_class = hazard.empty() ? std::nullopt : std::optional<std::string>(hazard);
    }
    if (!read.dangerous) {
      read.un_number.reset();
      read.hazard_class.reset();
    }
    pass.cargo = std::move(read);
  } else if (trip) {
    return Refuse("cargo", "单次通行申请需要填写货物信息 (cargo is required for a trip)");
  }

  pass.origin = Trim(StringOf(body, "origin").value_or(""));
  if (trip && pass.origin.empty())
    return Refuse("origin", "缺少出发地 (origin is required for a trip)");

  const json* sites = Member(body, "destination_site_codes");
  if (!sites || !sites->is_array() || sites->empty() || sites->size() > kMaxDestinations)
    return Refuse("destination_site_codes",
                  "目的地场所应为1至20个 (destination_site_codes: 1 to 20 site codes)");
  std::set<std::string> seen;
  for (const auto& item : *sites) {
    std::string code = item.is_string() ? Trim(item.get<std::string>()) : std::string();
    if (code.empty())
      return Refuse("destination_site_codes", "场所编码不能为空 (site codes are strings)");
    if (seen.insert(code).second)
      pass.destination_site_codes.push_back(code);
  }

  if (auto route_id = StringOf(body, "route_id"); route_id && !Trim(*route_id).empty())
    pass.route_id = Trim(*route_id);
  if (const json* waypoints = Member(body, "waypoints")) {
    auto points = WaypointsOf(*waypoints);
    if (!points || points->size() > kMaxWaypoints)
      return Refuse("waypoints",
                    "途经点应为[[纬度, 经度], ...]且在有效范围内 (waypoints: [[lat, lon], ...])");
    pass.waypoints = std::move(*points);
  }
  if (pass.route_id && !pass.waypoints.empty())
    return Refuse("route",
                  "请选择发布路线或填写途经点，不能同时填写 (route_id or waypoints, not both)");
  if (!pass.waypoints.empty() && pass.waypoints.size() < 2)
    return Refuse("waypoints", "途经点至少需要2个 (at least two waypoints)");
  if (trip && !pass.route_id && pass.waypoints.empty())
    return Refuse("route", "单次通行申请需要选择路线或填写途经点 (route_id or waypoints)");

  auto from = IntOf(body, "entry_from_ms");
  auto until = IntOf(body, "entry_until_ms");
  if (!from || !until)
    return Refuse("entry_window", "缺少入城时段 (entry_from_ms and entry_until_ms are required)");
  pass.entry_from_ms = *from;
  pass.entry_until_ms = *until;
  if (auto exit = IntOf(body, "planned_exit_ms"))
    pass.planned_exit_ms = *exit;
  else if (trip)
    return Refuse("planned_exit_ms", "缺少计划出城时间 (planned_exit_ms is required for a trip)");
  else
    pass.planned_exit_ms = pass.entry_until_ms;
  return pass;
}

Checked<PublishedRoute> ParseRoute(const json& object) {
  if (!object.is_object())
    return Refuse("route.json", "路线应为JSON对象 (a route is a JSON object)");
  PublishedRoute route;
  route.id = Trim(StringOf(object, "id").value_or(""));
  route.name = Trim(StringOf(object, "name").value_or(""));
  if (route.id.empty() || route.id.size() > 64)
    return Refuse("route.id", "路线编号不能为空 (id: 1 to 64 characters)");
  if (route.name.empty())
    return Refuse("route.name", "缺少路线名称 (name is required)");
  if (const json* hazardous = Member(object, "allows_hazardous")) {
    if (!hazardous->is_boolean())
      return Refuse("route.allows_hazardous", "allows_hazardous应为true或false");
    route.allows_hazardous = hazardous->get<bool>();
  }
  const json* geometry = Member(object, "geometry");
  if (!geometry || !geometry->is_object() || geometry->value("type", "") != "LineString")
    return Refuse("route.geometry", "路线几何应为GeoJSON LineString (geometry: a LineString)");
  const json* coordinates = Member(*geometry, "coordinates");
  if (!coordinates || !coordinates->is_array() || coordinates->size() < 2 ||
      coordinates->size() > 10000)
    return Refuse("route.geometry", "路线至少需要2个坐标点 (a LineString has 2+ positions)");
  for (const auto& position : *coordinates) {
    if (!position.is_array() || position.size() < 2 || position.size() > 3 ||
        !position[0].is_number() || !position[1].is_number())
      return Refuse("route.geometry", "坐标应为[经度, 纬度] (positions are [lon, lat])");
    double lon = position[0].get<double>();
    double lat = position[1].get<double>();
    if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
      return Refuse("route.geometry", "坐标超出有效范围 (position out of range)");
  }
  route.geometry = ordered_json{{"type", "LineString"}, {"coordinates", *coordinates}}.dump();
  return route;
}

ordered_json RouteJson(const PublishedRoute& route) {
  return ordered_json{{"id", route.id},
                      {"name", route.name},
                      {"geometry", ordered_json::parse(route.geometry, nullptr, false)},
                      {"allows_hazardous", route.allows_hazardous}};
}

ordered_json RoutesFeatureCollection(const std::vector<PublishedRoute>& routes) {
  ordered_json features = ordered_json::array();
  for (const auto& route : routes) {
    features.push_back(
        {{"type", "Feature"},
         {"geometry", ordered_json::parse(route.geometry, nullptr, false)},
         {"properties",
          {{"id", route.id}, {"name", route.name}, {"allows_hazardous", route.allows_hazardous}}}});
  }
  return ordered_json{{"type", "FeatureCollection"}, {"features", features}};
}

}  // namespace baotong::pass
