// The demo fleet's trips through the city's checkpoints: each simulated truck waits outside on
// a road into the city, drives up to the inbound checkpoint, stops while the camera reads its
// plate, and is released (it drives its route across the city to another road's outbound
// checkpoint, is read there, leaves and later comes back the other way) or turned back (it
// drives back out and tries again later). So the vehicles in the city are the ones the
// checkpoints let in, and a truck without a pass never crosses the city line.
//
// Motion is a function of time and of the answers the gates gave: a report for a time already
// reported is rebuilt exactly (resends), because an answer only changes what happens after the
// latest time the truck was asked about. `baotong demo` writes the plan (data_dir/demo-fleet.json)
// and `baotong sim --demo-fleet DATA_DIR` drives it against the camera API (sim/demo_gates.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "protocol/jt808/messages.h"
#include "sim/demo_city.h"
#include "sim/route.h"

namespace baotong::sim {

// Which route each simulated terminal drives, and the gates and routes themselves.
struct DemoFleetPlan {
  struct Truck {
    std::string plate;
    int plate_color = 2;   // JT/T 415: 2 yellow
    size_t route = 0;      // index into routes
    bool reverse = false;  // first enters at the route's to_gate
  };
  std::vector<DemoGate> gates;
  std::vector<DemoRoute> routes;
  std::vector<Truck> trucks;  // index = terminal index
};

// Terminal i < terminals drives city.vehicles[i]: the truck holding the trip pass on
// `trip_route` drives that route; dangerous goods vehicles the route open to them; the others
// the remaining routes in turn, half of them the other way.
DemoFleetPlan MakeDemoFleetPlan(const DemoCity& city, size_t terminals,
                                std::optional<size_t> trip_terminal, const std::string& trip_route);
nlohmann::ordered_json ToJson(const DemoFleetPlan& plan);
Result<DemoFleetPlan> DemoFleetPlanFromJson(const nlohmann::ordered_json& json);

// A truck at a checkpoint, waiting for the camera's decision.
struct GateRequest {
  size_t truck = 0;
  std::string checkpoint_id;
  std::string plate;
  int plate_color = 2;
  bool inbound = true;
};

enum class GateVerdict : uint8_t { kRelease, kTurnBack, kManualCheck };

struct GateAnswer {
  GateVerdict verdict = GateVerdict::kTurnBack;
  std::string reason_code;  // "entry.already_in_city" lets a truck the gate still counts in
};

struct DemoFleetOptions {
  // The first approach starts between 200 m and this far before the gate (spread by truck).
  double first_approach_max_m = 3000;
  double wait_outside_s = 1800;  // parked outside after leaving, before coming back
  double retry_after_s = 3600;   // after being turned back
};

struct DemoFleetCounts {
  int64_t released = 0;
  int64_t turned_back = 0;  // manual checks other than "already in the city" included
  int64_t exits = 0;
  int64_t in_city = 0;  // released (or waved in) and not yet read at an outbound gate
};

class DemoFleet {
 public:
  // Fails when a truck names a route or a route a gate that does not exist, or a route or
  // road has fewer than two distinct points.
  static Result<std::unique_ptr<DemoFleet>> Make(DemoFleetPlan plan, DemoFleetOptions options);

  size_t size() const { return trucks_.size(); }
  const DemoFleetPlan& plan() const { return plan_; }

  // Truck `truck`'s report at `t_s` seconds after the start (time_ms unset). A truck that has
  // reached a gate stays there until Answer; its request is queued once (TakeRequests).
  jt808::LocationReport ReportAt(size_t truck, double t_s);
  std::vector<GateRequest> TakeRequests();
  // The gate's answer for `truck`'s pending request; the truck moves on after the latest time
  // it was reported at.
  void Answer(size_t truck, const GateAnswer& answer);

  DemoFleetCounts Counts() const;

 private:
  enum class Purpose : uint8_t { kApproach, kGate, kCross, kRetreat, kDepart, kPark };
  struct Segment {
    Purpose purpose = Purpose::kPark;
    double start_s = 0;
    double duration_s = 0;  // kGate: open until answered
    const Route* path = nullptr;
    double from_m = 0;  // distance along `path` at the start; Route::At walks back past its end
    double speed_mps = 0;
    GeoPoint where;          // kGate, kPark
    double heading_deg = 0;  // kGate, kPark: as the truck arrived
    double odometer_m = 0;   // driven before this segment
    size_t gate = 0;         // the gate this segment leads to or from
    bool inbound = true;     // kGate
  };
  struct Truck {
    std::vector<Segment> segments;
    double speed_mps = 0;
    size_t side = 0;  // the gate it is at or heading for
    bool requested = false;
    double latest_s = 0;  // the latest time reported
  };
  DemoFleet(DemoFleetPlan plan, DemoFleetOptions options, std::vector<Route> approaches,
            std::vector<Route> crossings);
  void Extend(size_t index, double t_s);
  // Appends a segment that drives `path` from `from_m` to `to_m` (to_m > from_m; past the
  // path's length is the way back), starting where the previous segment ended.
  void Drive(Truck& truck, Purpose purpose, const Route& path, double from_m, double to_m,
             size_t gate);
  // Appends a stop at `where` for `duration_s` (kGate: until answered).
  void Stay(Truck& truck, Purpose purpose, GeoPoint where, double duration_s, size_t gate,
            bool inbound = true);
  size_t OtherGate(size_t truck, size_t gate) const;
  static double EndOf(const Segment& segment);
  static double DrivenAt(const Segment& segment, double t_s);

  DemoFleetPlan plan_;
  DemoFleetOptions options_;
  std::vector<Route> approaches_;  // per gate: outside -> gate
  std::vector<Route> crossings_;   // per route: from_gate -> to_gate
  mutable std::mutex mutex_;
  std::vector<Truck> trucks_;
  std::vector<GateRequest> requests_;
  DemoFleetCounts counts_;
};

}  // namespace baotong::sim
