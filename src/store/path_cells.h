// Where a vehicle was between its reports, and the grid the store indexes positions by, for
// 协查 (who was in an area during a time window).
//
// The path model: two consecutive reports of one terminal (by device time) are joined by a
// straight segment — the vehicle is taken to have driven it — when they are at most
// kPathMaxGapMs apart and at most kPathMaxStepM from each other. Longer gaps are blind spots
// (terminal off, tunnel, no signal): nothing is invented across them. Longer steps within the
// gap are GPS jumps. The index (SqliteStore) and the exact test (track::Investigations) both use
// IsPathSegment, so they agree on what counts.
//
// The grid: cells of 0.01° latitude × 0.01° longitude (about 1.1 km × 0.84 km at Anshan), and
// time buckets of one hour. A straight line in latitude/longitude is also straight in the local
// plane the exact test uses, so the cells a segment crosses in degrees are the cells that hold
// it, whatever the projection's scale.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "model/position.h"

namespace baotong::store {

inline constexpr int64_t kPathMaxGapMs = 120'000;
inline constexpr double kPathMaxStepM = 10'000;

inline constexpr int32_t kCellSizeE6 = 10'000;  // 0.01°
inline constexpr int64_t kCellBucketMs = 3'600'000;

// Approximate distance in metres (equirectangular at the pair's mean latitude), good to well
// under a metre per kilometre at city distances; used only against kPathMaxStepM.
inline double StepM(const model::Position& a, const model::Position& b) {
  constexpr double kMetresPerE6 = 6'371'008.8 * 3.14159265358979323846 / 180e6;
  const double mean_lat = (static_cast<double>(a.lat_e6) + b.lat_e6) / 2e6;
  const double dy = static_cast<double>(b.lat_e6) - a.lat_e6;
  const double dx = (static_cast<double>(b.lon_e6) - a.lon_e6) *
                    std::cos(mean_lat * 3.14159265358979323846 / 180);
  return std::hypot(dx, dy) * kMetresPerE6;
}

// Whether a report can be placed on the map and in time at all: a device time (0 means the
// terminal sent none), a latitude within ±85.5° and a longitude within ±180°. Others are neither
// indexed nor joined by segments; no valid area can hold them.
inline bool IsPlaceable(const model::Position& p) {
  return p.device_time_ms > 0 && p.lat_e6 >= -85'500'000 && p.lat_e6 <= 85'500'000 &&
         p.lon_e6 >= -180'000'000 && p.lon_e6 <= 180'000'000;
}

// `a` then `b` are consecutive reports of one terminal (a's time <= b's). Steps of more than 2°
// in either direction are jumps whatever StepM says (near the poles it says little).
inline bool IsPathSegment(const model::Position& a, const model::Position& b) {
  constexpr int64_t kMaxStepE6 = 2'000'000;
  return IsPlaceable(a) && IsPlaceable(b) && b.device_time_ms - a.device_time_ms <= kPathMaxGapMs &&
         std::abs(int64_t{b.lat_e6} - a.lat_e6) <= kMaxStepE6 &&
         std::abs(int64_t{b.lon_e6} - a.lon_e6) <= kMaxStepE6 && StepM(a, b) <= kPathMaxStepM;
}

inline int64_t FloorDiv(int64_t value, int64_t divisor) {
  const int64_t quotient = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient;
}

inline int64_t BucketOf(int64_t time_ms) {
  return FloorDiv(time_ms, kCellBucketMs);
}

// Row and column of the cell holding a coordinate (e6 degrees).
inline int64_t CellRow(int64_t lat_e6) {
  return FloorDiv(lat_e6 + 90'000'000, kCellSizeE6);
}
inline int64_t CellColumn(int64_t lon_e6) {
  return FloorDiv(lon_e6 + 180'000'000, kCellSizeE6);
}
// The cell key: cells of one row are consecutive numbers, so a row's range is one key range.
inline int64_t CellKey(int64_t row, int64_t column) {
  return row * 65'536 + column;
}

// A latitude/longitude box, bounds included, in e6 degrees.
struct BoxE6 {
  int64_t min_lat_e6 = 0;
  int64_t min_lon_e6 = 0;
  int64_t max_lat_e6 = 0;
  int64_t max_lon_e6 = 0;
  bool Contains(int64_t lat_e6, int64_t lon_e6) const {
    return lat_e6 >= min_lat_e6 && lat_e6 <= max_lat_e6 && lon_e6 >= min_lon_e6 &&
           lon_e6 <= max_lon_e6;
  }
};

// Appends the keys of every cell the straight segment a-b may touch (a superset: the cells of
// each sub-step's bounding box, widened by one e6 unit against rounding). a == b gives its cell.
inline void SegmentCells(const model::Position& a, const model::Position& b,
                         std::vector<int64_t>& out) {
  const double dlat = static_cast<double>(b.lat_e6) - a.lat_e6;
  const double dlon = static_cast<double>(b.lon_e6) - a.lon_e6;
  // Steps of at most half a cell: each step's box spans at most two rows and two columns.
  const auto steps = static_cast<int64_t>(
      std::ceil(std::max(std::fabs(dlat), std::fabs(dlon)) / (kCellSizeE6 / 2.0)));
  const int64_t parts = std::max<int64_t>(steps, 1);  // a == b: the point's own cell
  double lat0 = a.lat_e6;
  double lon0 = a.lon_e6;
  for (int64_t i = 1; i <= parts; ++i) {
    const double f = static_cast<double>(i) / static_cast<double>(parts);
    const double lat1 = i == parts ? b.lat_e6 : a.lat_e6 + dlat * f;
    const double lon1 = i == parts ? b.lon_e6 : a.lon_e6 + dlon * f;
    const int64_t row_lo = CellRow(static_cast<int64_t>(std::floor(std::min(lat0, lat1))) - 1);
    const int64_t row_hi = CellRow(static_cast<int64_t>(std::ceil(std::max(lat0, lat1))) + 1);
    const int64_t col_lo = CellColumn(static_cast<int64_t>(std::floor(std::min(lon0, lon1))) - 1);
    const int64_t col_hi = CellColumn(static_cast<int64_t>(std::ceil(std::max(lon0, lon1))) + 1);
    for (int64_t row = row_lo; row <= row_hi; ++row)
      for (int64_t column = col_lo; column <= col_hi; ++column)
        out.push_back(CellKey(row, column));
    lat0 = lat1;
    lon0 = lon1;
  }
}

}  // namespace baotong::store
