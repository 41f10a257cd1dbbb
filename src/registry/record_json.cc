#include "registry/record_json.h"

namespace baotong::registry {
namespace {

using nlohmann::ordered_json;

ordered_json Optional(const std::optional<std::string>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

tl::unexpected<Invalid> Refuse(std::string code, std::string message) {
  return tl::unexpected<Invalid>(Invalid{std::move(code), std::move(message)});
}

bool IsPosition(const nlohmann::json& position) {
  if (!position.is_array() || position.size() < 2 || position.size() > 3)
    return false;
  for (const auto& value : position) {
    if (!value.is_number())
      return false;
  }
  double lon = position[0].get<double>();
  double lat = position[1].get<double>();
  return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90;
}

}  // namespace

ordered_json CarrierJson(const Carrier& carrier, int64_t vehicle_count) {
  return ordered_json{
      {"credit_code", carrier.credit_code},
      {"name", carrier.name},
      {"district", carrier.district},
      {"address", Optional(carrier.address)},
      {"business_permit_no", Optional(carrier.business_permit_no)},
      {"business_permit_valid_until", Optional(carrier.business_permit_valid_until)},
      {"contact_phone", Optional(carrier.contact_phone)},
      {"vehicle_count", vehicle_count}};
}

ordered_json VehicleJson(const Vehicle& vehicle, const std::optional<std::string>& carrier_name,
                         const std::optional<std::string>& district,
                         CredentialStatus credential_status) {
  return ordered_json{{"plate", vehicle.plate},
                      {"plate_color", static_cast<int>(vehicle.plate_color)},
                      {"plate_color_name", PlateColorName(vehicle.plate_color)},
                      {"vehicle_class", VehicleClassId(vehicle.vehicle_class)},
                      {"vehicle_class_name", VehicleClassName(vehicle.vehicle_class)},
                      {"carrier_credit_code", vehicle.carrier_credit_code},
                      {"carrier_name", Optional(carrier_name)},
                      {"district", Optional(district)},
                      {"vin", Optional(vehicle.vin)},
                      {"transport_cert_no", Optional(vehicle.transport_cert_no)},
                      {"transport_cert_valid_until", Optional(vehicle.transport_cert_valid_until)},
                      {"insurance_valid_until", Optional(vehicle.insurance_valid_until)},
                      {"credential_status", CredentialStatusId(credential_status)}};
}

ordered_json DriverJson(const Driver& driver, CredentialStatus credential_status) {
  return ordered_json{{"id_number", driver.id_number},
                      {"name", driver.name},
                      {"phone", Optional(driver.phone)},
                      {"licence_class", driver.licence_class},
                      {"licence_valid_until", Optional(driver.licence_valid_until)},
                      {"qualification_cert_no", Optional(driver.qualification_cert_no)},
                      {"qualification_category", Optional(driver.qualification_category)},
                      {"qualification_valid_until", Optional(driver.qualification_valid_until)},
                      {"carrier_credit_code", Optional(driver.carrier_credit_code)},
                      {"credential_status", CredentialStatusId(credential_status)}};
}

ordered_json TerminalJson(const Terminal& terminal) {
  return ordered_json{
      {"phone", terminal.phone},
      {"terminal_id", Optional(terminal.terminal_id)},
      {"maker", Optional(terminal.maker)},
      {"model", Optional(terminal.model)},
      {"plate", Optional(terminal.plate)},
      {"plate_color", terminal.plate_color ? ordered_json(static_cast<int>(*terminal.plate_color))
                                           : ordered_json(nullptr)}};
}

ordered_json HealthRecordJson(const HealthRecord& record) {
  return ordered_json{{"id", record.id},
                      {"id_number", record.id_number},
                      {"name", record.name},
                      {"kind", record.kind},
                      {"result", record.result},
                      {"tested_at", record.tested_at},
                      {"valid_until", Optional(record.valid_until)}};
}

ordered_json SiteJson(const Site& site) {
  ordered_json geometry = ordered_json::parse(site.geometry, nullptr, false);
  return ordered_json{{"code", site.code},
                      {"name", site.name},
                      {"kind", SiteKindId(site.kind)},
                      {"kind_name", SiteKindName(site.kind)},
                      {"district", site.district},
                      {"geometry", geometry.is_discarded() ? ordered_json(nullptr) : geometry}};
}

ordered_json CredentialJson(const CredentialReport& report) {
  ordered_json reasons = ordered_json::array();
  for (const auto& reason : report.reasons)
    reasons.push_back({{"code", reason.code}, {"message", reason.message}});
  ordered_json items = ordered_json::array();
  for (const auto& item : report.items) {
    items.push_back({{"name", item.name},
                     {"status", CredentialStatusId(item.status)},
                     {"valid_until", Optional(item.valid_until)},
                     {"message", item.message}});
  }
  return ordered_json{{"status", CredentialStatusId(report.status)},
                      {"status_name", CredentialStatusName(report.status)},
                      {"reasons", std::move(reasons)},
                      {"items", std::move(items)}};
}

Checked<std::string> NormaliseGeometry(std::string_view json_text) {
  nlohmann::json geometry = nlohmann::json::parse(json_text, nullptr, false);
  if (geometry.is_discarded() || !geometry.is_object())
    return Refuse("geometry.json", "位置范围不是有效的GeoJSON对象 (not a GeoJSON object)");
  auto type = geometry.find("type");
  auto coordinates = geometry.find("coordinates");
  if (type == geometry.end() || !type->is_string() || coordinates == geometry.end())
    return Refuse("geometry.json", "位置范围缺少type或coordinates (type and coordinates needed)");
  if (*type == "Point") {
    if (!IsPosition(*coordinates)) {
      return Refuse("geometry.point",
                    "点坐标应为[经度, 纬度]且在有效范围内 (a point is [lon, lat] in range)");
    }
  } else if (*type == "Polygon") {
    if (!coordinates->is_array() || coordinates->empty())
      return Refuse("geometry.polygon", "多边形至少需要一个环 (a polygon needs a ring)");
    for (const auto& ring : *coordinates) {
      if (!ring.is_array() || ring.size() < 4) {
        return Refuse("geometry.ring",
                      "多边形的环至少需要4个点 (a ring has at least four positions)");
      }
      for (const auto& position : ring) {
        if (!IsPosition(position)) {
          return Refuse("geometry.position",
                        "坐标应为[经度, 纬度]且在有效范围内 (positions are [lon, lat] in range)");
        }
      }
      if (ring.front() != ring.back()) {
        return Refuse("geometry.ring_closed",
                      "多边形的环首尾坐标应相同 (a ring ends where it starts)");
      }
    }
  } else {
    return Refuse("geometry.type", "位置范围只支持Point或Polygon (only Point and Polygon)");
  }
  nlohmann::ordered_json compact = {{"type", *type}, {"coordinates", *coordinates}};
  return compact.dump();
}

}  // namespace baotong::registry
