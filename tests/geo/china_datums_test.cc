#include "geo/china_datums.h"

#include <gtest/gtest.h>

namespace baotong::geo {
namespace {

// Published pairs: googollee/eviltransform's test table (WGS-84 -> GCJ-02)
// and wandergis/coordtransform's README example (BD-09 <-> GCJ-02, WGS-84 -> GCJ-02).
struct Pair {
  LatLon from;
  LatLon to;
};

constexpr double kDegreesTolerance = 1e-7;  // about a centimetre

void ExpectNear(const LatLon& actual, const LatLon& expected, double tolerance) {
  EXPECT_NEAR(actual.lat, expected.lat, tolerance);
  EXPECT_NEAR(actual.lon, expected.lon, tolerance);
}

TEST(ChinaDatumsTest, WgsToGcjMatchesPublishedPairs) {
  const Pair pairs[] = {
      {{31.1774276, 121.5272106}, {31.17530398364597, 121.531541859215}},  // Shanghai
      {{22.543847, 113.912316}, {22.540796131694766, 113.9171764808363}},  // Shenzhen
      {{39.911954, 116.377817}, {39.91334545536069, 116.38404722455657}},  // Beijing
      {{39.915, 116.404}, {39.91640428150164, 116.41024449916938}},        // coordtransform
  };
  for (const auto& pair : pairs)
    ExpectNear(WgsToGcj(pair.from), pair.to, kDegreesTolerance);
}

TEST(ChinaDatumsTest, GcjToWgsInvertsToBelowAMillimetre) {
  const Pair pairs[] = {
      {{31.1774276, 121.5272106}, {31.17530398364597, 121.531541859215}},
      {{22.543847, 113.912316}, {22.540796131694766, 113.9171764808363}},
      {{39.911954, 116.377817}, {39.91334545536069, 116.38404722455657}},
  };
  for (const auto& pair : pairs)
    ExpectNear(GcjToWgs(pair.to), pair.from, 1e-8);
  // Anshan: the round trip of a point in the city.
  const LatLon anshan{41.1106, 122.9946};
  ExpectNear(GcjToWgs(WgsToGcj(anshan)), anshan, 1e-9);
  EXPECT_GT(DistanceM(anshan, WgsToGcj(anshan)), 100);  // the offset is hundreds of metres
}

TEST(ChinaDatumsTest, BaiduMatchesPublishedPairs) {
  ExpectNear(Bd09ToGcj({39.915, 116.404}), {39.90865673957631, 116.39762729119315},
             kDegreesTolerance);
  ExpectNear(GcjToBd09({39.915, 116.404}), {39.92133699351021, 116.41036949371029},
             kDegreesTolerance);
  // BD-09 -> WGS-84 is the two steps; its round trip returns the point.
  const LatLon anshan{41.1106, 122.9946};
  ExpectNear(ToWgs(Datum::kBd09, FromWgs(Datum::kBd09, anshan)), anshan, 1e-6);
}

TEST(ChinaDatumsTest, OutsideChinaIsUnchanged) {
  const LatLon paris{48.8566, 2.3522};
  EXPECT_EQ(WgsToGcj(paris), paris);
  EXPECT_EQ(GcjToWgs(paris), paris);
}

TEST(ChinaDatumsTest, ParsesDatumNames) {
  EXPECT_EQ(ParseDatum("EPSG:4490"), Datum::kWgs84);
  EXPECT_EQ(ParseDatum("cgcs2000"), Datum::kWgs84);
  EXPECT_EQ(ParseDatum("GCJ-02"), Datum::kGcj02);
  EXPECT_EQ(ParseDatum("bd09"), Datum::kBd09);
  EXPECT_FALSE(ParseDatum("epsg:3857"));
  for (auto datum : {Datum::kWgs84, Datum::kGcj02, Datum::kBd09})
    EXPECT_EQ(ParseDatum(DatumId(datum)), datum);
}

}  // namespace
}  // namespace baotong::geo
