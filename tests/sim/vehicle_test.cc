#include "sim/vehicle.h"

#include <gtest/gtest.h>

#include "protocol/jt808/constants.h"
#include "sim/scenario.h"

namespace baotong::sim {
namespace {

namespace status_bit = jt808::status_bit;
namespace alarm_bit = jt808::alarm_bit;

constexpr char kScenario[] = R"(
[[route]]
name = "east"
loop = false
points = [[41.0, 123.0], [41.0, 123.5]]

[[group]]
name = "g"
route = "east"
speed_kmh = 36          # 10 m/s, constant
  [[group.event]]
  type = "stop"
  at = 100
  duration = 50
  [[group.event]]
  type = "door"
  at = 110
  duration = 20
  doors = [1, 4]
  [[group.event]]
  type = "deviate"
  at = 200
  duration = 30
  metres = 300
  [[group.event]]
  type = "alarm"
  at = 300
  duration = 10
  bits = [0, 23]
  [[group.event]]
  type = "speed"
  at = 400
  duration = 100
  kmh = 90
)";

GeoPoint Where(const jt808::LocationReport& report) {
  return {report.lat_e6 / 1e6, report.lon_e6 / 1e6};
}

class VehicleTest : public testing::Test {
 protected:
  void SetUp() override {
    auto parsed = ParseScenario(kScenario, "test");
    ASSERT_TRUE(parsed) << parsed.error();
    scenario_ = std::move(*parsed);
  }
  VehicleModel Model() const {
    return VehicleModel(scenario_.routes[0].route, scenario_.groups[0], 0, 0);
  }
  Scenario scenario_;
};

TEST_F(VehicleTest, DrivesAlongTheRouteAtTheGroupSpeed) {
  VehicleModel model = Model();
  jt808::LocationReport report = model.ReportAt(50);
  EXPECT_EQ(report.speed_dkmh, 360);
  EXPECT_EQ(report.direction, 90);
  EXPECT_NEAR(DistanceMetres({41.0, 123.0}, Where(report)), 500, 1);
  EXPECT_EQ(report.status & status_bit::kAccOn, status_bit::kAccOn);
  EXPECT_EQ(report.status & status_bit::kPositioned, status_bit::kPositioned);
  EXPECT_EQ(report.status & status_bit::kAnyDoorOpen, 0u);
  EXPECT_EQ(report.alarm, 0u);
  EXPECT_EQ(report.odometer_hm, 5u);
  EXPECT_FALSE(report.time_ms);
}

TEST_F(VehicleTest, SameTimeGivesTheSameReport) {
  VehicleModel model = Model();
  EXPECT_EQ(model.ReportAt(123.456), model.ReportAt(123.456));
}

TEST_F(VehicleTest, StopFreezesPositionWithSpeedZero) {
  VehicleModel model = Model();
  const jt808::LocationReport before = model.ReportAt(100);
  const jt808::LocationReport during = model.ReportAt(140);
  EXPECT_EQ(during.speed_dkmh, 0);
  EXPECT_EQ(during.lat_e6, before.lat_e6);
  EXPECT_EQ(during.lon_e6, before.lon_e6);
  EXPECT_NEAR(DistanceMetres({41.0, 123.0}, Where(during)), 1000, 1);
  // Afterwards it goes on from where it stopped: 140 s of driving = 1400 m.
  const jt808::LocationReport after = model.ReportAt(190);
  EXPECT_EQ(after.speed_dkmh, 360);
  EXPECT_NEAR(DistanceMetres({41.0, 123.0}, Where(after)), 1400, 1);
}

TEST_F(VehicleTest, DoorEventSetsDoorBitsOnlyWhileItLasts) {
  VehicleModel model = Model();
  EXPECT_EQ(model.ReportAt(109.9).status & status_bit::kAnyDoorOpen, 0u);
  EXPECT_EQ(model.ReportAt(110).status & status_bit::kAnyDoorOpen,
            status_bit::kDoor1Open | status_bit::kDoor4Open);
  EXPECT_EQ(model.ReportAt(129.9).status & status_bit::kAnyDoorOpen,
            status_bit::kDoor1Open | status_bit::kDoor4Open);
  EXPECT_EQ(model.ReportAt(130).status & status_bit::kAnyDoorOpen, 0u);
}

TEST_F(VehicleTest, DeviationMovesTheReportSidewaysByTheGivenDistance) {
  VehicleModel model = Model();
  const jt808::LocationReport report = model.ReportAt(215);
  // Driving east, so 300 m to the right is 300 m south of the route's position.
  const GeoPoint on_route = scenario_.routes[0].route.At(model.DistanceM(215)).where;
  EXPECT_NEAR(DistanceMetres(on_route, Where(report)), 300, 1);
  EXPECT_LT(Where(report).lat, on_route.lat);
  EXPECT_EQ(report.speed_dkmh, 360);
  // Before and after, it is back on the road.
  const jt808::LocationReport back = model.ReportAt(230);
  const GeoPoint on_route_later = scenario_.routes[0].route.At(model.DistanceM(230)).where;
  EXPECT_NEAR(DistanceMetres(on_route_later, Where(back)), 0, 0.2);
}

TEST_F(VehicleTest, AlarmEventSetsAlarmBits) {
  VehicleModel model = Model();
  EXPECT_EQ(model.ReportAt(299).alarm, 0u);
  EXPECT_EQ(model.ReportAt(305).alarm, alarm_bit::kEmergency | alarm_bit::kRouteDeviation);
  EXPECT_EQ(model.ReportAt(310).alarm, 0u);
}

TEST_F(VehicleTest, SpeedEventChangesSpeedAndDistance) {
  VehicleModel model = Model();
  EXPECT_EQ(model.ReportAt(450).speed_dkmh, 900);
  // 400 s minus a 50 s stop at 10 m/s, then 50 s at 25 m/s.
  EXPECT_NEAR(model.DistanceM(450), 350 * 10 + 50 * 25, 1e-6);
  EXPECT_NEAR(model.DistanceM(600), 350 * 10 + 100 * 25 + 100 * 10, 1e-6);
}

TEST(VehicleSpeedTest, VariesWithinTheGroupRange) {
  Scenario scenario = DefaultScenario();
  for (size_t i = 0; i < 20; ++i) {
    VehicleModel model = VehicleModel::ForSlot(scenario, GroupSlot{0, i, 20});
    double previous = -1;
    for (double t = 0; t < 400; t += 7) {
      const jt808::LocationReport report = model.ReportAt(t);
      EXPECT_GE(report.speed_dkmh, 199);
      EXPECT_LE(report.speed_dkmh, 601);
      const double distance = model.DistanceM(t);
      EXPECT_GT(distance, previous);
      previous = distance;
    }
  }
  // Spread along the loop: two vehicles of one group do not start at the same place.
  auto a = VehicleModel::ForSlot(scenario, GroupSlot{0, 0, 4}).ReportAt(0);
  auto b = VehicleModel::ForSlot(scenario, GroupSlot{0, 1, 4}).ReportAt(0);
  EXPECT_GT(DistanceMetres(Where(a), Where(b)), 1000);
}

}  // namespace
}  // namespace baotong::sim
