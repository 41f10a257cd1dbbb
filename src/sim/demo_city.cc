#include "sim/demo_city.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>

#include "registry/credentials.h"
#include "sim/simulator.h"

namespace baotong::sim {
namespace {

using Json = nlohmann::ordered_json;
using registry::PlateColor;
using registry::SiteKind;
using registry::VehicleClass;

struct District {
  std::string_view name;
  std::string_view code;  // administrative division (GB/T 2260)
  double west, south, east, north;
  int weight;  // share of carriers registered there
};

// A sketch of Anshan's districts and counties as rectangles: enough to scope users by district
// and to draw something recognisable offline, not a survey.
constexpr std::array<District, 7> kDistricts = {{
    {"铁东区", "210302", 122.985, 41.04, 123.08, 41.13, 25},
    {"铁西区", "210303", 122.88, 41.06, 122.985, 41.16, 20},
    {"立山区", "210304", 122.985, 41.13, 123.12, 41.24, 15},
    {"千山区", "210311", 122.88, 40.92, 123.25, 41.04, 12},
    {"海城市", "210381", 122.45, 40.55, 123.05, 40.92, 14},
    {"台安县", "210321", 122.20, 41.10, 122.80, 41.50, 7},
    {"岫岩满族自治县", "210323", 123.05, 40.20, 123.75, 40.92, 7},
}};

constexpr std::array<std::array<double, 2>, 10> kBoundary = {{{122.20, 41.50},
                                                              {122.80, 41.50},
                                                              {123.12, 41.30},
                                                              {123.30, 41.10},
                                                              {123.75, 40.92},
                                                              {123.75, 40.20},
                                                              {123.05, 40.20},
                                                              {122.45, 40.55},
                                                              {122.20, 41.10},
                                                              {122.20, 41.50}}};

struct SiteSeed {
  std::string_view name;
  SiteKind kind;
  size_t district;  // index into kDistricts
  double lat, lon;
};

constexpr std::array<SiteSeed, 18> kSites = {{
    {"鞍钢厂区西门装货点", SiteKind::kLoading, 1, 41.120, 122.950},
    {"鞍钢矿渣运输装货点", SiteKind::kLoading, 1, 41.100, 122.930},
    {"鞍山西物流园区", SiteKind::kLogisticsPark, 1, 41.140, 122.920},
    {"铁东农产品批发市场卸货点", SiteKind::kUnloading, 0, 41.090, 123.020},
    {"鞍山站货场卸货点", SiteKind::kUnloading, 0, 41.110, 123.000},
    {"立山商贸物流园", SiteKind::kLogisticsPark, 2, 41.170, 123.030},
    {"立山生鲜配送中心卸货点", SiteKind::kUnloading, 2, 41.190, 123.060},
    {"千山保供物资中转站", SiteKind::kLogisticsPark, 3, 40.990, 123.050},
    {"千山服务区", SiteKind::kServiceArea, 3, 40.960, 123.150},
    {"西柳服装城卸货点", SiteKind::kUnloading, 4, 40.850, 122.700},
    {"南台箱包物流园", SiteKind::kLogisticsPark, 4, 40.700, 122.800},
    {"海城服务区", SiteKind::kServiceArea, 4, 40.880, 122.800},
    {"腾鳌服务区", SiteKind::kServiceArea, 4, 40.900, 122.950},
    {"台安粮库装货点", SiteKind::kLoading, 5, 41.400, 122.430},
    {"台安服务区", SiteKind::kServiceArea, 5, 41.300, 122.600},
    {"岫岩玉石市场卸货点", SiteKind::kUnloading, 6, 40.290, 123.280},
    {"岫岩菱镁矿装货点", SiteKind::kLoading, 6, 40.450, 123.400},
    {"岫岩服务区", SiteKind::kServiceArea, 6, 40.600, 123.200},
}};

constexpr std::array<std::string_view, 24> kCompanyWords = {
    "鑫达", "恒通", "宏运", "顺发", "钢城", "千山", "鞍运", "辽南", "汇丰", "通达", "盛源", "永安",
    "华信", "广顺", "金桥", "瑞丰", "安泰", "东华", "利民", "兴隆", "祥和", "远航", "德胜", "佳运"};
constexpr std::array<std::string_view, 6> kCompanyKinds = {"物流有限公司", "运输有限公司",
                                                           "货运有限公司", "危险品运输有限公司",
                                                           "客运有限公司", "供应链管理有限公司"};
constexpr std::array<std::string_view, 20> kSurnames = {"王", "李", "张", "刘", "陈", "杨", "赵",
                                                        "黄", "周", "吴", "徐", "孙", "马", "朱",
                                                        "胡", "郭", "何", "高", "林", "于"};
constexpr std::array<std::string_view, 24> kGivenNames = {
    "伟", "芳", "娜", "敏",   "静",   "强",   "磊",   "军",   "洋",   "勇",   "艳",   "杰",
    "涛", "明", "超", "秀英", "海峰", "建国", "志刚", "春梅", "玉兰", "立新", "德明", "红霞"};
constexpr std::string_view kCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// The uniform helpers the generator needs, over a fully specified engine.
class Dice {
 public:
  explicit Dice(uint64_t seed) : engine_(seed) {}
  size_t Below(size_t bound) { return static_cast<size_t>(engine_() % bound); }
  int Between(int low, int high) { return low + static_cast<int>(Below(size_t(high - low + 1))); }
  bool Chance(int percent) { return Below(100) < static_cast<size_t>(percent); }
  template <typename Array>
  auto Pick(const Array& values) {
    return values[Below(values.size())];
  }
  std::string Digits(size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i)
      out.push_back(static_cast<char>('0' + Below(10)));
    return out;
  }

 private:
  std::mt19937_64 engine_;
};

// A validity date that lands in each status in roughly the proportions a real registry shows:
// mostly valid, some expiring within 30 days, some expired, a few never supplied.
std::optional<std::string> ValidityDate(Dice& dice, const std::string& today) {
  const size_t roll = dice.Below(100);
  if (roll < 5)
    return std::nullopt;
  int offset = 0;
  if (roll < 13) {
    offset = -dice.Between(1, 400);  // expired
  } else if (roll < 21) {
    offset = dice.Between(0, 29);  // expiring
  } else {
    offset = dice.Between(60, 1100);
  }
  return registry::AddDays(today, offset);
}

std::string CreditCode(Dice& dice, const District& district) {
  std::string code = "91";
  code += district.code;
  for (int i = 0; i < 9; ++i)
    code.push_back(kCodeChars[dice.Below(10 + (i == 8 ? 21 : 0))]);
  code.push_back(registry::CreditCodeCheckCharacter(code));
  return code;
}

std::string IdNumber(Dice& dice, const District& district) {
  std::string id(district.code);
  char birth[9];
  std::snprintf(birth, sizeof(birth), "%04d%02d%02d", dice.Between(1962, 2001), dice.Between(1, 12),
                dice.Between(1, 28));
  id += birth;
  id += dice.Digits(3);
  id.push_back(registry::IdNumberCheckCharacter(id));
  return id;
}

std::string PersonName(Dice& dice) {
  return std::string(dice.Pick(kSurnames)) + std::string(dice.Pick(kGivenNames));
}

std::string MobilePhone(Dice& dice) {
  static constexpr std::array<std::string_view, 6> kPrefixes = {"139", "138", "135",
                                                                "150", "186", "133"};
  return std::string(dice.Pick(kPrefixes)) + dice.Digits(8);
}

Json Rectangle(double west, double south, double east, double north) {
  return Json{{"type", "Polygon"},
              {"coordinates",
               Json::array({Json::array({Json::array({west, south}), Json::array({east, south}),
                                         Json::array({east, north}), Json::array({west, north}),
                                         Json::array({west, south})})})}};
}

const District& WeightedDistrict(Dice& dice) {
  int total = 0;
  for (const auto& district : kDistricts)
    total += district.weight;
  int roll = static_cast<int>(dice.Below(static_cast<size_t>(total)));
  for (const auto& district : kDistricts) {
    if (roll < district.weight)
      return district;
    roll -= district.weight;
  }
  return kDistricts[0];
}

VehicleClass RandomVehicleClass(Dice& dice) {
  const size_t roll = dice.Below(100);
  if (roll < 40)
    return VehicleClass::kTruck;
  if (roll < 70)
    return VehicleClass::kHeavyTruck;
  if (roll < 80)
    return VehicleClass::kHazardous;
  if (roll < 90)
    return VehicleClass::kLineBus;
  return VehicleClass::kTourBus;
}

}  // namespace

Result<DemoCity> GenerateDemoCity(const DemoCityOptions& options) {
  const auto today = registry::NormaliseDate(options.today);
  if (!today || *today != options.today)
    return Fail(ErrorCode::kBadValue, "demo city: today must be a date YYYY-MM-DD");
  if (options.terminals > options.vehicles)
    return Fail(ErrorCode::kBadValue, "demo city: more terminals than vehicles");
  if (options.carriers == 0 && (options.vehicles > 0 || options.drivers > 0))
    return Fail(ErrorCode::kBadValue, "demo city: vehicles and drivers need carriers");
  Dice dice(options.seed);
  DemoCity city;

  city.boundary = Json{{"type", "FeatureCollection"}, {"features", Json::array()}};
  Json ring = Json::array();
  for (const auto& point : kBoundary)
    ring.push_back(Json::array({point[0], point[1]}));
  city.boundary["features"].push_back(
      Json{{"type", "Feature"},
           {"properties", Json{{"layer", "boundary"}, {"name", "鞍山市（示意）"}}},
           {"geometry", Json{{"type", "Polygon"}, {"coordinates", Json::array({ring})}}}});
  city.districts = Json{{"type", "FeatureCollection"}, {"features", Json::array()}};
  for (const auto& district : kDistricts) {
    city.districts["features"].push_back(Json{
        {"type", "Feature"},
        {"properties",
         Json{{"layer", "district"}, {"name", district.name}, {"code", district.code}}},
        {"geometry", Rectangle(district.west, district.south, district.east, district.north)}});
  }

  std::set<std::string> used_keys;
  std::vector<const District*> carrier_district;
  for (size_t i = 0; i < options.carriers; ++i) {
    const District& district = WeightedDistrict(dice);
    registry::Carrier carrier;
    do {
      carrier.credit_code = CreditCode(dice, district);
    } while (!used_keys.insert(carrier.credit_code).second);
    carrier.name = "鞍山市" + std::string(dice.Pick(kCompanyWords)) +
                   std::string(dice.Pick(kCompanyWords)) + std::string(dice.Pick(kCompanyKinds));
    carrier.district = std::string(district.name);
    carrier.address = std::string(district.name) + std::to_string(dice.Between(1, 400)) + "号";
    carrier.business_permit_no = "辽交运管许可鞍字" + std::string(district.code) + dice.Digits(6);
    carrier.business_permit_valid_until = ValidityDate(dice, *today);
    if (!carrier.business_permit_valid_until)
      carrier.business_permit_no.reset();
    carrier.contact_phone = "0412-" + dice.Digits(7);
    city.carriers.push_back(std::move(carrier));
    carrier_district.push_back(&district);
  }

  std::set<std::string> plates;
  for (size_t i = 0; i < options.vehicles; ++i) {
    registry::Vehicle vehicle;
    if (i < options.terminals) {
      vehicle.plate = TerminalPlate(i);
    } else {
      do {
        vehicle.plate = "辽C" + std::string(1, kCodeChars[10 + dice.Below(21)]) + dice.Digits(4);
      } while (plates.count(vehicle.plate) > 0);
    }
    plates.insert(vehicle.plate);
    vehicle.vehicle_class = RandomVehicleClass(dice);
    vehicle.plate_color = PlateColor::kYellow;
    // Light trucks carry blue plates; those with a terminal stay yellow, the colour
    // `baotong sim` registers with (the gateway holds a terminal to its provisioned vehicle).
    if (vehicle.vehicle_class == VehicleClass::kTruck && dice.Chance(30) && i >= options.terminals)
      vehicle.plate_color = PlateColor::kBlue;
    vehicle.carrier_credit_code = city.carriers[dice.Below(city.carriers.size())].credit_code;
    vehicle.vin = "LZZ" + dice.Digits(14);
    vehicle.transport_cert_valid_until = ValidityDate(dice, *today);
    if (vehicle.transport_cert_valid_until)
      vehicle.transport_cert_no = "辽交运管鞍字" + dice.Digits(9) + "号";
    vehicle.insurance_valid_until = ValidityDate(dice, *today);
    city.vehicles.push_back(std::move(vehicle));
  }

  for (size_t i = 0; i < options.terminals; ++i) {
    registry::Terminal terminal;
    auto phone = TerminalPhone("0139", i, jt808::Version::k2013);
    if (!phone)
      return tl::unexpected(phone.error());
    terminal.phone = std::move(*phone);
    char terminal_id[16];
    std::snprintf(terminal_id, sizeof(terminal_id), "BT%05zu", i % 100000);
    terminal.terminal_id = terminal_id;
    terminal.maker = "70111";
    terminal.model = "BT-808G";
    terminal.plate = city.vehicles[i].plate;
    terminal.plate_color = city.vehicles[i].plate_color;
    city.terminals.push_back(std::move(terminal));
  }

  for (size_t i = 0; i < options.drivers; ++i) {
    registry::Driver driver;
    const size_t carrier = dice.Below(std::max<size_t>(city.carriers.size(), 1));
    const District& district =
        carrier < carrier_district.size() ? *carrier_district[carrier] : kDistricts[0];
    do {
      driver.id_number = IdNumber(dice, district);
    } while (!used_keys.insert(driver.id_number).second);
    driver.name = PersonName(dice);
    driver.phone = MobilePhone(dice);
    const size_t kind = dice.Below(10);  // 0: hazardous goods, 1-2: passengers, else freight
    if (kind == 0) {
      driver.licence_class = "A2";
      driver.qualification_category = "危险货物道路运输驾驶员";
    } else if (kind <= 2) {
      driver.licence_class = dice.Chance(50) ? "A1" : "B1";
      driver.qualification_category = "道路旅客运输驾驶员";
    } else {
      static constexpr std::array<std::string_view, 4> kFreight = {"A2", "B2", "B2", "C1"};
      driver.licence_class = std::string(dice.Pick(kFreight));
      driver.qualification_category = "道路货物运输驾驶员";
    }
    driver.licence_valid_until = ValidityDate(dice, *today);
    driver.qualification_valid_until = ValidityDate(dice, *today);
    if (driver.qualification_valid_until) {
      driver.qualification_cert_no = driver.id_number;  // 从业资格证号 is the ID number
    } else {
      driver.qualification_category.reset();
    }
    if (!city.carriers.empty())
      driver.carrier_credit_code = city.carriers[carrier].credit_code;
    city.drivers.push_back(std::move(driver));
  }

  const int64_t today_midnight_china_ms = registry::ChinaMidnightMs(*today);
  std::set<std::tuple<std::string, std::string, int64_t>> health_keys;
  for (size_t i = 0; i < options.health_records && !city.drivers.empty(); ++i) {
    const auto& driver = city.drivers[dice.Below(city.drivers.size())];
    registry::HealthRecord record;
    record.id_number = driver.id_number;
    record.name = driver.name;
    const int days_ago = dice.Between(0, 10);
    record.tested_at = today_midnight_china_ms - int64_t{days_ago} * 86'400'000 +
                       int64_t{dice.Between(8 * 60, 18 * 60)} * 60'000;
    if (dice.Chance(70)) {
      record.kind = "核酸检测";
      const size_t roll = dice.Below(100);
      record.result = roll < 1 ? "阳性" : (roll < 3 ? "待出结果" : "阴性");
      record.valid_until = registry::AddDays(*today, 2 - days_ago);
    } else {
      record.kind = "健康码";
      const size_t roll = dice.Below(100);
      record.result = roll < 2 ? "红码" : (roll < 6 ? "黄码" : "绿码");
      record.valid_until = registry::AddDays(*today, 1 - days_ago);
    }
    if (!health_keys.emplace(record.id_number, record.kind, record.tested_at).second)
      continue;
    city.health_records.push_back(std::move(record));
  }

  // Three freight corridors from the expressway exits to the logistics sites; only the ring
  // road that keeps clear of the centre is open to dangerous goods.
  city.routes = {
      {"R1",
       "沈海高速鞍山西出口—鞍钢厂区—鞍山西物流园区",
       false,
       {{122.880, 41.100},
        {122.910, 41.110},
        {122.930, 41.120},
        {122.950, 41.120},
        {122.920, 41.140}}},
      {"R2",
       "鞍海路—千山保供物资中转站—铁东农产品批发市场",
       false,
       {{122.990, 40.960},
        {123.020, 40.990},
        {123.050, 40.990},
        {123.030, 41.050},
        {123.020, 41.090}}},
      {"R3",
       "绕城危险货物运输专用路线（鞍钢—千山）",
       true,
       {{122.930, 41.100}, {122.940, 41.040}, {123.000, 41.000}, {123.050, 40.990}}},
      {"R4",
       "国道202辽阳方向—立山商贸物流园",
       false,
       {{123.060, 41.240}, {123.040, 41.200}, {123.030, 41.170}}},
  };
  city.checkpoints = {
      {"KK-SH-01", "沈海高速鞍山西出口入城卡口", 41.100, 122.880, true},
      {"KK-SH-02", "沈海高速鞍山西出口出城卡口", 41.101, 122.881, false},
      {"KK-AH-01", "鞍海路南入城卡口", 40.960, 122.990, true},
      {"KK-AH-02", "鞍海路南出城卡口", 40.961, 122.991, false},
      {"KK-GD-01", "国道202辽阳方向入城卡口", 41.240, 123.060, true},
      {"KK-GD-02", "国道202辽阳方向出城卡口", 41.241, 123.061, false},
  };

  size_t site_number = 0;
  for (const auto& seed : kSites) {
    const District& district = kDistricts[seed.district];
    registry::Site site;
    char code[24];
    std::snprintf(code, sizeof(code), "ZD%.6s%03zu", district.code.data(), ++site_number);
    site.code = code;
    site.name = std::string(seed.name);
    site.kind = seed.kind;
    site.district = std::string(district.name);
    constexpr double kHalf = 0.002;  // about 200 m
    site.geometry =
        Rectangle(seed.lon - kHalf, seed.lat - kHalf, seed.lon + kHalf, seed.lat + kHalf).dump();
    city.sites.push_back(std::move(site));
  }
  return city;
}

}  // namespace baotong::sim
