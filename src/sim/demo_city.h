// The demo city of Anshan (鞍山), so that a newcomer sees every part of the platform at once: the
// real city outline, its seven county-level divisions and 96 乡镇/街道 (data/anshan, from public
// packages), checkpoints where the expressways cross the city line, freight routes between
// them, and invented records (演示数据): carriers with vehicles of every class, drivers,
// terminals, health records and designated sites, with some credentials expiring, expired or
// missing so that every status shows.
//
// Generation is reproducible: the same seed and the same `today` give the same city on every
// machine (std::mt19937_64 is fully specified; no std distributions, which are not).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "registry/records.h"

namespace baotong::sim {

using registry::Carrier;
using registry::Driver;
using registry::HealthRecord;
using registry::Site;
using registry::Terminal;
using registry::Vehicle;

struct DemoCityOptions {
  uint64_t seed = 1;
  std::string today;  // YYYY-MM-DD in China; validity dates are placed around it
  size_t carriers = 300;
  // Vehicle i < terminals carries the simulator's terminal i (phone TerminalPhone("0139", i),
  // plate TerminalPlate(i)), so `baotong sim` drives the demo fleet as it is.
  size_t vehicles = 1200;
  size_t terminals = 1140;
  size_t drivers = 1500;
  size_t health_records = 2000;
  // Drivers (this share) with a negative nucleic acid test late yesterday, on top of the
  // records above: the pass rules want one under 48 hours old, so that most of the demo fleet
  // is let into the city and only some trucks are turned back.
  int fresh_test_percent = 70;
};

// A road across the city line with its two checkpoints (入城 and 出城), which stand just outside
// the line, and the place farther out where trucks wait to come in.
struct DemoGate {
  std::string road;  // "沈海高速辽阳方向"
  std::string in_checkpoint;
  std::string out_checkpoint;
  double lat = 0;  // the inbound checkpoint
  double lon = 0;
  double outside_lat = 0;  // about 3 km out along the road
  double outside_lon = 0;
};

// A published freight route of the demo city: WGS-84 [lon, lat] points from one gate's
// checkpoints through the city to another's.
struct DemoRoute {
  std::string id;
  std::string name;
  bool allows_hazardous = false;
  std::vector<std::array<double, 2>> points;
  size_t from_gate = 0;  // index into DemoCity::gates: points.front() is its checkpoint
  size_t to_gate = 0;    // points.back() is its checkpoint
};

// A checkpoint of the demo city, on a road into or out of it.
struct DemoCheckpoint {
  std::string id;
  std::string name;
  double lat = 0;
  double lon = 0;
  bool inbound = true;
};

struct DemoCity {
  std::vector<Carrier> carriers;
  std::vector<Vehicle> vehicles;
  std::vector<Driver> drivers;
  std::vector<Terminal> terminals;
  std::vector<HealthRecord> health_records;
  std::vector<Site> sites;
  nlohmann::ordered_json boundary;   // FeatureCollection, properties.layer = "boundary", code
  nlohmann::ordered_json districts;  // FeatureCollection, properties.layer = "district", code, name
  // FeatureCollection, properties.layer = "town", code, name, district_code, district; no
  // geometry (no licensed 乡镇 boundaries were found: data/anshan/README.md).
  nlohmann::ordered_json towns;
  std::vector<DemoGate> gates;
  std::vector<DemoRoute> routes;
  std::vector<DemoCheckpoint> checkpoints;
};

// Checks the options (today must be a date, terminals <= vehicles) and generates the city.
Result<DemoCity> GenerateDemoCity(const DemoCityOptions& options);

}  // namespace baotong::sim
