// WGS-84 geometry the platform needs for sites, zones and routes: distances on the sphere,
// point in polygon, distance to a polyline, and shapes read from GeoJSON. Pure functions.
//
// At city scale (tens of kilometres) an equirectangular projection around the point in
// question is accurate to well under a metre per kilometre, so distances to segments are
// computed in that local plane; point-to-point distances use the haversine formula.
#pragma once

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.h"

namespace baotong::geo {

struct LatLon {
  double lat = 0;  // degrees, north positive
  double lon = 0;  // degrees, east positive
  bool operator==(const LatLon&) const = default;
};

inline constexpr double kEarthRadiusM = 6'371'008.8;  // mean radius (IUGG)

// Great-circle distance in metres.
double DistanceM(const LatLon& a, const LatLon& b);

// Whether `point` lies inside the ring (first point may or may not repeat at the end). Points
// exactly on an edge may go either way. Rings must not cross the antimeridian.
bool InRing(const LatLon& point, const std::vector<LatLon>& ring);

// Shortest distance in metres from `point` to the polyline (at least one point).
double DistanceToPolylineM(const LatLon& point, const std::vector<LatLon>& line);

// A polygon with holes: rings[0] the outer boundary, the rest holes.
struct Polygon {
  std::vector<std::vector<LatLon>> rings;
};
// A circle (GeoJSON Point with a radius given separately).
struct Circle {
  LatLon center;
  double radius_m = 0;
};
struct Polyline {
  std::vector<LatLon> points;
};
using Shape = std::variant<Polygon, Circle, Polyline>;

// Reads a GeoJSON geometry: Polygon, MultiPolygon (each polygon its own shape), Point (a
// Circle of `point_radius_m`), LineString. Coordinates are [lon, lat].
Result<std::vector<Shape>> ShapesFromGeoJson(std::string_view geometry, double point_radius_m);

// Whether `point` is inside the shape, allowing `margin_m` beyond its edge (a polyline is
// "inside" within margin_m of it: a route corridor of half-width margin_m).
bool Contains(const Shape& shape, const LatLon& point, double margin_m = 0);

}  // namespace baotong::geo
