#include "sim/demo_fleet.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/vehicle.h"

namespace baotong::sim {
namespace {

using Json = nlohmann::ordered_json;

constexpr double kAltitudeM = 22;
constexpr double kPauseAtGateS = 1;  // from the decision to moving off

GeoPoint LonLat(const std::array<double, 2>& point) {
  return GeoPoint{point[1], point[0]};
}

}  // namespace

DemoFleetPlan MakeDemoFleetPlan(const DemoCity& city, size_t terminals,
                                std::optional<size_t> trip_terminal,
                                const std::string& trip_route) {
  DemoFleetPlan plan;
  plan.gates = city.gates;
  plan.routes = city.routes;
  std::vector<size_t> general;
  std::optional<size_t> hazardous_route;
  std::optional<size_t> trip_index;
  for (size_t r = 0; r < plan.routes.size(); ++r) {
    if (plan.routes[r].allows_hazardous)
      hazardous_route = hazardous_route.value_or(r);
    else
      general.push_back(r);
    if (plan.routes[r].id == trip_route)
      trip_index = r;
  }
  if (general.empty() && hazardous_route)
    general.push_back(*hazardous_route);
  size_t turn = 0;
  for (size_t i = 0; i < std::min(terminals, city.vehicles.size()); ++i) {
    const auto& vehicle = city.vehicles[i];
    DemoFleetPlan::Truck truck;
    truck.plate = vehicle.plate;
    truck.plate_color = static_cast<int>(vehicle.plate_color);
    if (trip_terminal == i && trip_index) {
      truck.route = *trip_index;
    } else if (vehicle.vehicle_class == registry::VehicleClass::kHazardous && hazardous_route) {
      truck.route = *hazardous_route;
      truck.reverse = i % 2 == 1;
    } else if (!general.empty()) {
      truck.route = general[turn % general.size()];
      truck.reverse = (turn / general.size()) % 2 == 1;
      ++turn;
    }
    plan.trucks.push_back(std::move(truck));
  }
  return plan;
}

Json ToJson(const DemoFleetPlan& plan) {
  Json json{{"gates", Json::array()}, {"routes", Json::array()}, {"trucks", Json::array()}};
  for (const auto& gate : plan.gates) {
    json["gates"].push_back({{"road", gate.road},
                             {"in_checkpoint", gate.in_checkpoint},
                             {"out_checkpoint", gate.out_checkpoint},
                             {"lat", gate.lat},
                             {"lon", gate.lon},
                             {"outside_lat", gate.outside_lat},
                             {"outside_lon", gate.outside_lon}});
  }
  for (const auto& route : plan.routes) {
    json["routes"].push_back({{"id", route.id},
                              {"name", route.name},
                              {"allows_hazardous", route.allows_hazardous},
                              {"points", route.points},
                              {"from_gate", route.from_gate},
                              {"to_gate", route.to_gate}});
  }
  for (const auto& truck : plan.trucks) {
    json["trucks"].push_back({{"plate", truck.plate},
                              {"plate_color", truck.plate_color},
                              {"route", truck.route},
                              {"reverse", truck.reverse}});
  }
  return json;
}

Result<DemoFleetPlan> DemoFleetPlanFromJson(const Json& json) {
  try {
    DemoFleetPlan plan;
    for (const auto& gate : json.at("gates")) {
      plan.gates.push_back(
          {gate.at("road").get<std::string>(), gate.at("in_checkpoint").get<std::string>(),
           gate.at("out_checkpoint").get<std::string>(), gate.at("lat").get<double>(),
           gate.at("lon").get<double>(), gate.at("outside_lat").get<double>(),
           gate.at("outside_lon").get<double>()});
    }
    for (const auto& route : json.at("routes")) {
      DemoRoute parsed;
      parsed.id = route.at("id").get<std::string>();
      parsed.name = route.at("name").get<std::string>();
      parsed.allows_hazardous = route.at("allows_hazardous").get<bool>();
      parsed.points = route.at("points").get<std::vector<std::array<double, 2>>>();
      parsed.from_gate = route.at("from_gate").get<size_t>();
      parsed.to_gate = route.at("to_gate").get<size_t>();
      plan.routes.push_back(std::move(parsed));
    }
    for (const auto& truck : json.at("trucks")) {
      plan.trucks.push_back({truck.at("plate").get<std::string>(),
                             truck.at("plate_color").get<int>(), truck.at("route").get<size_t>(),
                             truck.at("reverse").get<bool>()});
    }
    return plan;
  } catch (const nlohmann::json::exception& error) {
    return Fail(ErrorCode::kBadValue, "demo fleet plan: demo-fleet.json could not be read");
  }
}

Result<std::unique_ptr<DemoFleet>> DemoFleet::Make(DemoFleetPlan plan, DemoFleetOptions options) {
  std::vector<Route> approaches;
  for (const auto& gate : plan.gates) {
    auto road = Route::Make({{gate.outside_lat, gate.outside_lon}, {gate.lat, gate.lon}}, false);
    if (!road)
      return Fail(ErrorCode::kBadValue, "demo fleet: a gate's road has no length");
    approaches.push_back(std::move(*road));
  }
  std::vector<Route> crossings;
  for (const auto& route : plan.routes) {
    if (route.from_gate >= plan.gates.size() || route.to_gate >= plan.gates.size())
      return Fail(ErrorCode::kBadValue, "demo fleet: a route names no gate");
    std::vector<GeoPoint> points;
    for (const auto& point : route.points)
      points.push_back(LonLat(point));
    auto crossing = Route::Make(std::move(points), false);
    if (!crossing)
      return Fail(ErrorCode::kBadValue, "demo fleet: a route has no length");
    crossings.push_back(std::move(*crossing));
  }
  for (const auto& truck : plan.trucks) {
    if (truck.route >= plan.routes.size())
      return Fail(ErrorCode::kBadValue, "demo fleet: a truck names no route");
  }
  return std::unique_ptr<DemoFleet>(
      new DemoFleet(std::move(plan), options, std::move(approaches), std::move(crossings)));
}

DemoFleet::DemoFleet(DemoFleetPlan plan, DemoFleetOptions options, std::vector<Route> approaches,
                     std::vector<Route> crossings)
    : plan_(std::move(plan)),
      options_(options),
      approaches_(std::move(approaches)),
      crossings_(std::move(crossings)) {
  trucks_.resize(plan_.trucks.size());
  for (size_t i = 0; i < trucks_.size(); ++i) {
    Truck& truck = trucks_[i];
    const auto& planned = plan_.trucks[i];
    const DemoRoute& route = plan_.routes[planned.route];
    // 50-70 km/h, different for each truck.
    truck.speed_mps = (50.0 + static_cast<double>((i * 37) % 21)) / 3.6;
    const size_t gate = planned.reverse ? route.to_gate : route.from_gate;
    const Route& road = approaches_[gate];
    // Spread the first arrivals at the gates over the first minutes.
    const double spread = static_cast<double>((i * 7919) % 1000) / 1000.0;
    const double before = std::min(
        road.length_m(), 200.0 + spread * std::max(0.0, options_.first_approach_max_m - 200.0));
    Segment first;
    first.purpose = Purpose::kApproach;
    first.path = &road;
    first.from_m = road.length_m() - before;
    first.speed_mps = truck.speed_mps;
    first.duration_s = before / truck.speed_mps;
    first.gate = gate;
    truck.segments.push_back(first);
  }
}

double DemoFleet::EndOf(const Segment& segment) {
  return segment.start_s + segment.duration_s;
}

double DemoFleet::DrivenAt(const Segment& segment, double t_s) {
  if (segment.path == nullptr)
    return 0;
  return segment.speed_mps * std::clamp(t_s - segment.start_s, 0.0, segment.duration_s);
}

size_t DemoFleet::OtherGate(size_t truck, size_t gate) const {
  const DemoRoute& route = plan_.routes[plan_.trucks[truck].route];
  return gate == route.from_gate ? route.to_gate : route.from_gate;
}

void DemoFleet::Drive(Truck& truck, Purpose purpose, const Route& path, double from_m, double to_m,
                      size_t gate) {
  const Segment& last = truck.segments.back();
  Segment next;
  next.purpose = purpose;
  next.start_s = EndOf(last);
  next.path = &path;
  next.from_m = from_m;
  next.speed_mps = truck.speed_mps;
  next.duration_s = (to_m - from_m) / truck.speed_mps;
  next.odometer_m = last.odometer_m + DrivenAt(last, EndOf(last));
  next.gate = gate;
  truck.segments.push_back(next);
}

void DemoFleet::Stay(Truck& truck, Purpose purpose, GeoPoint where, double duration_s, size_t gate,
                     bool inbound) {
  const Segment& last = truck.segments.back();
  Segment next;
  next.purpose = purpose;
  next.start_s = EndOf(last);
  next.duration_s = duration_s;
  next.where = where;
  next.heading_deg = last.path != nullptr
                         ? last.path->At(last.from_m + DrivenAt(last, EndOf(last))).heading_deg
                         : last.heading_deg;
  next.odometer_m = last.odometer_m + DrivenAt(last, EndOf(last));
  next.gate = gate;
  next.inbound = inbound;
  truck.segments.push_back(next);
}

void DemoFleet::Extend(size_t index, double t_s) {
  Truck& truck = trucks_[index];
  while (true) {
    const Segment last = truck.segments.back();
    if (last.purpose == Purpose::kGate || EndOf(last) > t_s)
      return;
    const DemoGate& gate = plan_.gates[last.gate];
    const Route& road = approaches_[last.gate];
    switch (last.purpose) {
      case Purpose::kApproach:
        Stay(truck, Purpose::kGate, {gate.lat, gate.lon}, std::numeric_limits<double>::infinity(),
             last.gate, true);
        break;
      case Purpose::kCross:
        Stay(truck, Purpose::kGate, {gate.lat, gate.lon}, std::numeric_limits<double>::infinity(),
             last.gate, false);
        break;
      case Purpose::kRetreat:
        Stay(truck, Purpose::kPark, {gate.outside_lat, gate.outside_lon}, options_.retry_after_s,
             last.gate);
        break;
      case Purpose::kDepart:
        Stay(truck, Purpose::kPark, {gate.outside_lat, gate.outside_lon}, options_.wait_outside_s,
             last.gate);
        break;
      case Purpose::kPark:
        Drive(truck, Purpose::kApproach, road, 0, road.length_m(), last.gate);
        break;
      case Purpose::kGate:
        return;
    }
  }
}

jt808::LocationReport DemoFleet::ReportAt(size_t index, double t_s) {
  std::lock_guard lock(mutex_);
  Truck& truck = trucks_[index];
  truck.latest_s = std::max(truck.latest_s, t_s);
  Extend(index, t_s);
  auto it = std::find_if(truck.segments.rbegin(), truck.segments.rend(),
                         [&](const Segment& segment) { return segment.start_s <= t_s; });
  const Segment& segment = it == truck.segments.rend() ? truck.segments.front() : *it;
  if (segment.purpose == Purpose::kGate && &segment == &truck.segments.back() && !truck.requested) {
    const DemoGate& gate = plan_.gates[segment.gate];
    const auto& planned = plan_.trucks[index];
    requests_.push_back({index, segment.inbound ? gate.in_checkpoint : gate.out_checkpoint,
                         planned.plate, planned.plate_color, segment.inbound});
    truck.requested = true;
  }
  GeoPoint where = segment.where;
  double heading = segment.heading_deg;
  double speed_mps = 0;
  const double driven = DrivenAt(segment, t_s);
  if (segment.path != nullptr) {
    const Route::Point point = segment.path->At(segment.from_m + driven);
    where = point.where;
    heading = point.heading_deg;
    if (t_s < EndOf(segment))
      speed_mps = segment.speed_mps;
  }
  jt808::LocationReport report;
  report.status = BaseStatus();
  report.lat_e6 = static_cast<int32_t>(std::lround(where.lat * 1e6));
  report.lon_e6 = static_cast<int32_t>(std::lround(where.lon * 1e6));
  report.altitude_m = static_cast<uint16_t>(kAltitudeM);
  report.speed_dkmh = static_cast<uint16_t>(std::lround(speed_mps * 36));
  report.direction = static_cast<uint16_t>(std::lround(heading)) % 360;
  report.odometer_hm = static_cast<uint32_t>((segment.odometer_m + driven) / 100);
  report.signal_strength = 25;
  report.satellites = 12;
  return report;
}

std::vector<GateRequest> DemoFleet::TakeRequests() {
  std::lock_guard lock(mutex_);
  return std::exchange(requests_, {});
}

void DemoFleet::Answer(size_t index, const GateAnswer& answer) {
  std::lock_guard lock(mutex_);
  Truck& truck = trucks_[index];
  Segment& gate = truck.segments.back();
  if (gate.purpose != Purpose::kGate || !truck.requested)
    return;
  truck.requested = false;
  // Moves off after the latest time already reported, so that no report changes.
  gate.duration_s = std::max(truck.latest_s, gate.start_s) + kPauseAtGateS - gate.start_s;
  const size_t at = gate.gate;
  const Route& road = approaches_[at];
  if (!gate.inbound) {
    ++counts_.exits;
    counts_.in_city = std::max<int64_t>(0, counts_.in_city - 1);
    Drive(truck, Purpose::kDepart, road, road.length_m(), 2 * road.length_m(), at);
    return;
  }
  // A truck the gate still counts in the city (from an earlier run) is waved in after its check.
  const bool enters =
      answer.verdict == GateVerdict::kRelease || (answer.verdict == GateVerdict::kManualCheck &&
                                                  answer.reason_code == "entry.already_in_city");
  if (!enters) {
    ++counts_.turned_back;
    Drive(truck, Purpose::kRetreat, road, road.length_m(), 2 * road.length_m(), at);
    return;
  }
  if (answer.verdict == GateVerdict::kRelease)
    ++counts_.released;
  ++counts_.in_city;
  const size_t route_index = plan_.trucks[index].route;
  const Route& crossing = crossings_[route_index];
  const size_t far = OtherGate(index, at);
  const bool forward = at == plan_.routes[route_index].from_gate;
  const double length = crossing.length_m();
  Drive(truck, Purpose::kCross, crossing, forward ? 0 : length, forward ? length : 2 * length, far);
}

DemoFleetCounts DemoFleet::Counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

}  // namespace baotong::sim
