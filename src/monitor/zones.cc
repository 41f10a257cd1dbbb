#include "monitor/zones.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/china_time.h"
#include "registry/records.h"

namespace baotong::monitor {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr double kDegree = M_PI / 180.0;
constexpr double kMetresPerDegree = kDegree * geo::kEarthRadiusM;
constexpr int64_t kDayMs = 24 * 3600 * 1000;

// Slack between the S2 cell geometry (geodesic) and the planar tests of geo:: at cell scale;
// a cell within this of a boundary is never flagged inside or dropped.
double SlackM(double distance_m) {
  return 5.0 + 0.005 * distance_m;
}

// geo::DistanceToSegmentM with the point's cosine computed once per point.
struct LocalPlane {
  geo::LatLon origin;
  double cos_lat;
  explicit LocalPlane(const geo::LatLon& point)
      : origin(point), cos_lat(std::cos(point.lat * kDegree)) {}
  // The same operations in the same order as geo::, so that both give the same answer at the
  // edge of a corridor.
  double DistanceToSegmentM(const geo::LatLon& a, const geo::LatLon& b) const {
    const double ax = (a.lon - origin.lon) * kDegree * geo::kEarthRadiusM * cos_lat;
    const double ay = (a.lat - origin.lat) * kDegree * geo::kEarthRadiusM;
    const double bx = (b.lon - origin.lon) * kDegree * geo::kEarthRadiusM * cos_lat;
    const double by = (b.lat - origin.lat) * kDegree * geo::kEarthRadiusM;
    const double dx = bx - ax;
    const double dy = by - ay;
    const double length2 = dx * dx + dy * dy;
    double t = length2 > 0 ? -(ax * dx + ay * dy) / length2 : 0;
    t = std::clamp(t, 0.0, 1.0);
    return std::hypot(ax + t * dx, ay + t * dy);
  }
  // DistanceToSegmentM(a, b) <= limit_m, with the square root only where the squares are too
  // close to call.
  bool WithinM(const geo::LatLon& a, const geo::LatLon& b, double limit_m) const {
    const double ax = (a.lon - origin.lon) * kDegree * geo::kEarthRadiusM * cos_lat;
    const double ay = (a.lat - origin.lat) * kDegree * geo::kEarthRadiusM;
    const double bx = (b.lon - origin.lon) * kDegree * geo::kEarthRadiusM * cos_lat;
    const double by = (b.lat - origin.lat) * kDegree * geo::kEarthRadiusM;
    const double dx = bx - ax;
    const double dy = by - ay;
    const double length2 = dx * dx + dy * dy;
    double t = length2 > 0 ? -(ax * dx + ay * dy) / length2 : 0;
    t = std::clamp(t, 0.0, 1.0);
    const double x = ax + t * dx, y = ay + t * dy;
    const double d2 = x * x + y * y, limit2 = limit_m * limit_m;
    if (d2 < limit2 * (1 - 1e-9))
      return true;
    if (d2 > limit2 * (1 + 1e-9))
      return false;
    return std::hypot(x, y) <= limit_m;
  }
};

constexpr uint64_t kNoCell = ~uint64_t{0};

uint64_t CellHash(uint64_t key) {
  key *= 0x9e3779b97f4a7c15ULL;
  return key ^ (key >> 29);
}

double DistanceToRingM(const geo::LatLon& point, const std::vector<geo::LatLon>& ring) {
  const LocalPlane plane(point);
  double best = INFINITY;
  for (size_t i = 0; i + 1 < ring.size(); ++i)
    best = std::min(best, plane.DistanceToSegmentM(ring[i], ring[i + 1]));
  if (ring.size() > 1 && !(ring.front() == ring.back()))
    best = std::min(best, plane.DistanceToSegmentM(ring.back(), ring.front()));
  return best;
}

// A grid cell: its centre and the radius (m) of a circle about it that holds it.
struct CellDisc {
  geo::LatLon center;
  double radius_m;
};
CellDisc ComputeDisc(const geo::LatLon& center, double half_lat, double half_lon) {
  CellDisc disc{center, 0};
  for (double sy : {-1.0, 1.0}) {
    for (double sx : {-1.0, 1.0}) {
      const geo::LatLon corner{center.lat + sy * half_lat, center.lon + sx * half_lon};
      disc.radius_m = std::max(disc.radius_m, geo::DistanceM(center, corner));
    }
  }
  return disc;
}

// Whether segment p-q properly crosses segment a-b, in the (lon, lat) plane where geo::InRing
// draws its edges.
bool Crosses(const geo::LatLon& p, const geo::LatLon& q, const geo::LatLon& a,
             const geo::LatLon& b) {
  auto orient = [](const geo::LatLon& o, const geo::LatLon& u, const geo::LatLon& w) {
    const double cross = (u.lon - o.lon) * (w.lat - o.lat) - (u.lat - o.lat) * (w.lon - o.lon);
    return (cross > 0) - (cross < 0);
  };
  const int o1 = orient(a, b, p), o2 = orient(a, b, q);
  const int o3 = orient(p, q, a), o4 = orient(p, q, b);
  return o1 * o2 < 0 && o3 * o4 < 0;
}

void BoundsOf(const std::vector<geo::LatLon>& points, geo::LatLon& lo, geo::LatLon& hi) {
  lo = hi = points.front();
  for (const auto& p : points) {
    lo.lat = std::min(lo.lat, p.lat);
    lo.lon = std::min(lo.lon, p.lon);
    hi.lat = std::max(hi.lat, p.lat);
    hi.lon = std::max(hi.lon, p.lon);
  }
}

tl::unexpected<Invalid> Refuse(std::string code, std::string message) {
  return tl::unexpected<Invalid>(Invalid{std::move(code), std::move(message)});
}

const json* Member(const json& object, std::string_view key) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null())
    return nullptr;
  return &*found;
}

std::string MinuteText(int minute) {
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", minute / 60 % 100, minute % 60);
  return text;
}

std::optional<int> ParseMinute(const json& value) {
  if (!value.is_string())
    return std::nullopt;
  const std::string text = value.get<std::string>();
  if (text.size() != 5 || text[2] != ':' || !std::isdigit(static_cast<unsigned char>(text[0])) ||
      !std::isdigit(static_cast<unsigned char>(text[1])) ||
      !std::isdigit(static_cast<unsigned char>(text[3])) ||
      !std::isdigit(static_cast<unsigned char>(text[4])))
    return std::nullopt;
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0))
    return std::nullopt;
  return hours * 60 + minutes;
}

bool ValidCode(std::string_view code) {
  if (code.empty() || code.size() > 64)
    return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '-';
  });
}

ordered_json Coordinates(const std::vector<geo::LatLon>& points) {
  ordered_json out = ordered_json::array();
  for (const auto& p : points)
    out.push_back({p.lon, p.lat});
  return out;
}

Checked<geo::LatLon> PointOf(const json& value) {
  if (!value.is_array() || value.size() < 2 || value.size() > 3 || !value[0].is_number() ||
      !value[1].is_number())
    return Refuse("zone.geometry", "坐标应为[经度, 纬度] (positions are [lon, lat])");
  geo::LatLon point{value[1].get<double>(), value[0].get<double>()};
  if (!(point.lon >= -180 && point.lon <= 180 && point.lat >= -90 && point.lat <= 90))
    return Refuse("zone.geometry", "坐标超出有效范围 (position out of range)");
  return point;
}

Checked<std::vector<geo::LatLon>> PointsOf(const json& value) {
  if (!value.is_array() || value.size() > 10000)
    return Refuse("zone.geometry", "坐标列表无效 (coordinates must be an array)");
  std::vector<geo::LatLon> points;
  for (const auto& item : value) {
    auto point = PointOf(item);
    if (!point)
      return tl::unexpected(point.error());
    points.push_back(*point);
  }
  return points;
}

Checked<geo::Shape> ShapeOf(const json& geometry, ZoneKind kind, const json& object) {
  if (!geometry.is_object() || !geometry.contains("type") || !geometry["type"].is_string() ||
      !geometry.contains("coordinates"))
    return Refuse("zone.geometry", "缺少GeoJSON几何 (geometry: a GeoJSON geometry)");
  const std::string type = geometry["type"].get<std::string>();
  const json& coordinates = geometry["coordinates"];
  if (kind == ZoneKind::kRoute) {
    if (type != "LineString")
      return Refuse("zone.geometry", "路线几何应为LineString (a route is a LineString)");
    auto points = PointsOf(coordinates);
    if (!points)
      return tl::unexpected(points.error());
    if (points->size() < 2)
      return Refuse("zone.geometry", "路线至少需要2个坐标点 (a route needs 2+ positions)");
    return geo::Polyline{std::move(*points)};
  }
  if (type == "Point") {
    auto center = PointOf(coordinates);
    if (!center)
      return tl::unexpected(center.error());
    const json* radius = Member(object, "radius_m");
    if (!radius || !radius->is_number())
      return Refuse("zone.radius_m", "圆形区域需要半径 (radius_m is required for a circle)");
    const double radius_m = radius->get<double>();
    if (!(radius_m >= 10 && radius_m <= 50'000))
      return Refuse("zone.radius_m", "半径必须在 10 米到 50 公里之间 (radius_m: 10-50000)");
    return geo::Circle{*center, radius_m};
  }
  if (type != "Polygon")
    return Refuse("zone.geometry", "区域几何应为Polygon或Point (geometry: Polygon or Point)");
  if (!coordinates.is_array() || coordinates.empty() || coordinates.size() > 100)
    return Refuse("zone.geometry", "多边形至少需要一个环 (a polygon needs a ring)");
  geo::Polygon polygon;
  for (const auto& ring_json : coordinates) {
    auto ring = PointsOf(ring_json);
    if (!ring)
      return tl::unexpected(ring.error());
    if (ring->size() < 4 || !(ring->front() == ring->back()))
      return Refuse("zone.geometry",
                    "多边形的环必须闭合且至少有3个点 (rings are closed, 3+ distinct points)");
    std::vector<geo::LatLon> distinct(ring->begin(), ring->end() - 1);
    std::sort(distinct.begin(), distinct.end(), [](const auto& a, const auto& b) {
      return a.lat != b.lat ? a.lat < b.lat : a.lon < b.lon;
    });
    if (std::unique(distinct.begin(), distinct.end()) - distinct.begin() < 3)
      return Refuse("zone.geometry",
                    "多边形的环必须闭合且至少有3个点 (rings are closed, 3+ distinct points)");
    polygon.rings.push_back(std::move(*ring));
  }
  return polygon;
}

}  // namespace

std::string_view ZoneKindId(ZoneKind kind) {
  switch (kind) {
    case ZoneKind::kCity:
      return "city";
    case ZoneKind::kSite:
      return "site";
    case ZoneKind::kRestricted:
      return "restricted";
    case ZoneKind::kRoute:
      return "route";
  }
  return "";
}

std::string_view ZoneKindName(ZoneKind kind) {
  switch (kind) {
    case ZoneKind::kCity:
      return "城区";
    case ZoneKind::kSite:
      return "指定场所";
    case ZoneKind::kRestricted:
      return "管控区域";
    case ZoneKind::kRoute:
      return "通行路线";
  }
  return "";
}

std::optional<ZoneKind> ParseZoneKind(std::string_view id) {
  for (ZoneKind kind :
       {ZoneKind::kCity, ZoneKind::kSite, ZoneKind::kRestricted, ZoneKind::kRoute}) {
    if (ZoneKindId(kind) == id)
      return kind;
  }
  return std::nullopt;
}

bool InWindow(const TimeWindow& window, int minute_of_day) {
  if (window.start_minute == window.end_minute ||
      (window.start_minute == 0 && window.end_minute >= 1440))
    return true;
  if (window.start_minute < window.end_minute)
    return minute_of_day >= window.start_minute && minute_of_day < window.end_minute;
  return minute_of_day >= window.start_minute || minute_of_day < window.end_minute;
}

int ChinaMinuteOfDay(int64_t utc_ms) {
  int64_t local = (utc_ms + kChinaUtcOffsetMs) % kDayMs;
  if (local < 0)
    local += kDayMs;
  return static_cast<int>(local / 60'000);
}

bool ZoneApplies(const Zone& zone, int minute_of_day, uint32_t class_bit) {
  if (class_bit != 0 && (zone.vehicle_classes & class_bit) == 0)
    return false;
  if (zone.active.empty())
    return true;
  return std::any_of(zone.active.begin(), zone.active.end(),
                     [&](const TimeWindow& w) { return InWindow(w, minute_of_day); });
}

bool ZoneContains(const Zone& zone, const geo::LatLon& point, double margin_m) {
  if (zone.kind == ZoneKind::kRoute)
    return geo::Contains(zone.shape, point, zone.corridor_m + margin_m);
  return geo::Contains(zone.shape, point, margin_m);
}

Result<std::shared_ptr<const ZoneIndex>> ZoneIndex::Build(std::vector<Zone> zones) {
  if (zones.size() >= (1u << 31))
    return Fail(ErrorCode::kResourceLimit, "too many zones");
  auto index = std::make_shared<ZoneIndex>();
  index->zones_ = std::move(zones);
  // The grid's longitude step: kCellDegrees of latitude in metres, at the zones' mean latitude.
  double lat_sum = 0;
  size_t lat_count = 0;
  for (const Zone& zone : index->zones_) {
    if (const auto* circle = std::get_if<geo::Circle>(&zone.shape)) {
      lat_sum += circle->center.lat;
      ++lat_count;
    } else if (const auto* polygon = std::get_if<geo::Polygon>(&zone.shape)) {
      if (!polygon->rings.empty() && !polygon->rings[0].empty()) {
        lat_sum += polygon->rings[0][0].lat;
        ++lat_count;
      }
    } else if (const auto& line = std::get<geo::Polyline>(zone.shape); !line.points.empty()) {
      lat_sum += line.points[0].lat;
      ++lat_count;
    }
  }
  const double mean_lat = lat_count > 0 ? lat_sum / lat_count : 0;
  if (!std::isfinite(mean_lat))
    return Fail(ErrorCode::kBadValue, "zone coordinates must be finite");
  index->cell_lon_degrees_ = kCellDegrees / std::max(0.1, std::cos(mean_lat * kDegree));
  const double half_lat = kCellDegrees / 2, half_lon = index->cell_lon_degrees_ / 2;

  // The grid cells that meet the rectangle [lo, hi] (degrees) grown by `grow_m`.
  std::vector<uint64_t> cells;
  auto cells_of_rect = [&](geo::LatLon lo, geo::LatLon hi, double grow_m) {
    cells.clear();
    const double grow_lat = (grow_m + 10) / kMetresPerDegree;
    const double cos_lat =
        std::cos(std::min(90.0, std::max(std::abs(lo.lat), std::abs(hi.lat)) + grow_lat) * kDegree);
    const double grow_lon = grow_lat / std::max(cos_lat, 0.01);
    const uint64_t low = index->CellKey({lo.lat - grow_lat, lo.lon - grow_lon});
    const uint64_t high = index->CellKey({hi.lat + grow_lat, hi.lon + grow_lon});
    for (uint64_t y = low >> 32; y <= high >> 32; ++y) {
      for (uint64_t x = low & 0xffffffff; x <= (high & 0xffffffff); ++x)
        cells.push_back(y << 32 | x);
    }
  };
  auto disc_of = [&](uint64_t key) {
    return ComputeDisc(index->CellCenter(key), half_lat, half_lon);
  };

  // (cell, candidate) pairs of every zone; sorted by cell at the end.
  std::vector<std::pair<uint64_t, Candidate>> pairs;
  std::vector<uint32_t> all_segments;  // segment = (point i, point i+1) of points
  std::vector<geo::LatLon> points;
  std::vector<std::pair<uint64_t, uint32_t>> route_cells;  // (cell, segment) of one route
  index->facts_.reserve(index->zones_.size());
  for (uint32_t id = 0; id < index->zones_.size(); ++id) {
    const Zone& zone = index->zones_[id];
    if (!index->by_code_.emplace(zone.code, id).second)
      return Fail(ErrorCode::kConflict, "duplicate zone code");
    Facts& facts = index->facts_.emplace_back();
    facts.speed_limit_kmh = zone.speed_limit_kmh.value_or(NAN);
    facts.vehicle_classes = zone.vehicle_classes;
    facts.always_active = zone.active.empty();
    facts.one_window = zone.active.size() == 1;
    if (facts.one_window) {
      facts.window_start = static_cast<uint16_t>(std::clamp(zone.active[0].start_minute, 0, 1440));
      facts.window_end = static_cast<uint16_t>(std::clamp(zone.active[0].end_minute, 0, 1440));
      facts.one_window = facts.window_start == zone.active[0].start_minute &&
                         facts.window_end == zone.active[0].end_minute;
    }
    Candidate proto{};
    proto.zone = id;
    proto.kind = zone.kind;
    proto.vehicle_classes = static_cast<uint8_t>(zone.vehicle_classes);
    proto.has_speed_limit = zone.speed_limit_kmh.has_value();
    proto.always_active = zone.active.empty();
    proto.shape = kOtherShape;
    if (const auto* circle = std::get_if<geo::Circle>(&zone.shape)) {
      if (zone.kind == ZoneKind::kRoute || !(circle->radius_m > 0))
        return Fail(ErrorCode::kBadValue, "zone circle needs a positive radius, not a route");
      facts.shape = kCircleShape;
      facts.radius_m = circle->radius_m;
      proto.shape = kCircleShape;
      proto.first_segment = static_cast<uint32_t>(index->circles_.size());
      index->circles_.push_back({circle->center, circle->radius_m});
      cells_of_rect(circle->center, circle->center, circle->radius_m);
      for (uint64_t cell : cells) {
        const CellDisc disc = disc_of(cell);
        const double d = geo::DistanceM(disc.center, circle->center);
        const double slack = SlackM(disc.radius_m + circle->radius_m);
        if (d - disc.radius_m - slack > circle->radius_m)
          continue;
        Candidate candidate = proto;
        candidate.inside = d + disc.radius_m + slack <= circle->radius_m;
        pairs.push_back({cell, candidate});
      }
    } else if (const auto* polygon = std::get_if<geo::Polygon>(&zone.shape)) {
      if (zone.kind == ZoneKind::kRoute || polygon->rings.empty() || polygon->rings[0].size() < 3)
        return Fail(ErrorCode::kBadValue, "zone polygon needs a ring of 3+ points, not a route");
      geo::LatLon lo, hi;
      BoundsOf(polygon->rings[0], lo, hi);
      cells_of_rect(lo, hi, 0);
      // A single ring's edges, closed, for the crossing test.
      const bool one_ring = polygon->rings.size() == 1;
      facts.shape = one_ring ? kRingShape : kOtherShape;
      proto.shape = facts.shape;
      std::vector<geo::LatLon> closed;
      if (one_ring) {
        closed = polygon->rings[0];
        if (!(closed.front() == closed.back()))
          closed.push_back(closed.front());
      }
      auto& edges = index->edges_;
      for (uint64_t cell : cells) {
        const CellDisc disc = disc_of(cell);
        const double reach = disc.radius_m + SlackM(disc.radius_m);
        const uint32_t first = static_cast<uint32_t>(edges.size());
        double edge = INFINITY;
        const LocalPlane plane(disc.center);
        if (one_ring) {
          for (size_t e = 0; e + 1 < closed.size(); ++e) {
            const double d = plane.DistanceToSegmentM(closed[e], closed[e + 1]);
            edge = std::min(edge, d);
            if (d <= reach)
              edges.push_back({closed[e], closed[e + 1]});
          }
        } else {
          for (const auto& ring : polygon->rings)
            edge = std::min(edge, DistanceToRingM(disc.center, ring));
        }
        const bool clear_of_edge = edge > reach;
        // Far from every edge the whole cell is on the centre's side.
        const bool center_inside = geo::Contains(zone.shape, disc.center);
        if (clear_of_edge && !center_inside) {
          edges.resize(first);
          continue;
        }
        Candidate candidate = proto;
        candidate.inside = clear_of_edge && center_inside;
        candidate.center_inside = center_inside;
        candidate.first_segment = first;
        candidate.segments = static_cast<uint32_t>(edges.size()) - first;
        pairs.push_back({cell, candidate});
      }
    } else {
      const auto& line = std::get<geo::Polyline>(zone.shape);
      if (zone.kind != ZoneKind::kRoute || line.points.size() < 2 || !(zone.corridor_m > 0))
        return Fail(ErrorCode::kBadValue, "a polyline is a route with 2+ points and a corridor");
      const uint32_t base = static_cast<uint32_t>(points.size());
      points.insert(points.end(), line.points.begin(), line.points.end());
      facts.shape = kRouteShape;
      proto.shape = kRouteShape;
      facts.radius_m = zone.corridor_m;
      facts.first_point = base;
      facts.points = static_cast<uint32_t>(line.points.size());
      // Which segments can reach which cell: every segment's box grown by the corridor.
      route_cells.clear();
      for (uint32_t s = 0; s + 1 < line.points.size(); ++s) {
        const geo::LatLon& a = line.points[s];
        const geo::LatLon& b = line.points[s + 1];
        cells_of_rect({std::min(a.lat, b.lat), std::min(a.lon, b.lon)},
                      {std::max(a.lat, b.lat), std::max(a.lon, b.lon)}, zone.corridor_m);
        for (uint64_t cell : cells)
          route_cells.push_back({cell, base + s});
      }
      std::sort(route_cells.begin(), route_cells.end());
      for (size_t i = 0; i < route_cells.size();) {
        const uint64_t cell = route_cells[i].first;
        const CellDisc disc = disc_of(cell);
        const LocalPlane plane(disc.center);
        const double slack = SlackM(disc.radius_m + zone.corridor_m);
        const double reach = disc.radius_m + zone.corridor_m + slack;
        double best = INFINITY;
        const uint32_t first = static_cast<uint32_t>(all_segments.size());
        for (; i < route_cells.size() && route_cells[i].first == cell; ++i) {
          const uint32_t s = route_cells[i].second;
          const double d = plane.DistanceToSegmentM(points[s], points[s + 1]);
          best = std::min(best, d);
          if (d <= reach)
            all_segments.push_back(s);
        }
        const uint32_t count = static_cast<uint32_t>(all_segments.size()) - first;
        if (count == 0)
          continue;
        Candidate candidate = proto;
        candidate.inside = best + disc.radius_m + slack <= zone.corridor_m;
        candidate.first_segment = first;
        candidate.segments = count;
        pairs.push_back({cell, candidate});
      }
    }
  }
  // By cell, routes last; zone ids stay ascending within each part.
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first)
      return a.first < b.first;
    return (a.second.kind != ZoneKind::kRoute) && (b.second.kind == ZoneKind::kRoute);
  });
  size_t distinct = 0;
  for (size_t i = 0; i < pairs.size(); ++i)
    distinct += i == 0 || pairs[i].first != pairs[i - 1].first;
  size_t capacity = 16;
  while (capacity < 2 * distinct)
    capacity *= 2;
  index->cells_.assign(capacity, CellSlot{});
  index->cell_count_ = distinct;
  index->candidates_.reserve(pairs.size());
  for (size_t i = 0; i < pairs.size();) {
    CellSlot slot;
    slot.key = pairs[i].first;
    slot.begin = slot.routes_begin = static_cast<uint32_t>(index->candidates_.size());
    for (; i < pairs.size() && pairs[i].first == slot.key; ++i) {
      index->candidates_.push_back(pairs[i].second);
      if (pairs[i].second.kind != ZoneKind::kRoute)
        slot.routes_begin = static_cast<uint32_t>(index->candidates_.size());
    }
    slot.end = static_cast<uint32_t>(index->candidates_.size());
    const size_t mask = capacity - 1;
    size_t at = CellHash(slot.key) & mask;
    while (index->cells_[at].key != kNoCell)
      at = (at + 1) & mask;
    index->cells_[at] = slot;
  }
  index->segments_ = std::move(all_segments);
  index->points_ = std::move(points);
  return std::shared_ptr<const ZoneIndex>(std::move(index));
}

std::optional<uint32_t> ZoneIndex::FindByCode(std::string_view code) const {
  auto found = by_code_.find(std::string(code));
  if (found == by_code_.end())
    return std::nullopt;
  return found->second;
}

uint64_t ZoneIndex::CellKey(const geo::LatLon& point) const {
  // NaN and points off the map go to the edge cells (which hold nothing unless a zone is there).
  double y = std::floor((point.lat + 90) / kCellDegrees);
  double x = std::floor((point.lon + 180) / cell_lon_degrees_);
  y = y >= 0 ? std::min(y, 1e6) : 0;
  x = x >= 0 ? std::min(x, 1e9) : 0;
  return static_cast<uint64_t>(y) << 32 | static_cast<uint64_t>(x);
}

geo::LatLon ZoneIndex::CellCenter(uint64_t key) const {
  return {-90 + (static_cast<double>(key >> 32) + 0.5) * kCellDegrees,
          -180 + (static_cast<double>(key & 0xffffffff) + 0.5) * cell_lon_degrees_};
}

const ZoneIndex::CellSlot* ZoneIndex::FindCell(uint64_t key) const {
  if (cells_.empty())
    return nullptr;
  const size_t mask = cells_.size() - 1;
  for (size_t at = CellHash(key) & mask;; at = (at + 1) & mask) {
    const CellSlot& slot = cells_[at];
    if (slot.key == key)
      return &slot;
    if (slot.key == kNoCell)
      return nullptr;
  }
}

void ZoneIndex::CandidatesAt(const geo::LatLon& point, Cursor& cursor) const {
  const uint64_t key = CellKey(point);
  if (key == cursor.cell)
    return;
  cursor.cell = key;
  const CellSlot* slot = FindCell(key);
  if (!slot) {
    cursor.begin = cursor.end = cursor.routes_begin = cursor.routes_end = nullptr;
    return;
  }
  cursor.center = CellCenter(key);
  cursor.metres_per_degree_lon = kMetresPerDegree * std::cos(cursor.center.lat * kDegree);
  cursor.begin = candidates_.data() + slot->begin;
  cursor.end = cursor.routes_begin = candidates_.data() + slot->routes_begin;
  cursor.routes_end = candidates_.data() + slot->end;
}

bool ZoneIndex::CandidateContains(const Cursor& cursor, const Candidate& candidate,
                                  const geo::LatLon& point) const {
  if (candidate.inside)
    return true;
  switch (candidate.shape) {
    case kRouteShape: {
      const Facts& facts = facts_[candidate.zone];
      const LocalPlane plane(point);
      for (uint32_t k = 0; k < candidate.segments; ++k) {
        const uint32_t s = segments_[candidate.first_segment + k];
        if (plane.WithinM(points_[s], points_[s + 1], facts.radius_m))
          return true;
      }
      return false;
    }
    case kCircleShape: {
      const Circle& circle = circles_[candidate.first_segment];
      // The plane about the cell's centre decides unless the point is near the rim; the rim
      // itself is geo::'s haversine.
      const double dx = (point.lon - circle.center.lon) * cursor.metres_per_degree_lon;
      const double dy = (point.lat - circle.center.lat) * kMetresPerDegree;
      const double d2 = dx * dx + dy * dy;
      const double slack = SlackM(circle.radius_m) + 0.01 * circle.radius_m;
      const double near = std::max(0.0, circle.radius_m - slack);
      const double far = circle.radius_m + slack;
      if (d2 < near * near)
        return true;
      if (d2 > far * far)
        return false;
      return geo::DistanceM(circle.center, point) <= circle.radius_m;
    }
    case kRingShape: {
      // The centre's side, flipped by every edge crossed on the way to the point.
      bool inside = candidate.center_inside;
      const Edge* edge = edges_.data() + candidate.first_segment;
      for (uint32_t k = 0; k < candidate.segments; ++k, ++edge)
        inside ^= Crosses(cursor.center, point, edge->a, edge->b);
      return inside;
    }
    default:
      return geo::Contains(zones_[candidate.zone].shape, point);
  }
}

bool ZoneIndex::RouteContains(const Cursor& cursor, uint32_t route, const geo::LatLon& point,
                              uint32_t& segment_hint) const {
  const Facts& facts = facts_[route];
  if (facts.shape != kRouteShape)
    return false;
  const LocalPlane plane(point);
  // The segments about the last hit: a vehicle on its route is usually still near them.
  const uint32_t last = facts.points - 2;
  const uint32_t hint = std::min(segment_hint, last);
  for (uint32_t s = hint > 0 ? hint - 1 : 0; s <= std::min(hint + 1, last); ++s) {
    const uint32_t at = facts.first_point + s;
    if (plane.WithinM(points_[at], points_[at + 1], facts.radius_m)) {
      segment_hint = s;
      return true;
    }
  }
  const Candidate* found =
      std::lower_bound(cursor.routes_begin, cursor.routes_end, route,
                       [](const Candidate& c, uint32_t id) { return c.zone < id; });
  if (found == cursor.routes_end || found->zone != route)
    return false;
  if (found->inside)
    return true;
  for (uint32_t k = 0; k < found->segments; ++k) {
    const uint32_t s = segments_[found->first_segment + k];
    if (plane.WithinM(points_[s], points_[s + 1], facts.radius_m)) {
      segment_hint = s - facts.first_point;
      return true;
    }
  }
  return false;
}

void ZoneIndex::PrefetchCandidates(const Cursor& cursor, std::optional<uint32_t> route,
                                   const geo::LatLon& point) const {
  if (const uint64_t key = CellKey(point); key != cursor.cell && !cells_.empty())
    __builtin_prefetch(&cells_[CellHash(key) & (cells_.size() - 1)]);
  for (const char* at = reinterpret_cast<const char*>(cursor.begin);
       at < reinterpret_cast<const char*>(cursor.end); at += 64)
    __builtin_prefetch(at);
  if (route && *route < facts_.size())
    __builtin_prefetch(&facts_[*route]);
}

void ZoneIndex::PrefetchShapes(const Cursor& cursor, std::optional<uint32_t> route,
                               uint32_t segment_hint) const {
  for (const Candidate* c = cursor.begin; c != cursor.end; ++c) {
    if (c->inside)
      continue;
    if (c->shape == kRingShape)
      __builtin_prefetch(edges_.data() + c->first_segment);
    else if (c->shape == kCircleShape)
      __builtin_prefetch(circles_.data() + c->first_segment);
  }
  if (route && *route < facts_.size()) {
    const Facts& facts = facts_[*route];
    if (facts.shape == kRouteShape) {
      const uint32_t hint = std::min(segment_hint, facts.points - 2);
      const geo::LatLon* at = points_.data() + facts.first_point + (hint > 0 ? hint - 1 : 0);
      __builtin_prefetch(at);
      __builtin_prefetch(at + 3);
    }
  }
}

bool ZoneIndex::Applies(uint32_t id, int minute_of_day, uint32_t class_bit) const {
  const Facts& facts = facts_[id];
  if (class_bit != 0 && (facts.vehicle_classes & class_bit) == 0)
    return false;
  if (facts.always_active)
    return true;
  if (facts.one_window)
    return InWindow({facts.window_start, facts.window_end}, minute_of_day);
  return ZoneApplies(zones_[id], minute_of_day, class_bit);
}

void ZoneIndex::ZonesAt(const geo::LatLon& point, std::vector<uint32_t>& out) const {
  out.clear();
  Cursor cursor;
  CandidatesAt(point, cursor);
  for (const Candidate* c = cursor.begin; c != cursor.routes_end; ++c) {
    if (CandidateContains(cursor, *c, point))
      out.push_back(c->zone);
  }
  std::sort(out.begin(), out.end());
}

ordered_json ZoneJson(const Zone& zone) {
  ordered_json out;
  out["code"] = zone.code;
  out["name"] = zone.name;
  out["kind"] = ZoneKindId(zone.kind);
  if (const auto* circle = std::get_if<geo::Circle>(&zone.shape)) {
    out["geometry"] = {{"type", "Point"},
                       {"coordinates", {circle->center.lon, circle->center.lat}}};
    out["radius_m"] = circle->radius_m;
  } else if (const auto* polygon = std::get_if<geo::Polygon>(&zone.shape)) {
    ordered_json rings = ordered_json::array();
    for (const auto& ring : polygon->rings)
      rings.push_back(Coordinates(ring));
    out["geometry"] = {{"type", "Polygon"}, {"coordinates", rings}};
  } else {
    out["geometry"] = {{"type", "LineString"},
                       {"coordinates", Coordinates(std::get<geo::Polyline>(zone.shape).points)}};
  }
  out["corridor_m"] = zone.corridor_m;
  ordered_json windows = ordered_json::array();
  for (const auto& window : zone.active)
    windows.push_back(
        {{"start", MinuteText(window.start_minute)}, {"end", MinuteText(window.end_minute)}});
  out["windows"] = windows;
  ordered_json classes = ordered_json::array();
  for (auto value : registry::kAllVehicleClasses) {
    if (zone.vehicle_classes & (1u << static_cast<int>(value)))
      classes.push_back(registry::VehicleClassId(value));
  }
  out["vehicle_classes"] = classes;
  out["speed_limit_kmh"] = zone.speed_limit_kmh ? ordered_json(*zone.speed_limit_kmh) : nullptr;
  out["alarm_on_exit"] = zone.alarm_on_exit;
  out["department"] = zone.department;
  return out;
}

Checked<Zone> ParseZone(const json& object) {
  if (!object.is_object())
    return Refuse("zone.json", "区域应为JSON对象 (a zone is a JSON object)");
  Zone zone;
  const json* code = Member(object, "code");
  if (!code || !code->is_string() || !ValidCode(code->get<std::string>()))
    return Refuse("zone.code", "区域编号应为1-64个字母、数字或 _ : - (code: [A-Za-z0-9_:-]{1,64})");
  zone.code = code->get<std::string>();
  const json* name = Member(object, "name");
  if (!name || !name->is_string() || name->get<std::string>().empty() ||
      name->get<std::string>().size() > 200)
    return Refuse("zone.name", "缺少区域名称 (name: 1-200 bytes)");
  zone.name = name->get<std::string>();
  const json* kind = Member(object, "kind");
  std::optional<ZoneKind> parsed_kind =
      kind && kind->is_string() ? ParseZoneKind(kind->get<std::string>()) : std::nullopt;
  if (!parsed_kind)
    return Refuse("zone.kind", "区域类型应为 city、site、restricted 或 route (kind)");
  zone.kind = *parsed_kind;
  const json* geometry = Member(object, "geometry");
  if (!geometry)
    return Refuse("zone.geometry", "缺少GeoJSON几何 (geometry: a GeoJSON geometry)");
  auto shape = ShapeOf(*geometry, zone.kind, object);
  if (!shape)
    return tl::unexpected(shape.error());
  zone.shape = std::move(*shape);
  if (const json* corridor = Member(object, "corridor_m")) {
    if (!corridor->is_number() || !(corridor->get<double>() >= 10) ||
        !(corridor->get<double>() <= 5000))
      return Refuse("zone.corridor_m", "路线走廊宽度必须在 10-5000 米之间 (corridor_m: 10-5000)");
    zone.corridor_m = corridor->get<double>();
  }
  if (const json* windows = Member(object, "windows")) {
    if (!windows->is_array() || windows->size() > 24)
      return Refuse("zone.windows", "生效时段应为列表 (windows: an array, at most 24)");
    for (const auto& window : *windows) {
      if (!window.is_object() || !window.contains("start") || !window.contains("end"))
        return Refuse("zone.windows", "生效时段格式为 {\"start\":\"22:00\",\"end\":\"06:00\"}");
      auto start = ParseMinute(window["start"]);
      auto end = ParseMinute(window["end"]);
      if (!start || !end || *start >= 1440)
        return Refuse("zone.windows", "生效时段时间格式为 HH:MM (windows: \"HH:MM\")");
      zone.active.push_back({*start, *end});
    }
  }
  if (const json* classes = Member(object, "vehicle_classes")) {
    if (!classes->is_array() || classes->empty())
      return Refuse("zone.vehicle_classes", "适用车辆类型不能为空 (vehicle_classes)");
    zone.vehicle_classes = 0;
    for (const auto& item : *classes) {
      auto value =
          item.is_string() ? registry::ParseVehicleClass(item.get<std::string>()) : std::nullopt;
      if (!value)
        return Refuse("zone.vehicle_classes",
                      "未知车辆类型 (vehicle_classes: tour_bus, line_bus, hazardous, "
                      "heavy_truck, truck)");
      zone.vehicle_classes |= 1u << static_cast<int>(*value);
    }
  }
  if (const json* limit = Member(object, "speed_limit_kmh")) {
    if (!limit->is_number() || !(limit->get<double>() >= 5) || !(limit->get<double>() <= 150))
      return Refuse("zone.speed_limit_kmh", "区域限速必须在 5-150 km/h 之间 (speed_limit_kmh)");
    zone.speed_limit_kmh = limit->get<double>();
  }
  if (const json* on_exit = Member(object, "alarm_on_exit")) {
    if (!on_exit->is_boolean())
      return Refuse("zone.alarm_on_exit", "alarm_on_exit 应为 true 或 false");
    zone.alarm_on_exit = on_exit->get<bool>();
  }
  if (const json* department = Member(object, "department")) {
    if (!department->is_string() || department->get<std::string>().size() > 64)
      return Refuse("zone.department", "主管部门应为不超过64字节的文字 (department)");
    zone.department = department->get<std::string>();
  }
  return zone;
}

}  // namespace baotong::monitor
