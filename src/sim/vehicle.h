// One simulated vehicle's motion and reports, as a pure function of time since the simulation
// started: the same time always gives the same report, so a resend can be rebuilt exactly.
#pragma once

#include <cstdint>

#include "protocol/jt808/messages.h"
#include "sim/route.h"
#include "sim/scenario.h"

namespace baotong::sim {

class VehicleModel {
 public:
  // `start_offset_m`: where on the route the vehicle is at t = 0. `phase_s`: shifts its speed
  // cycle so that vehicles of one group do not all speed up at once. `route` and `group` must
  // outlive the model.
  VehicleModel(const Route& route, const VehicleGroup& group, double start_offset_m,
               double phase_s);

  // The model for terminal `index` of `slot`'s group: spread along the route if the group says so,
  // with a speed phase derived from the index.
  static VehicleModel ForSlot(const Scenario& scenario, const GroupSlot& slot);

  // Speed in km/h at `t_s` seconds after the start (0 while stopped).
  double SpeedKmh(double t_s) const;
  // Metres driven along the route since t = 0.
  double DistanceM(double t_s) const;
  // The location report at `t_s`, with every active event applied; time_ms is left unset.
  jt808::LocationReport ReportAt(double t_s) const;

  const VehicleGroup& group() const { return *group_; }

 private:
  // Distance the unmodified speed cycle covers in [0, t].
  double BaseDistanceM(double t_s) const;

  const Route* route_;
  const VehicleGroup* group_;
  double start_offset_m_;
  double phase_s_;
};

// Status bits every simulated report carries: ACC on, positioned, GPS and BeiDou in use.
uint32_t BaseStatus();

}  // namespace baotong::sim
