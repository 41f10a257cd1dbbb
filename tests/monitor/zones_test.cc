#include "monitor/zones.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace baotong::monitor {
namespace {

constexpr double kLat0 = 41.80, kLon0 = 123.40;  // Shenyang
constexpr double kMPerDegLat = 111'195.0;
const double kMPerDegLon = kMPerDegLat * std::cos(kLat0 * M_PI / 180);

geo::LatLon At(double east_m, double north_m) {
  return {kLat0 + north_m / kMPerDegLat, kLon0 + east_m / kMPerDegLon};
}

Zone CircleZone(std::string code, geo::LatLon center, double radius_m) {
  Zone zone;
  zone.code = std::move(code);
  zone.name = zone.code;
  zone.shape = geo::Circle{center, radius_m};
  return zone;
}

Zone PolygonZone(std::string code, std::vector<geo::LatLon> ring) {
  Zone zone;
  zone.code = std::move(code);
  zone.name = zone.code;
  ring.push_back(ring.front());
  zone.shape = geo::Polygon{{std::move(ring)}};
  return zone;
}

Zone RouteZone(std::string code, std::vector<geo::LatLon> points, double corridor_m) {
  Zone zone;
  zone.code = std::move(code);
  zone.name = zone.code;
  zone.kind = ZoneKind::kRoute;
  zone.shape = geo::Polyline{std::move(points)};
  zone.corridor_m = corridor_m;
  return zone;
}

// Random zones over a 30 km square: circles, star-shaped polygons of 10-50 vertices (concave,
// some with a hole) and wandering routes of 50-200 points.
std::vector<Zone> RandomZones(std::mt19937_64& rng, int count) {
  std::uniform_real_distribution<double> where(-15'000, 15'000);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<Zone> zones;
  for (int i = 0; i < count; ++i) {
    const double cx = where(rng), cy = where(rng);
    const std::string code = "z" + std::to_string(i);
    if (i % 3 == 0) {
      zones.push_back(CircleZone(code, At(cx, cy), 50 + unit(rng) * 3000));
    } else if (i % 3 == 1) {
      const int n = 10 + static_cast<int>(unit(rng) * 40);
      const double radius = 300 + unit(rng) * 4000;
      std::vector<geo::LatLon> ring;
      for (int k = 0; k < n; ++k) {
        const double angle = 2 * M_PI * k / n;
        const double r = radius * (0.4 + 0.6 * unit(rng));
        ring.push_back(At(cx + r * std::cos(angle), cy + r * std::sin(angle)));
      }
      Zone zone = PolygonZone(code, ring);
      if (i % 2 == 0) {  // a small square hole in the middle
        const double h = radius * 0.1;
        std::get<geo::Polygon>(zone.shape)
            .rings.push_back({At(cx - h, cy - h), At(cx + h, cy - h), At(cx + h, cy + h),
                              At(cx - h, cy + h), At(cx - h, cy - h)});
      }
      zones.push_back(std::move(zone));
    } else {
      const int n = 50 + static_cast<int>(unit(rng) * 150);
      std::vector<geo::LatLon> points;
      double x = cx, y = cy, heading = unit(rng) * 2 * M_PI;
      for (int k = 0; k < n; ++k) {
        points.push_back(At(x, y));
        heading += (unit(rng) - 0.5) * 0.8;
        const double step = 50 + unit(rng) * 250;
        x += step * std::cos(heading);
        y += step * std::sin(heading);
      }
      zones.push_back(RouteZone(code, std::move(points), 100 + unit(rng) * 900));
    }
  }
  return zones;
}

std::vector<uint32_t> BruteForce(const std::vector<Zone>& zones, const geo::LatLon& point) {
  std::vector<uint32_t> out;
  for (uint32_t id = 0; id < zones.size(); ++id) {
    if (ZoneContains(zones[id], point))
      out.push_back(id);
  }
  return out;
}

TEST(ZoneIndexTest, AnswersEqualBruteForceOnRandomAndEdgePoints) {
  std::mt19937_64 rng(6);
  const std::vector<Zone> zones = RandomZones(rng, 300);
  auto index = ZoneIndex::Build(zones);
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ((*index)->size(), zones.size());
  std::uniform_real_distribution<double> where(-18'000, 18'000);
  std::uniform_real_distribution<double> unit(0, 1);
  std::normal_distribution<double> jitter(0, 3);  // metres around an edge
  std::vector<uint32_t> found;
  int hits = 0, near_edges = 0;
  auto check = [&](const geo::LatLon& point) {
    (*index)->ZonesAt(point, found);
    ASSERT_EQ(found, BruteForce(zones, point)) << point.lat << "," << point.lon;
    hits += !found.empty();
  };
  for (int i = 0; i < 8'000; ++i)
    check(At(where(rng), where(rng)));
  // Points near every kind of edge: polygon vertices and edge midpoints, circle rims, corridor
  // edges (the route offset sideways by its corridor).
  for (const Zone& zone : zones) {
    for (int k = 0; k < 20; ++k) {
      geo::LatLon point;
      if (const auto* circle = std::get_if<geo::Circle>(&zone.shape)) {
        const double angle = unit(rng) * 2 * M_PI;
        const double r = circle->radius_m + jitter(rng);
        point = {circle->center.lat + r * std::sin(angle) / kMPerDegLat,
                 circle->center.lon + r * std::cos(angle) / kMPerDegLon};
      } else if (const auto* polygon = std::get_if<geo::Polygon>(&zone.shape)) {
        const auto& ring = polygon->rings[0];
        const size_t e = static_cast<size_t>(unit(rng) * (ring.size() - 1));
        const double f = unit(rng);
        point = {ring[e].lat + f * (ring[e + 1].lat - ring[e].lat) + jitter(rng) / kMPerDegLat,
                 ring[e].lon + f * (ring[e + 1].lon - ring[e].lon) + jitter(rng) / kMPerDegLon};
      } else {
        const auto& line = std::get<geo::Polyline>(zone.shape).points;
        const size_t e = static_cast<size_t>(unit(rng) * (line.size() - 1));
        const double dn = (line[e + 1].lat - line[e].lat) * kMPerDegLat;
        const double de = (line[e + 1].lon - line[e].lon) * kMPerDegLon;
        const double length = std::hypot(dn, de);
        const double side = (unit(rng) < 0.5 ? -1 : 1) * (zone.corridor_m + jitter(rng));
        const double f = unit(rng);
        point = {
            line[e].lat + f * (line[e + 1].lat - line[e].lat) + side * de / length / kMPerDegLat,
            line[e].lon + f * (line[e + 1].lon - line[e].lon) - side * dn / length / kMPerDegLon};
      }
      ++near_edges;
      check(point);
    }
  }
  EXPECT_GT(hits, 2'000);  // the test exercises the index, not only empty cells
  EXPECT_EQ(near_edges, 6'000);
}

TEST(ZoneIndexTest, CoveringCoversRandomPointsInsideEachShape) {
  std::mt19937_64 rng(7);
  const std::vector<Zone> zones = RandomZones(rng, 90);
  auto index = ZoneIndex::Build(zones);
  ASSERT_TRUE(index.has_value());
  std::uniform_real_distribution<double> unit(-1, 1);
  std::vector<uint32_t> found;
  for (uint32_t id = 0; id < zones.size(); ++id) {
    const Zone& zone = zones[id];
    int inside = 0;
    for (int k = 0; k < 2000 && inside < 50; ++k) {
      geo::LatLon point;
      if (const auto* circle = std::get_if<geo::Circle>(&zone.shape)) {
        point = {circle->center.lat + unit(rng) * circle->radius_m / kMPerDegLat,
                 circle->center.lon + unit(rng) * circle->radius_m / kMPerDegLon};
      } else if (const auto* polygon = std::get_if<geo::Polygon>(&zone.shape)) {
        point = polygon->rings[0][0];
        point = {point.lat + unit(rng) * 8000 / kMPerDegLat,
                 point.lon + unit(rng) * 8000 / kMPerDegLon};
      } else {
        const auto& line = std::get<geo::Polyline>(zone.shape).points;
        point = line[static_cast<size_t>((unit(rng) + 1) / 2 * (line.size() - 1))];
        point = {point.lat + unit(rng) * zone.corridor_m / kMPerDegLat,
                 point.lon + unit(rng) * zone.corridor_m / kMPerDegLon};
      }
      if (!ZoneContains(zone, point))
        continue;
      ++inside;
      (*index)->ZonesAt(point, found);
      EXPECT_TRUE(std::binary_search(found.begin(), found.end(), id)) << zone.code;
    }
    EXPECT_GT(inside, 0) << zone.code;
  }
}

TEST(ZoneIndexTest, RefusesDuplicateCodesAndBadShapes) {
  std::vector<Zone> zones = {CircleZone("a", At(0, 0), 100), CircleZone("a", At(10, 0), 100)};
  EXPECT_FALSE(ZoneIndex::Build(zones).has_value());
  Zone line = RouteZone("r", {At(0, 0)}, 100);
  EXPECT_FALSE(ZoneIndex::Build({line}).has_value());
  auto index = ZoneIndex::Build({CircleZone("site:1", At(0, 0), 100)});
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ((*index)->FindByCode("site:1"), 0u);
  EXPECT_FALSE((*index)->FindByCode("site:2").has_value());
}

TEST(TimeWindowTest, WrapsMidnight) {
  const TimeWindow night{22 * 60, 6 * 60};
  EXPECT_TRUE(InWindow(night, 23 * 60));
  EXPECT_TRUE(InWindow(night, 0));
  EXPECT_TRUE(InWindow(night, 5 * 60 + 59));
  EXPECT_FALSE(InWindow(night, 6 * 60));
  EXPECT_FALSE(InWindow(night, 12 * 60));
  const TimeWindow day{8 * 60, 18 * 60};
  EXPECT_TRUE(InWindow(day, 8 * 60));
  EXPECT_FALSE(InWindow(day, 18 * 60));
  EXPECT_TRUE(InWindow(TimeWindow{}, 3));
  // 2026-01-01T00:30 in China is 2025-12-31T16:30Z.
  EXPECT_EQ(ChinaMinuteOfDay(1'767'198'600'000), 30);
}

TEST(ZoneTest, AppliesByClassMaskAndWindow) {
  Zone zone = CircleZone("hz", At(0, 0), 500);
  zone.vehicle_classes = 1u << 2;  // hazardous only
  zone.active = {{22 * 60, 6 * 60}};
  EXPECT_TRUE(ZoneApplies(zone, 23 * 60, 1u << 2));
  EXPECT_FALSE(ZoneApplies(zone, 23 * 60, 1u << 4));  // a truck
  EXPECT_FALSE(ZoneApplies(zone, 12 * 60, 1u << 2));  // outside the window
}

TEST(ZoneJsonTest, RoundTripsEachKind) {
  Zone circle = CircleZone("hr-1", At(0, 0), 800);
  circle.active = {{22 * 60, 6 * 60}};
  circle.vehicle_classes = (1u << 2) | (1u << 3);
  circle.speed_limit_kmh = 40;
  circle.alarm_on_exit = true;
  circle.department = "公安交警";
  Zone polygon = PolygonZone("site:7", {At(0, 0), At(100, 0), At(100, 100)});
  polygon.kind = ZoneKind::kSite;
  Zone route = RouteZone("route:3", {At(0, 0), At(1000, 0)}, 300);
  for (const Zone& zone : {circle, polygon, route}) {
    auto json = ZoneJson(zone);
    auto parsed = ParseZone(nlohmann::json::parse(json.dump()));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(ZoneJson(*parsed), json);
  }
  EXPECT_EQ(ZoneJson(circle)["windows"][0]["start"], "22:00");
  EXPECT_EQ(ZoneJson(circle)["vehicle_classes"],
            (nlohmann::ordered_json{"hazardous", "heavy_truck"}));
}

TEST(ZoneJsonTest, RefusesBadInputWithChineseMessages) {
  auto base = nlohmann::json::parse(ZoneJson(CircleZone("c1", At(0, 0), 800)).dump());
  auto refused = [&](auto edit) {
    nlohmann::json json = base;
    edit(json);
    auto parsed = ParseZone(json);
    EXPECT_FALSE(parsed.has_value()) << json.dump();
    return parsed.has_value() ? Invalid{} : parsed.error();
  };
  EXPECT_EQ(refused([](auto& j) { j["code"] = "bad code!"; }).code, "zone.code");
  Invalid radius = refused([](auto& j) { j["radius_m"] = 5; });
  EXPECT_EQ(radius.code, "zone.radius_m");
  EXPECT_NE(radius.message.find("半径"), std::string::npos);
  refused([](auto& j) { j["radius_m"] = 60'000; });
  refused([](auto& j) { j["kind"] = "lake"; });
  refused([](auto& j) { j["windows"] = {{{"start", "25:00"}, {"end", "06:00"}}}; });
  refused([](auto& j) { j["vehicle_classes"] = {"bicycle"}; });
  refused([](auto& j) { j["speed_limit_kmh"] = 500; });
  Invalid open_ring = refused([](auto& j) {
    j["geometry"] = {{"type", "Polygon"},
                     {"coordinates", {{{123.4, 41.8}, {123.5, 41.8}, {123.5, 41.9}, {123.6, 42}}}}};
  });
  EXPECT_NE(open_ring.message.find("闭合"), std::string::npos);
  refused([](auto& j) {
    j["geometry"] = {
        {"type", "Polygon"},
        {"coordinates", {{{123.4, 41.8}, {123.5, 41.8}, {123.4, 41.8}, {123.4, 41.8}}}}};
  });
  refused([](auto& j) {
    j["kind"] = "route";
    j["geometry"] = {{"type", "LineString"}, {"coordinates", {{123.4, 41.8}}}};
  });
}

}  // namespace
}  // namespace baotong::monitor
