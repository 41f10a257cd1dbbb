#include "sim/route.h"

#include <gtest/gtest.h>

#include <cmath>

namespace baotong::sim {
namespace {

TEST(GeoTest, DistanceOfOneDegreeOfLatitude) {
  EXPECT_NEAR(DistanceMetres({41.0, 123.0}, {42.0, 123.0}), 111195, 10);
  EXPECT_NEAR(DistanceMetres({41.0, 123.0}, {41.0, 123.0}), 0, 1e-9);
}

TEST(GeoTest, BearingsOfTheCardinalDirections) {
  EXPECT_NEAR(BearingDegrees({41, 123}, {41.1, 123}), 0, 1e-6);
  EXPECT_NEAR(BearingDegrees({41, 123}, {41, 123.1}), 90, 0.1);
  EXPECT_NEAR(BearingDegrees({41, 123}, {40.9, 123}), 180, 1e-6);
  EXPECT_NEAR(BearingDegrees({41, 123}, {41, 122.9}), 270, 0.1);
}

TEST(GeoTest, OffsetIsTheInverseOfDistanceAndBearing) {
  const GeoPoint start{41.108, 122.994};
  for (double bearing : {0.0, 45.0, 135.0, 270.0}) {
    const GeoPoint moved = Offset(start, bearing, 500);
    EXPECT_NEAR(DistanceMetres(start, moved), 500, 0.01);
    EXPECT_NEAR(BearingDegrees(start, moved), bearing, 0.01);
  }
}

TEST(RouteTest, RejectsDegenerateRoutes) {
  EXPECT_FALSE(Route::Make({{41, 123}}, true));
  EXPECT_FALSE(Route::Make({{41, 123}, {41, 123}}, false));
  EXPECT_FALSE(Route::Make({{91, 123}, {41, 123}}, false));
  EXPECT_FALSE(Route::Make({{41, 181}, {41, 123}}, false));
  EXPECT_TRUE(Route::Make({{41, 123}, {41.01, 123}}, false));
}

TEST(RouteTest, InterpolatesAlongSegments) {
  auto route = Route::Make({{41.0, 123.0}, {41.01, 123.0}, {41.01, 123.01}}, /*loop=*/false);
  ASSERT_TRUE(route);
  const double first = DistanceMetres({41.0, 123.0}, {41.01, 123.0});
  const double second = DistanceMetres({41.01, 123.0}, {41.01, 123.01});
  EXPECT_NEAR(route->length_m(), first + second, 1e-6);

  Route::Point start = route->At(0);
  EXPECT_NEAR(start.where.lat, 41.0, 1e-9);
  EXPECT_NEAR(start.heading_deg, 0, 1e-6);

  Route::Point middle = route->At(first / 2);
  EXPECT_NEAR(middle.where.lat, 41.005, 1e-7);
  EXPECT_NEAR(middle.where.lon, 123.0, 1e-9);

  Route::Point turn = route->At(first + second / 2);
  EXPECT_NEAR(turn.where.lat, 41.01, 1e-9);
  EXPECT_NEAR(turn.where.lon, 123.005, 1e-7);
  EXPECT_NEAR(turn.heading_deg, 90, 0.1);
}

TEST(RouteTest, OpenRouteTurnsBackAtItsEnd) {
  auto route = Route::Make({{41.0, 123.0}, {41.01, 123.0}}, /*loop=*/false);
  ASSERT_TRUE(route);
  const double length = route->length_m();
  Route::Point back = route->At(length * 1.25);  // a quarter of the way back
  EXPECT_NEAR(back.where.lat, 41.0075, 1e-7);
  EXPECT_NEAR(back.heading_deg, 180, 1e-6);
  Route::Point again = route->At(length * 2.25);  // second outward pass
  EXPECT_NEAR(again.where.lat, 41.0025, 1e-7);
  EXPECT_NEAR(again.heading_deg, 0, 1e-6);
}

TEST(RouteTest, LoopWrapsAroundIncludingTheClosingLeg) {
  auto route = Route::Make({{41.0, 123.0}, {41.01, 123.0}, {41.01, 123.01}}, /*loop=*/true);
  ASSERT_TRUE(route);
  const double closing = DistanceMetres({41.01, 123.01}, {41.0, 123.0});
  const double open_length = route->length_m() - closing;
  Route::Point on_closing_leg = route->At(open_length + closing / 2);
  EXPECT_NEAR(on_closing_leg.where.lat, 41.005, 1e-7);
  EXPECT_NEAR(on_closing_leg.where.lon, 123.005, 1e-7);
  Route::Point wrapped = route->At(route->length_m() * 3 + 10);
  Route::Point direct = route->At(10);
  EXPECT_NEAR(wrapped.where.lat, direct.where.lat, 1e-9);
  EXPECT_NEAR(wrapped.where.lon, direct.where.lon, 1e-9);
  Route::Point negative = route->At(-10);
  Route::Point before_end = route->At(route->length_m() - 10);
  EXPECT_NEAR(negative.where.lat, before_end.where.lat, 1e-9);
}

TEST(RouteTest, DefaultRouteCirclesAnshan) {
  const Route& route = DefaultRoute();
  EXPECT_TRUE(route.loop());
  EXPECT_GT(route.length_m(), 10'000);
  EXPECT_LT(route.length_m(), 30'000);
  for (double d = 0; d < route.length_m(); d += 500) {
    const GeoPoint p = route.At(d).where;
    EXPECT_LT(DistanceMetres(p, {41.108, 122.994}), 5'000) << d;
  }
}

}  // namespace
}  // namespace baotong::sim
