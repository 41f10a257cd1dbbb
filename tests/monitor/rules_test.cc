#include "monitor/rules.h"

#include <gtest/gtest.h>

#include "registry/records.h"

namespace baotong::monitor {
namespace {

TEST(AlarmKindTest, IdsAndNamesRoundTrip) {
  EXPECT_EQ(AllAlarmKinds().size(), kAlarmKinds);
  for (AlarmKind kind : AllAlarmKinds()) {
    EXPECT_EQ(ParseAlarmKind(AlarmKindId(kind)), kind);
    EXPECT_FALSE(AlarmKindName(kind).empty());
  }
  EXPECT_EQ(AlarmKindId(AlarmKind::kStopOutsideSite), "stop_outside_site");
  EXPECT_EQ(AlarmKindName(AlarmKind::kDoorOpen), "门感报警");
  EXPECT_FALSE(ParseAlarmKind("nope").has_value());
}

TEST(RuleSettingsTest, DefaultsFollowTheLaw) {
  RuleSettings s;
  const auto& bus = s.classes[static_cast<size_t>(registry::VehicleClass::kTourBus)];
  EXPECT_EQ(bus.continuous_day_s, 4 * 3600);
  EXPECT_EQ(bus.continuous_night_s, 2 * 3600);
  EXPECT_EQ(bus.rest_s, 20 * 60);
  EXPECT_EQ(bus.daily_s, 8 * 3600);
  EXPECT_TRUE(bus.night_ban);
  EXPECT_TRUE(bus.night_speed_reduction);
  EXPECT_EQ(s.classes[static_cast<size_t>(registry::VehicleClass::kHazardous)].speed_limit_kmh, 80);
  EXPECT_DOUBLE_EQ(s.night_speed_factor, 0.8);
  EXPECT_TRUE(s.terminal_alarm_mask & 1u);           // emergency
  EXPECT_FALSE(s.terminal_alarm_mask & (1u << 31));  // door: door_open's
}

TEST(RuleSettingsTest, JsonRoundTrip) {
  RuleSettings s;
  s.classes[4].speed_limit_kmh = 60;
  s.off_route_for_s = 300;
  s.night_start_minute = 21 * 60 + 30;
  s.terminal_alarm_mask = 0b101;
  s.enabled[static_cast<size_t>(AlarmKind::kNightBus)] = false;
  auto json = RuleSettingsJson(s);
  auto parsed = ParseRuleSettings(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, s);
  EXPECT_EQ(json["night_start"], "21:30");
  EXPECT_EQ(json["classes"]["truck"]["speed_limit_kmh"], 60);
  // Missing members keep their defaults.
  auto empty = ParseRuleSettings(nlohmann::json::object());
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, RuleSettings{});
}

TEST(RuleSettingsTest, RefusesNamingTheField) {
  auto parsed =
      ParseRuleSettings(nlohmann::json::parse(R"({"classes":{"truck":{"speed_limit_kmh":200}}})"));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, "classes.truck.speed_limit_kmh");
  EXPECT_EQ(parsed.error().message.rfind("classes.truck.speed_limit_kmh 必须在 20-150 之间", 0),
            0u);
  EXPECT_FALSE(ParseRuleSettings(nlohmann::json::parse(R"({"classes":{"boat":{}}})")));
  EXPECT_FALSE(ParseRuleSettings(nlohmann::json::parse(R"({"night_start":"7pm"})")));
  EXPECT_FALSE(ParseRuleSettings(nlohmann::json::parse(R"({"terminal_alarm_bits":[32]})")));
  EXPECT_FALSE(ParseRuleSettings(nlohmann::json::parse(R"({"enabled":{"x":true}})")));
  EXPECT_FALSE(ParseRuleSettings(nlohmann::json::parse(R"({"off_route_clear_reports":1.5})")));
}

}  // namespace
}  // namespace baotong::monitor
