#include "sim/route.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace baotong::sim {
namespace {

constexpr double kEarthRadiusM = 6371008.8;
constexpr double kDegToRad = std::numbers::pi / 180.0;

double NormaliseDegrees(double deg) {
  double out = std::fmod(deg, 360.0);
  if (out < 0)
    out += 360.0;
  return out >= 360.0 ? 0.0 : out;
}

}  // namespace

double DistanceMetres(GeoPoint a, GeoPoint b) {
  const double lat1 = a.lat * kDegToRad;
  const double lat2 = b.lat * kDegToRad;
  const double dlat = lat2 - lat1;
  const double dlon = (b.lon - a.lon) * kDegToRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1) * std::cos(lat2) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

double BearingDegrees(GeoPoint a, GeoPoint b) {
  const double lat1 = a.lat * kDegToRad;
  const double lat2 = b.lat * kDegToRad;
  const double dlon = (b.lon - a.lon) * kDegToRad;
  const double y = std::sin(dlon) * std::cos(lat2);
  const double x =
      std::cos(lat1) * std::sin(lat2) - std::sin(lat1) * std::cos(lat2) * std::cos(dlon);
  return NormaliseDegrees(std::atan2(y, x) / kDegToRad);
}

GeoPoint Offset(GeoPoint from, double bearing_deg, double metres) {
  const double angular = metres / kEarthRadiusM;
  const double bearing = bearing_deg * kDegToRad;
  const double lat1 = from.lat * kDegToRad;
  const double lon1 = from.lon * kDegToRad;
  const double lat2 = std::asin(std::sin(lat1) * std::cos(angular) +
                                std::cos(lat1) * std::sin(angular) * std::cos(bearing));
  const double lon2 = lon1 + std::atan2(std::sin(bearing) * std::sin(angular) * std::cos(lat1),
                                        std::cos(angular) - std::sin(lat1) * std::sin(lat2));
  double lon = lon2 / kDegToRad;
  if (lon > 180)
    lon -= 360;
  if (lon < -180)
    lon += 360;
  return {lat2 / kDegToRad, lon};
}

Result<Route> Route::Make(std::vector<GeoPoint> waypoints, bool loop) {
  if (waypoints.size() < 2)
    return Fail(ErrorCode::kBadValue, "a route needs at least two waypoints");
  for (const GeoPoint& p : waypoints) {
    if (!std::isfinite(p.lat) || !std::isfinite(p.lon) || p.lat < -90 || p.lat > 90 ||
        p.lon < -180 || p.lon > 180) {
      return Fail(ErrorCode::kBadValue, "waypoint latitude must be -90..90, longitude -180..180");
    }
  }
  Route route;
  route.loop_ = loop;
  route.waypoints_ = std::move(waypoints);
  route.path_ = route.waypoints_;
  if (loop)
    route.path_.push_back(route.waypoints_.front());
  route.cumulative_.reserve(route.path_.size());
  route.cumulative_.push_back(0);
  for (size_t i = 1; i < route.path_.size(); ++i) {
    route.cumulative_.push_back(route.cumulative_.back() +
                                DistanceMetres(route.path_[i - 1], route.path_[i]));
  }
  if (route.length_m() < 1.0)
    return Fail(ErrorCode::kBadValue, "a route must be at least 1 m long");
  return route;
}

Route::Point Route::AtOnePass(double distance_m) const {
  // First segment whose end lies beyond distance_m; zero-length segments are skipped.
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), distance_m);
  size_t end = static_cast<size_t>(it - cumulative_.begin());
  if (end >= path_.size())
    end = path_.size() - 1;
  if (end == 0)
    end = 1;
  size_t begin = end - 1;
  while (begin > 0 && cumulative_[end] - cumulative_[begin] <= 0)
    --begin;
  const GeoPoint a = path_[begin];
  const GeoPoint b = path_[end];
  const double segment = cumulative_[end] - cumulative_[begin];
  const double f =
      segment > 0 ? std::clamp((distance_m - cumulative_[begin]) / segment, 0.0, 1.0) : 0.0;
  // Linear interpolation in degrees is accurate to centimetres over city-sized segments.
  Point point;
  point.where = {a.lat + (b.lat - a.lat) * f, a.lon + (b.lon - a.lon) * f};
  point.heading_deg = BearingDegrees(a, b);
  return point;
}

Route::Point Route::At(double distance_m) const {
  const double length = length_m();
  if (!std::isfinite(distance_m))
    distance_m = 0;
  if (loop_) {
    double d = std::fmod(distance_m, length);
    if (d < 0)
      d += length;
    return AtOnePass(d);
  }
  double d = std::fmod(distance_m, 2 * length);
  if (d < 0)
    d += 2 * length;
  if (d <= length)
    return AtOnePass(d);
  // On the way back: the same place as the outward pass, facing the other way.
  Point point = AtOnePass(2 * length - d);
  point.heading_deg = NormaliseDegrees(point.heading_deg + 180);
  return point;
}

const Route& DefaultRoute() {
  static const Route route = [] {
    // A ring through central Anshan (centre 41.108N 122.994E), clockwise from the north-west.
    std::vector<GeoPoint> points = {
        {41.1330, 122.9650}, {41.1360, 122.9950}, {41.1300, 123.0250}, {41.1080, 123.0330},
        {41.0860, 123.0240}, {41.0800, 122.9940}, {41.0860, 122.9640}, {41.1080, 122.9560},
    };
    auto made = Route::Make(std::move(points), /*loop=*/true);
    return std::move(*made);
  }();
  return route;
}

}  // namespace baotong::sim
