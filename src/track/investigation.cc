#include "track/investigation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

namespace baotong::track {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMetresPerDegree = geo::kEarthRadiusM * kPi / 180;
// Enough positions for any terminal over kMaxInvestigationSpanMs at one report a second.
constexpr size_t kTrackLimit = 3'000'000;
constexpr size_t kCandidatesPerThread = 64;
constexpr size_t kMaxQueryThreads = 4;
constexpr int64_t kLatestTimeMs = 4'102'444'800'000;  // 2100-01-01
constexpr double kMaxAreaSpanM = 100'000;

bool ValidLatLon(const geo::LatLon& point) {
  return std::isfinite(point.lat) && std::isfinite(point.lon) && std::abs(point.lat) <= 85 &&
         std::abs(point.lon) <= 180;
}

int64_t FloorE6(double degrees) {
  return static_cast<int64_t>(std::floor(degrees * 1e6));
}
int64_t CeilE6(double degrees) {
  return static_cast<int64_t>(std::ceil(degrees * 1e6));
}

double Cross(double ax, double ay, double bx, double by) {
  return ax * by - ay * bx;
}

// Distance from p to the segment a-b, in the plane.
double DistanceToSegment(double px, double py, double ax, double ay, double bx, double by) {
  const double dx = bx - ax;
  const double dy = by - ay;
  const double length2 = dx * dx + dy * dy;
  double u = length2 == 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / length2;
  u = std::clamp(u, 0.0, 1.0);
  return std::hypot(px - (ax + u * dx), py - (ay + u * dy));
}

}  // namespace

bool IsValidWindow(int64_t from_ms, int64_t to_ms) {
  return from_ms >= 0 && to_ms <= kLatestTimeMs && from_ms <= to_ms &&
         to_ms - from_ms <= kMaxInvestigationSpanMs;
}

Result<Area> Area::Make(const AreaShape& shape) {
  Area area;
  area.shape_ = shape;
  if (const auto* circle = std::get_if<geo::Circle>(&shape)) {
    if (!ValidLatLon(circle->center) || !std::isfinite(circle->radius_m) || circle->radius_m <= 0 ||
        circle->radius_m > kMaxAreaRadiusM) {
      return Fail(ErrorCode::kBadValue, "circle: centre off the globe or radius out of range");
    }
    area.origin_lat_ = circle->center.lat;
    area.origin_lon_ = circle->center.lon;
    area.radius_m_ = circle->radius_m;
  } else {
    const auto& ring = std::get<std::vector<geo::LatLon>>(shape);
    if (ring.size() < 3 || ring.size() > kMaxAreaVertices ||
        !std::all_of(ring.begin(), ring.end(), ValidLatLon)) {
      return Fail(ErrorCode::kBadValue, "polygon: 3 to 500 points on the globe");
    }
    if (std::any_of(ring.begin(), ring.end(), [&](const geo::LatLon& point) {
          return std::abs(point.lon - ring.front().lon) > 90;
        })) {
      return Fail(ErrorCode::kBadValue, "polygon: at most 100 km across");
    }
    area.origin_lat_ = ring.front().lat;
    area.origin_lon_ = ring.front().lon;
  }
  area.metres_per_lon_degree_ = kMetresPerDegree * std::cos(area.origin_lat_ * kPi / 180);
  if (area.radius_m_ > 0) {
    const double reach = area.radius_m_ + kEdgeToleranceM;
    const double dlat = reach / kMetresPerDegree;
    const double dlon = reach / area.metres_per_lon_degree_;
    area.bounds_ = {FloorE6(area.origin_lat_ - dlat) - 2, FloorE6(area.origin_lon_ - dlon) - 2,
                    CeilE6(area.origin_lat_ + dlat) + 2, CeilE6(area.origin_lon_ + dlon) + 2};
  } else {
    const auto& ring = std::get<std::vector<geo::LatLon>>(shape);
    double min_lat = ring.front().lat, max_lat = min_lat;
    double min_lon = ring.front().lon, max_lon = min_lon;
    for (const geo::LatLon& point : ring) {
      area.polygon_.push_back({(point.lon - area.origin_lon_) * area.metres_per_lon_degree_,
                               (point.lat - area.origin_lat_) * kMetresPerDegree});
      min_lat = std::min(min_lat, point.lat);
      max_lat = std::max(max_lat, point.lat);
      min_lon = std::min(min_lon, point.lon);
      max_lon = std::max(max_lon, point.lon);
    }
    if (area.polygon_.size() > 3 && area.polygon_.front().x == area.polygon_.back().x &&
        area.polygon_.front().y == area.polygon_.back().y) {
      area.polygon_.pop_back();  // GeoJSON repeats the first point at the end
    }
    if ((max_lat - min_lat) * kMetresPerDegree > kMaxAreaSpanM ||
        (max_lon - min_lon) * area.metres_per_lon_degree_ > kMaxAreaSpanM) {
      return Fail(ErrorCode::kBadValue, "polygon: at most 100 km across");
    }
    // The edge tolerance is about one e6 unit; three keep the box outside it.
    area.bounds_ = {FloorE6(min_lat) - 3, FloorE6(min_lon) - 3, CeilE6(max_lat) + 3,
                    CeilE6(max_lon) + 3};
  }
  return area;
}

Area::Point Area::ToPlane(int32_t lat_e6, int32_t lon_e6) const {
  return {(lon_e6 / 1e6 - origin_lon_) * metres_per_lon_degree_,
          (lat_e6 / 1e6 - origin_lat_) * kMetresPerDegree};
}

bool Area::ContainsPlane(Point p, bool with_edge) const {
  if (radius_m_ > 0) {
    return std::hypot(p.x, p.y) <= radius_m_ + kEdgeToleranceM;
  }
  bool inside = false;
  const size_t n = polygon_.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const Point& a = polygon_[j];
    const Point& b = polygon_[i];
    if (with_edge && DistanceToSegment(p.x, p.y, a.x, a.y, b.x, b.y) <= kEdgeToleranceM) {
      return true;  // on the edge
    }
    if ((a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y)) {
      inside = !inside;
    }
  }
  return inside;
}

bool Area::Contains(int32_t lat_e6, int32_t lon_e6) const {
  return ContainsPlane(ToPlane(lat_e6, lon_e6), true);
}

std::vector<std::pair<double, double>> Area::InsideParts(const model::Position& a,
                                                         const model::Position& b) const {
  std::vector<std::pair<double, double>> parts;
  const Point pa = ToPlane(a.lat_e6, a.lon_e6);
  const Point pb = ToPlane(b.lat_e6, b.lon_e6);
  const double dx = pb.x - pa.x;
  const double dy = pb.y - pa.y;
  if (radius_m_ > 0) {
    // |pa + u d|^2 = R^2, a quadratic in u.
    const double reach = radius_m_ + kEdgeToleranceM;
    const double qa = dx * dx + dy * dy;
    const double qb = 2 * (pa.x * dx + pa.y * dy);
    const double qc = pa.x * pa.x + pa.y * pa.y - reach * reach;
    if (qa == 0) {
      if (qc <= 0) {
        parts.emplace_back(0.0, 1.0);
      }
      return parts;
    }
    const double discriminant = qb * qb - 4 * qa * qc;
    if (discriminant < 0) {
      return parts;
    }
    const double root = std::sqrt(discriminant);
    const double lo = std::max(0.0, (-qb - root) / (2 * qa));
    const double hi = std::min(1.0, (-qb + root) / (2 * qa));
    if (lo <= hi) {
      parts.emplace_back(lo, hi);
    }
    return parts;
  }
  // Polygon: cut the segment where it crosses an edge; each piece is wholly in or out of the
  // interior, tested at its middle without the edge tolerance (which would take in a piece
  // that only comes near the edge); the cut points, on an edge, are tested with it.
  std::vector<double> cuts = {0.0, 1.0};
  const size_t n = polygon_.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const Point& p = polygon_[j];
    const Point& q = polygon_[i];
    const double ex = q.x - p.x;
    const double ey = q.y - p.y;
    const double denominator = Cross(dx, dy, ex, ey);
    const double wx = p.x - pa.x;
    const double wy = p.y - pa.y;
    if (std::abs(denominator) < 1e-12) {
      // Parallel: where the edge's ends project onto the segment (it may run along the edge).
      const double length2 = dx * dx + dy * dy;
      if (length2 > 0) {
        for (const Point& end : {p, q}) {
          const double u = ((end.x - pa.x) * dx + (end.y - pa.y) * dy) / length2;
          if (u > 0 && u < 1) {
            cuts.push_back(u);
          }
        }
      }
      continue;
    }
    const double u = Cross(wx, wy, ex, ey) / denominator;
    const double v = Cross(wx, wy, dx, dy) / denominator;
    if (u >= 0 && u <= 1 && v >= -1e-9 && v <= 1 + 1e-9) {
      cuts.push_back(u);
    }
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  auto at = [&](double u) { return Point{pa.x + u * dx, pa.y + u * dy}; };
  auto add = [&](double lo, double hi) {
    if (!parts.empty() && lo <= parts.back().second) {
      parts.back().second = std::max(parts.back().second, hi);
    } else {
      parts.emplace_back(lo, hi);
    }
  };
  for (size_t i = 0; i < cuts.size(); ++i) {
    if (ContainsPlane(at(cuts[i]), true)) {
      add(cuts[i], cuts[i]);
    }
    if (i + 1 < cuts.size() && ContainsPlane(at((cuts[i] + cuts[i + 1]) / 2), false)) {
      add(cuts[i], cuts[i + 1]);
    }
  }
  return parts;
}

std::optional<Presence> PresenceIn(const Area& area, std::span<const model::Position> track,
                                   int64_t from_ms, int64_t to_ms) {
  Presence presence;
  bool seen = false;
  auto extend = [&](int64_t first, int64_t last) {
    presence.first_ms = seen ? std::min(presence.first_ms, first) : first;
    presence.last_ms = seen ? std::max(presence.last_ms, last) : last;
    seen = true;
  };
  for (size_t i = 0; i < track.size(); ++i) {
    const model::Position& p = track[i];
    if (p.device_time_ms >= from_ms && p.device_time_ms <= to_ms &&
        area.Contains(p.lat_e6, p.lon_e6)) {
      ++presence.reports;
      extend(p.device_time_ms, p.device_time_ms);
    }
    if (i == 0) {
      continue;
    }
    const model::Position& a = track[i - 1];
    if (a.device_time_ms > to_ms || p.device_time_ms < from_ms || !store::IsPathSegment(a, p)) {
      continue;
    }
    const auto span = static_cast<double>(p.device_time_ms - a.device_time_ms);
    for (const auto& [u0, u1] : area.InsideParts(a, p)) {
      const int64_t enter = a.device_time_ms + std::llround(u0 * span);
      const int64_t leave = a.device_time_ms + std::llround(u1 * span);
      const int64_t first = std::max(enter, from_ms);
      const int64_t last = std::min(leave, to_ms);
      if (first <= last) {
        extend(first, last);
      }
    }
  }
  if (!seen) {
    return std::nullopt;
  }
  presence.terminal = track.front().terminal;
  presence.between_reports = presence.reports == 0;
  return presence;
}

Result<AreaAnswer> Investigations::InArea(const Area& area, int64_t from_ms, int64_t to_ms,
                                          const TerminalFilter& keep) {
  if (!IsValidWindow(from_ms, to_ms)) {
    return Fail(ErrorCode::kBadValue, "window: from <= to, at most 31 days, 1970-2100");
  }
  auto candidates = positions_.TerminalsNear(area.Bounds(), from_ms, to_ms);
  if (!candidates) {
    return tl::unexpected(candidates.error());
  }
  if (keep) {
    std::erase_if(*candidates,
                  [&](const store::NearTerminal& candidate) { return !keep(candidate.terminal); });
  }
  AreaAnswer answer;
  answer.candidates = candidates->size();
  // Candidates are tested on a few threads: reading their tracks is mostly waiting for pages
  // when they are not cached, and the store serves several readers at once.
  const size_t threads =
      std::clamp<size_t>(candidates->size() / kCandidatesPerThread, 1, kMaxQueryThreads);
  std::vector<std::vector<Presence>> found(threads);
  std::vector<Result<void>> outcomes(threads);
  auto test_part = [&](size_t part) {
    for (size_t i = part; i < candidates->size(); i += threads) {
      const store::NearTerminal& candidate = (*candidates)[i];
      // Only the part of the window the index put it near the area in, and the reports either
      // side that a path segment may join.
      auto track = positions_.Track(candidate.terminal, candidate.from_ms - store::kPathMaxGapMs,
                                    candidate.to_ms + store::kPathMaxGapMs + 1, kTrackLimit);
      if (!track) {
        outcomes[part] = tl::unexpected(track.error());
        return;
      }
      if (auto presence = PresenceIn(area, *track, from_ms, to_ms)) {
        found[part].push_back(std::move(*presence));
      }
    }
  };
  auto test = [&](size_t part) noexcept {
    try {
      test_part(part);
    } catch (const std::exception&) {  // std::bad_alloc: this query fails, the server stays up
      outcomes[part] = Fail(ErrorCode::kResourceLimit, "out of memory testing candidates");
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (size_t part = 1; part < threads; ++part) {
      helpers.emplace_back(test, part);
    }
    test(0);
  }
  for (size_t part = 0; part < threads; ++part) {
    if (!outcomes[part]) {
      return tl::unexpected(outcomes[part].error());
    }
    for (Presence& presence : found[part]) {
      answer.vehicles.push_back(std::move(presence));
    }
  }
  std::sort(answer.vehicles.begin(), answer.vehicles.end(),
            [](const Presence& a, const Presence& b) {
              return a.first_ms != b.first_ms ? a.first_ms < b.first_ms : a.terminal < b.terminal;
            });
  return answer;
}

Result<std::vector<model::Position>> Investigations::TrackOf(std::string_view terminal,
                                                             int64_t from_ms, int64_t to_ms) {
  if (!IsValidWindow(from_ms, to_ms)) {
    return Fail(ErrorCode::kBadValue, "window: from <= to, at most 31 days, 1970-2100");
  }
  return positions_.Track(terminal, from_ms, to_ms + 1, kTrackLimit);
}

}  // namespace baotong::track
