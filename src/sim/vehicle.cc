#include "sim/vehicle.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace baotong::sim {
namespace {

constexpr double kSpeedCycleS = 180;  // one slow-fast-slow cycle every three minutes
constexpr double kAltitudeM = 22;     // Anshan lies about 20 m above sea level

}  // namespace

uint32_t BaseStatus() {
  using namespace jt808::status_bit;
  return kAccOn | kPositioned | kUsingGps | kUsingBeidou;
}

VehicleModel::VehicleModel(const Route& route, const VehicleGroup& group, double start_offset_m,
                           double phase_s)
    : route_(&route), group_(&group), start_offset_m_(start_offset_m), phase_s_(phase_s) {}

VehicleModel VehicleModel::ForSlot(const Scenario& scenario, const GroupSlot& slot) {
  const VehicleGroup& group = scenario.groups[slot.group];
  const Route& route = scenario.routes[group.route].route;
  double offset = 0;
  if (group.spread && slot.group_size > 0) {
    // An open route is driven there and back, so spread over both directions.
    const double cycle = route.loop() ? route.length_m() : 2 * route.length_m();
    offset =
        cycle * static_cast<double>(slot.index_in_group) / static_cast<double>(slot.group_size);
  }
  // The golden ratio scatters phases evenly whatever the group size.
  const double phase =
      std::fmod(static_cast<double>(slot.index_in_group) * 0.6180339887, 1.0) * kSpeedCycleS;
  return VehicleModel(route, group, offset, phase);
}

double VehicleModel::BaseDistanceM(double t_s) const {
  // v(t) = mid + amp * sin(w (t + phase)), integrated in closed form.
  const double mid = (group_->min_speed_kmh + group_->max_speed_kmh) / 2 / 3.6;
  const double amp = (group_->max_speed_kmh - group_->min_speed_kmh) / 2 / 3.6;
  const double w = 2 * std::numbers::pi / kSpeedCycleS;
  return mid * t_s + amp / w * (std::cos(w * phase_s_) - std::cos(w * (t_s + phase_s_)));
}

double VehicleModel::SpeedKmh(double t_s) const {
  for (const ScenarioEvent& event : group_->events) {
    if (event.ActiveAt(t_s)) {
      if (event.type == EventType::kStop)
        return 0;
      if (event.type == EventType::kSpeed)
        return event.speed_kmh;
    }
  }
  const double mid = (group_->min_speed_kmh + group_->max_speed_kmh) / 2;
  const double amp = (group_->max_speed_kmh - group_->min_speed_kmh) / 2;
  return mid + amp * std::sin(2 * std::numbers::pi / kSpeedCycleS * (t_s + phase_s_));
}

double VehicleModel::DistanceM(double t_s) const {
  t_s = std::max(0.0, t_s);
  double distance = BaseDistanceM(t_s);
  // Stop and speed events replace the cycle over their (non-overlapping) intervals.
  for (const ScenarioEvent& event : group_->events) {
    if (event.type != EventType::kStop && event.type != EventType::kSpeed)
      continue;
    if (event.at_s >= t_s)
      break;
    const double end = std::min(t_s, event.at_s + event.duration_s);
    distance -= BaseDistanceM(end) - BaseDistanceM(event.at_s);
    if (event.type == EventType::kSpeed)
      distance += event.speed_kmh / 3.6 * (end - event.at_s);
  }
  return distance;
}

jt808::LocationReport VehicleModel::ReportAt(double t_s) const {
  const double driven = DistanceM(t_s);
  Route::Point point = route_->At(start_offset_m_ + driven);
  jt808::LocationReport report;
  report.status = BaseStatus() | group_->base_status;
  for (const ScenarioEvent& event : group_->events) {
    if (!event.ActiveAt(t_s))
      continue;
    switch (event.type) {
      case EventType::kDeviate:
        // Sideways from the direction of travel: positive to the right.
        point.where = Offset(point.where, point.heading_deg + 90, event.metres);
        break;
      case EventType::kDoor:
      case EventType::kStatus:
        report.status |= event.bits;
        break;
      case EventType::kAlarm:
        report.alarm |= event.bits;
        break;
      case EventType::kStop:
      case EventType::kSpeed:
        break;
    }
  }
  const double speed = std::max(0.0, SpeedKmh(t_s));
  report.lat_e6 = static_cast<int32_t>(std::lround(point.where.lat * 1e6));
  report.lon_e6 = static_cast<int32_t>(std::lround(point.where.lon * 1e6));
  report.altitude_m = static_cast<uint16_t>(kAltitudeM);
  report.speed_dkmh = static_cast<uint16_t>(std::min(65535.0, std::round(speed * 10)));
  report.direction = static_cast<uint16_t>(std::lround(point.heading_deg)) % 360;
  report.odometer_hm = static_cast<uint32_t>(driven / 100);
  report.signal_strength = 25;
  report.satellites = 12;
  return report;
}

}  // namespace baotong::sim
