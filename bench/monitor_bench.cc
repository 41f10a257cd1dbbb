// The rule engine on one core (issue 6): 100,000 vehicles reporting every 10 s of device time
// through every rule, against 10,000 zone and route geometries spread over a city of ~100 km:
// a city boundary, 3,000 sites (circles and polygons), 4,000 restricted zones (circles and
// polygons of 10-50 vertices) and 3,000 pass routes (polylines of 50-200 points, 500 m
// corridors). 70 % of the vehicles hold a pass and follow its route (a few stray off it), the
// rest wander; some stop, open doors or raise terminal alarms.
//
//   build/bench/monitor_bench [rounds=20] [runs=3]
//
// Each run builds a fresh engine, feeds one round of first sightings (contexts fetched, state
// created) and then `rounds` rounds of 100,000 positions, timing only RuleEngine::ProcessBatch
// (batches of 256, as the Monitor feeds it).
// Prints the median of the runs, and what the time goes to: the zone lookup alone (S2 cell and
// exact tests, with and without the per-vehicle cell cache) against the whole engine.
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "monitor/engine.h"
#include "protocol/jt808/constants.h"

namespace {

using namespace baotong;
using namespace baotong::monitor;
using Clock = std::chrono::steady_clock;

constexpr int kVehicles = 100'000;
constexpr int kCircleSites = 2'000, kPolygonSites = 1'000;
constexpr int kCircleZones = 2'000, kPolygonZones = 2'000, kRoutes = 3'000;
constexpr double kLat0 = 41.80, kLon0 = 123.40;
constexpr double kMPerDegLat = 111'195.0;
const double kMPerDegLon = kMPerDegLat * std::cos(kLat0 * M_PI / 180);
constexpr int64_t kStart = 1'772'416'800'000;  // 2026-03-02 10:00 China
constexpr int64_t kStepMs = 10'000;

geo::LatLon At(double east_m, double north_m) {
  return {kLat0 + north_m / kMPerDegLat, kLon0 + east_m / kMPerDegLon};
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// This thread's CPU time: on a shared machine, wall time also counts the time other processes
// held the core.
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

std::vector<geo::LatLon> Star(std::mt19937_64& rng, double cx, double cy, int n, double radius) {
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<geo::LatLon> ring;
  for (int k = 0; k < n; ++k) {
    const double angle = 2 * M_PI * k / n;
    const double r = radius * (0.5 + 0.5 * unit(rng));
    ring.push_back(At(cx + r * std::cos(angle), cy + r * std::sin(angle)));
  }
  ring.push_back(ring.front());
  return ring;
}

std::vector<Zone> MakeZones(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> where(-45'000, 45'000);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<Zone> zones;
  Zone city;
  city.code = "city";
  city.name = "市区";
  city.kind = ZoneKind::kCity;
  city.shape = geo::Polygon{{Star(rng, 0, 0, 64, 60'000)}};
  std::get<geo::Polygon>(city.shape).rings[0] = [] {
    std::vector<geo::LatLon> ring;
    for (int k = 0; k < 64; ++k)
      ring.push_back(
          At(48'000 * std::cos(2 * M_PI * k / 64), 48'000 * std::sin(2 * M_PI * k / 64)));
    ring.push_back(ring.front());
    return ring;
  }();
  zones.push_back(city);
  auto add = [&](std::string code, ZoneKind kind, geo::Shape shape) -> Zone& {
    Zone& zone = zones.emplace_back();
    zone.code = std::move(code);
    zone.name = zone.code;
    zone.kind = kind;
    zone.shape = std::move(shape);
    return zone;
  };
  for (int i = 0; i < kCircleSites; ++i)
    add("site:c" + std::to_string(i), ZoneKind::kSite,
        geo::Circle{At(where(rng), where(rng)), 100 + unit(rng) * 400});
  for (int i = 0; i < kPolygonSites; ++i)
    add("site:p" + std::to_string(i), ZoneKind::kSite,
        geo::Polygon{{Star(rng, where(rng), where(rng), 10 + static_cast<int>(unit(rng) * 20),
                           200 + unit(rng) * 600)}});
  for (int i = 0; i < kCircleZones; ++i) {
    Zone& zone = add("zone:c" + std::to_string(i), ZoneKind::kRestricted,
                     geo::Circle{At(where(rng), where(rng)), 100 + unit(rng) * 900});
    if (i % 4 != 0)  // most restricted zones concern one class
      zone.vehicle_classes = 1u << (i % 5);
    if (i % 5 == 0)
      zone.active = {{22 * 60, 6 * 60}};
    if (i % 3 == 0)
      zone.speed_limit_kmh = 60;
  }
  for (int i = 0; i < kPolygonZones; ++i) {
    Zone& zone =
        add("zone:p" + std::to_string(i), ZoneKind::kRestricted,
            geo::Polygon{{Star(rng, where(rng), where(rng), 10 + static_cast<int>(unit(rng) * 40),
                               300 + unit(rng) * 1700)}});
    if (i % 4 != 0)
      zone.vehicle_classes = 1u << (i % 5);
    if (i % 2 == 0)
      zone.active = {{7 * 60, 19 * 60}};
    zone.alarm_on_exit = i % 10 == 0;
  }
  for (int i = 0; i < kRoutes; ++i) {
    const int n = 50 + static_cast<int>(unit(rng) * 150);
    std::vector<geo::LatLon> points;
    double x = where(rng) * 0.8, y = where(rng) * 0.8, heading = unit(rng) * 2 * M_PI;
    for (int k = 0; k < n; ++k) {
      points.push_back(At(x, y));
      heading += (unit(rng) - 0.5) * 0.6;
      const double step = 100 + unit(rng) * 200;
      x = std::clamp(x + step * std::cos(heading), -47'000.0, 47'000.0);
      y = std::clamp(y + step * std::sin(heading), -47'000.0, 47'000.0);
    }
    Zone& zone =
        add("route:" + std::to_string(i), ZoneKind::kRoute, geo::Polyline{std::move(points)});
    zone.corridor_m = 500;
  }
  return zones;
}

class Contexts : public ContextSource {
 public:
  std::unordered_map<std::string, std::shared_ptr<const VehicleContext>> map;
  std::shared_ptr<const VehicleContext> Find(std::string_view terminal, int64_t) const override {
    auto found = map.find(std::string(terminal));
    return found == map.end() ? nullptr : found->second;
  }
};

// A vehicle's simulated motion.
struct Mover {
  std::string terminal;
  int route = -1;    // index into routes, or -1: wanders
  double along = 0;  // position along the route (point index, fractional)
  double x = 0, y = 0, heading = 0;
  double offset_m = 0;  // sideways from its route (a few stray)
  int stop_rounds = 0;
  double cruise_kmh = 40;
};

struct Fleet {
  std::vector<Mover> movers;
  std::vector<const std::vector<geo::LatLon>*> routes;
  std::mt19937_64 rng{42};

  void Round(int round, std::vector<model::Position>& out) {
    std::uniform_real_distribution<double> unit(0, 1);
    out.resize(movers.size());
    for (size_t i = 0; i < movers.size(); ++i) {
      Mover& m = movers[i];
      model::Position& p = out[i];
      p.terminal = m.terminal;
      p.device_time_ms = kStart + int64_t{round} * kStepMs + static_cast<int64_t>(i % 10'000);
      p.receive_time_ms = p.device_time_ms;
      const bool stopped = m.stop_rounds > 0;
      if (stopped)
        --m.stop_rounds;
      else if (unit(rng) < 0.002)
        m.stop_rounds = 30 + static_cast<int>(unit(rng) * 120);
      const double speed = stopped ? 0 : m.cruise_kmh + (unit(rng) - 0.5) * 4;
      geo::LatLon where;
      if (m.route >= 0) {
        const auto& line = *routes[static_cast<size_t>(m.route)];
        if (!stopped)
          m.along += speed / 3.6 * 10 / 200;  // points ~200 m apart
        if (m.along >= line.size() - 1)
          m.along = 0;
        const size_t k = static_cast<size_t>(m.along);
        const double f = m.along - k;
        where = {line[k].lat + f * (line[k + 1].lat - line[k].lat) + m.offset_m / kMPerDegLat,
                 line[k].lon + f * (line[k + 1].lon - line[k].lon)};
      } else {
        if (!stopped) {
          m.heading += (unit(rng) - 0.5) * 0.5;
          m.x = std::clamp(m.x + speed / 3.6 * 10 * std::cos(m.heading), -50'000.0, 50'000.0);
          m.y = std::clamp(m.y + speed / 3.6 * 10 * std::sin(m.heading), -50'000.0, 50'000.0);
        }
        where = At(m.x, m.y);
      }
      p.lat_e6 = static_cast<int32_t>(std::lround(where.lat * 1e6));
      p.lon_e6 = static_cast<int32_t>(std::lround(where.lon * 1e6));
      p.speed_dkmh = static_cast<uint16_t>(speed * 10);
      p.direction = static_cast<uint16_t>(i % 360);
      p.status = unit(rng) < 0.001 ? baotong::jt808::status_bit::kDoor1Open : 0;
      p.alarm = unit(rng) < 0.0005 ? baotong::jt808::alarm_bit::kEmergency : 0;
    }
  }
};

// As the Monitor feeds an engine: batches of 256 positions through ProcessBatch.
void ProcessInBatches(RuleEngine& engine, const std::vector<model::Position>& positions,
                      std::vector<AlarmSignal>& out) {
  constexpr size_t kBatch = 256;
  static const std::vector<int64_t> received(kBatch, 0);
  for (size_t at = 0; at < positions.size(); at += kBatch) {
    const size_t n = std::min(kBatch, positions.size() - at);
    engine.ProcessBatch(std::span(positions).subspan(at, n), std::span(received).first(n), out);
  }
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  std::mt19937_64 rng(6);

  auto build_start = Clock::now();
  auto zones = MakeZones(rng);
  const size_t zone_count = zones.size();
  auto index = ZoneIndex::Build(std::move(zones));
  if (!index) {
    std::fprintf(stderr, "index: %s\n", index.error().Message().c_str());
    return 1;
  }
  const double build_s = Seconds(Clock::now() - build_start);
  auto rules = std::make_shared<RuleSet>();
  rules->zones = *index;

  Contexts contexts;
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_real_distribution<double> where(-45'000, 45'000);
  auto make_fleet = [&] {
    Fleet fleet;
    for (uint32_t id = 0; id < (*index)->size(); ++id) {
      if ((*index)->zone(id).kind == ZoneKind::kRoute)
        fleet.routes.push_back(&std::get<geo::Polyline>((*index)->zone(id).shape).points);
    }
    std::mt19937_64 fleet_rng(9);
    for (int i = 0; i < kVehicles; ++i) {
      Mover m;
      m.terminal = "0139" + std::to_string(10'000'000 + i);
      m.x = where(fleet_rng);
      m.y = where(fleet_rng);
      m.heading = unit(fleet_rng) * 2 * M_PI;
      m.cruise_kmh = 20 + unit(fleet_rng) * 50;
      if (i % 10 < 7) {
        m.route = static_cast<int>(fleet_rng() % fleet.routes.size());
        m.along = unit(fleet_rng) * 40;
        m.offset_m = i % 20 == 0 ? 800 : (unit(fleet_rng) - 0.5) * 600;
      }
      fleet.movers.push_back(m);
    }
    return fleet;
  };
  for (int i = 0; i < kVehicles; ++i) {
    auto context = std::make_shared<VehicleContext>();
    context->plate = "辽A" + std::to_string(10'000 + i % 90'000);
    context->plate_color = 2;
    if (i % 10 != 9)
      context->vehicle_class = registry::kAllVehicleClasses[static_cast<size_t>(i % 5)];
    if (i % 10 < 7) {
      context->pass_id = i;
      context->permit_until_ms = kStart + 24 * 3600'000LL;
      context->planned_exit_ms = kStart + 12 * 3600'000LL;
    }
    contexts.map["0139" + std::to_string(10'000'000 + i)] = context;
  }
  {
    Fleet probe = make_fleet();
    for (int i = 0; i < kVehicles; ++i) {
      if (probe.movers[static_cast<size_t>(i)].route >= 0) {
        auto copy = std::make_shared<VehicleContext>(
            *contexts.map["0139" + std::to_string(10'000'000 + i)]);
        copy->route_code = "route:" + std::to_string(probe.movers[static_cast<size_t>(i)].route);
        contexts.map["0139" + std::to_string(10'000'000 + i)] = copy;
      }
    }
  }

  std::printf("zones %zu, index grid %.3f deg: %zu cells, %zu candidates, built in %.2f s\n",
              zone_count, ZoneIndex::kCellDegrees, (*index)->cells(), (*index)->candidates(),
              build_s);

  std::vector<double> first_rates, steady_rates, lookup_rates, lookup_nocache_rates;
  std::vector<double> steady_cpu_rates, lookup_cpu_rates, lookup_nocache_cpu_rates;
  std::vector<double> nozones_cpu_rates;
  auto no_zones = std::make_shared<RuleSet>();
  no_zones->zones = *ZoneIndex::Build({});
  uint64_t signals_total = 0;
  std::array<uint64_t, kAlarmKinds> raised_by_kind{};
  std::vector<model::Position> positions;
  std::vector<AlarmSignal> signals;
  for (int run = 0; run < runs; ++run) {
    Fleet fleet = make_fleet();
    RuleEngine engine(rules, contexts);
    RuleEngine engine_without_zones(no_zones, contexts);
    // First sightings: contexts fetched, state created.
    fleet.Round(0, positions);
    signals.clear();
    auto t0 = Clock::now();
    for (const auto& p : positions)
      engine.Process(p, 0, signals);
    const double first_s = Seconds(Clock::now() - t0);
    for (const auto& p : positions)
      engine_without_zones.Process(p, 0, signals);
    first_rates.push_back(positions.size() / first_s);
    Clock::duration busy{};
    Clock::duration lookup{}, lookup_nocache{};
    double busy_cpu = 0, lookup_cpu = 0, lookup_nocache_cpu = 0, nozones_cpu = 0;
    std::vector<ZoneIndex::Cursor> cursors(positions.size());
    size_t processed = 0, found = 0;
    for (int round = 1; round <= rounds; ++round) {
      fleet.Round(round, positions);
      signals.clear();
      auto start = Clock::now();
      double cpu = CpuSeconds();
      ProcessInBatches(engine, positions, signals);
      busy += Clock::now() - start;
      busy_cpu += CpuSeconds() - cpu;
      processed += positions.size();
      signals_total += signals.size();
      for (const auto& signal : signals) {
        if (signal.edge == AlarmSignal::Edge::kRaise)
          ++raised_by_kind[static_cast<size_t>(signal.kind)];
      }
      // The engine without zones: per-vehicle state and the rules that need no geometry.
      std::vector<AlarmSignal> ignored;
      cpu = CpuSeconds();
      ProcessInBatches(engine_without_zones, positions, ignored);
      nozones_cpu += CpuSeconds() - cpu;
      // The zone lookup alone over the same positions, with a cursor per vehicle ...
      start = Clock::now();
      cpu = CpuSeconds();
      for (size_t i = 0; i < positions.size(); ++i) {
        const geo::LatLon point{positions[i].lat_e6 / 1e6, positions[i].lon_e6 / 1e6};
        (*index)->CandidatesAt(point, cursors[i]);
        for (auto* c = cursors[i].begin; c != cursors[i].end; ++c)
          found +=
              c->kind != ZoneKind::kRoute && (*index)->CandidateContains(cursors[i], *c, point);
      }
      lookup += Clock::now() - start;
      lookup_cpu += CpuSeconds() - cpu;
      // ... and without it (a fresh cell lookup each time).
      start = Clock::now();
      cpu = CpuSeconds();
      for (size_t i = 0; i < positions.size(); ++i) {
        const geo::LatLon point{positions[i].lat_e6 / 1e6, positions[i].lon_e6 / 1e6};
        ZoneIndex::Cursor fresh;
        (*index)->CandidatesAt(point, fresh);
        for (auto* c = fresh.begin; c != fresh.end; ++c)
          found += c->kind != ZoneKind::kRoute && (*index)->CandidateContains(fresh, *c, point);
      }
      lookup_nocache += Clock::now() - start;
      lookup_nocache_cpu += CpuSeconds() - cpu;
    }
    steady_rates.push_back(processed / Seconds(busy));
    lookup_rates.push_back(processed / Seconds(lookup));
    lookup_nocache_rates.push_back(processed / Seconds(lookup_nocache));
    steady_cpu_rates.push_back(processed / busy_cpu);
    lookup_cpu_rates.push_back(processed / lookup_cpu);
    lookup_nocache_cpu_rates.push_back(processed / lookup_nocache_cpu);
    nozones_cpu_rates.push_back(processed / nozones_cpu);
    if (found == 0)
      std::printf("(no zone hits?)\n");
  }
  const double steady = Median(steady_rates);
  const double steady_cpu = Median(steady_cpu_rates);
  std::printf("\n%-44s %13s %8s %13s %8s\n", "measure (median of runs, one thread)", "wall pos/s",
              "ns/pos", "CPU pos/s", "ns/pos");
  auto row = [](const char* name, double rate, double cpu_rate) {
    if (rate > 0)
      std::printf("%-44s %13.0f %8.0f", name, rate, 1e9 / rate);
    else
      std::printf("%-44s %13s %8s", name, "-", "-");
    if (cpu_rate > 0)
      std::printf(" %13.0f %8.0f", cpu_rate, 1e9 / cpu_rate);
    std::printf("\n");
  };
  row("engine, first sighting (context, state)", Median(first_rates), 0);
  row("engine, steady state, all rules", steady, steady_cpu);
  row("engine without zones (state, time rules)", 0, Median(nozones_cpu_rates));
  row("zone lookup only, per-vehicle cell cache", Median(lookup_rates), Median(lookup_cpu_rates));
  row("zone lookup only, no cache", Median(lookup_nocache_rates), Median(lookup_nocache_cpu_rates));
  std::printf("\n%d vehicles x %d rounds x %d runs; %.2f signals per 1,000 positions\n", kVehicles,
              rounds, runs, 1000.0 * signals_total / (double(kVehicles) * rounds * runs));
  std::printf("raised:");
  for (AlarmKind kind : AllAlarmKinds())
    std::printf(" %s %llu", std::string(AlarmKindId(kind)).c_str(),
                static_cast<unsigned long long>(raised_by_kind[static_cast<size_t>(kind)]));
  std::printf("\n");
  std::printf("target >= 1,000,000 positions/s on one core: wall %s, CPU time %s\n",
              steady >= 1e6 ? "met" : "NOT met", steady_cpu >= 1e6 ? "met" : "NOT met");
  return 0;
}
