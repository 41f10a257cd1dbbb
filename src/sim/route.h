// Routes for simulated vehicles: waypoint polylines on the WGS-84 sphere, walked by distance.
#pragma once

#include <vector>

#include "common/error.h"

namespace baotong::sim {

struct GeoPoint {
  double lat = 0;  // degrees, negative south
  double lon = 0;  // degrees, negative west
  bool operator==(const GeoPoint&) const = default;
};

// Great-circle distance (haversine, mean Earth radius).
double DistanceMetres(GeoPoint a, GeoPoint b);
// Initial bearing from a to b, degrees clockwise from north in [0, 360).
double BearingDegrees(GeoPoint a, GeoPoint b);
// The point `metres` away from `from` in direction `bearing_deg`.
GeoPoint Offset(GeoPoint from, double bearing_deg, double metres);

// A polyline of waypoints. A loop route returns from the last waypoint to the first and starts
// over; an open route is driven to its end and back again (a shuttle).
class Route {
 public:
  struct Point {
    GeoPoint where;
    double heading_deg = 0;  // direction of travel, [0, 360)
  };

  // Fails with fewer than two waypoints, coordinates off the globe, or zero total length.
  static Result<Route> Make(std::vector<GeoPoint> waypoints, bool loop);

  // Where a vehicle is after driving `distance_m` from the first waypoint. Any distance is
  // valid: it wraps around a loop, and turns back at the ends of an open route.
  Point At(double distance_m) const;

  // Length of one pass: for a loop, including the leg back to the start.
  double length_m() const { return cumulative_.back(); }
  bool loop() const { return loop_; }
  const std::vector<GeoPoint>& waypoints() const { return waypoints_; }

 private:
  Route() = default;
  Point AtOnePass(double distance_m) const;

  std::vector<GeoPoint> waypoints_;  // as given
  std::vector<GeoPoint> path_;       // waypoints, plus the first again for a loop
  std::vector<double> cumulative_;   // distance from path_[0] to path_[i]
  bool loop_ = true;
};

// The default route: a loop of about 21 km through Anshan (Liaoning), around 41.108N 122.994E.
const Route& DefaultRoute();

}  // namespace baotong::sim
