// Scenario files for the fleet simulator: named routes, vehicle groups that drive them, and
// scripted events (deviations, stops, open doors, alarms) at given times. The format is TOML and
// is documented in docs/scenario.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "sim/route.h"

namespace baotong::sim {

enum class EventType : uint8_t {
  kDeviate,  // leave the route sideways by `metres`
  kStop,     // speed 0, position frozen
  kSpeed,    // drive at exactly `speed_kmh`
  kDoor,     // status bits (door 1 = bit 13 ... door 5 = bit 17) set
  kAlarm,    // alarm bits set
  kStatus,   // arbitrary extra status bits set
};
std::string_view ToString(EventType type);

struct ScenarioEvent {
  EventType type = EventType::kStop;
  double at_s = 0;        // seconds after the simulation starts
  double duration_s = 0;  // the event holds for [at_s, at_s + duration_s)
  double metres = 0;      // kDeviate: positive = right of the direction of travel
  double speed_kmh = 0;   // kSpeed
  uint32_t bits = 0;      // kDoor / kAlarm / kStatus: the bits set while the event holds

  bool ActiveAt(double t_s) const { return t_s >= at_s && t_s < at_s + duration_s; }
  bool operator==(const ScenarioEvent&) const = default;
};

struct NamedRoute {
  std::string name;
  Route route;
};

struct VehicleGroup {
  std::string name;
  size_t route = 0;             // index into Scenario::routes
  std::optional<size_t> count;  // terminals in this group; nullopt = all remaining
  double min_speed_kmh = 20;
  double max_speed_kmh = 60;
  std::optional<double> interval_s;   // report interval; nullopt = SimOptions::rate
  bool spread = true;                 // start the group's vehicles evenly along the route
  uint32_t base_status = 0;           // extra status bits always set (e.g. load state)
  std::vector<ScenarioEvent> events;  // sorted by at_s
};

struct Scenario {
  std::vector<NamedRoute> routes;
  std::vector<VehicleGroup> groups;
};

// Parses scenario TOML. `source_name` (usually the file path) prefixes error messages, which
// name the offending key and its line, e.g. "fleet.toml:12:1: group "buses": unknown route "x"".
tl::expected<Scenario, std::string> ParseScenario(std::string_view toml_text,
                                                  std::string_view source_name = "scenario");
tl::expected<Scenario, std::string> LoadScenario(const std::filesystem::path& path);

// What runs without a scenario file: the Anshan loop, every terminal at 20-60 km/h, no events.
Scenario DefaultScenario();

// The group terminal `index` (0-based) belongs to, and its position within that group.
// Terminals beyond every group's count belong to no group (nullopt) and drive the default.
struct GroupSlot {
  size_t group = 0;
  size_t index_in_group = 0;
  size_t group_size = 0;
};
std::optional<GroupSlot> AssignGroup(const Scenario& scenario, size_t terminal_index,
                                     size_t total_terminals);

}  // namespace baotong::sim
