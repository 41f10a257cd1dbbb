#include "sim/demo_city.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "geo/geometry.h"
#include "registry/credentials.h"
#include "sim/simulator.h"

namespace baotong::sim {
namespace {

DemoCityOptions Options(uint64_t seed = 7) {
  DemoCityOptions options;
  options.seed = seed;
  options.today = "2026-11-26";
  return options;
}

TEST(DemoCity, EveryIdentifierPassesTheNationalChecks) {
  auto city = GenerateDemoCity(Options());
  ASSERT_TRUE(city);
  EXPECT_EQ(city->carriers.size(), 300u);
  EXPECT_EQ(city->vehicles.size(), 1200u);
  for (const auto& carrier : city->carriers)
    EXPECT_TRUE(registry::NormaliseCreditCode(carrier.credit_code)) << carrier.credit_code;
  for (const auto& driver : city->drivers) {
    EXPECT_TRUE(registry::NormaliseIdNumber(driver.id_number, 20261126)) << driver.id_number;
    EXPECT_TRUE(registry::NormaliseLicenceClass(driver.licence_class)) << driver.licence_class;
  }
  std::set<std::pair<std::string, int>> vehicle_keys;
  for (const auto& vehicle : city->vehicles) {
    auto plate = registry::NormalisePlate(vehicle.plate);
    ASSERT_TRUE(plate) << vehicle.plate;
    EXPECT_EQ(*plate, vehicle.plate);
    EXPECT_TRUE(vehicle_keys.emplace(vehicle.plate, static_cast<int>(vehicle.plate_color)).second);
  }
}

TEST(DemoCity, TheSimulatorDrivesTheDemoFleet) {
  auto city = GenerateDemoCity(Options());
  ASSERT_TRUE(city);
  ASSERT_EQ(city->terminals.size(), 1140u);
  for (size_t i = 0; i < city->terminals.size(); i += 97) {
    EXPECT_EQ(city->terminals[i].phone, *TerminalPhone("0139", i, jt808::Version::k2013));
    EXPECT_EQ(city->terminals[i].plate, TerminalPlate(i));
    EXPECT_EQ(city->vehicles[i].plate, TerminalPlate(i));
  }
}

TEST(DemoCity, IsReproducibleAndDependsOnTheSeed) {
  auto first = GenerateDemoCity(Options(7));
  auto again = GenerateDemoCity(Options(7));
  auto other = GenerateDemoCity(Options(8));
  ASSERT_TRUE(first && again && other);
  EXPECT_EQ(first->carriers, again->carriers);
  EXPECT_EQ(first->drivers, again->drivers);
  EXPECT_EQ(first->health_records, again->health_records);
  EXPECT_NE(first->carriers, other->carriers);
}

TEST(DemoCity, ShowsEveryKindOfValidity) {
  auto city = GenerateDemoCity(Options());
  ASSERT_TRUE(city);
  size_t missing = 0, expired = 0, expiring = 0, valid = 0;
  const std::string soon = registry::AddDays("2026-11-26", 30);
  for (const auto& vehicle : city->vehicles) {
    const auto& until = vehicle.transport_cert_valid_until;
    if (!until)
      ++missing;
    else if (*until < "2026-11-26")
      ++expired;
    else if (*until < soon)
      ++expiring;
    else
      ++valid;
  }
  EXPECT_GT(missing, 20u);
  EXPECT_GT(expired, 40u);
  EXPECT_GT(expiring, 40u);
  EXPECT_GT(valid, 800u);
}

// The shapes of a layer's features by the property `key` (code or name).
std::map<std::string, std::vector<geo::Shape>> ShapesBy(const nlohmann::ordered_json& layer,
                                                        const std::string& key) {
  std::map<std::string, std::vector<geo::Shape>> shapes;
  for (const auto& feature : layer["features"]) {
    auto parsed = geo::ShapesFromGeoJson(feature["geometry"].dump(), 0);
    EXPECT_TRUE(parsed) << feature["properties"].dump();
    if (parsed)
      shapes[feature["properties"][key].get<std::string>()] = std::move(*parsed);
  }
  return shapes;
}

bool Inside(const std::vector<geo::Shape>& shapes, geo::LatLon point) {
  for (const auto& shape : shapes) {
    if (geo::Contains(shape, point))
      return true;
  }
  return false;
}

TEST(DemoCity, IsAnshansRealGeography) {
  auto city = GenerateDemoCity(Options());
  ASSERT_TRUE(city);
  ASSERT_EQ(city->boundary["features"].size(), 1u);
  const auto& outline = city->boundary["features"][0]["properties"];
  EXPECT_EQ(outline["layer"], "boundary");
  EXPECT_EQ(outline["code"], "210300");
  EXPECT_EQ(outline["name"], "鞍山市");
  const std::map<std::string, std::string> expected = {
      {"210302", "铁东区"}, {"210303", "铁西区"}, {"210304", "立山区"},
      {"210311", "千山区"}, {"210321", "台安县"}, {"210323", "岫岩满族自治县"},
      {"210381", "海城市"}};
  std::map<std::string, std::string> districts;
  for (const auto& feature : city->districts["features"]) {
    EXPECT_EQ(feature["properties"]["layer"], "district");
    districts[feature["properties"]["code"]] = feature["properties"]["name"];
  }
  EXPECT_EQ(districts, expected);
  // Every 乡镇/街道 has a 9-digit code inside its district's.
  ASSERT_EQ(city->towns["features"].size(), 96u);
  std::set<std::string> town_codes;
  for (const auto& feature : city->towns["features"]) {
    const auto& town = feature["properties"];
    EXPECT_EQ(town["layer"], "town");
    const std::string code = town["code"];
    EXPECT_EQ(code.size(), 9u);
    EXPECT_EQ(code.substr(0, 6), town["district_code"]);
    EXPECT_EQ(expected.at(town["district_code"]), town["district"]);
    EXPECT_TRUE(town_codes.insert(code).second);
  }
  // Records name districts that exist on the map.
  std::set<std::string> names;
  for (const auto& [code, name] : expected)
    names.insert(name);
  for (const auto& carrier : city->carriers)
    EXPECT_TRUE(names.contains(carrier.district)) << carrier.credit_code;
}

TEST(DemoCity, CheckpointsRoutesAndSitesLieOnTheGeography) {
  auto city = GenerateDemoCity(Options());
  ASSERT_TRUE(city);
  const auto boundary = ShapesBy(city->boundary, "code").at("210300");
  const auto districts = ShapesBy(city->districts, "name");
  // Checkpoints stand just outside the city line, the trucks' waiting places farther out.
  for (const auto& checkpoint : city->checkpoints) {
    const geo::LatLon at{checkpoint.lat, checkpoint.lon};
    EXPECT_FALSE(Inside(boundary, at)) << checkpoint.id;
    bool near_line = false;
    for (const auto& shape : boundary)
      near_line = near_line || geo::Contains(shape, at, 300);
    EXPECT_TRUE(near_line) << checkpoint.id << " is more than 300 m from the city line";
  }
  for (const auto& gate : city->gates)
    EXPECT_FALSE(Inside(boundary, {gate.outside_lat, gate.outside_lon})) << gate.road;
  // Routes run from gate to gate and, between them, inside the city (sampled every ~100 m).
  for (const auto& route : city->routes) {
    ASSERT_GE(route.points.size(), 3u) << route.id;
    const auto& from = city->gates.at(route.from_gate);
    const auto& to = city->gates.at(route.to_gate);
    EXPECT_EQ(route.points.front()[1], from.lat);
    EXPECT_EQ(route.points.back()[1], to.lat);
    for (size_t i = 1; i + 1 < route.points.size(); ++i) {
      const auto& a = route.points[i];
      const auto& b = route.points[i + 1];
      const bool last = i + 2 == route.points.size();
      for (int step = 0; step < 100; ++step) {
        const double f = step / 100.0;
        // The last leg leaves the city to the gate: its final 500 m may lie outside.
        if (last && f > 0.9)
          break;
        const geo::LatLon point{a[1] + (b[1] - a[1]) * f, a[0] + (b[0] - a[0]) * f};
        EXPECT_TRUE(Inside(boundary, point))
            << route.id << " leg " << i << " at " << point.lat << "," << point.lon;
      }
    }
  }
  // Sites lie inside their districts.
  for (const auto& site : city->sites) {
    auto shapes = geo::ShapesFromGeoJson(site.geometry, 0);
    ASSERT_TRUE(shapes);
    const auto& ring = std::get<geo::Polygon>(shapes->front()).rings.front();
    EXPECT_TRUE(Inside(districts.at(site.district), ring.front())) << site.name;
  }
}

TEST(DemoCity, RefusesBadOptions) {
  auto options = Options();
  options.today = "2026-02-30";
  EXPECT_FALSE(GenerateDemoCity(options));
  options = Options();
  options.terminals = options.vehicles + 1;
  EXPECT_FALSE(GenerateDemoCity(options));
}

}  // namespace
}  // namespace baotong::sim
