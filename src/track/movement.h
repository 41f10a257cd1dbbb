// Trips (行程) and stops (停留) derived from one vehicle's track: where it stood still, for how
// long, and the moving parts in between. Pure functions, one pass over the positions; the rules
// and thresholds are written out in docs/track.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "geo/geometry.h"
#include "model/position.h"

namespace baotong::track {

struct MovementThresholds {
  double moving_speed_kmh = 5;       // below: at rest (GPS drift at rest reads 0-3 km/h)
  double stop_radius_m = 150;        // a stop's positions stay within this of its centre
  int64_t min_stop_ms = 5 * 60'000;  // shorter halts (lights, queues) are part of a trip
  int64_t max_gap_ms = 10 * 60'000;  // no report for longer: the track may be broken here
};

struct Stop {
  int64_t start_ms = 0;  // device time of the stop's first report
  int64_t end_ms = 0;    // device time of its last report
  geo::LatLon center;    // mean of its positions
  size_t reports = 0;
  // The stop touches the start (end) of the data given, or a break in the track (a silence
  // with displacement): it may really have lasted longer, and may be shorter than min_stop_ms.
  bool open_start = false;
  bool open_end = false;
};

struct Trip {
  int64_t start_ms = 0;  // device time of the trip's first report
  int64_t end_ms = 0;    // device time of its last report
  geo::LatLon from;      // position of its first report
  geo::LatLon to;        // position of its last report
  // Along its reported positions, plus the legs from the stop it leaves and to the stop it
  // reaches (so that a day's trips add up to the distance driven); never across a break.
  double distance_m = 0;
  double max_speed_kmh = 0;  // the highest reported speed among its reports
  size_t reports = 0;
};

// Both ordered by time, disjoint from each other: no report belongs to a stop and a trip.
struct Movement {
  std::vector<Trip> trips;
  std::vector<Stop> stops;
};

// Stops and trips of one vehicle. `positions` are ordered by device time; reports with no
// device time, no fix (0, 0), or a time not after the previous report's (resends, duplicates)
// are ignored. A silence longer than max_gap_ms at the same place (within stop_radius_m) is a
// stop spanning it (terminal off while parked); a silence with displacement breaks the track:
// the trip ends before it and a new one starts after it, with no distance counted across.
// O(n) time and memory.
Movement DeriveMovement(std::span<const model::Position> positions,
                        const MovementThresholds& thresholds = {});

// The China-local day [00:00, 24:00) containing `utc_ms`, as UTC epoch ms [start, end): the
// range to ask for a per-day report.
std::pair<int64_t, int64_t> ChinaDayBounds(int64_t utc_ms);

}  // namespace baotong::track
