#include "sim/demo_fleet.h"

#include <gtest/gtest.h>

#include "geo/geometry.h"

namespace baotong::sim {
namespace {

struct Fixture {
  DemoCity city;
  std::vector<geo::Shape> boundary;
};

Fixture MakeCity() {
  DemoCityOptions options;
  options.today = "2026-11-26";
  options.vehicles = 60;
  options.terminals = 40;
  options.carriers = 20;
  options.drivers = 50;
  options.health_records = 50;
  auto city = GenerateDemoCity(options);
  EXPECT_TRUE(city);
  auto shapes = geo::ShapesFromGeoJson(city->boundary["features"][0]["geometry"].dump(), 0);
  EXPECT_TRUE(shapes);
  return {std::move(*city), std::move(*shapes)};
}

bool InCity(const Fixture& fixture, const jt808::LocationReport& report) {
  const geo::LatLon point{report.lat_e6 / 1e6, report.lon_e6 / 1e6};
  for (const auto& shape : fixture.boundary) {
    if (geo::Contains(shape, point))
      return true;
  }
  return false;
}

TEST(DemoFleetPlan, TheTripTruckDrivesItsRouteAndDangerousGoodsTheirs) {
  const Fixture fixture = MakeCity();
  const auto plan = MakeDemoFleetPlan(fixture.city, 40, 3, "R1");
  ASSERT_EQ(plan.trucks.size(), 40u);
  EXPECT_EQ(plan.routes[plan.trucks[3].route].id, "R1");
  for (size_t i = 0; i < plan.trucks.size(); ++i) {
    EXPECT_EQ(plan.trucks[i].plate, fixture.city.vehicles[i].plate);
    const bool hazardous =
        fixture.city.vehicles[i].vehicle_class == registry::VehicleClass::kHazardous;
    if (i != 3) {
      EXPECT_EQ(plan.routes[plan.trucks[i].route].allows_hazardous, hazardous) << i;
    }
  }
  auto again = DemoFleetPlanFromJson(ToJson(plan));
  ASSERT_TRUE(again);
  EXPECT_EQ(ToJson(*again), ToJson(plan));
}

// Trucks wait outside, stop at the gate until the camera decides, and only those released
// cross the city line; a report once given is given again the same (resends).
TEST(DemoFleet, OnlyReleasedTrucksEnterAndReportsDoNotChangeAfterTheFact) {
  const Fixture fixture = MakeCity();
  DemoFleetOptions options;
  options.first_approach_max_m = 500;
  auto fleet = DemoFleet::Make(MakeDemoFleetPlan(fixture.city, 40, 0, "R1"), options);
  ASSERT_TRUE(fleet);
  const size_t trucks = (*fleet)->size();
  std::vector<std::vector<jt808::LocationReport>> seen(trucks);
  std::vector<int> released(trucks, 0);
  std::vector<int> turned_back(trucks, 0);
  std::vector<double> released_at(trucks, 0);
  for (double t = 0; t <= 120; t += 5) {
    for (size_t i = 0; i < trucks; ++i) {
      const auto report = (*fleet)->ReportAt(i, t);
      seen[i].push_back(report);
      // The checkpoints stand 120 m outside the line: a truck crosses it within seconds.
      if (released[i] == 0 || t - released_at[i] > 15) {
        EXPECT_EQ(InCity(fixture, report), released[i] > 0) << "truck " << i << " at " << t;
      }
    }
    for (const auto& request : (*fleet)->TakeRequests()) {
      ASSERT_TRUE(request.inbound);
      EXPECT_EQ(request.plate, fixture.city.vehicles[request.truck].plate);
      // Even trucks hold a pass.
      GateAnswer answer;
      answer.verdict = request.truck % 2 == 0 ? GateVerdict::kRelease : GateVerdict::kTurnBack;
      (*fleet)->Answer(request.truck, answer);
      ++(answer.verdict == GateVerdict::kRelease ? released : turned_back)[request.truck];
      released_at[request.truck] = t;
    }
  }
  const auto counts = (*fleet)->Counts();
  EXPECT_EQ(counts.released, static_cast<int64_t>(trucks / 2));
  EXPECT_EQ(counts.turned_back, static_cast<int64_t>(trucks / 2));
  EXPECT_EQ(counts.in_city, counts.released);
  for (size_t i = 0; i < trucks; ++i) {
    EXPECT_EQ(released[i] + turned_back[i], 1) << "each truck reached its gate once: " << i;
    for (size_t k = 0; k < seen[i].size(); ++k)
      EXPECT_EQ((*fleet)->ReportAt(i, 5.0 * static_cast<double>(k)), seen[i][k]) << i;
  }
}

// A released truck crosses the city to the other end of its route, is read at the outbound
// checkpoint there and leaves the city; a truck turned back tries again later.
TEST(DemoFleet, ReleasedTrucksLeaveAtTheFarGateAndTurnedBackOnesComeBack) {
  const Fixture fixture = MakeCity();
  DemoFleetOptions options;
  options.first_approach_max_m = 300;
  options.retry_after_s = 600;
  auto fleet = DemoFleet::Make(MakeDemoFleetPlan(fixture.city, 2, 0, "R1"), options);
  ASSERT_TRUE(fleet);
  int inbound_reads = 0, outbound_reads = 0;
  bool left = false;
  for (double t = 0; t <= 4 * 3600 && !left; t += 10) {
    (*fleet)->ReportAt(0, t);
    (*fleet)->ReportAt(1, t);
    for (const auto& request : (*fleet)->TakeRequests()) {
      GateAnswer answer;
      answer.verdict = request.truck == 0 ? GateVerdict::kRelease : GateVerdict::kTurnBack;
      if (request.inbound) {
        ++inbound_reads;
      } else {
        ++outbound_reads;
        EXPECT_EQ(request.truck, 0u);
        const auto& far = fixture.city.gates[fixture.city.routes[0].to_gate];
        EXPECT_EQ(request.checkpoint_id, far.out_checkpoint);
      }
      (*fleet)->Answer(request.truck, answer);
    }
    if (outbound_reads > 0 && !InCity(fixture, (*fleet)->ReportAt(0, t + 60)))
      left = true;
  }
  EXPECT_TRUE(left);
  EXPECT_EQ(outbound_reads, 1);
  // Truck 1 was turned back and came back at least once more while truck 0 crossed R1.
  EXPECT_GE(inbound_reads, 3);
  const auto counts = (*fleet)->Counts();
  EXPECT_EQ(counts.exits, 1);
  EXPECT_EQ(counts.in_city, 0);
}

// After a restart of the simulator a truck the gate still counts in the city (no exit recorded)
// is sent to a manual check; it is waved in, so the in-city set and the map agree again once it
// has crossed the line. Other manual checks turn the truck back.
TEST(DemoFleet, ATruckStillCountedInTheCityIsWavedIn) {
  const Fixture fixture = MakeCity();
  DemoFleetOptions options;
  options.first_approach_max_m = 300;
  auto fleet = DemoFleet::Make(MakeDemoFleetPlan(fixture.city, 2, 0, "R1"), options);
  ASSERT_TRUE(fleet);
  for (double t = 0; t <= 300; t += 5) {
    (*fleet)->ReportAt(0, t);
    (*fleet)->ReportAt(1, t);
    for (const auto& request : (*fleet)->TakeRequests()) {
      GateAnswer answer;
      answer.verdict = GateVerdict::kManualCheck;
      answer.reason_code = request.truck == 0 ? "entry.already_in_city" : "plate.color_mismatch";
      (*fleet)->Answer(request.truck, answer);
    }
  }
  EXPECT_TRUE(InCity(fixture, (*fleet)->ReportAt(0, 300)));
  EXPECT_FALSE(InCity(fixture, (*fleet)->ReportAt(1, 300)));
  const auto counts = (*fleet)->Counts();
  EXPECT_EQ(counts.released, 0);
  EXPECT_EQ(counts.in_city, 1);
  EXPECT_EQ(counts.turned_back, 1);
}

}  // namespace
}  // namespace baotong::sim
