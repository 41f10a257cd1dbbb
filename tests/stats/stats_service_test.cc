// The statistics over hand-made records: passages decided by the real checkpoint service, passes
// stored by the real pass store, alarms raised and closed through the real alarm service, all
// in one registry database. Every figure is checked against values worked out by hand.
#include "stats/stats_service.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "alarm/alarm_service.h"
#include "checkpoint/checkpoint_service.h"
#include "common/gbk.h"
#include "pass/pass_store.h"
#include "registry/credentials.h"
#include "registry/registry_fixture.h"
#include "stats/periods.h"
#include "stats/stats_json.h"

namespace baotong::stats {
namespace {

using registry::testing::CreditCode;
using registry::testing::IdNumber;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;

// UTC ms of hh:mm China time on `date`.
int64_t China(const char* date, int hour, int minute = 0) {
  return registry::ChinaMidnightMs(date) + hour * kHour + minute * kMinute;
}

// The gate asks for passes by plate; these are the ones the test stored in the pass store.
class Passes final : public checkpoint::PassDirectory {
 public:
  void Add(checkpoint::PassInForce pass) { by_plate_[pass.plate] = std::move(pass); }
  checkpoint::PassLookup Find(std::string_view plate, std::optional<int>,
                              int64_t at_ms) const override {
    checkpoint::PassLookup lookup;
    auto found = by_plate_.find(std::string(plate));
    if (found == by_plate_.end())
      return lookup;
    if (at_ms > found->second.valid_until_ms)
      lookup.has_expired = true;
    else if (at_ms < found->second.valid_from_ms)
      lookup.has_upcoming = true;
    else
      lookup.in_force = found->second;
    return lookup;
  }
  tl::expected<checkpoint::TokenClaims, std::string> VerifyToken(std::string_view,
                                                                 int64_t) const override {
    return tl::unexpected(std::string("bad_format"));
  }

 private:
  std::map<std::string, checkpoint::PassInForce> by_plate_;
};

class Registered final : public checkpoint::VehicleDirectory {
 public:
  Result<bool> IsRegistered(std::string_view) const override { return true; }
};

constexpr const char* kPlateA = "辽C10001";  // heavy truck, trip pass: 生活物资 8 t
constexpr const char* kPlateB = "辽C10002";  // truck, trip pass: 医疗物资 2 t
constexpr const char* kPlateC = "辽C10003";  // heavy truck, no pass

class StatsServiceTest : public registry::testing::RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    std::vector<registry::Carrier> carriers = {
        {CreditCode(1), "鞍山运输", "铁东区", std::nullopt, "许可1", "2030-01-01", std::nullopt}};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Carrier>(carriers), 1));
    std::vector<registry::Vehicle> vehicles;
    for (auto [plate, vehicle_class] : {std::pair{kPlateA, registry::VehicleClass::kHeavyTruck},
                                        std::pair{kPlateB, registry::VehicleClass::kTruck},
                                        std::pair{kPlateC, registry::VehicleClass::kHeavyTruck}}) {
      registry::Vehicle vehicle;
      vehicle.plate = plate;
      vehicle.plate_color = registry::PlateColor::kYellow;
      vehicle.vehicle_class = vehicle_class;
      vehicle.carrier_credit_code = CreditCode(1);
      vehicle.transport_cert_valid_until = "2030-01-01";
      vehicle.insurance_valid_until = "2030-01-01";
      vehicles.push_back(vehicle);
    }
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Vehicle>(vehicles), 1));
    std::vector<registry::Driver> drivers;
    for (int n : {1, 2}) {
      registry::Driver driver;
      driver.id_number = IdNumber(n);
      driver.name = n == 1 ? "张三" : "李四";
      driver.licence_class = "A2";
      driver.licence_valid_until = "2030-01-01";
      driver.qualification_category = "道路货物运输驾驶员";
      driver.qualification_valid_until = "2030-01-01";
      driver.carrier_credit_code = CreditCode(1);
      drivers.push_back(driver);
    }
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Driver>(drivers), 1));
    std::vector<registry::Site> sites = {
        {"S1", "鞍山农产品批发市场", registry::SiteKind::kUnloading, "铁东区",
         R"({"type":"Point","coordinates":[122.99,41.11]})"},
        {"S2", "鞍山医药仓库", registry::SiteKind::kUnloading, "铁东区",
         R"({"type":"Point","coordinates":[122.98,41.12]})"}};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Site>(sites), 1));

    pass::PassRules rules;
    rules.health_required = false;
    rules.max_window_hours = 8760;
    auto key = pass::SigningKey::LoadOrCreate(dir_ / "pass-signing.key");
    ASSERT_TRUE(key);
    auto passes =
        pass::PassStore::Open(dir_ / "registry.db", rules, std::move(*key), China("2026-10-01", 0));
    ASSERT_TRUE(passes) << passes.error().Message();
    pass_store_ = std::move(*passes);
    std::vector<pass::PublishedRoute> routes = {
        {"R1", "绕城货运通道", R"({"type":"LineString","coordinates":[[122.9,41.1],[123,41.2]]})",
         false}};
    ASSERT_TRUE(pass_store_->UpsertRoutes(routes, China("2026-10-01", 0)));

    checkpoint::ServiceOptions options;
    options.durable_wait = std::chrono::hours(1);  // decisions return once durable
    auto checkpoints =
        checkpoint::CheckpointService::Open(dir_ / "registry.db", gate_passes_, vehicles_, options);
    ASSERT_TRUE(checkpoints) << checkpoints.error().Message();
    checkpoints_ = std::move(*checkpoints);
    ASSERT_TRUE(checkpoints_->AddCheckpoint(
        {"KK-IN", "入城卡口", 41.1, 122.99, checkpoint::Direction::kIn, 0}));
    ASSERT_TRUE(checkpoints_->AddCheckpoint(
        {"KK-OUT", "出城卡口", 41.1, 122.98, checkpoint::Direction::kOut, 0}));

    auto alarms = alarm::AlarmService::Open(dir_ / "registry.db", alarm::DefaultAlarmPolicy());
    ASSERT_TRUE(alarms) << alarms.error().Message();
    alarms_ = std::move(*alarms);

    auto stats = StatsService::Open(dir_ / "registry.db");
    ASSERT_TRUE(stats) << stats.error().Message();
    stats_ = std::move(*stats);
  }

  void TearDown() override {
    stats_.reset();
    alarms_.reset();
    checkpoints_.reset();
    pass_store_.reset();
    RegistryTest::TearDown();
  }

  // An approved trip pass, stored in the pass store and known to the gate.
  int64_t TripPass(const char* plate, int driver, const char* category, double weight_kg,
                   const char* origin, std::vector<std::string> sites, int64_t from_ms,
                   int64_t until_ms) {
    pass::PassApplication application;
    application.plate = plate;
    application.plate_color = registry::PlateColor::kYellow;
    application.carrier_credit_code = CreditCode(1);
    application.driver_id_numbers = {IdNumber(driver)};
    application.cargo = pass::Cargo{category, "货物", weight_kg, false, std::nullopt, std::nullopt};
    application.origin = origin;
    application.destination_site_codes = std::move(sites);
    application.route_id = "R1";
    application.entry_from_ms = from_ms;
    application.entry_until_ms = until_ms;
    application.planned_exit_ms = until_ms;
    application.applicant = "carrier1";
    application.applicant_role = "carrier";
    auto created = pass_store_->Create(application, from_ms - kHour);
    EXPECT_TRUE(created) << created.error().Message();
    if (!created)
      return 0;
    EXPECT_EQ(created->status, pass::PassStatus::kApproved)
        << pass::ApplicationJson(*created, from_ms).dump();
    gate_passes_.Add({created->id, "trip", plate, 2, from_ms, until_ms, until_ms});
    return created->id;
  }

  checkpoint::Passage Pass(const char* checkpoint_id, const char* plate, int64_t at_ms) {
    auto passage =
        checkpoints_->Decide(checkpoint::PlateRead{checkpoint_id, plate, 2, at_ms, std::nullopt});
    EXPECT_TRUE(passage) << passage.error().Message();
    return passage.value_or(checkpoint::Passage{});
  }

  monitor::AlarmSignal Signal(monitor::AlarmKind kind, const char* plate, int64_t at_ms,
                              std::optional<int64_t> pass_id) {
    monitor::AlarmSignal signal;
    signal.kind = kind;
    signal.terminal = std::string("0139000") + (plate + std::string(plate).size() - 5);
    signal.plate = plate;
    signal.plate_color = 2;
    signal.at_ms = at_ms;
    signal.lat = 41.1;
    signal.lon = 122.99;
    signal.detail = "测试";
    signal.district = "铁东区";
    signal.pass_id = pass_id;
    return signal;
  }

  int64_t RaiseAlarm(monitor::AlarmKind kind, const char* plate, int64_t at_ms,
                     std::optional<int64_t> pass_id) {
    std::vector<monitor::AlarmSignal> signals = {Signal(kind, plate, at_ms, pass_id)};
    alarms_->OnSignals(signals);
    alarms_->Flush();
    alarm::AlarmQuery query;
    query.limit = 1;
    auto page = alarms_->List(query, at_ms);
    EXPECT_TRUE(page && !page->items.empty());
    return page && !page->items.empty() ? page->items[0].id : 0;
  }

  // The scenario of the freight tests (China time, range 2026-10-28 .. 2026-11-03):
  //   10-27 10:00 B enters (before the range: inside at its start)
  //   10-28 23:59 A enters (pass P1's first entry: 8 t, to S1 and S2)
  //   10-29 00:01 C turned back (no pass); B exits (dwell 38 h 1 min)
  //   10-29 10:00 off_route alarm of A (closed after 30 min); 11:00 overspeed of C (open)
  //   10-31 11:59 A exits (dwell 60 h)
  //   11-02 08:00 A enters again on P1 (no second tonnage); 09:00 off_route of B (closed
  //         after 90 min)
  //   11-03 09:00 C turned back, then released by an operator's override
  //   11-04 00:00:30 A exits (after the range)
  void BuildScenario() {
    pass_a_ = TripPass(kPlateA, 1, "生活物资", 8000, "沈阳市", {"S1", "S2"},
                       China("2026-10-28", 20), China("2026-11-04", 12));
    pass_b_ = TripPass(kPlateB, 2, "医疗物资", 2000, "大连市", {"S2"}, China("2026-10-27", 8),
                       China("2026-10-30", 0));
    EXPECT_TRUE(Pass("KK-IN", kPlateB, China("2026-10-27", 10)).verdict ==
                checkpoint::Verdict::kRelease);
    EXPECT_TRUE(Pass("KK-IN", kPlateA, China("2026-10-28", 23, 59)).verdict ==
                checkpoint::Verdict::kRelease);
    EXPECT_TRUE(Pass("KK-IN", kPlateC, China("2026-10-29", 0, 1)).verdict ==
                checkpoint::Verdict::kTurnBack);
    Pass("KK-OUT", kPlateB, China("2026-10-29", 0, 1));
    Pass("KK-OUT", kPlateA, China("2026-10-31", 11, 59));
    EXPECT_TRUE(Pass("KK-IN", kPlateA, China("2026-11-02", 8)).verdict ==
                checkpoint::Verdict::kRelease);
    auto turned_back = Pass("KK-IN", kPlateC, China("2026-11-03", 9));
    ASSERT_TRUE(turned_back.verdict == checkpoint::Verdict::kTurnBack);
    auto overridden =
        checkpoints_->ApplyOverride({turned_back.id, checkpoint::Verdict::kRelease, "现场核验放行",
                                     "operator1", China("2026-11-03", 9, 20)});
    ASSERT_TRUE(overridden) << overridden.error().Message();
    Pass("KK-OUT", kPlateA, China("2026-11-04", 0, 0) + 30'000);

    const int64_t first =
        RaiseAlarm(monitor::AlarmKind::kOffRoute, kPlateA, China("2026-10-29", 10), pass_a_);
    ASSERT_TRUE(alarms_->Close(first, "王五", "已纠正", China("2026-10-29", 10, 30)));
    RaiseAlarm(monitor::AlarmKind::kOverspeed, kPlateC, China("2026-10-29", 11), std::nullopt);
    const int64_t third =
        RaiseAlarm(monitor::AlarmKind::kOffRoute, kPlateB, China("2026-11-02", 9), std::nullopt);
    ASSERT_TRUE(alarms_->Close(third, "王五", "已纠正", China("2026-11-02", 10, 30)));
  }

  FreightReport Report(const char* from, const char* to, Granularity by = Granularity::kDay,
                       std::optional<registry::VehicleClass> vehicle_class = std::nullopt,
                       std::optional<std::string> cargo = std::nullopt) {
    FreightQuery query;
    query.from_day = *ParseDay(from);
    query.to_day = *ParseDay(to);
    query.by = by;
    query.vehicle_class = vehicle_class;
    query.cargo_category = std::move(cargo);
    auto report = stats_->Freight(query);
    EXPECT_TRUE(report) << report.error().Message();
    return report.value_or(FreightReport{});
  }

  static std::vector<double> Values(const FreightReport& report, const std::string& id) {
    for (const Series& series : report.series) {
      if (series.id != id)
        continue;
      std::vector<double> values;
      for (const auto& value : series.values)
        values.push_back(value.value_or(-1));  // -1: null
      return values;
    }
    ADD_FAILURE() << "no series " << id;
    return {};
  }

  Passes gate_passes_;
  Registered vehicles_;
  std::unique_ptr<pass::PassStore> pass_store_;
  std::unique_ptr<checkpoint::CheckpointService> checkpoints_;
  std::unique_ptr<alarm::AlarmService> alarms_;
  std::unique_ptr<StatsService> stats_;
  int64_t pass_a_ = 0, pass_b_ = 0;
};

using V = std::vector<double>;

TEST(PeriodsTest, ChinaDaysWeeksAndMonths) {
  // 23:59 and 00:01 China time are different days though the same UTC day.
  EXPECT_EQ(DayLabel(ChinaDay(China("2026-10-28", 23, 59))), "2026-10-28");
  EXPECT_EQ(DayLabel(ChinaDay(China("2026-10-29", 0, 1))), "2026-10-29");
  EXPECT_EQ(DayStartMs(*ParseDay("2026-10-29")), registry::ChinaMidnightMs("2026-10-29"));
  EXPECT_EQ(DayLabel(WeekStart(*ParseDay("2026-11-01"))), "2026-10-26");  // Sunday
  EXPECT_EQ(DayLabel(WeekStart(*ParseDay("2026-11-02"))), "2026-11-02");  // Monday
  EXPECT_EQ(MonthLabel(MonthOfDay(*ParseDay("2026-12-31"))), "2026-12");
  EXPECT_EQ(DayLabel(FirstDayOfMonth(*ParseMonth("2027-01"))), "2027-01-01");
  EXPECT_FALSE(ParseDay("2026-02-29"));
  EXPECT_TRUE(ParseDay("2028-02-29"));
  EXPECT_FALSE(ParseDay("2026-1-01"));
  EXPECT_FALSE(ParseMonth("2026-13"));
}

TEST(PeriodsTest, PercentilesAndPearson) {
  std::vector<double> values = {60, 38, 10, 20};
  EXPECT_DOUBLE_EQ(*Percentile(values, 50), 29);              // (20 + 38) / 2
  EXPECT_NEAR(*Percentile(values, 90), 38 + 0.7 * 22, 1e-9);  // rank 2.7
  std::vector<double> none;
  EXPECT_FALSE(Percentile(none, 50));
  // r = 6 / sqrt(10 * 6), worked by hand.
  const std::vector<double> x = {1, 2, 3, 4, 5}, y = {2, 4, 5, 4, 5};
  EXPECT_NEAR(*PearsonR(x, y), 6 / std::sqrt(60.0), 1e-12);
  const std::vector<double> flat = {3, 3, 3, 3, 3};
  EXPECT_FALSE(PearsonR(x, flat));
}

TEST(IndicatorCsvTest, RejectionsQuoteLongCellsWithoutBreakingACharacter) {
  // 30 Chinese characters (90 bytes): a byte cut at 40 would split the 14th.
  std::string period;
  for (int i = 0; i < 30; ++i)
    period += "期";
  auto parsed =
      ParseIndicatorCsv("指标,期间,数值\n工业增加值," + period + ",1.5\n零售额,2026-03,2\n");
  ASSERT_TRUE(parsed) << parsed.error().Message();
  ASSERT_EQ(parsed->rows.size(), 1u);
  EXPECT_EQ(parsed->rows[0].period, "2026-03");
  ASSERT_EQ(parsed->rejected.size(), 1u);
  EXPECT_EQ(parsed->rejected[0].row, 2);
  EXPECT_NO_THROW((void)nlohmann::json(parsed->rejected[0].reason).dump());
  EXPECT_NE(parsed->rejected[0].reason.find("期期期期期期期期期期期期期"), std::string::npos);
}

TEST_F(StatsServiceTest, DailyFiguresMatchTheScenario) {
  BuildScenario();
  FreightReport report = Report("2026-10-28", "2026-11-03");
  EXPECT_EQ(report.periods,
            (std::vector<std::string>{"2026-10-28", "2026-10-29", "2026-10-30", "2026-10-31",
                                      "2026-11-01", "2026-11-02", "2026-11-03"}));
  EXPECT_EQ(Values(report, "entries"), (V{1, 0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(Values(report, "exits"), (V{0, 1, 0, 1, 0, 0, 0}));
  EXPECT_EQ(Values(report, "in_city"), (V{2, 1, 1, 0, 0, 1, 2}));
  EXPECT_EQ(Values(report, "tonnage"), (V{8, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(Values(report, "alarms"), (V{0, 2, 0, 0, 0, 1, 0}));
  const double dwell_b = 38 + 1.0 / 60, dwell_a = 60;
  auto dwell = Values(report, "dwell_median_h");
  ASSERT_EQ(dwell.size(), 7u);
  EXPECT_EQ(dwell[0], -1);
  EXPECT_NEAR(dwell[1], dwell_b, 1e-9);
  EXPECT_NEAR(dwell[3], dwell_a, 1e-9);

  ASSERT_EQ(report.by_checkpoint.size(), 2u);
  EXPECT_EQ(report.by_checkpoint[0].checkpoint_id, "KK-IN");
  EXPECT_EQ(report.by_checkpoint[0].name, "入城卡口");
  EXPECT_EQ(report.by_checkpoint[0].entries, (std::vector<int64_t>{1, 0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(report.by_checkpoint[1].exits, (std::vector<int64_t>{0, 1, 0, 1, 0, 0, 0}));

  ASSERT_EQ(report.tonnage_by_cargo.size(), 1u);
  EXPECT_EQ(report.tonnage_by_cargo[0].category, "生活物资");
  EXPECT_EQ(report.tonnage_by_cargo[0].values, (V{8, 0, 0, 0, 0, 0, 0}));
  // One trip to two sites: a trip to each, the tonnage shared.
  ASSERT_EQ(report.od_flows.size(), 2u);
  EXPECT_EQ(report.od_flows[0].origin, "沈阳市");
  EXPECT_EQ(report.od_flows[0].destination, "S1");
  EXPECT_EQ(report.od_flows[0].destination_name, "鞍山农产品批发市场");
  EXPECT_EQ(report.od_flows[0].trips, 1);
  EXPECT_DOUBLE_EQ(report.od_flows[0].tonnage_t, 4);
  EXPECT_EQ(report.od_flows[1].destination, "S2");

  EXPECT_EQ(report.dwell.count, 2);
  EXPECT_NEAR(*report.dwell.median_h, (dwell_a + dwell_b) / 2, 1e-9);
  EXPECT_NEAR(*report.dwell.p90_h, dwell_b + 0.9 * (dwell_a - dwell_b), 1e-9);
  ASSERT_EQ(report.dwell.histogram.size(), 6u);
  EXPECT_EQ(report.dwell.histogram[4].label, "1-3天");
  EXPECT_EQ(report.dwell.histogram[4].count, 2);

  ASSERT_EQ(report.alarms_by_kind.size(), 2u);
  const AlarmKindSummary& off_route = report.alarms_by_kind[0];
  EXPECT_EQ(off_route.kind, "off_route");
  EXPECT_EQ(off_route.name, "偏离路线");
  EXPECT_EQ(off_route.count, 2);
  EXPECT_EQ(off_route.closed, 2);
  EXPECT_NEAR(*off_route.median_close_min, 60, 1e-9);  // 30 and 90 minutes
  EXPECT_NEAR(*off_route.p90_close_min, 30 + 0.9 * 60, 1e-9);
  EXPECT_EQ(report.alarms_by_kind[1].kind, "overspeed");
  EXPECT_EQ(report.alarms_by_kind[1].closed, 0);
  EXPECT_FALSE(report.alarms_by_kind[1].median_close_min);

  EXPECT_EQ(report.cargo_categories, (std::vector<std::string>{"医疗物资", "生活物资"}));
}

TEST_F(StatsServiceTest, WeeksStartOnMondayAcrossTheMonthEnd) {
  BuildScenario();
  FreightReport report = Report("2026-10-28", "2026-11-03", Granularity::kWeek);
  EXPECT_EQ(report.periods, (std::vector<std::string>{"2026-10-26", "2026-11-02"}));
  EXPECT_EQ(Values(report, "entries"), (V{1, 2}));
  EXPECT_EQ(Values(report, "exits"), (V{2, 0}));
  EXPECT_EQ(Values(report, "in_city"), (V{0, 2}));  // at Sunday 11-01's end, at the range's end
  EXPECT_EQ(Values(report, "tonnage"), (V{8, 0}));
  EXPECT_EQ(Values(report, "alarms"), (V{2, 1}));
  auto dwell = Values(report, "dwell_median_h");
  EXPECT_NEAR(dwell[0], (60 + 38 + 1.0 / 60) / 2, 1e-9);
  EXPECT_EQ(dwell[1], -1);
}

TEST_F(StatsServiceTest, FiltersByVehicleClassAndCargo) {
  BuildScenario();
  FreightReport heavy =
      Report("2026-10-28", "2026-11-03", Granularity::kDay, registry::VehicleClass::kHeavyTruck);
  EXPECT_EQ(Values(heavy, "entries"), (V{1, 0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(Values(heavy, "exits"), (V{0, 0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(Values(heavy, "in_city"), (V{1, 1, 1, 0, 0, 1, 2}));
  EXPECT_EQ(Values(heavy, "alarms"), (V{0, 2, 0, 0, 0, 0, 0}));

  FreightReport food =
      Report("2026-10-28", "2026-11-03", Granularity::kDay, std::nullopt, "生活物资");
  EXPECT_EQ(Values(food, "entries"), (V{1, 0, 0, 0, 0, 1, 0}));
  EXPECT_EQ(Values(food, "exits"), (V{0, 0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(Values(food, "in_city"), (V{1, 1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(Values(food, "tonnage"), (V{8, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(Values(food, "alarms"), (V{0, 1, 0, 0, 0, 0, 0}));  // the alarm under pass P1

  FreightReport medical =
      Report("2026-10-28", "2026-11-03", Granularity::kDay, std::nullopt, "医疗物资");
  EXPECT_EQ(Values(medical, "in_city"), (V{1, 0, 0, 0, 0, 0, 0}));  // B, inside since 10-27
  EXPECT_EQ(Values(medical, "tonnage"), (V{0, 0, 0, 0, 0, 0, 0}));  // P2 entered before
}

TEST_F(StatsServiceTest, AnEmptyRangeHasZerosAndNoMedians) {
  BuildScenario();
  FreightReport report = Report("2026-01-01", "2026-01-03");
  EXPECT_EQ(Values(report, "entries"), (V{0, 0, 0}));
  EXPECT_EQ(Values(report, "in_city"), (V{0, 0, 0}));
  EXPECT_EQ(Values(report, "dwell_median_h"), (V{-1, -1, -1}));
  EXPECT_EQ(report.dwell.count, 0);
  EXPECT_FALSE(report.dwell.median_h);
  EXPECT_TRUE(report.od_flows.empty());
  EXPECT_TRUE(report.alarms_by_kind.empty());
  // A later range starts from the state before it: C is inside, A left on 11-04.
  FreightReport later = Report("2026-11-05", "2026-11-05");
  EXPECT_EQ(Values(later, "in_city"), (V{1}));
  auto json = FreightJson(later);
  EXPECT_EQ(json["series"][4]["values"][0], nullptr);
  EXPECT_EQ(json["filters"]["classes"].size(), 5u);
}

TEST_F(StatsServiceTest, TheOverviewCountsTodayByHour) {
  BuildScenario();
  // 2026-11-03 09:30 China time: C's released override at 09:00 is today's only entry.
  auto overview = stats_->TodayOverview(China("2026-11-03", 9, 30));
  ASSERT_TRUE(overview) << overview.error().Message();
  EXPECT_EQ(overview->in_city_now, 2);  // A and C
  EXPECT_EQ(overview->entered_today, 1);
  EXPECT_EQ(overview->exited_today, 0);
  ASSERT_EQ(overview->hourly_entries.size(), 10u);  // hours 0..9
  EXPECT_EQ(overview->hourly_entries[9], 1);
  int64_t open = 0;
  for (int64_t count : overview->open_alarms)
    open += count;
  EXPECT_EQ(open, 1);  // the overspeed alarm

  auto next_day = stats_->TodayOverview(China("2026-11-04", 0, 10));
  ASSERT_TRUE(next_day);
  EXPECT_EQ(next_day->exited_today, 1);  // A at 00:00:30
  EXPECT_EQ(next_day->hourly_exits, (std::vector<int64_t>{1}));
  EXPECT_EQ(next_day->in_city_now, 1);
}

TEST_F(StatsServiceTest, FreightQueryParametersAreChecked) {
  const int64_t now = China("2026-11-26", 10);
  auto defaults = ParseFreightQuery({}, now);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(DayLabel(defaults->to_day), "2026-11-26");
  EXPECT_EQ(DayLabel(defaults->from_day), "2026-10-28");
  EXPECT_EQ(defaults->by, Granularity::kDay);
  FreightParams params;
  params.from = "2026-11-02";
  params.to = "2026-11-01";
  EXPECT_EQ(ParseFreightQuery(params, now).error().code, "to");
  params.from = "2025-01-01";
  params.to = "2026-01-01";  // 366 days
  EXPECT_TRUE(ParseFreightQuery(params, now));
  params.to = "2026-01-02";
  EXPECT_EQ(ParseFreightQuery(params, now).error().code, "to");
  params = {};
  params.by = "month";
  EXPECT_EQ(ParseFreightQuery(params, now).error().code, "by");
  params = {};
  params.vehicle_class = "bicycle";
  EXPECT_EQ(ParseFreightQuery(params, now).error().code, "class");
  params.vehicle_class = "heavy_truck";
  EXPECT_TRUE(ParseFreightQuery(params, now));
  params = {};
  params.from = "2026-13-01";
  EXPECT_EQ(ParseFreightQuery(params, now).error().code, "from");
}

TEST_F(StatsServiceTest, IndicatorsImportWithRejectsAndReplacement) {
  const std::string csv =
      "\xEF\xBB\xBF指标,期间,数值,单位\n"
      "社会消费品零售总额,2026-01,\"1,234.5\",亿元\n"
      "社会消费品零售总额,2026-13,10,亿元\n"
      "社会消费品零售总额,2026-02,abc,亿元\n"
      "社会消费品零售总额,2026-03\n"
      ",2026-03,5,亿元\n"
      "\n"
      "工业用电量,2026-02-15,88,亿千瓦时\n";
  auto imported = stats_->ImportIndicators(csv, "admin_user", 1000);
  ASSERT_TRUE(imported) << imported.error().Message();
  EXPECT_EQ(imported->imported, 2);
  EXPECT_EQ(imported->replaced, 0);
  ASSERT_EQ(imported->rejected.size(), 4u);
  EXPECT_EQ(imported->rejected[0].row, 3);
  EXPECT_NE(imported->rejected[0].reason.find("期间"), std::string::npos);
  EXPECT_EQ(imported->rejected[1].row, 4);
  EXPECT_NE(imported->rejected[1].reason.find("不是数字"), std::string::npos);
  EXPECT_EQ(imported->rejected[2].row, 5);
  EXPECT_EQ(imported->rejected[2].reason, "数值为空");
  EXPECT_EQ(imported->rejected[3].row, 6);

  // English headers in another order, in GBK; the same (indicator, period) replaces.
  std::vector<uint8_t> gbk;
  ASSERT_TRUE(AppendUtf8AsGbk("value,indicator,period\n1300,社会消费品零售总额,2026-01\n", gbk));
  auto again = stats_->ImportIndicators(std::string(gbk.begin(), gbk.end()), "admin_user", 2000);
  ASSERT_TRUE(again) << again.error().Message();
  EXPECT_EQ(again->imported, 1);
  EXPECT_EQ(again->replaced, 1);
  EXPECT_TRUE(again->rejected.empty());

  auto indicators = stats_->Indicators();
  ASSERT_TRUE(indicators);
  ASSERT_EQ(indicators->size(), 2u);
  const Indicator& retail =
      (*indicators)[1].name == "社会消费品零售总额" ? (*indicators)[1] : (*indicators)[0];
  EXPECT_EQ(retail.periods, (std::vector<std::string>{"2026-01"}));
  EXPECT_EQ(retail.values, (std::vector<double>{1300}));
  EXPECT_EQ(retail.unit, "");  // the re-import gave none

  // A header without a value column: nothing is imported.
  auto missing = stats_->ImportIndicators("指标,期间\n社会消费品零售总额,2026-04\n", "a", 3000);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->imported, 0);
  ASSERT_EQ(missing->rejected.size(), 1u);
  EXPECT_EQ(missing->rejected[0].row, 1);
  EXPECT_NE(missing->rejected[0].reason.find("数值"), std::string::npos);
  EXPECT_FALSE(stats_->ImportIndicators("\xFF\xFF\xFF", "a", 4000));
}

TEST_F(StatsServiceTest, CorrelationFindsTheLagByWhichFreightLeads) {
  // One vehicle on a standing pass for the year enters and leaves f[m] times in month m of
  // 2025; the indicator two months later is 2 f + 5.
  gate_passes_.Add(
      {99, "standing", kPlateA, 2, China("2025-01-01", 0), China("2026-12-31", 0), std::nullopt});
  const std::vector<int> f = {3, 7, 2, 9, 4, 8, 1, 6, 5, 10, 2, 7};
  std::string csv = "indicator,period,value,unit\n";
  for (int m = 0; m < 12; ++m) {
    char date[16];
    std::snprintf(date, sizeof date, "2025-%02d-03", m + 1);
    for (int trip = 0; trip < f[m]; ++trip) {
      Pass("KK-IN", kPlateA, China(date, trip * 2));
      Pass("KK-OUT", kPlateA, China(date, trip * 2 + 1));
    }
    csv += "工业增加值," + MonthLabel(*ParseMonth("2025-03") + m) + "," +
           std::to_string(2 * f[m] + 5) + ",亿元\n";
  }
  ASSERT_TRUE(stats_->ImportIndicators(csv, "admin_user", 0));
  CorrelationQuery query;
  query.indicator = "工业增加值";
  query.series = FreightSeries::kEntries;
  auto result = stats_->Correlate(query, China("2026-03-15", 12));
  ASSERT_TRUE(result) << result.error().Message();
  ASSERT_TRUE(*result);
  const Correlation& correlation = **result;
  EXPECT_EQ(correlation.periods.front(), "2025-03");
  EXPECT_EQ(correlation.periods.back(), "2026-02");
  EXPECT_EQ(correlation.freight_values.front(), 2);  // March 2025
  EXPECT_EQ(correlation.freight_values.back(), 0);   // February 2026: known, nothing
  ASSERT_EQ(correlation.lags.size(), 7u);
  ASSERT_TRUE(correlation.best);
  EXPECT_EQ(correlation.best->lag, 2);
  EXPECT_NEAR(*correlation.best->r, 1, 1e-9);
  EXPECT_EQ(correlation.best->n, 12);
  EXPECT_EQ(correlation.reading, "货运领先该指标 2 个月（r=1.00）");
  // Lag -3: indicator at t - 3 against freight at t: freight months 2025-06 .. 2026-03
  // (2026-03 is the current month), n = 10 of the indicator's 12 months.
  EXPECT_EQ(correlation.lags[0].lag, -3);
  EXPECT_EQ(correlation.lags[0].n, 10);

  query.indicator = "没有的指标";
  EXPECT_FALSE(*stats_->Correlate(query, China("2026-03-15", 12)));
}

TEST_F(StatsServiceTest, TooFewMonthsGiveNoCorrelation) {
  Pass("KK-IN", kPlateC, China("2025-01-03", 8));  // turned back: data begin anyway
  ASSERT_TRUE(
      stats_->ImportIndicators("指标,期间,数值\n用电量,2025-01,1\n用电量,2025-02,2\n"
                               "用电量,2025-03,4\n",
                               "admin_user", 0));
  CorrelationQuery query;
  query.indicator = "用电量";
  query.max_lag = 1;
  auto result = stats_->Correlate(query, China("2025-06-01", 0));
  ASSERT_TRUE(result && *result);
  EXPECT_FALSE((*result)->best);
  for (const LagCorrelation& lag : (*result)->lags) {
    EXPECT_LT(lag.n, kMinCorrelationPairs);
    EXPECT_FALSE(lag.r);
  }
  EXPECT_NE((*result)->reading.find("数据不足"), std::string::npos);
}

}  // namespace
}  // namespace baotong::stats
