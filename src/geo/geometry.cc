#include "geo/geometry.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace baotong::geo {
namespace {

constexpr double kDegree = M_PI / 180.0;

// Metres east and north of `origin` in the local equirectangular plane.
struct Plane {
  double x = 0;
  double y = 0;
};
Plane Project(const LatLon& origin, const LatLon& point) {
  const double cos_lat = std::cos(origin.lat * kDegree);
  return Plane{(point.lon - origin.lon) * kDegree * kEarthRadiusM * cos_lat,
               (point.lat - origin.lat) * kDegree * kEarthRadiusM};
}

double DistanceToSegmentM(const LatLon& point, const LatLon& a, const LatLon& b) {
  const Plane pa = Project(point, a);
  const Plane pb = Project(point, b);
  const double dx = pb.x - pa.x;
  const double dy = pb.y - pa.y;
  const double length2 = dx * dx + dy * dy;
  // The point is the origin: find the closest point of the segment to (0, 0).
  double t = length2 > 0 ? -(pa.x * dx + pa.y * dy) / length2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(pa.x + t * dx, pa.y + t * dy);
}

double DistanceToRingM(const LatLon& point, const std::vector<LatLon>& ring) {
  double best = INFINITY;
  for (size_t i = 0; i + 1 < ring.size(); ++i)
    best = std::min(best, DistanceToSegmentM(point, ring[i], ring[i + 1]));
  if (ring.size() > 1 && !(ring.front() == ring.back()))
    best = std::min(best, DistanceToSegmentM(point, ring.back(), ring.front()));
  return best;
}

Result<LatLon> Position(const nlohmann::json& value) {
  if (!value.is_array() || value.size() < 2 || !value[0].is_number() || !value[1].is_number())
    return Fail(ErrorCode::kBadValue, "GeoJSON position must be [lon, lat]");
  LatLon point{value[1].get<double>(), value[0].get<double>()};
  if (!(point.lat >= -90 && point.lat <= 90 && point.lon >= -180 && point.lon <= 180))
    return Fail(ErrorCode::kBadValue, "GeoJSON position out of range");
  return point;
}

Result<std::vector<LatLon>> Positions(const nlohmann::json& value, size_t at_least) {
  if (!value.is_array() || value.size() < at_least)
    return Fail(ErrorCode::kBadValue, "GeoJSON line or ring has too few positions");
  std::vector<LatLon> points;
  for (const auto& item : value) {
    auto point = Position(item);
    if (!point)
      return tl::unexpected(point.error());
    points.push_back(*point);
  }
  return points;
}

Result<Polygon> PolygonOf(const nlohmann::json& rings) {
  if (!rings.is_array() || rings.empty())
    return Fail(ErrorCode::kBadValue, "GeoJSON polygon needs at least one ring");
  Polygon polygon;
  for (const auto& ring : rings) {
    auto points = Positions(ring, 4);
    if (!points)
      return tl::unexpected(points.error());
    polygon.rings.push_back(std::move(*points));
  }
  return polygon;
}

}  // namespace

double DistanceM(const LatLon& a, const LatLon& b) {
  const double dlat = (b.lat - a.lat) * kDegree;
  const double dlon = (b.lon - a.lon) * kDegree;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.lat * kDegree) * std::cos(b.lat * kDegree) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

bool InRing(const LatLon& point, const std::vector<LatLon>& ring) {
  // Ray casting towards +lon: count the edges the ray crosses.
  bool inside = false;
  const size_t n = ring.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const LatLon& a = ring[i];
    const LatLon& b = ring[j];
    if ((a.lat > point.lat) != (b.lat > point.lat)) {
      const double lon_at = a.lon + (point.lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat);
      if (point.lon < lon_at)
        inside = !inside;
    }
  }
  return inside;
}

double DistanceToPolylineM(const LatLon& point, const std::vector<LatLon>& line) {
  if (line.size() == 1)
    return DistanceM(point, line[0]);
  double best = INFINITY;
  for (size_t i = 0; i + 1 < line.size(); ++i)
    best = std::min(best, DistanceToSegmentM(point, line[i], line[i + 1]));
  return best;
}

Result<std::vector<Shape>> ShapesFromGeoJson(std::string_view geometry, double point_radius_m) {
  auto json = nlohmann::json::parse(geometry, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("type") || !json["type"].is_string() ||
      !json.contains("coordinates"))
    return Fail(ErrorCode::kBadValue, "not a GeoJSON geometry");
  const std::string type = json["type"];
  const auto& coordinates = json["coordinates"];
  std::vector<Shape> shapes;
  if (type == "Point") {
    auto center = Position(coordinates);
    if (!center)
      return tl::unexpected(center.error());
    shapes.push_back(Circle{*center, point_radius_m});
  } else if (type == "LineString") {
    auto points = Positions(coordinates, 2);
    if (!points)
      return tl::unexpected(points.error());
    shapes.push_back(Polyline{std::move(*points)});
  } else if (type == "Polygon") {
    auto polygon = PolygonOf(coordinates);
    if (!polygon)
      return tl::unexpected(polygon.error());
    shapes.push_back(std::move(*polygon));
  } else if (type == "MultiPolygon") {
    if (!coordinates.is_array() || coordinates.empty())
      return Fail(ErrorCode::kBadValue, "GeoJSON MultiPolygon is empty");
    for (const auto& rings : coordinates) {
      auto polygon = PolygonOf(rings);
      if (!polygon)
        return tl::unexpected(polygon.error());
      shapes.push_back(std::move(*polygon));
    }
  } else {
    return Fail(ErrorCode::kUnsupported, "GeoJSON geometry type not supported");
  }
  return shapes;
}

bool Contains(const Shape& shape, const LatLon& point, double margin_m) {
  if (const auto* circle = std::get_if<Circle>(&shape))
    return DistanceM(circle->center, point) <= circle->radius_m + margin_m;
  if (const auto* line = std::get_if<Polyline>(&shape))
    return DistanceToPolylineM(point, line->points) <= margin_m;
  const auto& polygon = std::get<Polygon>(shape);
  bool inside = InRing(point, polygon.rings[0]);
  for (size_t hole = 1; inside && hole < polygon.rings.size(); ++hole)
    inside = !InRing(point, polygon.rings[hole]);
  if (inside || margin_m <= 0)
    return inside;
  for (const auto& ring : polygon.rings) {
    if (DistanceToRingM(point, ring) <= margin_m)
      return true;
  }
  return false;
}

}  // namespace baotong::geo
