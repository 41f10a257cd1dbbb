// The rule engine (issue 6): one partition's vehicles, each with its state in memory, checked
// against every rule on each position. Single-threaded; Monitor (monitor.h) runs one per thread.
// Durations use the positions' device time, so replayed or simulated tracks behave as live
// ones; only Tick (signal_lost, overstay) uses the wall clock it is given.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/position.h"
#include "monitor/rules.h"
#include "monitor/zones.h"
#include "registry/records.h"

namespace baotong::monitor {

// What the platform knows about a vehicle; supplied by the application (registry + passes).
struct VehicleContext {
  std::string plate;
  int plate_color = 0;
  std::optional<registry::VehicleClass> vehicle_class;  // nullopt: not registered
  std::optional<int64_t> pass_id;                       // a trip pass ...
  bool standing = false;                                // ... or a standing registration
  int64_t permit_from_ms = 0, permit_until_ms = 0;      // validity; until 0: open-ended
  std::optional<int64_t> planned_exit_ms;
  std::optional<std::string> route_code;            // kRoute zone code of its pass route
  std::vector<std::string> destination_site_codes;  // sites on its pass
  std::string district;                             // its carrier's district
};

// Thread-safe, in memory, fast; called on a vehicle's first position and every refresh.
class ContextSource {
 public:
  virtual ~ContextSource() = default;
  // nullptr: the terminal belongs to no known vehicle.
  virtual std::shared_ptr<const VehicleContext> Find(std::string_view terminal,
                                                     int64_t at_ms) const = 0;
};

struct AlarmSignal {
  enum class Edge : uint8_t { kRaise, kClear };
  Edge edge = Edge::kRaise;
  AlarmKind kind = AlarmKind::kNoPermit;
  std::string terminal, plate;
  int plate_color = 0;
  // "" / zone code / terminal alarm bit ("bit0"): one open alarm per (terminal, kind, subject).
  std::string subject;
  int64_t at_ms = 0;        // device time of the position that caused it (Tick: wall clock)
  int64_t received_ns = 0;  // steady-clock ns when the position reached the monitor (latency)
  double lat = 0, lon = 0, speed_kmh = 0;
  std::string detail;           // Chinese: "偏离路线 812 米，已持续 2 分 5 秒"
  std::string zone_department;  // the zone's department when a zone decided it
  std::optional<int64_t> pass_id;
  std::string district;
};

class AlarmSink {
 public:
  virtual ~AlarmSink() = default;
  // Called from partition threads, concurrently; must be fast and thread-safe.
  virtual void OnSignals(std::span<const AlarmSignal> signals) = 0;
};

struct RuleSet {
  RuleSettings settings;
  std::shared_ptr<const ZoneIndex> zones;
};

class RuleEngine {
 public:
  // `context` must outlive the engine. Contexts are fetched again after `context_refresh_ms`
  // of device time.
  RuleEngine(std::shared_ptr<const RuleSet> rules, const ContextSource& context,
             int64_t context_refresh_ms = 30'000);
  ~RuleEngine();
  RuleEngine(const RuleEngine&) = delete;
  RuleEngine& operator=(const RuleEngine&) = delete;

  // New settings or zones, between positions. Open zone alarms of zones that are gone clear
  // at the next position.
  void SetRules(std::shared_ptr<const RuleSet> rules);
  // Appends raise/clear signals to `out`. Positions of one terminal must come in order; an
  // older device time than the last one is ignored.
  void Process(const model::Position& position, int64_t received_ns, std::vector<AlarmSignal>& out);
  // The same as Process on each position in turn (received_ns[i] for positions[i]; the two
  // spans have the same size), but faster: the vehicles' state is looked up and fetched into
  // the cache a few positions ahead, so that its memory latency overlaps the rules' work.
  void ProcessBatch(std::span<const model::Position> positions,
                    std::span<const int64_t> received_ns, std::vector<AlarmSignal>& out);
  // signal_lost and overstay by the wall clock (UTC epoch ms).
  void Tick(int64_t now_ms, std::vector<AlarmSignal>& out);

  enum class MotionState : uint8_t { kMoving, kStopped, kAlarm, kOffline };
  struct VehicleStatus {
    std::string terminal, plate;
    int plate_color = 0;
    MotionState state = MotionState::kMoving;
    double lat = 0, lon = 0, speed_kmh = 0;
    uint16_t direction = 0;
    int64_t at_ms = 0;
    std::vector<AlarmKind> active;  // open alarms, one entry per kind
    bool in_city = false;
  };
  // Live state of each vehicle for the map (appended to `out`).
  void Snapshot(int64_t now_ms, std::vector<VehicleStatus>& out) const;
  std::optional<VehicleStatus> Find(std::string_view terminal, int64_t now_ms) const;
  size_t vehicles() const { return vehicles_.size(); }

  struct Vehicle;  // per-vehicle state (engine.cc)

 private:
  void Evaluate(Vehicle& vehicle, const model::Position& position, int64_t received_ns,
                std::vector<AlarmSignal>& out);
  VehicleStatus StatusOf(const Vehicle& vehicle, int64_t now_ms) const;
  void UseRules(std::shared_ptr<const RuleSet> rules);

  std::shared_ptr<const RuleSet> rules_;
  const ContextSource& context_;
  int64_t context_refresh_ms_;
  // Vehicles by terminal: an open-addressing table of (hash, vehicle), so that a lookup costs
  // one probe and the vehicle itself (a node-based map adds a node between them).
  struct Slot {
    uint64_t hash = 0;  // 0: empty
    Vehicle* vehicle = nullptr;
  };
  Vehicle* FindVehicle(std::string_view terminal, uint64_t hash) const;
  Vehicle& VehicleFor(std::string_view terminal, uint64_t hash);
  void Insert(Slot slot);
  std::vector<std::unique_ptr<Vehicle>> vehicles_;
  std::vector<Slot> slots_;
  uint64_t rules_generation_ = 1;
  std::vector<uint32_t> scratch_;     // zone ids, reused between positions
  std::vector<uint32_t> city_zones_;  // the kCity zones of rules_
};

std::string_view MotionStateId(RuleEngine::MotionState state);

}  // namespace baotong::monitor
