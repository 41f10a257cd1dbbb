#include "monitor/engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "protocol/jt808/constants.h"

namespace baotong::monitor {
namespace {

using Edge = AlarmSignal::Edge;
using registry::VehicleClass;

constexpr double kLat0 = 41.80, kLon0 = 123.40;
constexpr double kMPerDegLat = 111'195.0;
const double kMPerDegLon = kMPerDegLat * std::cos(kLat0 * M_PI / 180);
// 2026-03-02 10:00 China time (02:00Z): a day-time start.
constexpr int64_t kMorning = 1'772'416'800'000;
constexpr int64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute;

geo::LatLon At(double east_m, double north_m) {
  return {kLat0 + north_m / kMPerDegLat, kLon0 + east_m / kMPerDegLon};
}

class FakeContexts : public ContextSource {
 public:
  std::map<std::string, std::shared_ptr<const VehicleContext>, std::less<>> contexts;
  std::shared_ptr<const VehicleContext> Find(std::string_view terminal, int64_t) const override {
    auto found = contexts.find(terminal);
    return found == contexts.end() ? nullptr : found->second;
  }
};

// The city: a 20 km square around the origin. A site of 300 m at (2 km, 0). A route along the
// x axis from -5 km to 5 km. A restricted circle of 500 m at (0, 3 km) for hazardous vehicles at
// night (22:00-06:00), and one at (0, -3 km) for everyone with an exit alarm and a 30 km/h limit.
std::vector<Zone> Zones() {
  std::vector<Zone> zones;
  Zone city;
  city.code = "city";
  city.name = "市区";
  city.kind = ZoneKind::kCity;
  city.shape = geo::Polygon{{{At(-10'000, -10'000), At(10'000, -10'000), At(10'000, 10'000),
                              At(-10'000, 10'000), At(-10'000, -10'000)}}};
  zones.push_back(city);
  Zone site;
  site.code = "site:1";
  site.name = "卸货场";
  site.kind = ZoneKind::kSite;
  site.shape = geo::Circle{At(2000, 0), 300};
  zones.push_back(site);
  Zone route;
  route.code = "route:1";
  route.name = "路线1";
  route.kind = ZoneKind::kRoute;
  route.shape = geo::Polyline{{At(-5000, 0), At(0, 0), At(5000, 0)}};
  route.corridor_m = 500;
  zones.push_back(route);
  Zone hazard;
  hazard.code = "no-hazmat";
  hazard.name = "危化品禁行区";
  hazard.kind = ZoneKind::kRestricted;
  hazard.shape = geo::Circle{At(0, 3000), 500};
  hazard.vehicle_classes = 1u << static_cast<int>(VehicleClass::kHazardous);
  hazard.active = {{22 * 60, 6 * 60}};
  hazard.department = "公安交警";
  zones.push_back(hazard);
  Zone quarantine;
  quarantine.code = "hr-1";
  quarantine.name = "高风险区";
  quarantine.kind = ZoneKind::kRestricted;
  quarantine.shape = geo::Circle{At(0, -3000), 500};
  quarantine.alarm_on_exit = true;
  quarantine.speed_limit_kmh = 30;
  zones.push_back(quarantine);
  return zones;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() {
    rules_ = std::make_shared<RuleSet>();
    rules_->zones = *ZoneIndex::Build(Zones());
    SetContext("T1", VehicleClass::kTruck);
  }
  void SetContext(const std::string& terminal, std::optional<VehicleClass> vehicle_class,
                  bool with_pass = true) {
    auto context = std::make_shared<VehicleContext>();
    context->plate = "辽A12345";
    context->vehicle_class = vehicle_class;
    if (with_pass) {
      context->pass_id = 7;
      context->route_code = "route:1";
      context->planned_exit_ms = kMorning + 12 * kHour;
    }
    contexts_.contexts[terminal] = context;
  }
  RuleEngine& Engine() {
    if (!engine_)
      engine_ = std::make_unique<RuleEngine>(rules_, contexts_, /*context_refresh_ms=*/0);
    return *engine_;
  }
  // One position; returns the signals it caused.
  std::vector<AlarmSignal> Report(int64_t at_ms, geo::LatLon where, double speed_kmh,
                                  uint32_t status = 0, uint32_t alarm = 0,
                                  const std::string& terminal = "T1") {
    model::Position p;
    p.terminal = terminal;
    p.device_time_ms = at_ms;
    p.receive_time_ms = at_ms;
    p.lat_e6 = static_cast<int32_t>(std::lround(where.lat * 1e6));
    p.lon_e6 = static_cast<int32_t>(std::lround(where.lon * 1e6));
    p.speed_dkmh = static_cast<uint16_t>(std::lround(speed_kmh * 10));
    p.status = status;
    p.alarm = alarm;
    std::vector<AlarmSignal> out;
    Engine().Process(p, 0, out);
    return out;
  }
  // Reports every `step` from `from` for `count` reports at one place; all signals.
  std::vector<AlarmSignal> Stay(int64_t from, int64_t step, int count, geo::LatLon where,
                                double speed_kmh, uint32_t status = 0) {
    std::vector<AlarmSignal> all;
    for (int i = 0; i < count; ++i) {
      auto out = Report(from + i * step, where, speed_kmh, status);
      all.insert(all.end(), out.begin(), out.end());
    }
    return all;
  }
  static int Count(const std::vector<AlarmSignal>& signals, AlarmKind kind, Edge edge) {
    int n = 0;
    for (const auto& s : signals)
      n += s.kind == kind && s.edge == edge;
    return n;
  }
  std::shared_ptr<RuleSet> rules_;
  FakeContexts contexts_;
  std::unique_ptr<RuleEngine> engine_;
};

TEST_F(EngineTest, NoPermitInCityOnlyWithoutPass) {
  SetContext("T2", VehicleClass::kTruck, /*with_pass=*/false);
  auto out = Report(kMorning, At(0, 0), 40, 0, 0, "T2");
  ASSERT_EQ(Count(out, AlarmKind::kNoPermit, Edge::kRaise), 1);
  EXPECT_EQ(out[0].plate, "辽A12345");
  EXPECT_EQ(Count(Report(kMorning, At(0, 0), 40), AlarmKind::kNoPermit, Edge::kRaise), 0);
  // Unknown terminal outside the city: nothing; inside: raised.
  EXPECT_TRUE(Report(kMorning, At(30'000, 0), 40, 0, 0, "T3").empty());
  out = Report(kMorning + kMinute, At(0, 500), 40, 0, 0, "T3");
  EXPECT_EQ(Count(out, AlarmKind::kNoPermit, Edge::kRaise), 1);
  // Leaving the city clears it.
  out = Report(kMorning + 2 * kMinute, At(30'000, 0), 40, 0, 0, "T3");
  EXPECT_EQ(Count(out, AlarmKind::kNoPermit, Edge::kClear), 1);
}

TEST_F(EngineTest, OffRouteAfterDelayAndNoFlappingAtCorridorEdge) {
  // On route: nothing however long.
  EXPECT_EQ(
      Count(Stay(kMorning, 10 * kSecond, 30, At(0, 400), 40), AlarmKind::kOffRoute, Edge::kRaise),
      0);
  // 800 m off for 2 minutes: raised once, after 120 s.
  auto out = Stay(kMorning + 10 * kMinute, 10 * kSecond, 12, At(0, 800), 40);
  EXPECT_EQ(Count(out, AlarmKind::kOffRoute, Edge::kRaise), 0);
  out = Report(kMorning + 12 * kMinute, At(0, 812), 40);
  ASSERT_EQ(Count(out, AlarmKind::kOffRoute, Edge::kRaise), 1);
  EXPECT_NE(out[0].detail.find("偏离路线 812 米"), std::string::npos) << out[0].detail;
  // Hovering at the edge (480 m / 520 m): inside the corridor but not inside corridor - 50 m.
  std::vector<AlarmSignal> hover;
  for (int i = 0; i < 40; ++i) {
    auto one = Report(kMorning + 13 * kMinute + i * 10 * kSecond, At(0, i % 2 ? 480 : 520), 40);
    hover.insert(hover.end(), one.begin(), one.end());
  }
  EXPECT_EQ(Count(hover, AlarmKind::kOffRoute, Edge::kClear), 0);
  EXPECT_EQ(Count(hover, AlarmKind::kOffRoute, Edge::kRaise), 0);
  // Back well inside: cleared after three reports.
  out = Stay(kMorning + 30 * kMinute, 10 * kSecond, 2, At(0, 100), 40);
  EXPECT_EQ(Count(out, AlarmKind::kOffRoute, Edge::kClear), 0);
  out = Report(kMorning + 31 * kMinute, At(0, 100), 40);
  EXPECT_EQ(Count(out, AlarmKind::kOffRoute, Edge::kClear), 1);
}

TEST_F(EngineTest, BriefExcursionsOffRouteRaiseNothing) {
  std::vector<AlarmSignal> all;
  for (int i = 0; i < 60; ++i) {
    auto one = Report(kMorning + i * 30 * kSecond, At(0, i % 4 == 0 ? 100 : 900), 40);
    all.insert(all.end(), one.begin(), one.end());
  }
  EXPECT_EQ(Count(all, AlarmKind::kOffRoute, Edge::kRaise), 0);
}

TEST_F(EngineTest, StopInsideSiteRaisesNothingStopInFieldDoes) {
  auto site = Stay(kMorning, kMinute, 40, At(2000, 100), 0);
  EXPECT_EQ(Count(site, AlarmKind::kStopOutsideSite, Edge::kRaise), 0);
  SetContext("T2", VehicleClass::kTruck);
  std::vector<AlarmSignal> field;
  for (int i = 0; i < 20; ++i) {
    auto one = Report(kMorning + i * kMinute, At(-3000, 200), 0, 0, 0, "T2");
    field.insert(field.end(), one.begin(), one.end());
  }
  ASSERT_EQ(Count(field, AlarmKind::kStopOutsideSite, Edge::kRaise), 1);
  auto moving = Report(kMorning + 21 * kMinute, At(-3000, 200), 30, 0, 0, "T2");
  EXPECT_EQ(Count(moving, AlarmKind::kStopOutsideSite, Edge::kClear), 1);
}

TEST_F(EngineTest, DoorOpenOutsideSitesOnly) {
  const uint32_t door = jt808::status_bit::kDoor3Open;
  EXPECT_EQ(Count(Report(kMorning, At(2000, 0), 0, door), AlarmKind::kDoorOpen, Edge::kRaise), 0);
  auto out = Report(kMorning + kMinute, At(-2000, 0), 0, door);
  EXPECT_EQ(Count(out, AlarmKind::kDoorOpen, Edge::kRaise), 1);
  EXPECT_EQ(Count(Report(kMorning + 2 * kMinute, At(-2000, 0), 0, door), AlarmKind::kDoorOpen,
                  Edge::kRaise),
            0);
  out = Report(kMorning + 3 * kMinute, At(-2000, 0), 0, 0);
  EXPECT_EQ(Count(out, AlarmKind::kDoorOpen, Edge::kClear), 1);
  // Alarm bit 31 counts as a door too.
  out = Report(kMorning + 4 * kMinute, At(-2000, 0), 0, 0, jt808::alarm_bit::kIllegalDoorOpen);
  EXPECT_EQ(Count(out, AlarmKind::kDoorOpen, Edge::kRaise), 1);
  // A bus opening its doors at a stop raises nothing (door_rule is off for buses).
  SetContext("B1", VehicleClass::kLineBus);
  EXPECT_EQ(
      Count(Report(kMorning, At(-2000, 0), 0, door, 0, "B1"), AlarmKind::kDoorOpen, Edge::kRaise),
      0);
}

TEST_F(EngineTest, ZoneEntryByClassAndNightWindow) {
  SetContext("H1", VehicleClass::kHazardous);
  // 2026-03-02 23:00 China = 15:00Z.
  const int64_t night = kMorning + 13 * kHour;
  auto out = Report(night, At(0, 3000), 30, 0, 0, "H1");
  ASSERT_EQ(Count(out, AlarmKind::kZoneEntry, Edge::kRaise), 1);
  EXPECT_EQ(out[0].subject, "no-hazmat");
  EXPECT_EQ(out[0].zone_department, "公安交警");
  // Same place by day: not active. Same place at night for a truck: not its class.
  SetContext("H2", VehicleClass::kHazardous);
  EXPECT_EQ(
      Count(Report(kMorning, At(0, 3000), 30, 0, 0, "H2"), AlarmKind::kZoneEntry, Edge::kRaise), 0);
  EXPECT_EQ(Count(Report(night, At(0, 3000), 30, 0, 0, "T1"), AlarmKind::kZoneEntry, Edge::kRaise),
            0);
  // After midnight (wrapping window) it is still active; leaving clears the entry.
  out = Report(night + 2 * kHour, At(0, 3000), 30, 0, 0, "H1");
  EXPECT_EQ(Count(out, AlarmKind::kZoneEntry, Edge::kClear), 0);
  EXPECT_EQ(Count(out, AlarmKind::kZoneEntry, Edge::kRaise), 0);
  out = Report(night + 2 * kHour + kMinute, At(0, 5000), 30, 0, 0, "H1");
  EXPECT_EQ(Count(out, AlarmKind::kZoneEntry, Edge::kClear), 1);
}

TEST_F(EngineTest, ZoneExitWithHysteresis) {
  auto out = Report(kMorning, At(0, -3000), 20);
  ASSERT_EQ(Count(out, AlarmKind::kZoneEntry, Edge::kRaise), 1);
  // 10 m outside the 500 m circle: within the 30 m exit margin, still inside.
  EXPECT_TRUE(Report(kMorning + kMinute, At(0, -3510), 20).empty());
  out = Report(kMorning + 2 * kMinute, At(0, -3600), 20);
  EXPECT_EQ(Count(out, AlarmKind::kZoneEntry, Edge::kClear), 1);
  EXPECT_EQ(Count(out, AlarmKind::kZoneExit, Edge::kRaise), 1);
  out = Report(kMorning + 3 * kMinute, At(0, -3000), 20);
  EXPECT_EQ(Count(out, AlarmKind::kZoneExit, Edge::kClear), 1);
  EXPECT_EQ(Count(out, AlarmKind::kZoneEntry, Edge::kRaise), 1);
}

TEST_F(EngineTest, OverspeedUsesLowerZoneLimitAndClearsBelowMargin) {
  // 50 km/h is fine on the route (truck limit 100) ...
  EXPECT_EQ(
      Count(Stay(kMorning, 5 * kSecond, 5, At(0, 0), 50), AlarmKind::kOverspeed, Edge::kRaise), 0);
  // ... but not in the 30 km/h zone, once it lasts 10 s.
  auto out = Stay(kMorning + kMinute, 5 * kSecond, 2, At(0, -3000), 50);
  EXPECT_EQ(Count(out, AlarmKind::kOverspeed, Edge::kRaise), 0);
  out = Report(kMorning + kMinute + 10 * kSecond, At(0, -3000), 50);
  ASSERT_EQ(Count(out, AlarmKind::kOverspeed, Edge::kRaise), 1);
  // 28 km/h is under the limit but not under limit - 5: still open.
  EXPECT_EQ(
      Count(Report(kMorning + 2 * kMinute, At(0, -3000), 28), AlarmKind::kOverspeed, Edge::kClear),
      0);
  EXPECT_EQ(
      Count(Report(kMorning + 3 * kMinute, At(0, -3000), 24), AlarmKind::kOverspeed, Edge::kClear),
      1);
}

TEST_F(EngineTest, PassengerNightLimitIsEightyPercent) {
  SetContext("B1", VehicleClass::kTourBus);
  const int64_t night = kMorning + 13 * kHour;  // 23:00
  std::vector<AlarmSignal> all;
  for (int i = 0; i < 4; ++i) {
    auto one = Report(night + i * 5 * kSecond, At(0, 0), 90, 0, 0, "B1");
    all.insert(all.end(), one.begin(), one.end());
  }
  EXPECT_EQ(Count(all, AlarmKind::kOverspeed, Edge::kRaise), 1);  // 90 > 0.8 * 100
  SetContext("B2", VehicleClass::kTourBus);
  all.clear();
  for (int i = 0; i < 4; ++i) {
    auto one = Report(kMorning + i * 5 * kSecond, At(0, 0), 90, 0, 0, "B2");
    all.insert(all.end(), one.begin(), one.end());
  }
  EXPECT_EQ(Count(all, AlarmKind::kOverspeed, Edge::kRaise), 0);
}

TEST_F(EngineTest, FatigueContinuousResetByRest) {
  // 4 h 10 min driving by day, one report a minute: raised once after 4 h.
  auto out = Stay(kMorning - 4 * kHour, kMinute, 251, At(0, 0), 40);
  EXPECT_EQ(Count(out, AlarmKind::kFatigueContinuous, Edge::kRaise), 1);
  // A 10-minute stop is not a rest; a 20-minute one is.
  out = Stay(kMorning + 11 * kMinute, kMinute, 10, At(0, 0), 0);
  EXPECT_EQ(Count(out, AlarmKind::kFatigueContinuous, Edge::kClear), 0);
  out = Stay(kMorning + 21 * kMinute, kMinute, 11, At(0, 0), 0);
  EXPECT_EQ(Count(out, AlarmKind::kFatigueContinuous, Edge::kClear), 1);
  // Driving on after the rest: no new alarm for a while.
  out = Stay(kMorning + 33 * kMinute, kMinute, 60, At(0, 0), 40);
  EXPECT_EQ(Count(out, AlarmKind::kFatigueContinuous, Edge::kRaise), 0);
}

TEST_F(EngineTest, FatigueContinuousWithRestsDoesNotFire) {
  // 3 h 50 min driving, 25 min rest, 3 h 50 min driving.
  auto out = Stay(kMorning - 2 * kHour, kMinute, 230, At(0, 0), 40);
  auto rest = Stay(kMorning - 2 * kHour + 230 * kMinute, kMinute, 25, At(0, 0), 0);
  auto more = Stay(kMorning - 2 * kHour + 255 * kMinute, kMinute, 230, At(0, 0), 40);
  out.insert(out.end(), more.begin(), more.end());
  EXPECT_EQ(Count(out, AlarmKind::kFatigueContinuous, Edge::kRaise), 0);
}

TEST_F(EngineTest, FatigueNightLimitIsTwoHoursAndDailyLimit) {
  SetContext("B1", VehicleClass::kTourBus);
  const int64_t late = kMorning + 12 * kHour + 30 * kMinute;  // 22:30, a ban-free hour
  std::vector<AlarmSignal> all;
  for (int i = 0; i <= 125; ++i) {
    auto one = Report(late + i * kMinute, At(0, 0), 40, 0, 0, "B1");
    all.insert(all.end(), one.begin(), one.end());
  }
  EXPECT_EQ(Count(all, AlarmKind::kFatigueContinuous, Edge::kRaise), 1);
  // Daily: 9 h on one China day with rests every 3 h.
  SetContext("T5", VehicleClass::kTruck);
  const int64_t day_start = kMorning - 3 * kHour;  // 07:00
  all.clear();
  for (int block = 0; block < 3; ++block) {
    const int64_t start = day_start + block * (3 * kHour + 30 * kMinute);
    for (int i = 0; i <= 180; ++i) {
      auto one = Report(start + i * kMinute, At(0, 0), 40, 0, 0, "T5");
      all.insert(all.end(), one.begin(), one.end());
    }
    for (int i = 1; i <= 29; ++i) {
      auto one = Report(start + (180 + i) * kMinute, At(2000, 0), 0, 0, 0, "T5");
      all.insert(all.end(), one.begin(), one.end());
    }
  }
  EXPECT_EQ(Count(all, AlarmKind::kFatigueContinuous, Edge::kRaise), 0);
  EXPECT_EQ(Count(all, AlarmKind::kFatigueDaily, Edge::kRaise), 1);
}

TEST_F(EngineTest, NightBusInBanHoursOnly) {
  SetContext("B1", VehicleClass::kLineBus);
  const int64_t three_am = kMorning + 17 * kHour;  // 03:00 next day
  auto out = Report(three_am, At(0, 0), 40, 0, 0, "B1");
  EXPECT_EQ(Count(out, AlarmKind::kNightBus, Edge::kRaise), 1);
  // The same hour for a truck, and 01:30 for a bus: nothing.
  EXPECT_EQ(Count(Report(three_am, At(0, 0), 40), AlarmKind::kNightBus, Edge::kRaise), 0);
  SetContext("B2", VehicleClass::kLineBus);
  EXPECT_EQ(Count(Report(three_am - 90 * kMinute, At(0, 0), 40, 0, 0, "B2"), AlarmKind::kNightBus,
                  Edge::kRaise),
            0);
  // 05:00: the ban is over.
  out = Report(three_am + 2 * kHour, At(0, 0), 40, 0, 0, "B1");
  EXPECT_EQ(Count(out, AlarmKind::kNightBus, Edge::kClear), 1);
}

TEST_F(EngineTest, SignalLostByWallClockInCityAndClearsOnNextPosition) {
  Report(kMorning, At(0, 0), 40);
  SetContext("T9", VehicleClass::kTruck);
  Report(kMorning, At(30'000, 0), 40, 0, 0, "T9");  // outside the city
  std::vector<AlarmSignal> out;
  Engine().Tick(kMorning + 5 * kMinute, out);
  EXPECT_EQ(Count(out, AlarmKind::kSignalLost, Edge::kRaise), 0);
  Engine().Tick(kMorning + 11 * kMinute, out);
  ASSERT_EQ(Count(out, AlarmKind::kSignalLost, Edge::kRaise), 1);
  EXPECT_EQ(out.back().terminal, "T1");
  Engine().Tick(kMorning + 12 * kMinute, out);
  EXPECT_EQ(Count(out, AlarmKind::kSignalLost, Edge::kRaise), 1);  // once
  auto status = Engine().Find("T1", kMorning + 12 * kMinute);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->state, RuleEngine::MotionState::kOffline);
  auto back = Report(kMorning + 13 * kMinute, At(0, 0), 40);
  EXPECT_EQ(Count(back, AlarmKind::kSignalLost, Edge::kClear), 1);
}

TEST_F(EngineTest, OverstayAfterPlannedExitPlusGrace) {
  const int64_t exit = kMorning + 12 * kHour;
  Report(exit - kHour, At(0, 0), 40);
  std::vector<AlarmSignal> out;
  Engine().Tick(exit + 20 * kMinute, out);
  EXPECT_EQ(Count(out, AlarmKind::kOverstay, Edge::kRaise), 0);
  Engine().Tick(exit + 31 * kMinute, out);
  EXPECT_EQ(Count(out, AlarmKind::kOverstay, Edge::kRaise), 1);
  auto left = Report(exit + 40 * kMinute, At(30'000, 0), 40);
  EXPECT_EQ(Count(left, AlarmKind::kOverstay, Edge::kClear), 1);
}

TEST_F(EngineTest, TerminalAlarmBitsAreEdgeTriggered) {
  namespace bit = jt808::alarm_bit;
  auto out = Report(kMorning, At(0, 0), 40, 0, bit::kEmergency);
  ASSERT_EQ(Count(out, AlarmKind::kTerminalAlarm, Edge::kRaise), 1);
  EXPECT_EQ(out[0].subject, "bit0");
  EXPECT_EQ(out[0].detail, "紧急报警");
  EXPECT_TRUE(Report(kMorning + kSecond, At(0, 0), 40, 0, bit::kEmergency).empty());
  out = Report(kMorning + 2 * kSecond, At(0, 0), 40, 0, bit::kEmergency | bit::kCollision);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subject, "bit29");
  out = Report(kMorning + 3 * kSecond, At(0, 0), 40, 0, bit::kCollision | bit::kDisplayFault);
  ASSERT_EQ(out.size(), 1u);  // bit 9 is not in the default mask
  EXPECT_EQ(out[0].edge, Edge::kClear);
  EXPECT_EQ(out[0].subject, "bit0");
}

TEST_F(EngineTest, DisabledRuleNeverFiresAndClearsWhatIsOpen) {
  SetContext("T2", VehicleClass::kTruck, /*with_pass=*/false);
  ASSERT_EQ(Count(Report(kMorning, At(0, 0), 40, 0, 0, "T2"), AlarmKind::kNoPermit, Edge::kRaise),
            1);
  auto rules = std::make_shared<RuleSet>(*rules_);
  rules->settings.enabled[static_cast<size_t>(AlarmKind::kNoPermit)] = false;
  Engine().SetRules(rules);
  auto out = Report(kMorning + kMinute, At(0, 0), 40, 0, 0, "T2");
  EXPECT_EQ(Count(out, AlarmKind::kNoPermit, Edge::kClear), 1);
  EXPECT_TRUE(Report(kMorning + 2 * kMinute, At(0, 0), 40, 0, 0, "T2").empty());
}

TEST_F(EngineTest, ZoneDeletedByNewRulesClearsItsAlarm) {
  ASSERT_EQ(Count(Report(kMorning, At(0, -3000), 20), AlarmKind::kZoneEntry, Edge::kRaise), 1);
  auto zones = Zones();
  zones.pop_back();  // hr-1
  auto rules = std::make_shared<RuleSet>();
  rules->zones = *ZoneIndex::Build(zones);
  Engine().SetRules(rules);
  auto out = Report(kMorning + kMinute, At(0, -3000), 20);
  ASSERT_EQ(Count(out, AlarmKind::kZoneEntry, Edge::kClear), 1);
  EXPECT_EQ(Count(out, AlarmKind::kZoneExit, Edge::kRaise), 0);
}

TEST_F(EngineTest, SnapshotShowsStateAndActiveAlarms) {
  Report(kMorning, At(0, 0), 40);
  SetContext("T2", VehicleClass::kTruck, /*with_pass=*/false);
  Report(kMorning, At(100, 0), 0, 0, 0, "T2");
  std::vector<RuleEngine::VehicleStatus> statuses;
  Engine().Snapshot(kMorning + kSecond, statuses);
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(Engine().vehicles(), 2u);
  auto t1 = Engine().Find("T1", kMorning + kSecond);
  ASSERT_TRUE(t1.has_value());
  EXPECT_EQ(t1->state, RuleEngine::MotionState::kMoving);
  EXPECT_TRUE(t1->in_city);
  auto t2 = Engine().Find("T2", kMorning + kSecond);
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(t2->state, RuleEngine::MotionState::kAlarm);
  EXPECT_EQ(t2->active, std::vector<AlarmKind>{AlarmKind::kNoPermit});
  EXPECT_EQ(MotionStateId(t2->state), "alarm");
}

TEST_F(EngineTest, LateResendsAreIgnored) {
  Report(kMorning, At(0, 0), 40);
  EXPECT_TRUE(Report(kMorning - kHour, At(0, -3000), 20).empty());
}

// ProcessBatch is Process on each position in turn: the same signals in the same order, for
// vehicles first seen inside a batch (the table grows meanwhile), a terminal reporting twice in
// one batch, and batches of every size around the look-ahead distances.
TEST_F(EngineTest, ProcessBatchMatchesProcessOneByOne) {
  constexpr int kVehicles = 150;
  const VehicleClass classes[] = {VehicleClass::kTruck, VehicleClass::kHazardous,
                                  VehicleClass::kTourBus};
  for (int i = 0; i < kVehicles; ++i) {
    if (i % 7 != 6)  // some unregistered
      SetContext("V" + std::to_string(i), classes[i % 3], /*with_pass=*/i % 2 == 0);
  }
  // Each vehicle circles the origin at its own radius and pace, through the restricted zones at
  // (0, +-3 km), the site and across the route; a night start so the hazmat window applies.
  const int64_t start = kMorning + 12 * kHour;  // 22:00 China time
  std::vector<model::Position> positions;
  std::vector<int64_t> received;
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < kVehicles; ++i) {
      const double radius = 1500 + 20.0 * i;
      const double angle = 0.01 * i + 0.15 * round;
      const geo::LatLon where = At(radius * std::cos(angle), radius * std::sin(angle));
      for (int twice = 0; twice < (i % 11 == 0 ? 2 : 1); ++twice) {
        model::Position& p = positions.emplace_back();
        p.terminal = "V" + std::to_string(i);
        p.device_time_ms = start + round * 30 * kSecond + twice * kSecond;
        p.receive_time_ms = p.device_time_ms;
        p.lat_e6 = static_cast<int32_t>(std::lround(where.lat * 1e6));
        p.lon_e6 = static_cast<int32_t>(std::lround(where.lon * 1e6));
        p.speed_dkmh = static_cast<uint16_t>((round + i) % 9 == 0 ? 0 : 300 + 40 * (i % 12));
        p.status = (round + i) % 13 == 0 ? jt808::status_bit::kDoor1Open : 0;
        p.alarm = (round + i) % 17 == 0 ? jt808::alarm_bit::kEmergency : 0;
        received.push_back(static_cast<int64_t>(positions.size()));
      }
    }
  }
  RuleEngine one_by_one(rules_, contexts_, /*context_refresh_ms=*/0);
  RuleEngine batched(rules_, contexts_, /*context_refresh_ms=*/0);
  std::vector<AlarmSignal> expected, actual;
  for (size_t i = 0; i < positions.size(); ++i)
    one_by_one.Process(positions[i], received[i], expected);
  const size_t sizes[] = {1, 2, 3, 5, 9, 16, 17, 33, 64, 256, 1000};
  for (size_t at = 0, k = 0; at < positions.size(); ++k) {
    const size_t n = std::min(sizes[k % std::size(sizes)], positions.size() - at);
    batched.ProcessBatch(std::span(positions).subspan(at, n), std::span(received).subspan(at, n),
                         actual);
    at += n;
  }
  ASSERT_GT(Count(expected, AlarmKind::kZoneEntry, Edge::kRaise), 10);
  ASSERT_GT(Count(expected, AlarmKind::kZoneExit, Edge::kRaise), 0);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(actual[i].edge, expected[i].edge);
    EXPECT_EQ(actual[i].kind, expected[i].kind);
    EXPECT_EQ(actual[i].terminal, expected[i].terminal);
    EXPECT_EQ(actual[i].subject, expected[i].subject);
    EXPECT_EQ(actual[i].at_ms, expected[i].at_ms);
    EXPECT_EQ(actual[i].received_ns, expected[i].received_ns);
    EXPECT_EQ(actual[i].detail, expected[i].detail);
  }
  EXPECT_EQ(batched.vehicles(), static_cast<size_t>(kVehicles));
}

}  // namespace
}  // namespace baotong::monitor
