// Zones the monitor checks positions against (issue 6): the city boundary, designated sites,
// restricted areas and pass route corridors, with the spatial index that finds the zones at a
// point. Geometry semantics are those of geo::Contains (planar edges in degrees, haversine circles,
// corridor = distance to the polyline), so the index and a brute-force scan always agree.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "geo/geometry.h"
#include "registry/validation.h"

namespace baotong::monitor {

using registry::Checked;
using registry::Invalid;

enum class ZoneKind : uint8_t { kCity, kSite, kRestricted, kRoute };
// "city", "site", "restricted", "route".
std::string_view ZoneKindId(ZoneKind kind);
// 城区, 指定场所, 管控区域, 通行路线.
std::string_view ZoneKindName(ZoneKind kind);
std::optional<ZoneKind> ParseZoneKind(std::string_view id);

// Minutes of the China local day; start > end wraps midnight (22:00-06:00). start == end: all day.
struct TimeWindow {
  int start_minute = 0;
  int end_minute = 1440;
  bool operator==(const TimeWindow&) const = default;
};
bool InWindow(const TimeWindow& window, int minute_of_day);
// The China local minute of the day (0-1439) of a UTC epoch millisecond.
int ChinaMinuteOfDay(int64_t utc_ms);

inline constexpr uint32_t kAllVehicleClassesMask = 0x1f;

struct Zone {
  std::string code;  // stable key: site code, route id, "pass:123", user zone code
  std::string name;
  ZoneKind kind = ZoneKind::kRestricted;
  geo::Shape shape;                                   // Polygon / Circle; Polyline for kRoute
  double corridor_m = 500;                            // kRoute half-width
  std::vector<TimeWindow> active;                     // empty: always
  uint32_t vehicle_classes = kAllVehicleClassesMask;  // bit (1 << VehicleClass) it applies to
  std::optional<double> speed_limit_kmh;              // the lower of zone and class applies
  bool alarm_on_exit = false;  // kRestricted: also raise zone_exit on leaving
  std::string department;      // owner of its alarms; "" = the kind's default
};

// Whether the zone is active at `minute_of_day` (China local) for a vehicle of class bit
// `class_bit` (1 << VehicleClass; 0 for an unregistered vehicle, which every zone applies to).
bool ZoneApplies(const Zone& zone, int minute_of_day, uint32_t class_bit);

// The exact test: whether `point` is in the zone (inside its corridor for a route), allowing
// `margin_m` beyond the edge.
bool ZoneContains(const Zone& zone, const geo::LatLon& point, double margin_m = 0);

// Immutable once built; shared by partitions. Every geometry is covered once by the cells of a
// fixed grid in degrees (kCellDegrees of latitude, about 556 m, by the same distance in longitude
// at the zones' mean latitude), so that a point's cell is two multiplications away; each cell
// lists its candidate zones, flagged when the cell lies wholly inside the zone so that the exact
// test is skipped. Route and polygon candidates also list the few segments or edges that can
// reach the cell, so an exact test never scans a whole route or ring: a corridor test measures
// the distance to those segments, and a polygon test counts the edges crossed between the cell's
// centre (whose side is known) and the point. A cell keeps its route candidates apart, sorted by
// zone, since a vehicle only asks about its own route.
class ZoneIndex {
 public:
  static constexpr double kCellDegrees = 0.005;

  struct Candidate {
    uint32_t zone;
    ZoneKind kind;            // copies of the zone's, so that a scan need not touch the zone
    uint8_t vehicle_classes;  // ...
    bool inside;              // the whole cell is in the zone: no exact test
    bool center_inside;       // single-ring polygons: the cell's centre is inside
    uint32_t first_segment;   // routes: [first_segment, first_segment + segments) into
    uint32_t segments;        // segments_; single rings: into edges_; circles: circles_[first_]
    bool has_speed_limit;     // copies of the zone's, as kind
    bool always_active;       // no time windows
    uint8_t shape;            // Shape: how the exact test goes
  };
  // What a caller keeps between lookups: the last cell and its candidates (a vehicle seldom
  // leaves its cell between two reports).
  struct Cursor {
    uint64_t cell = ~uint64_t{0};  // none yet
    geo::LatLon center;            // of the cell
    double metres_per_degree_lon = 0;
    const Candidate* begin = nullptr;  // every candidate but routes
    const Candidate* end = nullptr;
    const Candidate* routes_begin = nullptr;  // route candidates, by zone id
    const Candidate* routes_end = nullptr;
  };

  static Result<std::shared_ptr<const ZoneIndex>> Build(std::vector<Zone> zones);

  size_t size() const { return zones_.size(); }
  const Zone& zone(uint32_t id) const { return zones_[id]; }
  std::optional<uint32_t> FindByCode(std::string_view code) const;

  // Every zone containing `point` (routes: inside the corridor), ignoring time windows and
  // classes; ids ascending. `out` is cleared first.
  void ZonesAt(const geo::LatLon& point, std::vector<uint32_t>& out) const;

  // The candidates of the cell holding `point`, reusing `cursor` when the cell is the same.
  void CandidatesAt(const geo::LatLon& point, Cursor& cursor) const;
  // The exact test of one candidate (skipped when the cell is wholly inside).
  bool CandidateContains(const Cursor& cursor, const Candidate& candidate,
                         const geo::LatLon& point) const;
  // Whether `point` (in the cursor's cell) is inside the corridor of route zone `route`.
  // `segment_hint` is the caller's memory of the route segment it was last near: those few
  // segments are measured first, and it is updated on a hit elsewhere.
  bool RouteContains(const Cursor& cursor, uint32_t route, const geo::LatLon& point,
                     uint32_t& segment_hint) const;
  // Cache hints for a caller that knows which cursor (and route) a coming position at `point`
  // will use, in two steps some positions apart: first the cursor's candidates, the route's
  // facts and, when `point` has left the cursor's cell, the new cell's slot; then (once those
  // are in the cache) the shapes the exact tests will read. No effect on results.
  void PrefetchCandidates(const Cursor& cursor, std::optional<uint32_t> route,
                          const geo::LatLon& point) const;
  void PrefetchShapes(const Cursor& cursor, std::optional<uint32_t> route,
                      uint32_t segment_hint) const;
  // ZoneApplies from a compact copy of the zone's classes and windows.
  bool Applies(uint32_t id, int minute_of_day, uint32_t class_bit) const;
  // The zone's speed limit (km/h) or NaN.
  double SpeedLimit(uint32_t id) const { return facts_[id].speed_limit_kmh; }

  // Index statistics for the benchmark and docs.
  size_t cells() const { return cell_count_; }
  size_t candidates() const { return candidates_.size(); }

 private:
  // What a lookup needs of a zone, beside the candidates instead of in the Zone.
  enum Shape : uint8_t { kCircleShape, kRingShape, kOtherShape, kRouteShape };
  struct Facts {
    Shape shape = kOtherShape;   // kOtherShape: a polygon with holes, geo::Contains decides
    double radius_m = 0;         // circle radius or route corridor
    double speed_limit_kmh = 0;  // NaN: none
    uint32_t first_point = 0;    // routes: into points_
    uint32_t points = 0;
    uint32_t vehicle_classes = 0;
    uint16_t window_start = 0, window_end = 0;  // the one window when one_window
    bool always_active = true;
    bool one_window = false;
  };
  struct CellSlot {
    uint64_t key = ~uint64_t{0};  // empty
    uint32_t begin = 0, routes_begin = 0, end = 0;
  };
  uint64_t CellKey(const geo::LatLon& point) const;
  geo::LatLon CellCenter(uint64_t key) const;
  const CellSlot* FindCell(uint64_t key) const;

  std::vector<Zone> zones_;
  std::vector<Facts> facts_;
  std::unordered_map<std::string, uint32_t> by_code_;
  double cell_lon_degrees_ = kCellDegrees;  // kCellDegrees / cos(mean latitude)
  std::vector<CellSlot> cells_;             // open addressing, power of two
  size_t cell_count_ = 0;
  std::vector<Candidate> candidates_;
  struct Circle {
    geo::LatLon center;
    double radius_m;
  };
  struct Edge {
    geo::LatLon a, b;
  };
  std::vector<Circle> circles_;      // circles' shapes, compact
  std::vector<Edge> edges_;          // single rings' edges near a cell, one run per candidate
  std::vector<uint32_t> segments_;   // index of a segment's first point in points_
  std::vector<geo::LatLon> points_;  // routes, one after another
};

// Zones as JSON for the API and the editor:
// {code, name, kind, geometry (GeoJSON; a circle is a Point), radius_m (circle), corridor_m,
//  windows: [{"start":"22:00","end":"06:00"}], vehicle_classes: ["hazardous", ...],
//  speed_limit_kmh, alarm_on_exit, department}.
nlohmann::ordered_json ZoneJson(const Zone& zone);
// Validates with Chinese messages: code [A-Za-z0-9_:-]{1,64}; name; polygon rings closed with at
// least 3 distinct points; circle radius 10 m - 50 km; route 2+ points, corridor 10 m - 5 km;
// windows "HH:MM"; known vehicle classes; speed limit 5-150 km/h.
Checked<Zone> ParseZone(const nlohmann::json& json);

}  // namespace baotong::monitor
