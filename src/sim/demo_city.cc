#include "sim/demo_city.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <utility>

#include "registry/credentials.h"
#include "sim/anshan_geography.h"
#include "sim/simulator.h"

namespace baotong::sim {
namespace {

using Json = nlohmann::ordered_json;
using registry::PlateColor;
using registry::SiteKind;
using registry::VehicleClass;

struct District {
  std::string_view name;
  std::string_view code;  // administrative division (GB/T 2260); its polygon is in data/anshan
  int weight;             // share of carriers registered there
};

constexpr std::array<District, 7> kDistricts = {{
    {"铁东区", "210302", 25},
    {"铁西区", "210303", 20},
    {"立山区", "210304", 15},
    {"千山区", "210311", 12},
    {"海城市", "210381", 14},
    {"台安县", "210321", 7},
    {"岫岩满族自治县", "210323", 7},
}};

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
    {"立山生鲜配送中心卸货点", SiteKind::kUnloading, 2, 41.150, 123.090},
    {"千山保供物资中转站", SiteKind::kLogisticsPark, 3, 40.990, 123.050},
    {"千山服务区", SiteKind::kServiceArea, 3, 40.970, 123.000},
    {"西柳服装城卸货点", SiteKind::kUnloading, 4, 40.850, 122.700},
    {"南台箱包物流园", SiteKind::kLogisticsPark, 4, 40.700, 122.800},
    {"海城服务区", SiteKind::kServiceArea, 4, 40.880, 122.800},
    {"腾鳌服务区", SiteKind::kServiceArea, 4, 40.900, 122.950},
    {"台安粮库装货点", SiteKind::kLoading, 5, 41.400, 122.430},
    {"台安服务区", SiteKind::kServiceArea, 5, 41.220, 122.450},
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

// A compiled-in layer of data/anshan, each feature's properties led by the layer name that the
// dashboard and the rule engine look for ("boundary", "district").
std::optional<Json> GeographyLayer(std::string_view geojson, std::string_view layer) {
  Json collection = Json::parse(geojson, nullptr, false);
  if (collection.is_discarded() || !collection.contains("features"))
    return std::nullopt;
  for (auto& feature : collection["features"]) {
    Json properties{{"layer", layer}};
    for (const auto& [key, value] : feature["properties"].items())
      properties[key] = value;
    feature["properties"] = std::move(properties);
  }
  return collection;
}

// The 乡镇/街道 (towns.csv: code,name,district_code) as a layer of features without geometry.
Json TownsLayer(std::string_view csv) {
  Json layer{{"type", "FeatureCollection"}, {"features", Json::array()}};
  bool header = true;
  while (!csv.empty()) {
    const size_t end = std::min(csv.find('\n'), csv.size());
    const std::string_view line = csv.substr(0, end);
    csv.remove_prefix(std::min(end + 1, csv.size()));
    if (std::exchange(header, false) || line.empty())
      continue;
    const size_t first = line.find(',');
    const size_t second = line.find(',', first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos)
      continue;
    const std::string_view district_code = line.substr(second + 1);
    std::string district;
    for (const auto& candidate : kDistricts) {
      if (candidate.code == district_code)
        district = std::string(candidate.name);
    }
    layer["features"].push_back(
        Json{{"type", "Feature"},
             {"properties", Json{{"layer", "town"},
                                 {"code", line.substr(0, first)},
                                 {"name", line.substr(first + 1, second - first - 1)},
                                 {"district_code", district_code},
                                 {"district", district}}},
             {"geometry", nullptr}});
  }
  return layer;
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

  auto boundary = GeographyLayer(AnshanBoundaryGeoJson(), "boundary");
  auto districts = GeographyLayer(AnshanDistrictsGeoJson(), "district");
  if (!boundary || !districts)
    return Fail(ErrorCode::kBadValue, "demo city: the compiled-in data/anshan is not GeoJSON");
  city.boundary = std::move(*boundary);
  city.districts = std::move(*districts);
  city.towns = TownsLayer(AnshanTownsCsv());

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
  // A dice of its own, so that the records above stay as they were before these were added.
  Dice fresh(options.seed ^ 0x5eed'7e57ULL);
  for (const auto& driver : city.drivers) {
    if (!fresh.Chance(options.fresh_test_percent))
      continue;
    registry::HealthRecord record;
    record.id_number = driver.id_number;
    record.name = driver.name;
    // Yesterday 21:00-23:59: under 48 hours old until the end of tomorrow's working day.
    record.tested_at = today_midnight_china_ms - int64_t{fresh.Between(1, 179)} * 60'000;
    record.kind = "核酸检测";
    record.result = "阴性";
    record.valid_until = registry::AddDays(*today, 1);
    if (health_keys.emplace(record.id_number, record.kind, record.tested_at).second)
      city.health_records.push_back(std::move(record));
  }

  // Four roads across the city line, where the expressways G15 沈海 and G16 丹锡 leave it
  // (approximate: where the road's line towards the next city crosses the outline). Each gate's
  // checkpoints stand about 120 m outside the line; trucks wait 3 km farther out.
  city.gates = {
      {"沈海高速辽阳方向", "KK-SH-01", "KK-SH-02", 41.18089, 123.06604, 41.20041, 123.08881},
      {"沈海高速营口方向", "KK-SH-03", "KK-SH-04", 40.75567, 122.56794, 40.73786, 122.54301},
      {"丹锡高速丹东方向", "KK-DX-01", "KK-DX-02", 40.39702, 123.75718, 40.40415, 123.78986},
      {"丹锡高速盘锦方向", "KK-DX-03", "KK-DX-04", 41.30467, 122.26190, 41.28943, 122.23396},
  };
  for (const auto& gate : city.gates) {
    city.checkpoints.push_back(
        {gate.in_checkpoint, gate.road + "入城卡口", gate.lat, gate.lon, true});
    // The exit lane's camera a few metres along, so that the two show apart on the map.
    city.checkpoints.push_back(
        {gate.out_checkpoint, gate.road + "出城卡口", gate.lat + 0.0003, gate.lon, false});
  }
  auto at_gate = [&](size_t gate) {
    return std::array<double, 2>{city.gates[gate].lon, city.gates[gate].lat};
  };
  // Freight routes from gate to gate through the city, every point inside the outline (the
  // tests check); only the one that keeps clear of the centre is open to dangerous goods.
  city.routes = {
      {"R1",
       "沈海高速辽阳方向—鞍山城区（鞍钢）—海城—沈海高速营口方向",
       false,
       {at_gate(0),
        {123.030, 41.150},
        {122.990, 41.120},
        {122.950, 41.120},
        {122.930, 41.050},
        {122.900, 40.980},
        {122.800, 40.900},
        {122.700, 40.850},
        {122.620, 40.800},
        at_gate(1)},
       0,
       1},
      {"R2",
       "丹锡高速丹东方向—岫岩—海城（西柳）—台安—丹锡高速盘锦方向",
       false,
       {at_gate(2),
        {123.600, 40.360},
        {123.450, 40.330},
        {123.280, 40.290},
        {123.100, 40.500},
        {122.950, 40.700},
        {122.800, 40.800},
        {122.700, 40.850},
        {122.620, 41.000},
        {122.520, 41.120},
        {122.500, 41.220},
        {122.450, 41.330},
        {122.400, 41.380},
        at_gate(3)},
       2,
       3},
      {"R3",
       "危险货物运输专用路线（沈海高速营口方向—海城—千山—辽阳方向，绕开城区）",
       true,
       {at_gate(1),
        {122.620, 40.800},
        {122.750, 40.880},
        {122.900, 40.930},
        {123.050, 40.990},
        {123.120, 41.070},
        {123.100, 41.150},
        at_gate(0)},
       1,
       0},
      {"R4",
       "丹锡高速盘锦方向—台安—鞍山西物流园区—立山商贸物流园—沈海高速辽阳方向",
       false,
       {at_gate(3),
        {122.400, 41.380},
        {122.450, 41.330},
        {122.500, 41.220},
        {122.520, 41.120},
        {122.650, 41.070},
        {122.800, 41.050},
        {122.900, 41.070},
        {122.950, 41.120},
        {123.000, 41.150},
        {123.030, 41.150},
        at_gate(0)},
       3,
       0},
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
