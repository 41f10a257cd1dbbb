// On a generated demo (`baotong demo` with its history), the demo fleet drives up to the
// checkpoints and the checkpoint service decides each plate read, as the cameras' HTTP API would;
// then the figures the pages show must agree with each other and with where the trucks are:
// 在城车辆 (the checkpoint's in-city set, the overview and today's statistics) equals the trucks
// inside the city outline, 今日入城/出城 equal the releases and exits at the gates, no truck is in
// the city without a pass in force (so the rule engine has no 无证入城 to raise), and the history
// leaves no vehicle in the city and no alarm open.
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "app/checkpoint_command.h"
#include "app/demo_command.h"
#include "common/clock.h"
#include "geo/geometry.h"
#include "registry/credentials.h"
#include "registry/map_layers.h"
#include "sim/demo_fleet.h"
#include "stats/periods.h"
#include "stats/stats_service.h"
#include "store/sqlite/database.h"

namespace baotong::app {
namespace {

namespace fs = std::filesystem;

class DemoFiguresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("baotong-demo-figures-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  int RunDemo(std::vector<std::string> arguments) {
    CLI::App app;
    int exit_code = -1;
    AddDemoCommand(app, exit_code);
    arguments.insert(arguments.begin(), "demo");
    std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
    app.parse(reversed);
    return exit_code;
  }

  fs::path dir_;
};

std::vector<geo::Shape> Outline(store::Database& db) {
  auto layers = registry::MapLayerFeatures(db);
  EXPECT_TRUE(layers);
  std::vector<geo::Shape> outline;
  for (const auto& feature : (*layers)["features"]) {
    if (feature["properties"].value("layer", "") != "boundary")
      continue;
    auto shapes = geo::ShapesFromGeoJson(feature["geometry"].dump(), 0);
    EXPECT_TRUE(shapes);
    for (auto& shape : *shapes)
      outline.push_back(std::move(shape));
  }
  return outline;
}

bool Inside(const std::vector<geo::Shape>& outline, const jt808::LocationReport& report) {
  for (const auto& shape : outline) {
    if (geo::Contains(shape, {report.lat_e6 / 1e6, report.lon_e6 / 1e6}))
      return true;
  }
  return false;
}

double Value(const stats::FreightReport& report, std::string_view series, size_t period) {
  for (const auto& candidate : report.series) {
    if (candidate.id == series)
      return candidate.values.at(period).value_or(-1);
  }
  ADD_FAILURE() << "no series " << series;
  return -1;
}

TEST_F(DemoFiguresTest, InCityEntriesExitsAndAlarmsAgreeWithTheMap) {
  const fs::path data_dir = dir_ / "data";
  ASSERT_EQ(RunDemo({"--data-dir", data_dir.string(), "--seed", "3", "--carriers", "40",
                     "--vehicles", "120", "--terminals", "60", "--drivers", "160",
                     "--health-records", "100", "--history-days", "10", "--indicators",
                     std::string(BAOTONG_SOURCE_DIR) + "/config/demo-indicators.csv"}),
            0);

  // The history closed every stay before now; today's figures so far are its morning.
  stats::Overview history_today;
  {
    auto statistics = stats::StatsService::Open(data_dir / "registry.db");
    ASSERT_TRUE(statistics);
    auto overview = (*statistics)->TodayOverview(NowMs());
    ASSERT_TRUE(overview);
    history_today = *overview;
    EXPECT_EQ(history_today.in_city_now, 0);
  }
  auto services = OpenCheckpointServices(data_dir);
  ASSERT_TRUE(services) << services.error().Message();
  EXPECT_EQ(services->checkpoints->InCityCount(), 0);

  std::ifstream plan_file(data_dir / "demo-fleet.json");
  auto plan = sim::DemoFleetPlanFromJson(nlohmann::ordered_json::parse(plan_file));
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->trucks.size(), 60u);
  sim::DemoFleetOptions options;
  options.first_approach_max_m = 500;
  auto fleet = sim::DemoFleet::Make(std::move(*plan), options);
  ASSERT_TRUE(fleet);

  // Three minutes of the fleet: every truck reaches its gate within the first minute, and the
  // released ones are far from the other end of their routes by the end.
  std::vector<jt808::LocationReport> latest((*fleet)->size());
  std::set<std::string> turned_back;
  int64_t releases = 0;
  for (double t = 0; t <= 180; t += 5) {
    for (size_t i = 0; i < (*fleet)->size(); ++i)
      latest[i] = (*fleet)->ReportAt(i, t);
    for (const auto& request : (*fleet)->TakeRequests()) {
      checkpoint::PlateRead read;
      read.checkpoint_id = request.checkpoint_id;
      read.plate = request.plate;
      read.plate_color = request.plate_color;
      auto passage = services->checkpoints->Decide(read);
      ASSERT_TRUE(passage) << passage.error().Message();
      sim::GateAnswer answer;
      answer.reason_code = passage->reason_code;
      answer.verdict =
          passage->verdict == checkpoint::Verdict::kRelease       ? sim::GateVerdict::kRelease
          : passage->verdict == checkpoint::Verdict::kManualCheck ? sim::GateVerdict::kManualCheck
                                                                  : sim::GateVerdict::kTurnBack;
      (*fleet)->Answer(request.truck, answer);
      if (answer.verdict == sim::GateVerdict::kRelease)
        ++releases;
      else
        turned_back.insert(request.plate);
    }
  }
  const auto counts = (*fleet)->Counts();
  EXPECT_EQ(counts.released + counts.turned_back, 60) << "every truck was read at its gate";
  EXPECT_GT(counts.released, 10) << "most of the fleet holds a pass";
  EXPECT_GT(counts.turned_back, 0) << "some trucks are turned back";
  EXPECT_EQ(counts.exits, 0);

  // Where the trucks are, against the checkpoint's in-city set.
  auto db = store::Database::Open(data_dir / "registry.db");
  ASSERT_TRUE(db);
  const auto outline = Outline(**db);
  ASSERT_FALSE(outline.empty());
  std::set<std::string> inside;
  for (size_t i = 0; i < latest.size(); ++i) {
    if (Inside(outline, latest[i]))
      inside.insert((*fleet)->plan().trucks[i].plate);
  }
  const int64_t now = NowMs();
  std::set<std::string> in_city;
  for (const auto& entry : services->checkpoints->InCity(now, 0, 1000).items) {
    in_city.insert(entry.plate);
    // In the city only with a pass in force: nothing for 无证入城.
    EXPECT_TRUE(services->directory->Find(entry.plate, entry.plate_color, now).in_force)
        << entry.plate;
  }
  EXPECT_EQ(in_city, inside) << "在城车辆 = the trucks inside the outline on the map";
  EXPECT_EQ(static_cast<int64_t>(inside.size()), counts.in_city);
  EXPECT_EQ(releases, counts.released);
  for (const auto& plate : turned_back)
    EXPECT_FALSE(inside.contains(plate)) << plate << " was turned back but is in the city";

  // The overview and today's statistics read the same passages.
  services->checkpoints->Close();
  auto statistics = stats::StatsService::Open(data_dir / "registry.db");
  ASSERT_TRUE(statistics);
  auto overview = (*statistics)->TodayOverview(NowMs());
  ASSERT_TRUE(overview);
  EXPECT_EQ(overview->in_city_now, static_cast<int64_t>(inside.size()));
  EXPECT_EQ(overview->entered_today, history_today.entered_today + counts.released);
  EXPECT_EQ(overview->exited_today, history_today.exited_today + counts.exits);
  int64_t hourly_entries = 0, hourly_exits = 0;
  for (int64_t entries : overview->hourly_entries)
    hourly_entries += entries;
  for (int64_t exits : overview->hourly_exits)
    hourly_exits += exits;
  EXPECT_EQ(hourly_entries, overview->entered_today);
  EXPECT_EQ(hourly_exits, overview->exited_today);
  for (int64_t open : overview->open_alarms)
    EXPECT_EQ(open, 0) << "the history's alarms are all handled and closed";

  const int64_t today = stats::ChinaDay(NowMs());
  stats::FreightQuery query;
  query.from_day = stats::ChinaDay(registry::ChinaMidnightMs(
      registry::AddDays(registry::TodayInChina(), -10).substr(0, 8) + "01"));
  query.to_day = today;
  auto freight = (*statistics)->Freight(query);
  ASSERT_TRUE(freight);
  const size_t last = freight->periods.size() - 1;
  EXPECT_EQ(Value(*freight, "entries", last), static_cast<double>(overview->entered_today));
  EXPECT_EQ(Value(*freight, "exits", last), static_cast<double>(overview->exited_today));
  EXPECT_EQ(Value(*freight, "in_city", last), static_cast<double>(inside.size()));
  // The history has traffic every day and alarms; it starts on the first of a month, so every
  // entry of the range but those of the trucks now in the city has its exit.
  double entries = 0, exits = 0, alarms = 0;
  for (size_t day = 0; day <= last; ++day) {
    if (day < last) {
      EXPECT_GT(Value(*freight, "entries", day), 0) << freight->periods[day];
    }
    entries += Value(*freight, "entries", day);
    exits += Value(*freight, "exits", day);
    alarms += Value(*freight, "alarms", day);
  }
  EXPECT_GT(alarms, 0);
  EXPECT_EQ(entries - exits, static_cast<double>(inside.size()));

  // The history is written once: loading the demo again leaves the passages as they are.
  auto count = [&] {
    auto statement = (*db)->Prepare("SELECT COUNT(*) FROM passages");
    EXPECT_TRUE(statement && statement->Step().value_or(false));
    return statement ? statement->Int(0) : -1;
  };
  const int64_t before = count();
  ASSERT_EQ(RunDemo({"--data-dir", data_dir.string(), "--seed", "3", "--carriers", "40",
                     "--vehicles", "120", "--terminals", "60", "--drivers", "160",
                     "--health-records", "100", "--history-days", "10"}),
            0);
  EXPECT_EQ(count(), before);
}

}  // namespace
}  // namespace baotong::app
