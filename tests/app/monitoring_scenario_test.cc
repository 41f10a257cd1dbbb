// End to end: the simulator's scenario drives virtual terminals through the real JT/T 808
// gateway (TCP on loopback), whose durable positions feed the rule engine, whose signals become
// alarms. Each rule has a group of vehicles where it must fire and one where it must not, all in
// one run of the simulator; thresholds are scaled down to seconds so the run is short.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "app/monitoring.h"
#include "app/provisioning.h"
#include "common/clock.h"
#include "gateway/gateway.h"
#include "pass/pass_store.h"
#include "registry/map_layers.h"
#include "registry/registry_fixture.h"
#include "sim/simulator.h"
#include "store/sqlite/sqlite_store.h"

namespace baotong::app {
namespace {

using registry::VehicleClass;
using registry::testing::CreditCode;
using registry::testing::IdNumber;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;

// Which pass a group's vehicle holds.
enum class Permit { kNone, kStanding, kTripOnRoute, kTripOverstayed };

struct Group {
  std::string name;
  VehicleClass vehicle_class;
  Permit permit;
  std::string toml;                // the group's scenario table (without the header)
  std::set<std::string> expected;  // alarm kinds that must be raised, and no others
};

// Routes ([lat, lon]): "main" runs east along the published route R1 from inside the site S1;
// "field" is open country inside the city; "zone" passes through the restricted circle Z1.
constexpr std::string_view kRoutes = R"(
[[route]]
name = "main"
loop = false
points = [[41.1000, 122.9500], [41.1000, 123.0500]]

[[route]]
name = "field"
loop = false
points = [[41.1500, 122.9800], [41.1500, 123.0200]]

[[route]]
name = "zone"
loop = false
points = [[41.1200, 122.9960], [41.1200, 123.0300]]
)";

std::vector<Group> Groups() {
  return {
      {"permit_ok",
       VehicleClass::kTruck,
       Permit::kStanding,
       "route = \"field\"\nspeed_kmh = 40\n",
       {}},
      {"no_permit",
       VehicleClass::kTruck,
       Permit::kNone,
       "route = \"field\"\nspeed_kmh = 40\n",
       {"no_permit"}},
      {"off_route",
       VehicleClass::kTruck,
       Permit::kTripOnRoute,
       "route = \"main\"\nspeed_kmh = 40\nspread = false\n"
       "[[group.event]]\ntype = \"deviate\"\nat = 2\nduration = 9\nmetres = 1500\n",
       {"off_route"}},
      {"wobble_in_corridor",
       VehicleClass::kTruck,
       Permit::kTripOnRoute,
       "route = \"main\"\nspeed_kmh = 40\nspread = false\n"
       "[[group.event]]\ntype = \"deviate\"\nat = 2\nduration = 9\nmetres = 200\n",
       {}},
      {"stop_in_field",
       VehicleClass::kTruck,
       Permit::kStanding,
       "route = \"field\"\nspeed_kmh = 40\n"
       "[[group.event]]\ntype = \"stop\"\nat = 2\nduration = 10\n"
       "[[group.event]]\ntype = \"door\"\nat = 4\nduration = 4\ndoors = [3]\n",
       {"stop_outside_site", "door_open"}},
      {"stop_at_site",
       VehicleClass::kTruck,
       Permit::kStanding,
       "route = \"main\"\nspeed_kmh = 40\nspread = false\n"
       "[[group.event]]\ntype = \"stop\"\nat = 0\nduration = 12\n"
       "[[group.event]]\ntype = \"door\"\nat = 4\nduration = 4\ndoors = [3]\n",
       {}},
      {"overspeed",
       VehicleClass::kTruck,
       Permit::kStanding,
       "route = \"field\"\nspeed_kmh = 40\n"
       "[[group.event]]\ntype = \"speed\"\nat = 2\nduration = 7\nkmh = 120\n",
       {"overspeed"}},
      {"brisk_within_limit",
       VehicleClass::kTruck,
       Permit::kStanding,
       "route = \"field\"\nspeed_kmh = 75\n",
       {}},
      {"hazardous_into_zone",
       VehicleClass::kHazardous,
       Permit::kStanding,
       "route = \"zone\"\nspeed_kmh = 70\nspread = false\n",
       {"zone_entry"}},
      {"truck_into_zone",
       VehicleClass::kTruck,
       Permit::kStanding,
       "route = \"zone\"\nspeed_kmh = 70\nspread = false\n",
       {}},
      {"bus_in_banned_hours",
       VehicleClass::kTourBus,
       Permit::kStanding,
       "route = \"field\"\nspeed_kmh = 40\n",
       {"night_bus"}},
      {"fatigue",
       VehicleClass::kHeavyTruck,
       Permit::kStanding,
       "route = \"field\"\nspeed_kmh = 40\n",
       {"fatigue_continuous"}},
      {"rested",
       VehicleClass::kHeavyTruck,
       Permit::kStanding,
       "route = \"field\"\nspeed_kmh = 40\n"
       "[[group.event]]\ntype = \"stop\"\nat = 4\nduration = 4\n"
       "[[group.event]]\ntype = \"stop\"\nat = 11\nduration = 4\n",
       {}},
      {"long_day",
       VehicleClass::kLineBus,
       Permit::kStanding,
       "route = \"field\"\nspeed_kmh = 40\n",
       {"fatigue_daily"}},
      {"short_day",
       VehicleClass::kLineBus,
       Permit::kStanding,
       "route = \"field\"\nspeed_kmh = 40\n"
       "[[group.event]]\ntype = \"stop\"\nat = 3\nduration = 60\n",
       {}},
      {"overstayed",
       VehicleClass::kTruck,
       Permit::kTripOverstayed,
       "route = \"main\"\nspeed_kmh = 40\nspread = false\n",
       {"overstay"}},
      {"emergency_button",
       VehicleClass::kTruck,
       Permit::kStanding,
       "route = \"field\"\nspeed_kmh = 40\n"
       "[[group.event]]\ntype = \"alarm\"\nat = 2\nduration = 4\nbits = [0]\n",
       {"terminal_alarm"}},
      {"pre_warning_only",
       VehicleClass::kTruck,
       Permit::kStanding,
       "route = \"field\"\nspeed_kmh = 40\n"
       "[[group.event]]\ntype = \"alarm\"\nat = 2\nduration = 4\nbits = [13]\n",
       {}},
  };
}

// Thresholds scaled from hours and minutes down to seconds; which class gets which limit keeps
// the groups apart (only heavy trucks tire, only line buses reach their daily limit).
monitor::RuleSettings ScaledSettings() {
  monitor::RuleSettings settings;
  for (auto& thresholds : settings.classes) {
    thresholds.speed_limit_kmh = 80;
    thresholds.overspeed_for_s = 2;
    thresholds.continuous_day_s = 3600;
    thresholds.continuous_night_s = 3600;
    thresholds.daily_s = 3600;
    thresholds.rest_s = 3;
    thresholds.stop_for_s = 4;
  }
  auto& heavy = settings.classes[static_cast<size_t>(VehicleClass::kHeavyTruck)];
  heavy.continuous_day_s = 6;
  heavy.continuous_night_s = 6;
  auto& line_bus = settings.classes[static_cast<size_t>(VehicleClass::kLineBus)];
  line_bus.daily_s = 8;
  line_bus.stop_for_s = 0;  // a bus waiting at a stop is no finding here
  line_bus.night_ban = false;
  auto& tour_bus = settings.classes[static_cast<size_t>(VehicleClass::kTourBus)];
  tour_bus.night_ban = true;
  // The bus ban covers the whole day, so that the test does not depend on the hour it runs.
  settings.bus_ban_start_minute = 0;
  settings.bus_ban_end_minute = 1439;
  settings.off_route_for_s = 3;
  settings.signal_lost_after_s = 3;
  settings.overstay_grace_s = 0;
  return settings;
}

class MonitoringScenarioTest : public registry::testing::RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    now_ = NowMs();
    groups_ = Groups();
    SeedRegistry();
    auto key = pass::SigningKey::LoadOrCreate(dir_ / "pass-signing.key");
    ASSERT_TRUE(key);
    pass::PassRules rules;
    rules.health_required = false;
    // The passes here are about the monitor, not about the checks: approve them all.
    for (const auto& reason : pass::ReasonCodes())
      rules.outcomes[std::string(reason.code)] = pass::Outcome::kOk;
    auto passes = pass::PassStore::Open(dir_ / "registry.db", rules, std::move(*key), now_);
    ASSERT_TRUE(passes) << passes.error().Message();
    passes_ = std::move(*passes);
    std::vector<pass::PublishedRoute> routes = {
        {"R1", "测试货运通道",
         R"({"type":"LineString","coordinates":[[122.95,41.1],[123.05,41.1]]})", false}};
    ASSERT_TRUE(passes_->UpsertRoutes(routes, now_));
    IssuePasses();

    MonitoringOptions options;
    options.monitor.partitions = 2;
    options.monitor.tick_interval = std::chrono::milliseconds(200);
    options.default_settings = ScaledSettings();
    auto monitoring = Monitoring::Open(dir_ / "registry.db", *passes_, options);
    ASSERT_TRUE(monitoring) << monitoring.error().Message();
    monitoring_ = std::move(*monitoring);
    monitor::Zone zone;
    zone.code = "Z1";
    zone.name = "危险货物禁行区（测试）";
    zone.kind = monitor::ZoneKind::kRestricted;
    zone.shape = geo::Circle{{41.12, 123.00}, 300};
    zone.vehicle_classes = 1u << static_cast<unsigned>(VehicleClass::kHazardous);
    ASSERT_TRUE(monitoring_->SaveZone(zone, true, "test", now_));

    auto store = store::SqliteStore::Open(dir_);
    ASSERT_TRUE(store) << store.error().Message();
    positions_ = std::move(*store);
    ASSERT_TRUE(ProvisionTerminals(*positions_, terminals_));
    gateway::GatewayOptions gateway_options;
    gateway_options.listen_address = "127.0.0.1";
    gateway_options.port = 0;
    gateway_options.writer.on_queued = [this](std::vector<model::Position>& positions) {
      monitoring_->OnPosition(positions);
    };
    gateway_ =
        std::make_unique<gateway::Gateway>(gateway_options, *positions_, *positions_, metrics_);
    ASSERT_TRUE(gateway_->Start());
    monitoring_->AttachGateway(gateway_.get());
  }

  void TearDown() override {
    if (monitoring_)
      monitoring_->AttachGateway(nullptr);
    gateway_.reset();
    monitoring_.reset();
    positions_.reset();
    passes_.reset();
    RegistryTest::TearDown();
  }

  std::string Phone(size_t index) const {
    return *sim::TerminalPhone("0139", index, jt808::Version::k2013);
  }

  void SeedRegistry() {
    std::vector<registry::Carrier> carriers = {{CreditCode(1), "鞍山测试运输", "铁东区",
                                                std::nullopt, "许可1", "2099-01-01", std::nullopt}};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Carrier>(carriers), now_));
    std::vector<registry::Vehicle> vehicles;
    for (size_t i = 0; i < groups_.size(); ++i) {
      registry::Vehicle vehicle;
      vehicle.plate = sim::TerminalPlate(i);
      vehicle.plate_color = registry::PlateColor::kYellow;
      vehicle.vehicle_class = groups_[i].vehicle_class;
      vehicle.carrier_credit_code = CreditCode(1);
      vehicle.transport_cert_valid_until = "2099-01-01";
      vehicle.insurance_valid_until = "2099-01-01";
      vehicles.push_back(vehicle);
      registry::Terminal terminal;
      terminal.phone = Phone(i);
      terminal.plate = vehicle.plate;
      terminal.plate_color = vehicle.plate_color;
      terminals_.push_back(terminal);
    }
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Vehicle>(vehicles), now_));
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Terminal>(terminals_), now_));
    registry::Driver driver;
    driver.id_number = IdNumber(1);
    driver.name = "张三";
    driver.licence_class = "A2";
    driver.licence_valid_until = "2099-01-01";
    driver.carrier_credit_code = CreditCode(1);
    std::vector<registry::Driver> drivers = {driver};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Driver>(drivers), now_));
    // The site S1 holds the start of route "main".
    std::vector<registry::Site> sites = {
        {"S1", "测试卸货点", registry::SiteKind::kUnloading, "铁东区",
         R"({"type":"Polygon","coordinates":[[[122.945,41.095],[122.955,41.095],[122.955,41.105],[122.945,41.105],[122.945,41.095]]]})"}};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Site>(sites), now_));
    ASSERT_TRUE(registry::MigrateMapLayers(*database_));
    auto boundary = nlohmann::ordered_json::parse(R"({"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"layer":"boundary","name":"测试城区"},
       "geometry":{"type":"Polygon","coordinates":[[[122.9,41.0],[123.1,41.0],[123.1,41.2],
                                                     [122.9,41.2],[122.9,41.0]]]}}]})");
    ASSERT_TRUE(registry::PutMapLayer(*database_, "boundary", boundary));
  }

  void IssuePasses() {
    for (size_t i = 0; i < groups_.size(); ++i) {
      if (groups_[i].permit == Permit::kNone)
        continue;
      pass::PassApplication application;
      application.plate = sim::TerminalPlate(i);
      application.plate_color = registry::PlateColor::kYellow;
      application.carrier_credit_code = CreditCode(1);
      application.driver_id_numbers = {IdNumber(1)};
      application.origin = "沈阳";
      application.destination_site_codes = {"S1"};
      application.applicant = "test";
      application.applicant_role = "transport";
      int64_t decided_at = now_;
      if (groups_[i].permit == Permit::kStanding) {
        application.kind = pass::PassKind::kStanding;
        application.entry_from_ms = now_ - kHour;
        application.entry_until_ms = now_ + 24 * kHour;
        application.planned_exit_ms = application.entry_until_ms;
      } else {
        application.kind = pass::PassKind::kTrip;
        application.cargo =
            pass::Cargo{"生活物资", "蔬菜", 8000, false, std::nullopt, std::nullopt};
        application.route_id = "R1";
        if (groups_[i].permit == Permit::kTripOnRoute) {
          application.entry_from_ms = now_ - kHour;
          application.entry_until_ms = now_ + 4 * kHour;
          application.planned_exit_ms = now_ + 8 * kHour;
        } else {
          // Applied for and approved yesterday; it should have left an hour ago.
          decided_at = now_ - 26 * kHour;
          application.entry_from_ms = now_ - 25 * kHour;
          application.entry_until_ms = now_ - 20 * kHour;
          application.planned_exit_ms = now_ - kHour;
        }
      }
      auto created = passes_->Create(application, decided_at);
      ASSERT_TRUE(created) << groups_[i].name << ": " << created.error().Message();
      ASSERT_EQ(created->status, pass::PassStatus::kApproved)
          << groups_[i].name << ": " << pass::ApplicationJson(*created, now_).dump();
    }
  }

  std::string ScenarioToml() const {
    std::string toml(kRoutes);
    for (const auto& group : groups_) {
      toml += "\n[[group]]\nname = \"" + group.name + "\"\ncount = 1\ninterval_s = 1\n";
      toml += group.toml;
    }
    return toml;
  }

  int64_t now_ = 0;
  std::vector<Group> groups_;
  std::vector<registry::Terminal> terminals_;
  std::unique_ptr<pass::PassStore> passes_;
  std::unique_ptr<Monitoring> monitoring_;
  std::unique_ptr<store::SqliteStore> positions_;
  gateway::Metrics metrics_;
  std::unique_ptr<gateway::Gateway> gateway_;
};

TEST_F(MonitoringScenarioTest, EachRuleFiresInItsScenarioAndNowhereElse) {
  auto scenario = sim::ParseScenario(ScenarioToml(), "monitoring_scenario");
  ASSERT_TRUE(scenario) << scenario.error();
  std::atomic<int64_t> pushed{0};
  auto subscription = monitoring_->alarms().Subscribe([&pushed](const alarm::AlarmUpdate& update) {
    if (update.created)
      ++pushed;
  });

  sim::SimOptions options;
  options.server_port = gateway_->port();
  options.terminals = groups_.size();
  options.seconds = 16;
  options.rate = 1;
  auto stats = sim::RunSimulation(options, *scenario);
  ASSERT_TRUE(stats) << stats.error().Message();
  EXPECT_EQ(stats->positions_unacked, 0u);
  const int64_t ended_ms = NowMs();
  monitoring_->monitor().Flush();
  monitoring_->alarms().Flush();

  alarm::AlarmQuery query;
  query.limit = alarm::kMaxAlarmListLimit;
  auto page = monitoring_->alarms().List(query, NowMs());
  ASSERT_TRUE(page) << page.error().Message();
  std::map<std::string, std::set<std::string>> raised;  // plate -> kinds
  for (const auto& item : page->items) {
    ASSERT_LT(item.first_at_ms, ended_ms + 1000);
    raised[item.plate].insert(std::string(monitor::AlarmKindId(item.kind)));
  }
  for (size_t i = 0; i < groups_.size(); ++i) {
    std::set<std::string> kinds = raised[sim::TerminalPlate(i)];
    EXPECT_EQ(kinds, groups_[i].expected) << "group " << groups_[i].name;
  }
  // Raised alarms reached the subscriber, as they reach the dashboard.
  EXPECT_EQ(pushed.load(), page->total);

  // The emergency button was released and the detour ended: those alarms stay open for a
  // person to close, but their condition has cleared.
  for (const auto& item : page->items) {
    if (item.kind == monitor::AlarmKind::kTerminalAlarm ||
        item.kind == monitor::AlarmKind::kOffRoute) {
      EXPECT_FALSE(item.active) << item.plate << " " << monitor::AlarmKindId(item.kind);
    }
  }

  // Signal lost: once the simulator has stopped, every vehicle in the city goes quiet. None was
  // raised while they reported (checked above); now each raises one within the threshold.
  const int64_t deadline = NowMs() + 8000;
  int64_t lost = 0;
  while (NowMs() < deadline) {
    monitoring_->alarms().Flush();
    alarm::AlarmQuery signal;
    signal.kind = monitor::AlarmKind::kSignalLost;
    auto lost_page = monitoring_->alarms().List(signal, NowMs());
    ASSERT_TRUE(lost_page);
    lost = lost_page->total;
    if (lost == static_cast<int64_t>(groups_.size()))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(lost, static_cast<int64_t>(groups_.size()));

  // The driver who left the route was told so on the terminal (0x8300, by the default policy),
  // and the terminal's answer is on the alarm.
  alarm::AlarmQuery off_route;
  off_route.kind = monitor::AlarmKind::kOffRoute;
  auto off_route_page = monitoring_->alarms().List(off_route, NowMs());
  ASSERT_TRUE(off_route_page);
  ASSERT_EQ(off_route_page->total, 1);
  EXPECT_EQ(off_route_page->items[0].text_status, "delivered");
  monitoring_->alarms().Unsubscribe(subscription);
}

}  // namespace
}  // namespace baotong::app
