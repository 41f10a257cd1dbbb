#include "sim/scenario.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/jt808/constants.h"

namespace baotong::sim {
namespace {

using jt808::alarm_bit::kOverspeed;
using jt808::status_bit::kDoor1Open;
using jt808::status_bit::kDoor3Open;

TEST(ScenarioTest, ParsesTheDocumentedExample) {
  auto scenario =
      LoadScenario(std::string(BAOTONG_SOURCE_DIR) + "/tests/sim/data/example_scenario.toml");
  ASSERT_TRUE(scenario) << scenario.error();
  ASSERT_EQ(scenario->routes.size(), 3u);  // two from the file plus the built-in "anshan"
  EXPECT_EQ(scenario->routes[0].name, "steelworks");
  EXPECT_TRUE(scenario->routes[0].route.loop());
  EXPECT_EQ(scenario->routes[0].route.waypoints().size(), 4u);
  EXPECT_FALSE(scenario->routes[1].route.loop());
  EXPECT_EQ(scenario->routes[2].name, "anshan");

  ASSERT_EQ(scenario->groups.size(), 3u);
  const VehicleGroup& trucks = scenario->groups[0];
  EXPECT_EQ(trucks.name, "ore-trucks");
  EXPECT_EQ(trucks.route, 0u);
  EXPECT_EQ(trucks.count, 20u);
  EXPECT_EQ(trucks.min_speed_kmh, 25);
  EXPECT_EQ(trucks.max_speed_kmh, 45);
  EXPECT_EQ(trucks.interval_s, 5.0);
  EXPECT_EQ(trucks.base_status, 3u << 8);
  ASSERT_EQ(trucks.events.size(), 3u);
  EXPECT_EQ(trucks.events[0].type, EventType::kDeviate);
  EXPECT_EQ(trucks.events[0].metres, 800);
  EXPECT_EQ(trucks.events[1].type, EventType::kStop);
  EXPECT_EQ(trucks.events[1].at_s, 120);
  EXPECT_EQ(trucks.events[1].duration_s, 90);
  EXPECT_EQ(trucks.events[2].type, EventType::kDoor);
  EXPECT_EQ(trucks.events[2].bits, kDoor1Open | kDoor3Open);

  const VehicleGroup& tankers = scenario->groups[1];
  EXPECT_EQ(tankers.route, 1u);
  EXPECT_EQ(tankers.min_speed_kmh, 50);
  EXPECT_EQ(tankers.max_speed_kmh, 50);
  EXPECT_FALSE(tankers.interval_s);
  ASSERT_EQ(tankers.events.size(), 2u);
  EXPECT_EQ(tankers.events[0].type, EventType::kSpeed);
  EXPECT_EQ(tankers.events[0].speed_kmh, 95);
  EXPECT_EQ(tankers.events[1].bits, kOverspeed);

  EXPECT_EQ(scenario->groups[2].route, 2u);
  EXPECT_FALSE(scenario->groups[2].count);
}

TEST(ScenarioTest, AssignsTerminalsToGroupsInOrder) {
  auto scenario =
      LoadScenario(std::string(BAOTONG_SOURCE_DIR) + "/tests/sim/data/example_scenario.toml");
  ASSERT_TRUE(scenario) << scenario.error();
  auto first = AssignGroup(*scenario, 0, 100);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->group, 0u);
  EXPECT_EQ(first->group_size, 20u);
  auto tanker = AssignGroup(*scenario, 22, 100);
  ASSERT_TRUE(tanker);
  EXPECT_EQ(tanker->group, 1u);
  EXPECT_EQ(tanker->index_in_group, 2u);
  auto rest = AssignGroup(*scenario, 99, 100);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->group, 2u);
  EXPECT_EQ(rest->index_in_group, 74u);
  EXPECT_EQ(rest->group_size, 75u);

  auto counted = ParseScenario("[[group]]\ncount = 3\n");
  ASSERT_TRUE(counted) << counted.error();
  EXPECT_TRUE(AssignGroup(*counted, 2, 10));
  EXPECT_FALSE(AssignGroup(*counted, 3, 10));  // beyond every group: default behaviour
}

TEST(ScenarioTest, MinimalScenarioUsesTheBuiltInRoute) {
  auto scenario = ParseScenario("[[group]]\n");
  ASSERT_TRUE(scenario) << scenario.error();
  ASSERT_EQ(scenario->groups.size(), 1u);
  EXPECT_EQ(scenario->routes[scenario->groups[0].route].name, "anshan");
  EXPECT_EQ(scenario->groups[0].min_speed_kmh, 20);
  EXPECT_EQ(scenario->groups[0].max_speed_kmh, 60);
}

TEST(ScenarioTest, EventsAreSortedByTime) {
  auto scenario = ParseScenario(R"(
[[group]]
  [[group.event]]
  type = "alarm"
  at = 50
  duration = 1
  bits = [0]
  [[group.event]]
  type = "status"
  at = 10.5
  duration = 1
  bits = [10, 11]
)");
  ASSERT_TRUE(scenario) << scenario.error();
  ASSERT_EQ(scenario->groups[0].events.size(), 2u);
  EXPECT_EQ(scenario->groups[0].events[0].type, EventType::kStatus);
  EXPECT_EQ(scenario->groups[0].events[0].at_s, 10.5);
  EXPECT_EQ(scenario->groups[0].events[0].bits, 3u << 10);
}

struct BadCase {
  const char* name;
  const char* toml;
  const char* expected;  // a substring of the error
};

class BadScenarioTest : public testing::TestWithParam<BadCase> {};

TEST_P(BadScenarioTest, FailsWithAClearMessage) {
  auto scenario = ParseScenario(GetParam().toml, "bad.toml");
  ASSERT_FALSE(scenario) << "parsed: " << GetParam().toml;
  EXPECT_NE(scenario.error().find(GetParam().expected), std::string::npos)
      << "error was: " << scenario.error();
  EXPECT_EQ(scenario.error().rfind("bad.toml:", 0), 0u) << scenario.error();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadScenarioTest,
    testing::Values(
        BadCase{"Syntax", "[[group]\n", "bad.toml:1:"},
        BadCase{"NoGroups", "[[route]]\nname = \"a\"\npoints = [[41, 123], [41.1, 123]]\n",
                "at least one vehicle group"},
        BadCase{"UnknownTopLevelKey", "speed = 3\n[[group]]\n",
                "bad.toml:1:1: unknown key \"speed\""},
        BadCase{"UnknownGroupKey", "[[group]]\nname = \"g\"\ncolour = 2\n",
                "bad.toml:3:1: group #1: unknown key \"colour\""},
        BadCase{"UnknownRoute", "[[group]]\nname = \"g\"\nroute = \"nowhere\"\n",
                "bad.toml:3:9: group \"g\": unknown route \"nowhere\""},
        BadCase{"OnePoint", "[[route]]\nname = \"a\"\npoints = [[41, 123]]\n[[group]]\n",
                "at least two [latitude, longitude] pairs"},
        BadCase{"PointNotAPair", "[[route]]\nname = \"a\"\npoints = [[41, 123], [41]]\n[[group]]\n",
                "route \"a\": each point must be [latitude, longitude]"},
        BadCase{"LatitudeOutOfRange",
                "[[route]]\nname = \"a\"\npoints = [[41, 123], [95, 123]]\n[[group]]\n",
                "latitude must be within -90..90"},
        BadCase{"DuplicateRoute",
                "[[route]]\nname = \"a\"\npoints = [[41, 123], [41.1, 123]]\n"
                "[[route]]\nname = \"a\"\npoints = [[41, 123], [41.1, 123]]\n[[group]]\n",
                "bad.toml:5:8: route \"a\": a route with this name is already defined"},
        BadCase{"RouteWithoutName", "[[route]]\npoints = [[41, 123], [41.1, 123]]\n[[group]]\n",
                "route #1: missing \"name\""},
        BadCase{"SpeedRange", "[[group]]\nspeed_kmh = [60, 20]\n", "0 <= min <= max <= 250"},
        BadCase{"SpeedType", "[[group]]\nspeed_kmh = \"fast\"\n", "must be a number or [min, max]"},
        BadCase{"CountZero", "[[group]]\ncount = 0\n", "\"count\" must be an integer"},
        BadCase{"IntervalZero", "[[group]]\ninterval_s = 0\n", "\"interval_s\" must be between"},
        BadCase{"GroupAfterCatchAll", "[[group]]\nname = \"all\"\n[[group]]\nname = \"late\"\n",
                "group \"late\": follows group \"all\", which has no \"count\""},
        BadCase{"UnknownEventType",
                "[[group]]\n[[group.event]]\ntype = \"explode\"\nat = 1\nduration = 1\n",
                "bad.toml:3:8: group \"group 1\", event #1: unknown event type \"explode\""},
        BadCase{"EventWithoutDuration", "[[group]]\n[[group.event]]\ntype = \"stop\"\nat = 1\n",
                "missing \"duration\""},
        BadCase{"NegativeAt",
                "[[group]]\n[[group.event]]\ntype = \"stop\"\nat = -1\nduration = 1\n",
                "\"at\" must be between 0 and"},
        BadCase{"DoorOutOfRange",
                "[[group]]\n[[group.event]]\ntype = \"door\"\nat = 1\nduration = 1\ndoors = [6]\n",
                "\"doors\" must be a non-empty list of integers 1..5"},
        BadCase{"AlarmBitOutOfRange",
                "[[group]]\n[[group.event]]\ntype = \"alarm\"\nat = 1\nduration = 1\nbits = [32]\n",
                "\"bits\" must be a non-empty list of integers 0..31"},
        BadCase{"KeyOfAnotherEventType",
                "[[group]]\n[[group.event]]\ntype = \"stop\"\nat = 1\nduration = 1\nmetres = 5\n",
                "unknown key \"metres\""},
        BadCase{"DeviateWithoutMetres",
                "[[group]]\n[[group.event]]\ntype = \"deviate\"\nat = 1\nduration = 1\n",
                "missing \"metres\""},
        BadCase{"OverlappingStops",
                "[[group]]\n[[group.event]]\ntype = \"stop\"\nat = 10\nduration = 10\n"
                "[[group.event]]\ntype = \"speed\"\nat = 15\nduration = 10\nkmh = 80\n",
                "speed event at 15 s overlaps the stop event at 10 s"}),
    [](const testing::TestParamInfo<BadCase>& case_info) {
      return std::string(case_info.param.name);
    });

TEST(ScenarioTest, MissingFileIsAClearError) {
  auto scenario = LoadScenario("/nonexistent/fleet.toml");
  ASSERT_FALSE(scenario);
  EXPECT_EQ(scenario.error(), "/nonexistent/fleet.toml: cannot open scenario file");
}

}  // namespace
}  // namespace baotong::sim
