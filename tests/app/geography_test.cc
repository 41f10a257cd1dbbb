// A city set up from its own files, with no `baotong demo`: districts from a Shapefile with GBK
// attributes, the boundary and routes digitised on a GCJ-02 web map, checkpoints from an Excel-
// saved CSV, a restricted zone from KML, sites from GeoJSON; then the rule engine and the
// checkpoints work with what was imported.
#include "app/geography.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/checkpoint_command.h"
#include "app/geo_command.h"
#include "app/monitoring.h"
#include "common/gbk.h"
#include "common/secret_file.h"
#include "geo/china_datums.h"
#include "geodata/geodata_test_files.h"

namespace baotong::app {
namespace {

using Json = nlohmann::ordered_json;

class GeographyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong-geography-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "files");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path Write(const std::string& name, const std::string& bytes) {
    const auto path = dir_ / "files" / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  static std::string Gbk(std::string_view utf8) {
    std::vector<uint8_t> bytes;
    EXPECT_TRUE(AppendUtf8AsGbk(utf8, bytes));
    return std::string(bytes.begin(), bytes.end());
  }
  // Runs `baotong geo import|preview` as an operator would; returns its JSON line.
  Json Geo(const std::string& kind, const std::filesystem::path& file, int expected_exit,
           std::string datum = "wgs84", bool apply = true) {
    GeoCommandOptions options;
    options.apply = apply;
    options.kind = kind;
    options.file = file.string();
    options.data_dir = dir_.string();
    options.datum = std::move(datum);
    std::ostringstream out, err;
    EXPECT_EQ(RunGeoCommand(options, out, err), expected_exit) << out.str() << err.str();
    return Json::parse(out.str(), nullptr, false);
  }
  // A polygon ring around (lon, lat), as GeoJSON coordinates, in the datum given.
  static Json Square(double lon, double lat, double half, geo::Datum datum) {
    Json ring = Json::array();
    for (auto [dx, dy] : {std::pair{-1, -1}, {1, -1}, {1, 1}, {-1, 1}, {-1, -1}}) {
      const geo::LatLon shown = geo::FromWgs(datum, {lat + dy * half, lon + dx * half});
      ring.push_back({shown.lon, shown.lat});
    }
    return Json::array({ring});
  }
  static std::string Collection(Json features) {
    return Json{{"type", "FeatureCollection"}, {"features", std::move(features)}}.dump();
  }

  std::filesystem::path dir_;
};

TEST_F(GeographyTest, ANewCityFromItsOwnFiles) {
  // 区县: a Shapefile whose .dbf holds GBK names and no .cpg, in CGCS2000.
  const std::string districts = geodata::testing::ShapefileZip(
      dir_ / "files",
      {{"210302", Gbk("铁东区"),
        "POLYGON ((122.95 41.05, 123.05 41.05, 123.05 41.15, 122.95 41.15, 122.95 41.05))"},
       {"210303", Gbk("铁西区"),
        "POLYGON ((122.85 41.05, 122.95 41.05, 122.95 41.15, 122.85 41.15, 122.85 41.05))"}},
      4490, "", wkbPolygon);
  Json result = Geo("districts", Write("区县.zip", districts), 0);
  EXPECT_EQ(result["features_valid"], 2);
  EXPECT_EQ(result["version"], 1);

  // 市界 and a route drawn on Amap (GCJ-02).
  const auto gcj = geo::Datum::kGcj02;
  Geo("boundary",
      Write(
          "市界.geojson",
          Collection({{{"type", "Feature"},
                       {"properties", {{"name", "鞍山市"}}},
                       {"geometry",
                        {{"type", "Polygon"}, {"coordinates", Square(123.0, 41.1, 0.3, gcj)}}}}})),
      0, "gcj02");
  const geo::LatLon route_a = geo::WgsToGcj({41.10, 122.90}),
                    route_b = geo::WgsToGcj({41.10, 123.10});
  Geo("routes",
      Write("路线.geojson",
            Collection(
                {{{"type", "Feature"},
                  {"properties",
                   {{"路线编号", "G1"},
                    {"路线名称", "沈海高速鞍山段"},
                    {"走廊宽度", 300},
                    {"危化", "是"}}},
                  {"geometry",
                   {{"type", "LineString"},
                    {"coordinates", {{route_a.lon, route_a.lat}, {route_b.lon, route_b.lat}}}}}}})),
      0, "gcj02");
  // 卡口: a CSV saved by Excel (GBK) with longitude and latitude columns.
  result = Geo("checkpoints",
               Write("卡口.csv", Gbk("编号,名称,经度,纬度,方向\n"
                                     "K1,鞍山西收费站入城,122.905,41.1,进城\n"
                                     "K2,鞍山西收费站出城,122.906,41.1,出城\n")),
               0);
  ASSERT_EQ(result["checkpoint_key_files"].size(), 2u);
  // 管控区域 from KML; 指定场所 from GeoJSON, its district found from the districts layer.
  Geo("restricted", Write("管控.kml", R"(<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>学校周边禁行区</name>
<ExtendedData><Data name="code"><value>Z1</value></Data><Data name="speed_limit_kmh"><value>30</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>123.00,41.12 123.01,41.12 123.01,41.13 123.00,41.13 123.00,41.12</coordinates></LinearRing></outerBoundaryIs></Polygon>
</Placemark></Document></kml>)"),
      0);
  Geo("sites",
      Write("场所.geojson",
            Collection(
                {{{"type", "Feature"},
                  {"properties", {{"code", "S1"}, {"name", "鞍山物流园"}, {"类型", "物流园区"}}},
                  {"geometry", {{"type", "Point"}, {"coordinates", {123.0, 41.1}}}}}})),
      0);

  // The checkpoints are the camera-facing service's, with keys on disk.
  auto services = OpenCheckpointServices(dir_);
  ASSERT_TRUE(services) << services.error().Message();
  auto k1 = services->checkpoints->FindCheckpoint("K1");
  ASSERT_TRUE(k1);
  EXPECT_EQ(k1->name, "鞍山西收费站入城");
  EXPECT_EQ(k1->direction, checkpoint::Direction::kIn);
  EXPECT_NEAR(k1->lon, 122.905, 1e-6);
  std::string key;
  ASSERT_TRUE(crypto::ReadSecretFile(dir_ / "checkpoint-keys" / "K1.key", key,
                                     crypto::GroupReadable::kRefuse));
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r'))
    key.pop_back();
  EXPECT_TRUE(services->checkpoints->VerifyApiKey("K1", key));
  // An unregistered truck at the imported gate is turned back.
  checkpoint::PlateRead read;
  read.checkpoint_id = "K1";
  read.plate = "辽C99999";
  read.plate_color = 2;
  auto passage = services->checkpoints->Decide(read);
  ASSERT_TRUE(passage) << passage.error().Message();
  EXPECT_EQ(passage->verdict, checkpoint::Verdict::kTurnBack);

  // The rule engine's zones: the city from the GCJ-02 outline shifted back, the route with its
  // own corridor, the restricted zone with its speed limit, the site.
  MonitoringOptions options;
  options.monitor.partitions = 1;
  auto monitoring = Monitoring::Open(dir_ / "registry.db", *services->passes, options);
  ASSERT_TRUE(monitoring) << monitoring.error().Message();
  auto zones = (*monitoring)->Zones();
  ASSERT_TRUE(zones);
  std::map<std::string, monitor::Zone> by_code;
  for (auto& entry : *zones)
    by_code.emplace(entry.zone.code, std::move(entry.zone));
  ASSERT_TRUE(by_code.contains("city:1"));
  const auto& city = std::get<geo::Polygon>(by_code["city:1"].shape);
  EXPECT_NEAR(city.rings[0][0].lon, 122.7, 1e-6);  // WGS-84 again
  EXPECT_NEAR(city.rings[0][0].lat, 40.8, 1e-6);
  ASSERT_TRUE(by_code.contains("route:G1"));
  EXPECT_EQ(by_code["route:G1"].corridor_m, 300);
  EXPECT_NEAR(std::get<geo::Polyline>(by_code["route:G1"].shape).points[0].lon, 122.90, 1e-6);
  ASSERT_TRUE(by_code.contains("Z1"));
  EXPECT_EQ(by_code["Z1"].speed_limit_kmh, 30);
  EXPECT_TRUE(monitor::ZoneContains(by_code["Z1"], {41.125, 123.005}));
  ASSERT_TRUE(by_code.contains("site:S1"));

  auto geography =
      Geography::Open({dir_ / "registry.db", *services->passes, *services->checkpoints, {}});
  ASSERT_TRUE(geography);
  auto sites = (*geography)->Layer(geodata::LayerKind::kSites);
  ASSERT_TRUE(sites);
  EXPECT_EQ((*sites)["features"][0]["properties"]["district"], "铁东区");
  auto routes = (*geography)->History(geodata::LayerKind::kRoutes);
  ASSERT_TRUE(routes);
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_EQ((*routes)[0].changed_by, "cli");
  EXPECT_EQ((*routes)[0].change, "import 路线.geojson");
}

TEST_F(GeographyTest, AFileWithABadFeatureChangesNothingAndSaysWhich) {
  const auto file = Write("卡口.csv",
                          "code,name,lon,lat,direction\n"
                          "K1,入城,122.9,41.1,in\n"
                          "K2,无方向,122.9,41.1,\n"
                          "K3,投影坐标,41500000,4550000,out\n");
  Json preview = Geo("checkpoints", file, 1, "wgs84", /*apply=*/false);
  ASSERT_EQ(preview["errors"].size(), 2u);
  EXPECT_EQ(preview["errors"][0]["feature"], 2);
  EXPECT_NE(preview["errors"][0]["message"].get<std::string>().find("方向"), std::string::npos);
  EXPECT_EQ(preview["errors"][1]["feature"], 3);
  EXPECT_NE(preview["errors"][1]["message"].get<std::string>().find("坐标系"), std::string::npos);
  Json import = Geo("checkpoints", file, 1);
  EXPECT_EQ(import["version"], 0);
  auto services = OpenCheckpointServices(dir_);
  ASSERT_TRUE(services);
  EXPECT_FALSE(services->checkpoints->FindCheckpoint("K1"));
}

TEST_F(GeographyTest, DrawnFeaturesAreVersionedAndMergedByCode) {
  auto services = OpenCheckpointServices(dir_);
  ASSERT_TRUE(services);
  int refreshes = 0;
  auto geography = Geography::Open({dir_ / "registry.db", *services->passes, *services->checkpoints,
                                    [&refreshes]() -> Result<void> {
                                      ++refreshes;
                                      return {};
                                    }});
  ASSERT_TRUE(geography);
  auto route = [](double corridor) {
    return nlohmann::json{
        {"type", "Feature"},
        {"properties", {{"code", "R7"}, {"name", "绕城货运通道"}, {"corridor_m", corridor}}},
        {"geometry", {{"type", "LineString"}, {"coordinates", {{122.9, 41.0}, {123.1, 41.2}}}}}};
  };
  auto first = (*geography)->PutFeature(geodata::LayerKind::kRoutes, route(200), "staff", 1000);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->version, 1);
  auto second = (*geography)->PutFeature(geodata::LayerKind::kRoutes, route(800), "staff", 2000);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->version, 2);
  EXPECT_EQ(refreshes, 2);
  auto stored = services->passes->FindRoute("R7");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->corridor_m, 800);
  EXPECT_FALSE((*stored)->allows_hazardous);
  // Out of range, and administrative layers are imported whole: refused, nothing changes.
  auto refused = (*geography)->PutFeature(geodata::LayerKind::kRoutes, route(9000), "staff", 3000);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->version, 0);
  EXPECT_FALSE(refused->draft.errors.empty());
  auto history = (*geography)->History(geodata::LayerKind::kRoutes);
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].change, "put R7");
  // Restricted zones can be deleted; routes stay (passes refer to them).
  auto zone = nlohmann::json{
      {"type", "Feature"},
      {"properties", {{"code", "Z9"}, {"name", "临时管控"}}},
      {"geometry",
       {{"type", "Polygon"},
        {"coordinates", {{{123.0, 41.1}, {123.01, 41.1}, {123.01, 41.11}, {123.0, 41.1}}}}}}};
  ASSERT_TRUE((*geography)->PutFeature(geodata::LayerKind::kRestricted, zone, "staff", 4000));
  auto deleted = (*geography)->DeleteFeature(geodata::LayerKind::kRestricted, "Z9", "staff", 5000);
  ASSERT_TRUE(deleted) << deleted.error().Message();
  EXPECT_EQ(deleted->version, 2);
  auto layer = (*geography)->Layer(geodata::LayerKind::kRestricted);
  ASSERT_TRUE(layer);
  EXPECT_TRUE((*layer)["features"].empty());
  EXPECT_FALSE((*geography)->DeleteFeature(geodata::LayerKind::kRoutes, "R7", "staff", 6000));
}

}  // namespace
}  // namespace baotong::app
