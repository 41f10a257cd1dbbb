// The records the departments share (issue 4): carriers, their vehicles and drivers, the
// terminals in those vehicles, drivers' health records and the designated sites. Each struct
// lists its natural key first. Dates are "YYYY-MM-DD" strings (a real calendar date, checked on
// import); times are UTC epoch milliseconds. Text is UTF-8.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "registry/validation.h"

namespace baotong::registry {

// ---- Kinds of record, as the API and the import name them.
enum class Kind : uint8_t {
  kCarriers,
  kVehicles,
  kDrivers,
  kTerminals,
  kHealthRecords,
  kSites,
};
inline constexpr std::array<Kind, 6> kAllKinds = {Kind::kCarriers,      Kind::kVehicles,
                                                  Kind::kDrivers,       Kind::kTerminals,
                                                  Kind::kHealthRecords, Kind::kSites};

// "carriers", "vehicles", "drivers", "terminals", "health_records", "sites".
constexpr std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kCarriers:
      return "carriers";
    case Kind::kVehicles:
      return "vehicles";
    case Kind::kDrivers:
      return "drivers";
    case Kind::kTerminals:
      return "terminals";
    case Kind::kHealthRecords:
      return "health_records";
    case Kind::kSites:
      return "sites";
  }
  return "";
}
// 运输企业, 车辆, 驾驶员, 车载终端, 健康记录, 指定场所.
constexpr std::string_view KindChineseName(Kind kind) {
  switch (kind) {
    case Kind::kCarriers:
      return "运输企业";
    case Kind::kVehicles:
      return "车辆";
    case Kind::kDrivers:
      return "驾驶员";
    case Kind::kTerminals:
      return "车载终端";
    case Kind::kHealthRecords:
      return "健康记录";
    case Kind::kSites:
      return "指定场所";
  }
  return "";
}
// Accepts the English name ("vehicles"); nullopt otherwise.
constexpr std::optional<Kind> ParseKind(std::string_view name) {
  for (Kind kind : kAllKinds) {
    if (KindName(kind) == name)
      return kind;
  }
  return std::nullopt;
}

// ---- Vehicle classes the platform distinguishes (what a checkpoint and the rules care about).
enum class VehicleClass : uint8_t {
  kTourBus,     // 旅游客车
  kLineBus,     // 班线客车
  kHazardous,   // 危险货物运输车
  kHeavyTruck,  // 重型货车
  kTruck,       // 普通货车
};
inline constexpr std::array<VehicleClass, 5> kAllVehicleClasses = {
    VehicleClass::kTourBus, VehicleClass::kLineBus, VehicleClass::kHazardous,
    VehicleClass::kHeavyTruck, VehicleClass::kTruck};

// "tour_bus", "line_bus", "hazardous", "heavy_truck", "truck".
constexpr std::string_view VehicleClassId(VehicleClass value) {
  switch (value) {
    case VehicleClass::kTourBus:
      return "tour_bus";
    case VehicleClass::kLineBus:
      return "line_bus";
    case VehicleClass::kHazardous:
      return "hazardous";
    case VehicleClass::kHeavyTruck:
      return "heavy_truck";
    case VehicleClass::kTruck:
      return "truck";
  }
  return "";
}
constexpr std::string_view VehicleClassName(VehicleClass value) {
  switch (value) {
    case VehicleClass::kTourBus:
      return "旅游客车";
    case VehicleClass::kLineBus:
      return "班线客车";
    case VehicleClass::kHazardous:
      return "危险货物运输车";
    case VehicleClass::kHeavyTruck:
      return "重型货车";
    case VehicleClass::kTruck:
      return "普通货车";
  }
  return "";
}
// Accepts the id ("heavy_truck") or the Chinese name ("重型货车").
constexpr std::optional<VehicleClass> ParseVehicleClass(std::string_view text) {
  for (VehicleClass value : kAllVehicleClasses) {
    if (VehicleClassId(value) == text || VehicleClassName(value) == text)
      return value;
  }
  return std::nullopt;
}

// 蓝色, 黄色, 黑色, 白色, 绿色, 其他, 未上牌.
constexpr std::string_view PlateColorName(PlateColor color) {
  switch (color) {
    case PlateColor::kNone:
      return "未上牌";
    case PlateColor::kBlue:
      return "蓝色";
    case PlateColor::kYellow:
      return "黄色";
    case PlateColor::kBlack:
      return "黑色";
    case PlateColor::kWhite:
      return "白色";
    case PlateColor::kGreen:
      return "绿色";
    case PlateColor::kOther:
      return "其他";
  }
  return "";
}

// ---- Designated sites (指定场所).
enum class SiteKind : uint8_t {
  kLoading,        // 装货点
  kUnloading,      // 卸货点
  kServiceArea,    // 服务区
  kLogisticsPark,  // 物流园区
};
inline constexpr std::array<SiteKind, 4> kAllSiteKinds = {
    SiteKind::kLoading, SiteKind::kUnloading, SiteKind::kServiceArea, SiteKind::kLogisticsPark};
constexpr std::string_view SiteKindId(SiteKind kind) {
  switch (kind) {
    case SiteKind::kLoading:
      return "loading";
    case SiteKind::kUnloading:
      return "unloading";
    case SiteKind::kServiceArea:
      return "service_area";
    case SiteKind::kLogisticsPark:
      return "logistics_park";
  }
  return "";
}
constexpr std::string_view SiteKindName(SiteKind kind) {
  switch (kind) {
    case SiteKind::kLoading:
      return "装货点";
    case SiteKind::kUnloading:
      return "卸货点";
    case SiteKind::kServiceArea:
      return "服务区";
    case SiteKind::kLogisticsPark:
      return "物流园区";
  }
  return "";
}
// Accepts the id ("service_area") or the Chinese name ("服务区").
constexpr std::optional<SiteKind> ParseSiteKind(std::string_view text) {
  for (SiteKind kind : kAllSiteKinds) {
    if (SiteKindId(kind) == text || SiteKindName(kind) == text)
      return kind;
  }
  return std::nullopt;
}

// ---- The records. Natural key first.

// 运输企业.
struct Carrier {
  std::string credit_code;  // 统一社会信用代码 (key)
  std::string name;         // 企业名称
  std::string district;     // 所属区县, e.g. "铁东区"
  std::optional<std::string> address;
  std::optional<std::string> business_permit_no;           // 道路运输经营许可证号
  std::optional<std::string> business_permit_valid_until;  // YYYY-MM-DD
  std::optional<std::string> contact_phone;
  bool operator==(const Carrier&) const = default;
};

// 车辆. Its district is its carrier's.
struct Vehicle {
  std::string plate;  // normalised, e.g. "辽C12345" (key with plate_color)
  PlateColor plate_color = PlateColor::kYellow;
  VehicleClass vehicle_class = VehicleClass::kTruck;
  std::string carrier_credit_code;
  std::optional<std::string> vin;
  std::optional<std::string> transport_cert_no;           // 道路运输证号
  std::optional<std::string> transport_cert_valid_until;  // YYYY-MM-DD
  std::optional<std::string> insurance_valid_until;       // 交强险到期, YYYY-MM-DD
  bool operator==(const Vehicle&) const = default;
};

// The key of a vehicle in URLs: "辽C12345-2" (plate, '-', colour code).
inline std::string VehicleKey(std::string_view plate, PlateColor color) {
  std::string key(plate);
  key += '-';
  key += std::to_string(static_cast<int>(color));
  return key;
}

// 车载终端.
struct Terminal {
  std::string phone;  // SIM number, 1-20 digits (key), as JT/T 808 headers carry it
  std::optional<std::string> terminal_id;
  std::optional<std::string> maker;
  std::optional<std::string> model;
  std::optional<std::string> plate;  // the vehicle it is fitted to
  std::optional<PlateColor> plate_color;
  bool operator==(const Terminal&) const = default;
};

// 驾驶员.
struct Driver {
  std::string id_number;  // 身份证号 (key)
  std::string name;
  std::optional<std::string> phone;
  std::string licence_class;                             // 准驾车型, e.g. "A2"
  std::optional<std::string> licence_valid_until;        // YYYY-MM-DD
  std::optional<std::string> qualification_cert_no;      // 从业资格证号
  std::optional<std::string> qualification_category;     // e.g. "道路货物运输驾驶员"
  std::optional<std::string> qualification_valid_until;  // YYYY-MM-DD
  std::optional<std::string> carrier_credit_code;
  bool operator==(const Driver&) const = default;
};

// 健康记录 (key: id_number, kind, tested_at). `id` is the rowid the API uses; 0 before storing.
struct HealthRecord {
  std::string id_number;
  std::string kind;       // e.g. "核酸检测"
  int64_t tested_at = 0;  // epoch ms
  std::string name;
  std::string result;                      // "阴性", "阳性", ...
  std::optional<std::string> valid_until;  // YYYY-MM-DD
  int64_t id = 0;
  bool operator==(const HealthRecord&) const = default;
};

// 指定场所.
struct Site {
  std::string code;  // key
  std::string name;
  SiteKind kind = SiteKind::kLoading;
  std::string district;
  std::string geometry;  // GeoJSON geometry object (Point or Polygon), compact JSON text
  bool operator==(const Site&) const = default;
};

}  // namespace baotong::registry
