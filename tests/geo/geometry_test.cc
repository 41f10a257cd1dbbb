#include "geo/geometry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace baotong::geo {
namespace {

// A square of about 1.1 km around central Anshan, with a hole in its middle.
const std::vector<LatLon> kSquare = {
    {41.10, 122.99}, {41.10, 123.00}, {41.11, 123.00}, {41.11, 122.99}, {41.10, 122.99}};
const std::vector<LatLon> kHole = {
    {41.104, 122.994}, {41.104, 122.996}, {41.106, 122.996}, {41.106, 122.994}};

TEST(Geometry, DistancesMatchKnownValues) {
  // One degree of latitude is about 111.2 km on the mean sphere.
  EXPECT_NEAR(DistanceM({41.0, 123.0}, {42.0, 123.0}), 111'195, 5);
  // Anshan to Shenyang, about 88 km apart.
  EXPECT_NEAR(DistanceM({41.108, 122.994}, {41.805, 123.431}), 86'000, 3'000);
  EXPECT_DOUBLE_EQ(DistanceM({41.1, 123.0}, {41.1, 123.0}), 0);
}

TEST(Geometry, PointInPolygonWithAHole) {
  Polygon polygon{{kSquare, kHole}};
  EXPECT_TRUE(Contains(polygon, {41.101, 122.991}));
  EXPECT_FALSE(Contains(polygon, {41.105, 122.995}));  // in the hole
  EXPECT_FALSE(Contains(polygon, {41.12, 122.995}));
  // 50 m north of the edge: outside, but within a 100 m margin.
  const LatLon north{41.11 + 50 / 111'195.0, 122.995};
  EXPECT_FALSE(Contains(polygon, north));
  EXPECT_TRUE(Contains(polygon, north, 100));
  EXPECT_FALSE(Contains(polygon, north, 40));
}

TEST(Geometry, DistanceToARouteAndItsCorridor) {
  Polyline route{{{41.10, 122.99}, {41.10, 123.01}}};
  // 300 m north of the middle of an east-west road.
  const LatLon beside{41.10 + 300 / 111'195.0, 123.00};
  EXPECT_NEAR(DistanceToPolylineM(beside, route.points), 300, 1);
  EXPECT_TRUE(Contains(route, beside, 500));
  EXPECT_FALSE(Contains(route, beside, 250));
  // Beyond the end: the distance is to the end point.
  const LatLon past{41.10, 123.02};
  EXPECT_NEAR(DistanceToPolylineM(past, route.points), DistanceM(past, {41.10, 123.01}), 1);
}

// Property: for random points, the ring test agrees with an independent count of crossings of
// a ray to the west, and a point's distance to a polyline is never more than its distance to
// any vertex.
TEST(Geometry, PropertiesHoldForRandomPoints) {
  std::mt19937_64 engine(20261126);
  std::uniform_real_distribution<double> lat(41.09, 41.12);
  std::uniform_real_distribution<double> lon(122.98, 123.01);
  for (int i = 0; i < 5000; ++i) {
    const LatLon point{lat(engine), lon(engine)};
    int crossings = 0;
    for (size_t k = 0; k + 1 < kSquare.size(); ++k) {
      const LatLon& a = kSquare[k];
      const LatLon& b = kSquare[k + 1];
      if ((a.lat > point.lat) != (b.lat > point.lat)) {
        const double lon_at = a.lon + (point.lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat);
        if (lon_at < point.lon)
          ++crossings;
      }
    }
    EXPECT_EQ(InRing(point, kSquare), crossings % 2 == 1) << point.lat << "," << point.lon;
    const double to_line = DistanceToPolylineM(point, kSquare);
    for (const auto& vertex : kSquare)
      EXPECT_LE(to_line, DistanceM(point, vertex) + 0.5);
  }
}

TEST(Geometry, ReadsGeoJsonAndRefusesWhatItCannotUse) {
  auto site = ShapesFromGeoJson(
      R"({"type":"Polygon","coordinates":[[[122.99,41.10],[123.00,41.10],[123.00,41.11],[122.99,41.11],[122.99,41.10]]]})",
      0);
  ASSERT_TRUE(site);
  ASSERT_EQ(site->size(), 1u);
  EXPECT_TRUE(Contains((*site)[0], {41.105, 122.995}));
  auto point = ShapesFromGeoJson(R"({"type":"Point","coordinates":[122.99,41.10]})", 200);
  ASSERT_TRUE(point);
  EXPECT_TRUE(Contains((*point)[0], {41.101, 122.99}));   // ~111 m away
  EXPECT_FALSE(Contains((*point)[0], {41.103, 122.99}));  // ~334 m away
  auto multi = ShapesFromGeoJson(
      R"({"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]})",
      0);
  ASSERT_TRUE(multi);
  EXPECT_EQ(multi->size(), 2u);
  EXPECT_FALSE(ShapesFromGeoJson("not json", 0));
  EXPECT_FALSE(ShapesFromGeoJson(R"({"type":"Polygon","coordinates":[[[0,0],[1,1]]]})", 0));
  EXPECT_FALSE(ShapesFromGeoJson(R"({"type":"Point","coordinates":[200,0]})", 0));
  EXPECT_FALSE(ShapesFromGeoJson(R"({"type":"GeometryCollection","coordinates":[]})", 0));
}

}  // namespace
}  // namespace baotong::geo
