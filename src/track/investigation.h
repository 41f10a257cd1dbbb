// 协查: who was in an area during a time window, and, for one vehicle, where it stopped and who
// stopped near it. Answers come from the position store's spatio-temporal index
// (PositionStore::TerminalsNear), then an exact test of each candidate's track.
//
// What "was inside" means (docs/track.md):
// - a report inside the area with from_ms <= device time <= to_ms; the area includes its edge
//   (a report within kEdgeToleranceM of the edge counts: coordinates are 1e-6° ≈ 0.1 m);
// - or a path segment (store/path_cells.h: consecutive reports at most 2 minutes and 10 km
//   apart) that passes through the area at a time in the window, the time interpolated along
//   the segment. A vehicle seen only this way is flagged between_reports (途经，推算): it
//   crossed the area between two reports. Across longer gaps nothing is assumed.
// Distances are measured in the local plane around the area (equirectangular), accurate to
// well under a metre per kilometre at city scale.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.h"
#include "geo/geometry.h"
#include "model/position.h"
#include "store/position_store.h"

namespace baotong::track {

inline constexpr double kEdgeToleranceM = 0.1;
inline constexpr double kMaxAreaRadiusM = 50'000;
inline constexpr size_t kMaxAreaVertices = 500;
inline constexpr int64_t kMaxInvestigationSpanMs = int64_t{31} * 24 * 3600 * 1000;

// Whether [from_ms, to_ms] is a window the queries take: 1970 to 2100, from <= to, at most
// kMaxInvestigationSpanMs long (checked without overflow for any input).
bool IsValidWindow(int64_t from_ms, int64_t to_ms);

// A circle, or a simple polygon given by its outer ring (latitude/longitude).
using AreaShape = std::variant<geo::Circle, std::vector<geo::LatLon>>;

// An area prepared for exact tests: a local plane around it, the shape in that plane.
class Area {
 public:
  // kBadValue for a radius outside (0, kMaxAreaRadiusM], a polygon of fewer than 3 or more
  // than kMaxAreaVertices points or more than 100 km across, or coordinates off the globe.
  static Result<Area> Make(const AreaShape& shape);

  bool Contains(int32_t lat_e6, int32_t lon_e6) const;
  // The parts of the straight segment a-b (u from 0 at a to 1 at b) inside the area, ordered,
  // as [u0, u1] intervals (u0 == u1 where it only touches the edge).
  std::vector<std::pair<double, double>> InsideParts(const model::Position& a,
                                                     const model::Position& b) const;
  // A box (e6 degrees) holding the whole area.
  store::BoxE6 Bounds() const { return bounds_; }
  const AreaShape& shape() const { return shape_; }

 private:
  struct Point {
    double x = 0;
    double y = 0;
  };
  Point ToPlane(int32_t lat_e6, int32_t lon_e6) const;
  // with_edge: also points within kEdgeToleranceM of a polygon's edge.
  bool ContainsPlane(Point p, bool with_edge) const;

  AreaShape shape_;
  double origin_lat_ = 0;
  double origin_lon_ = 0;
  double metres_per_lon_degree_ = 0;
  double radius_m_ = 0;         // circle only
  std::vector<Point> polygon_;  // polygon only, closed implicitly
  store::BoxE6 bounds_;
};

// One vehicle's time in the area.
struct Presence {
  std::string terminal;
  int64_t first_ms = 0;          // first moment inside (a report, or interpolated entry)
  int64_t last_ms = 0;           // last moment inside
  size_t reports = 0;            // reports inside during the window
  bool between_reports = false;  // only path segments crossed the area (reports == 0)
  bool operator==(const Presence&) const = default;
};

// The exact test: `track` is one terminal's positions ordered by device time without repeats,
// covering at least the times it may have been inside and kPathMaxGapMs either side (the whole
// window and that margin, when unknown). nullopt: not inside.
std::optional<Presence> PresenceIn(const Area& area, std::span<const model::Position> track,
                                   int64_t from_ms, int64_t to_ms);

struct AreaAnswer {
  std::vector<Presence> vehicles;  // ordered by first_ms, then terminal
  size_t candidates = 0;           // terminals the index proposed (for measurements)
};

class Investigations {
 public:
  explicit Investigations(store::PositionStore& positions) : positions_(positions) {}

  // Which terminals a caller may see (a district's); an empty function: all.
  using TerminalFilter = std::function<bool(std::string_view terminal)>;

  // Every terminal inside `area` at some time in [from_ms, to_ms] (both included), of those
  // `keep` accepts (tested before their tracks are read). kBadValue unless 0 <= from_ms <=
  // to_ms <= 2100-01-01 and the window is at most kMaxInvestigationSpanMs.
  Result<AreaAnswer> InArea(const Area& area, int64_t from_ms, int64_t to_ms,
                            const TerminalFilter& keep = {});

  // One terminal's positions in [from_ms, to_ms], ordered, without repeats.
  Result<std::vector<model::Position>> TrackOf(std::string_view terminal, int64_t from_ms,
                                               int64_t to_ms);

 private:
  store::PositionStore& positions_;
};

}  // namespace baotong::track
