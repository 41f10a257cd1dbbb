#include "track/movement.h"

#include <algorithm>

#include "common/china_time.h"

namespace baotong::track {
namespace {

constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;
constexpr int kNoStop = -1;

geo::LatLon PointOf(const model::Position& position) {
  return {position.lat_e6 / 1e6, position.lon_e6 / 1e6};
}

// A run of reports that may become a stop: it begins at a report at rest and takes every
// following report within the radius of its centre. Reports that move (speed at or above the
// threshold) but stay inside are held as pending: a later report at rest makes them part of the
// stop (a speed spike from GPS noise); if the vehicle leaves instead, they start its trip.
struct Candidate {
  bool active = false;
  size_t first = 0;      // index (into the kept reports) of its first report
  size_t last_rest = 0;  // index of its last report at rest: where the stop ends
  double sum_lat = 0, sum_lon = 0;
  size_t count = 0;  // reports first..last_rest
  double pending_lat = 0, pending_lon = 0;
  size_t pending = 0;  // moving reports after last_rest, still inside the radius

  geo::LatLon Center() const { return {sum_lat / count, sum_lon / count}; }

  void Start(size_t index, const geo::LatLon& point) {
    *this = Candidate{};
    active = true;
    first = last_rest = index;
    sum_lat = point.lat;
    sum_lon = point.lon;
    count = 1;
  }
  void AddAtRest(size_t index, const geo::LatLon& point) {
    sum_lat += pending_lat + point.lat;
    sum_lon += pending_lon + point.lon;
    count += pending + 1;
    pending_lat = pending_lon = 0;
    pending = 0;
    last_rest = index;
  }
  void AddMoving(const geo::LatLon& point) {
    pending_lat += point.lat;
    pending_lon += point.lon;
    ++pending;
  }
};

class Deriver {
 public:
  Deriver(std::span<const model::Position> positions, const MovementThresholds& thresholds)
      : thresholds_(thresholds) {
    reports_.reserve(positions.size());
    for (const model::Position& position : positions) {
      if (position.device_time_ms == 0 || (position.lat_e6 == 0 && position.lon_e6 == 0)) {
        continue;
      }
      if (!reports_.empty() && position.device_time_ms <= reports_.back()->device_time_ms) {
        continue;
      }
      reports_.push_back(&position);
      points_.push_back(PointOf(position));
    }
    stop_of_.assign(reports_.size(), kNoStop);
    break_before_.assign(reports_.size(), false);
  }

  Movement Derive() {
    FindStops();
    FindTrips();
    return std::move(movement_);
  }

 private:
  bool AtRest(size_t index) const {
    return reports_[index]->speed_dkmh < thresholds_.moving_speed_kmh * 10;
  }
  int64_t TimeOf(size_t index) const { return reports_[index]->device_time_ms; }

  void FindStops() {
    Candidate candidate;
    for (size_t index = 0; index < reports_.size(); ++index) {
      const geo::LatLon& point = points_[index];
      const bool silence = index > 0 && TimeOf(index) - TimeOf(index - 1) > thresholds_.max_gap_ms;
      if (candidate.active) {
        if (geo::DistanceM(candidate.Center(), point) <= thresholds_.stop_radius_m) {
          // Back at the same place after a silence: it stood there all along.
          if (AtRest(index) || silence) {
            candidate.AddAtRest(index, point);
          } else {
            candidate.AddMoving(point);
          }
          continue;
        }
        Close(candidate, silence);
        if (silence) {
          break_before_[index] = true;
        }
      } else if (silence) {
        if (geo::DistanceM(points_[index - 1], point) <= thresholds_.stop_radius_m) {
          // Silent without moving: both reports bracket a rest, whatever speed they read.
          candidate.Start(index - 1, points_[index - 1]);
          candidate.AddAtRest(index, point);
          continue;
        }
        break_before_[index] = true;
      }
      if (AtRest(index)) {
        candidate.Start(index, point);
      }
    }
    if (candidate.active) {
      Close(candidate, /*at_break=*/true);
    }
  }

  // Ends the candidate before a report outside its radius (or the end of the data, or a break
  // when `at_break`): it is a stop if it lasted long enough, or if it may have lasted longer.
  void Close(Candidate& candidate, bool at_break) {
    candidate.active = false;
    const size_t reports = candidate.last_rest - candidate.first + 1;
    if (reports < 2) {
      return;
    }
    const bool open_start = candidate.first == 0 || break_before_[candidate.first];
    // Moving reports after the last rest mean it left before the break: not open.
    const bool open_end = at_break && candidate.pending == 0;
    const int64_t duration = TimeOf(candidate.last_rest) - TimeOf(candidate.first);
    if (duration < thresholds_.min_stop_ms && !open_start && !open_end) {
      return;  // a halt at lights or in a queue: part of the trip
    }
    const int stop = static_cast<int>(movement_.stops.size());
    std::fill(stop_of_.begin() + static_cast<ptrdiff_t>(candidate.first),
              stop_of_.begin() + static_cast<ptrdiff_t>(candidate.last_rest) + 1, stop);
    movement_.stops.push_back({.start_ms = TimeOf(candidate.first),
                               .end_ms = TimeOf(candidate.last_rest),
                               .center = candidate.Center(),
                               .reports = reports,
                               .open_start = open_start,
                               .open_end = open_end});
  }

  // Trips are the maximal runs of reports in no stop, cut at breaks.
  void FindTrips() {
    size_t index = 0;
    while (index < reports_.size()) {
      if (stop_of_[index] != kNoStop) {
        ++index;
        continue;
      }
      const size_t first = index;
      size_t last = index;
      while (last + 1 < reports_.size() && stop_of_[last + 1] == kNoStop &&
             !break_before_[last + 1]) {
        ++last;
      }
      index = last + 1;
      if (last == first) {
        continue;  // one report cannot make a trip
      }
      Trip trip{.start_ms = TimeOf(first),
                .end_ms = TimeOf(last),
                .from = points_[first],
                .to = points_[last],
                .reports = last - first + 1};
      // The run is maximal, so a neighbour not across a break is a stop's report.
      if (first > 0 && !break_before_[first]) {
        trip.distance_m += geo::DistanceM(points_[first - 1], points_[first]);
      }
      if (last + 1 < reports_.size() && !break_before_[last + 1]) {
        trip.distance_m += geo::DistanceM(points_[last], points_[last + 1]);
      }
      for (size_t k = first; k <= last; ++k) {
        if (k > first) {
          trip.distance_m += geo::DistanceM(points_[k - 1], points_[k]);
        }
        trip.max_speed_kmh = std::max(trip.max_speed_kmh, reports_[k]->speed_dkmh / 10.0);
      }
      movement_.trips.push_back(trip);
    }
  }

  const MovementThresholds& thresholds_;
  std::vector<const model::Position*> reports_;  // the reports used, strictly by time
  std::vector<geo::LatLon> points_;              // their positions
  std::vector<int> stop_of_;                     // per report: its stop's index, or kNoStop
  std::vector<bool> break_before_;               // per report: a silence with displacement
  Movement movement_;
};

}  // namespace

Movement DeriveMovement(std::span<const model::Position> positions,
                        const MovementThresholds& thresholds) {
  return Deriver(positions, thresholds).Derive();
}

std::pair<int64_t, int64_t> ChinaDayBounds(int64_t utc_ms) {
  const int64_t local_ms = utc_ms + kChinaUtcOffsetMs;
  // Floor division: days before 1970 too.
  int64_t day = local_ms / kDayMs;
  if (local_ms % kDayMs < 0) {
    --day;
  }
  const int64_t start = day * kDayMs - kChinaUtcOffsetMs;
  return {start, start + kDayMs};
}

}  // namespace baotong::track
