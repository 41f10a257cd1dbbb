#include "app/jt808_json.h"

#include <array>
#include <chrono>
#include <cstdio>

#include "common/china_time.h"
#include "common/gbk.h"
#include "common/hex.h"
#include "protocol/jt808/parameters.h"

namespace baotong::app {
namespace {

using namespace jt808;

std::string HexId(uint32_t id, int width) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%0*X", width, id);
  return text;
}

constexpr std::array<const char*, 32> kAlarmNames = {"emergency",
                                                     "overspeed",
                                                     "fatigue",
                                                     "danger_warning",
                                                     "gnss_module_fault",
                                                     "gnss_antenna_cut",
                                                     "gnss_antenna_short",
                                                     "power_under_voltage",
                                                     "power_off",
                                                     "display_fault",
                                                     "tts_fault",
                                                     "camera_fault",
                                                     "ic_card_reader_fault",
                                                     "overspeed_warning",
                                                     "fatigue_warning",
                                                     "bit15",
                                                     "bit16",
                                                     "bit17",
                                                     "daily_driving_exceeded",
                                                     "overtime_parking",
                                                     "area_in_out",
                                                     "route_in_out",
                                                     "route_section_time",
                                                     "route_deviation",
                                                     "vss_fault",
                                                     "fuel_abnormal",
                                                     "stolen",
                                                     "illegal_ignition",
                                                     "illegal_displacement",
                                                     "collision",
                                                     "rollover",
                                                     "illegal_door_open"};

constexpr std::array<std::pair<uint32_t, const char*>, 17> kStatusNames = {{
    {status_bit::kAccOn, "acc_on"},
    {status_bit::kPositioned, "positioned"},
    {status_bit::kSouthLatitude, "south_latitude"},
    {status_bit::kWestLongitude, "west_longitude"},
    {status_bit::kOutOfService, "out_of_service"},
    {status_bit::kCoordinatesEncrypted, "coordinates_encrypted"},
    {status_bit::kOilCircuitCut, "oil_circuit_cut"},
    {status_bit::kElectricCircuitCut, "electric_circuit_cut"},
    {status_bit::kDoorsLocked, "doors_locked"},
    {status_bit::kDoor1Open, "door1_front_open"},
    {status_bit::kDoor2Open, "door2_middle_open"},
    {status_bit::kDoor3Open, "door3_rear_open"},
    {status_bit::kDoor4Open, "door4_driver_open"},
    {status_bit::kDoor5Open, "door5_custom_open"},
    {status_bit::kUsingGps, "gps"},
    {status_bit::kUsingBeidou, "beidou"},
    {status_bit::kUsingGlonass, "glonass"},
}};

const char* LoadName(LoadState load) {
  switch (load) {
    case LoadState::kEmpty:
      return "empty";
    case LoadState::kHalf:
      return "half";
    case LoadState::kReserved:
      return "reserved";
    case LoadState::kFull:
      return "full";
  }
  return "unknown";
}

Json GeneralReplyJson(const GeneralReply& reply) {
  return Json{{"reply_serial", reply.reply_serial},
              {"reply_msg_id", reply.reply_msg_id},
              {"result", reply.result}};
}

Json ParametersJson(const std::vector<Parameter>& parameters) {
  Json list = Json::array();
  for (const Parameter& parameter : parameters) {
    Json entry{{"id", HexId(parameter.id, 4)}};
    auto type = ParameterTypeOf(parameter.id);
    auto integer = ParameterInteger(parameter);
    if (type == ParameterType::kString) {
      auto text = GbkToUtf8(parameter.value);
      entry["value"] = text ? Json(*text) : Json(ToHex(parameter.value));
    } else if (type && *type != ParameterType::kBytes && integer) {
      entry["value"] = *integer;
    } else {
      entry["value"] = ToHex(parameter.value);
    }
    list.push_back(std::move(entry));
  }
  return list;
}

Json LatLonJson(const LatLon& point) {
  return Json{{"lat", point.lat_e6 / 1e6}, {"lon", point.lon_e6 / 1e6}};
}

void AreaLimitsJson(uint16_t attributes, const AreaLimits& limits, Json& out) {
  if (attributes & area_attr::kTimeWindow) {
    out["start_time"] = limits.start_time;
    out["end_time"] = limits.end_time;
  }
  if (attributes & area_attr::kSpeedLimit) {
    out["max_speed_kmh"] = limits.max_speed_kmh;
    out["overspeed_duration_s"] = limits.overspeed_duration_s;
    out["night_max_speed_kmh"] = limits.night_max_speed_kmh;
  }
}

struct BodyJson {
  Json operator()(const TerminalGeneralReply& m) const { return GeneralReplyJson(m); }
  Json operator()(const PlatformGeneralReply& m) const { return GeneralReplyJson(m); }
  Json operator()(const Heartbeat&) const { return Json::object(); }
  Json operator()(const Logout&) const { return Json::object(); }
  Json operator()(const LocationQuery&) const { return Json::object(); }
  Json operator()(const QueryParameters&) const { return Json::object(); }
  Json operator()(const Register& m) const {
    return Json{{"province_id", m.province_id},
                {"city_id", m.city_id},
                {"maker_id", m.maker_id},
                {"terminal_model", m.terminal_model},
                {"terminal_id", m.terminal_id},
                {"plate_color", m.plate_color},
                {"plate", m.plate}};
  }
  Json operator()(const RegisterReply& m) const {
    return Json{{"reply_serial", m.reply_serial}, {"result", m.result}, {"auth_code", m.auth_code}};
  }
  Json operator()(const Auth& m) const {
    return Json{
        {"auth_code", m.auth_code}, {"imei", m.imei}, {"software_version", m.software_version}};
  }
  Json operator()(const LocationReport& m) const { return LocationToJson(m); }
  Json operator()(const LocationBatch& m) const {
    Json items = Json::array();
    for (const auto& item : m.items)
      items.push_back(LocationToJson(item));
    return Json{{"batch_type", m.batch_type}, {"items", std::move(items)}};
  }
  Json operator()(const LocationQueryReply& m) const {
    Json body{{"reply_serial", m.reply_serial}};
    body.update(LocationToJson(m.location));
    return body;
  }
  Json operator()(const TemporaryTracking& m) const {
    return Json{{"interval_s", m.interval_s}, {"validity_s", m.validity_s}};
  }
  Json operator()(const TextMessage& m) const {
    return Json{{"flags", m.flags}, {"text_type", m.text_type}, {"text", m.text}};
  }
  Json operator()(const SetParameters& m) const {
    return Json{{"parameters", ParametersJson(m.parameters)}};
  }
  Json operator()(const ParametersReply& m) const {
    return Json{{"reply_serial", m.reply_serial}, {"parameters", ParametersJson(m.parameters)}};
  }
  Json operator()(const SetCircleAreas& m) const {
    Json areas = Json::array();
    for (const auto& area : m.areas) {
      Json item{{"id", area.id},
                {"attributes", area.attributes},
                {"center", LatLonJson(area.center)},
                {"radius_m", area.radius_m}};
      AreaLimitsJson(area.attributes, area.limits, item);
      item["name"] = area.name;
      areas.push_back(std::move(item));
    }
    return Json{{"setting", m.setting}, {"areas", std::move(areas)}};
  }
  Json operator()(const SetRectangleAreas& m) const {
    Json areas = Json::array();
    for (const auto& area : m.areas) {
      Json item{{"id", area.id},
                {"attributes", area.attributes},
                {"top_left", LatLonJson(area.top_left)},
                {"bottom_right", LatLonJson(area.bottom_right)}};
      AreaLimitsJson(area.attributes, area.limits, item);
      item["name"] = area.name;
      areas.push_back(std::move(item));
    }
    return Json{{"setting", m.setting}, {"areas", std::move(areas)}};
  }
  Json operator()(const SetPolygonArea& m) const {
    Json vertices = Json::array();
    for (const auto& vertex : m.vertices)
      vertices.push_back(LatLonJson(vertex));
    Json body{{"id", m.id}, {"attributes", m.attributes}};
    AreaLimitsJson(m.attributes, m.limits, body);
    body["vertices"] = std::move(vertices);
    body["name"] = m.name;
    return body;
  }
  Json operator()(const DeleteAreas& m) const { return Json{{"ids", m.ids}}; }
  Json operator()(const MultimediaEvent& m) const {
    return Json{{"media_id", m.media_id},
                {"media_type", m.media_type},
                {"format", m.format},
                {"event", m.event},
                {"channel", m.channel}};
  }
  Json operator()(const MultimediaUpload& m) const {
    Json body = (*this)(m.event);
    body["location"] = LocationToJson(m.location);
    body["data_size"] = m.data.size();
    body["data"] = ToHex(m.data);
    return body;
  }
  Json operator()(const ResendSubpackages& m) const {
    return Json{{"original_serial", m.original_serial}, {"package_indexes", m.package_indexes}};
  }
  Json operator()(const RawMessage& m) const { return Json{{"raw", ToHex(m.body)}}; }
};

}  // namespace

Json LocationToJson(const LocationReport& m) {
  Json body;
  body["alarm"] = m.alarm;
  body["status"] = m.status;
  Json alarms = Json::array();
  for (size_t bit = 0; bit < kAlarmNames.size(); ++bit) {
    if (m.alarm & (1u << bit))
      alarms.push_back(kAlarmNames[bit]);
  }
  body["alarm_flags"] = std::move(alarms);
  Json statuses = Json::array();
  for (const auto& [bit, name] : kStatusNames) {
    if (m.status & bit)
      statuses.push_back(name);
  }
  body["status_flags"] = std::move(statuses);
  body["load"] = LoadName(LoadStateOf(m.status));
  body["lat"] = m.lat_e6 / 1e6;
  body["lon"] = m.lon_e6 / 1e6;
  body["altitude_m"] = m.altitude_m;
  body["speed_kmh"] = m.speed_dkmh / 10.0;
  body["direction"] = m.direction;
  body["time"] = m.time_ms ? Json(FormatChinaTime(*m.time_ms)) : Json(nullptr);

  Json extras = Json::object();
  if (m.odometer_hm)
    extras["0x01"] = *m.odometer_hm / 10.0;
  if (m.fuel_dl)
    extras["0x02"] = *m.fuel_dl / 10.0;
  if (m.tachograph_speed_dkmh)
    extras["0x03"] = *m.tachograph_speed_dkmh / 10.0;
  if (m.manual_alarm_event_id)
    extras["0x04"] = *m.manual_alarm_event_id;
  if (m.overspeed_alarm) {
    Json item{{"area_type", m.overspeed_alarm->area_type}};
    if (m.overspeed_alarm->area_type != 0)
      item["area_id"] = m.overspeed_alarm->area_id;
    extras["0x11"] = std::move(item);
  }
  if (m.area_alarm) {
    extras["0x12"] = Json{{"area_type", m.area_alarm->area_type},
                          {"area_id", m.area_alarm->area_id},
                          {"direction", m.area_alarm->direction == 0 ? "in" : "out"}};
  }
  if (m.route_time_alarm) {
    extras["0x13"] = Json{{"section_id", m.route_time_alarm->section_id},
                          {"travel_time_s", m.route_time_alarm->travel_time_s},
                          {"result", m.route_time_alarm->result == 0 ? "too_short" : "too_long"}};
  }
  if (m.signals)
    extras["0x25"] = *m.signals;
  if (m.io_status)
    extras["0x2A"] = *m.io_status;
  if (m.analog)
    extras["0x2B"] = Json{{"ad0", *m.analog & 0xffff}, {"ad1", *m.analog >> 16}};
  if (m.signal_strength)
    extras["0x30"] = *m.signal_strength;
  if (m.satellites)
    extras["0x31"] = *m.satellites;
  // Other items: id/length/value triples, shown as hex. A repeated id keeps its last value.
  for (size_t pos = 0; pos + 2 <= m.other_items.size();) {
    size_t length = m.other_items[pos + 1];
    ByteSpan value = ByteSpan(m.other_items).subspan(pos + 2, length);
    extras[HexId(m.other_items[pos], 2)] = ToHex(value);
    pos += 2 + length;
  }
  body["extras"] = std::move(extras);
  if (!m.unparsed_tail.empty())
    body["unparsed_tail"] = ToHex(m.unparsed_tail);
  return body;
}

Json BodyToJson(const Message& message) {
  return std::visit(BodyJson{}, message);
}

Json MessageToJson(const DecodedMessage& decoded) {
  const Header& header = decoded.header;
  Json json;
  json["msg_id"] = header.msg_id;
  json["msg_id_hex"] = HexId(header.msg_id, 4);
  json["version"] = std::string(ToString(header.version));
  if (Is2019(header.version))
    json["protocol_version"] = header.protocol_version;
  json["phone"] = std::string(header.phone.digits());
  json["serial"] = header.serial;
  json["encryption"] = header.encryption;
  json["subpackage"] = header.subpackage ? Json{{"total", header.subpackage->total},
                                                {"index", header.subpackage->index}}
                                         : Json(nullptr);
  json["body"] = BodyToJson(decoded.message);
  return json;
}

}  // namespace baotong::app
