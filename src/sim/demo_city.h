// A synthetic demo city around Anshan (鞍山), so that a newcomer sees every part of the platform
// at once: the city boundary and districts, carriers with vehicles of every class, drivers,
// terminals, health records and designated sites, with some credentials expiring, expired or
// missing so that every status shows. Everything is invented (演示数据) and labelled so; the
// geometry is a simplified sketch of the real districts, not a survey.
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
};

// A published freight route of the demo city: WGS-84 [lon, lat] points.
struct DemoRoute {
  std::string id;
  std::string name;
  bool allows_hazardous = false;
  std::vector<std::array<double, 2>> points;
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
  nlohmann::ordered_json boundary;   // FeatureCollection, properties.layer = "boundary"
  nlohmann::ordered_json districts;  // FeatureCollection, properties.layer = "district", name
  std::vector<DemoRoute> routes;
  std::vector<DemoCheckpoint> checkpoints;
};

// Checks the options (today must be a date, terminals <= vehicles) and generates the city.
Result<DemoCity> GenerateDemoCity(const DemoCityOptions& options);

}  // namespace baotong::sim
