#include "track/movement.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

namespace baotong::track {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kReportEveryMs = 30'000;
constexpr double kOriginLat = 41.10, kOriginLon = 123.00;  // central Anshan
constexpr double kMetresPerDegreeLat = 111'195;

// Builds one vehicle's track in a local plane (metres east and north of central Anshan), one
// report every 30 s of device time.
class TrackBuilder {
 public:
  // One report at the current place and time.
  TrackBuilder& Report(double speed_kmh) {
    model::Position position;
    position.terminal = "13800000001";
    position.serial = serial_++;
    position.device_time_ms = now_ms_;
    position.receive_time_ms = now_ms_ + 2'000;
    const double lat = kOriginLat + north_m_ / kMetresPerDegreeLat;
    const double lon = kOriginLon + east_m_ / (kMetresPerDegreeLat *
                                               std::cos(kOriginLat * std::numbers::pi / 180));
    position.lat_e6 = static_cast<int32_t>(std::lround(lat * 1e6));
    position.lon_e6 = static_cast<int32_t>(std::lround(lon * 1e6));
    position.speed_dkmh = static_cast<uint16_t>(std::lround(speed_kmh * 10));
    positions.push_back(position);
    now_ms_ += kReportEveryMs;
    return *this;
  }
  // Parked for `duration_ms`: GPS drift of a few metres and 0-3 km/h.
  TrackBuilder& Park(int64_t duration_ms) {
    const double east = east_m_;
    for (int64_t i = 0; i < duration_ms / kReportEveryMs; ++i) {
      east_m_ = east + static_cast<double>(i % 3 - 1) * 8;
      Report(static_cast<double>(i % 4) * 0.9);
    }
    east_m_ = east;
    return *this;
  }
  // Drives in a straight line by (east, north) metres; the first report is one step away (so
  // a track that starts driving starts with Report() at the origin).
  TrackBuilder& Drive(double east_m, double north_m, double speed_kmh) {
    const double step_m = speed_kmh / 3.6 * (kReportEveryMs / 1000.0);
    const int steps =
        std::max(1, static_cast<int>(std::lround(std::hypot(east_m, north_m) / step_m)));
    for (int i = 0; i < steps; ++i) {
      east_m_ += east_m / steps;
      north_m_ += north_m / steps;
      Report(speed_kmh);
    }
    return *this;
  }
  // No reports for `duration_ms` (the next report comes that much later than usual).
  TrackBuilder& Silence(int64_t duration_ms) {
    now_ms_ += duration_ms;
    return *this;
  }
  // Moves without reporting (a jump seen across a silence, or a GPS outlier).
  TrackBuilder& MoveBy(double east_m, double north_m) {
    east_m_ += east_m;
    north_m_ += north_m;
    return *this;
  }
  int64_t now_ms() const { return now_ms_; }

  std::vector<model::Position> positions;

 private:
  int64_t now_ms_ = 1'650'384'000'000 + 8 * 3600 * 1000;  // 2022-04-20 08:00 China time
  double east_m_ = 0, north_m_ = 0;
  uint16_t serial_ = 0;
};

Movement Derive(const TrackBuilder& track) {
  return DeriveMovement(track.positions);
}

int64_t TimeOf(const TrackBuilder& track, size_t index) {
  return track.positions[index].device_time_ms;
}

TEST(Movement, ParkDriveParkGivesOpenStopsAroundOneTrip) {
  TrackBuilder track;
  track.Park(20 * kMinute).Drive(5000, 0, 40).Park(20 * kMinute);
  const Movement movement = Derive(track);
  ASSERT_EQ(movement.stops.size(), 2u);
  ASSERT_EQ(movement.trips.size(), 1u);

  const Stop& home = movement.stops[0];
  EXPECT_EQ(home.start_ms, TimeOf(track, 0));
  EXPECT_EQ(home.end_ms, TimeOf(track, 39));
  EXPECT_EQ(home.reports, 40u);
  EXPECT_TRUE(home.open_start);
  EXPECT_FALSE(home.open_end);
  EXPECT_LT(geo::DistanceM(home.center, {kOriginLat, kOriginLon}), 5);

  const Trip& trip = movement.trips[0];
  EXPECT_EQ(trip.start_ms, TimeOf(track, 40));
  EXPECT_EQ(trip.reports, 15u);  // 5 km at 40 km/h, one report every 333 m
  EXPECT_EQ(trip.end_ms, TimeOf(track, 54));
  EXPECT_NEAR(trip.distance_m, 5000, 30);
  EXPECT_DOUBLE_EQ(trip.max_speed_kmh, 40);
  EXPECT_NEAR(geo::DistanceM(trip.from, {kOriginLat, kOriginLon}), 333, 5);

  const Stop& work = movement.stops[1];
  EXPECT_EQ(work.start_ms, TimeOf(track, 55));
  EXPECT_EQ(work.end_ms, track.positions.back().device_time_ms);
  EXPECT_FALSE(work.open_start);
  EXPECT_TRUE(work.open_end);
  EXPECT_NEAR(geo::DistanceM(work.center, home.center), 5000, 10);
}

TEST(Movement, TrafficLightHaltIsPartOfTheTrip) {
  TrackBuilder track;
  track.Report(40).Drive(2000, 0, 40).Park(2 * kMinute).Drive(2000, 0, 40);
  const Movement movement = Derive(track);
  EXPECT_TRUE(movement.stops.empty());
  ASSERT_EQ(movement.trips.size(), 1u);
  EXPECT_EQ(movement.trips[0].reports, track.positions.size());
  EXPECT_NEAR(movement.trips[0].distance_m, 4000, 60);  // with the halt's drift
}

TEST(Movement, HaltOfMinStopIsAStopAndJustShorterIsNot) {
  // 11 reports 30 s apart span exactly 5 minutes; 10 span 4.5.
  for (const auto& [reports, is_stop] : {std::pair{11, true}, std::pair{10, false}}) {
    TrackBuilder track;
    track.Report(40).Drive(2000, 0, 40).Park(reports * kReportEveryMs).Drive(2000, 0, 40);
    const Movement movement = Derive(track);
    ASSERT_EQ(movement.stops.size(), is_stop ? 1u : 0u) << reports;
    ASSERT_EQ(movement.trips.size(), is_stop ? 2u : 1u) << reports;
    if (is_stop) {
      const Stop& stop = movement.stops[0];
      EXPECT_EQ(stop.end_ms - stop.start_ms, 5 * kMinute);
      EXPECT_FALSE(stop.open_start || stop.open_end);
      EXPECT_LT(movement.trips[0].end_ms, stop.start_ms);
      EXPECT_GT(movement.trips[1].start_ms, stop.end_ms);
      // The legs into and out of the stop count: the two trips add up to the whole drive.
      EXPECT_NEAR(movement.trips[0].distance_m + movement.trips[1].distance_m, 4000, 40);
    }
  }
}

TEST(Movement, SpeedSpikeInsideTheRadiusDoesNotEndAStop) {
  TrackBuilder track;
  track.Drive(2000, 0, 40).Park(10 * kMinute).Report(45).Park(10 * kMinute).Drive(2000, 0, 40);
  const Movement movement = Derive(track);
  ASSERT_EQ(movement.stops.size(), 1u);
  EXPECT_EQ(movement.stops[0].reports, 41u);
  EXPECT_EQ(movement.trips.size(), 2u);
}

TEST(Movement, PositionOutsideTheRadiusEndsAStop) {
  TrackBuilder track;
  track.Drive(2000, 0, 40).Park(10 * kMinute);
  track.MoveBy(0, 400).Report(0).MoveBy(0, -400);  // a GPS outlier 400 m away, at rest
  track.Park(10 * kMinute).Drive(2000, 0, 40);
  const Movement movement = Derive(track);
  ASSERT_EQ(movement.stops.size(), 2u);
  EXPECT_EQ(movement.stops[0].reports, 20u);
  EXPECT_EQ(movement.stops[1].reports, 20u);
  // The outlier alone between the stops is no trip.
  EXPECT_EQ(movement.trips.size(), 2u);
}

TEST(Movement, TripOfOneReportIsDroppedAndOfTwoIsKept) {
  {
    TrackBuilder track;
    track.Park(10 * kMinute).Drive(600, 0, 72).Park(10 * kMinute);  // one 600 m step
    const Movement movement = Derive(track);
    EXPECT_EQ(movement.stops.size(), 2u);
    EXPECT_TRUE(movement.trips.empty());
  }
  {
    TrackBuilder track;
    track.Park(10 * kMinute).Drive(600, 0, 36).Park(10 * kMinute);  // two 300 m steps
    const Movement movement = Derive(track);
    EXPECT_EQ(movement.stops.size(), 2u);
    ASSERT_EQ(movement.trips.size(), 1u);
    EXPECT_EQ(movement.trips[0].reports, 2u);
    EXPECT_NEAR(movement.trips[0].distance_m, 600, 20);
  }
}

TEST(Movement, ShortHaltsAtTheEdgesOfTheDataAreOpenStops) {
  TrackBuilder track;
  track.Park(2 * kMinute).Drive(3000, 0, 40).Park(2 * kMinute);
  const Movement movement = Derive(track);
  ASSERT_EQ(movement.stops.size(), 2u);
  EXPECT_TRUE(movement.stops[0].open_start);
  EXPECT_FALSE(movement.stops[0].open_end);
  EXPECT_EQ(movement.stops[0].end_ms - movement.stops[0].start_ms, 90'000);
  EXPECT_FALSE(movement.stops[1].open_start);
  EXPECT_TRUE(movement.stops[1].open_end);
  EXPECT_EQ(movement.trips.size(), 1u);
}

TEST(Movement, OneReportAtRestIsNoStop) {
  TrackBuilder track;
  track.Report(0).Drive(3000, 0, 40);
  const Movement movement = Derive(track);
  EXPECT_TRUE(movement.stops.empty());
  ASSERT_EQ(movement.trips.size(), 1u);
  EXPECT_EQ(movement.trips[0].reports, track.positions.size());
}

TEST(Movement, DepartureInsideTheRadiusAtTheEndIsNotAnOpenStop) {
  // At rest 2 min, then moving, still inside the radius when the data ends: it left.
  TrackBuilder track;
  track.Drive(3000, 0, 40).Park(2 * kMinute).Drive(100, 0, 6);
  const Movement movement = Derive(track);
  EXPECT_TRUE(movement.stops.empty());
}

TEST(Movement, SilenceWhileParkedIsOneStopAcrossIt) {
  TrackBuilder track;
  track.Drive(2000, 0, 40).Park(10 * kMinute);
  const int64_t arrived = TimeOf(track, track.positions.size() - 20);
  track.Silence(2 * 60 * kMinute).Park(10 * kMinute);
  const int64_t left = track.positions.back().device_time_ms;
  track.Drive(2000, 0, 40);
  const Movement movement = Derive(track);
  ASSERT_EQ(movement.stops.size(), 1u);
  EXPECT_EQ(movement.stops[0].start_ms, arrived);
  EXPECT_EQ(movement.stops[0].end_ms, left);
  EXPECT_GT(movement.stops[0].end_ms - movement.stops[0].start_ms, 2 * 60 * kMinute);
  EXPECT_FALSE(movement.stops[0].open_start || movement.stops[0].open_end);
  EXPECT_EQ(movement.trips.size(), 2u);
}

TEST(Movement, StopLastsUntilTheFirstReportAfterASilenceAtThePlace) {
  // Parked, terminal off; it comes back on already rolling, still at the place.
  TrackBuilder track;
  track.Report(40).Drive(2000, 0, 40).Park(10 * kMinute).Silence(2 * 60 * kMinute).Report(25);
  const int64_t back_on = track.positions.back().device_time_ms;
  track.Drive(2000, 0, 40);
  const Movement movement = Derive(track);
  ASSERT_EQ(movement.stops.size(), 1u);
  EXPECT_EQ(movement.stops[0].end_ms, back_on);
  EXPECT_EQ(movement.stops[0].reports, 21u);
  EXPECT_EQ(movement.trips.size(), 2u);
}

TEST(Movement, SilenceWithoutDisplacementIsAStopWhateverTheSpeedsRead) {
  // The terminal went off on arrival and on again on leaving, both while reading 30 km/h.
  TrackBuilder track;
  track.Report(40).Drive(2000, 0, 40);
  const int64_t off = track.positions.back().device_time_ms;
  track.Silence(60 * kMinute).Report(30);
  const int64_t on = track.positions.back().device_time_ms;
  track.Drive(2000, 0, 40);
  const Movement movement = Derive(track);
  ASSERT_EQ(movement.stops.size(), 1u);
  EXPECT_EQ(movement.stops[0].start_ms, off);
  EXPECT_EQ(movement.stops[0].end_ms, on);
  EXPECT_EQ(movement.stops[0].reports, 2u);
  ASSERT_EQ(movement.trips.size(), 2u);
  EXPECT_NEAR(movement.trips[0].distance_m + movement.trips[1].distance_m, 4000, 40);
}

TEST(Movement, SilenceWithAJumpBreaksTheTripWithNoDistanceAcrossIt) {
  TrackBuilder track;
  track.Report(40).Drive(3000, 0, 40);
  const int64_t last_before = track.positions.back().device_time_ms;
  track.Silence(30 * kMinute).MoveBy(5000, 0).Drive(3000, 0, 40);
  const Movement movement = Derive(track);
  EXPECT_TRUE(movement.stops.empty());
  ASSERT_EQ(movement.trips.size(), 2u);
  EXPECT_EQ(movement.trips[0].end_ms, last_before);
  EXPECT_GT(movement.trips[1].start_ms, last_before + 30 * kMinute);
  EXPECT_NEAR(movement.trips[0].distance_m, 3000, 30);
  EXPECT_NEAR(movement.trips[1].distance_m, 3000 - 333, 30);  // starts one step in
}

TEST(Movement, ShortSilenceWithAJumpStaysOneTrip) {
  TrackBuilder track;
  track.Report(40).Drive(3000, 0, 40).Silence(5 * kMinute).MoveBy(5000, 0).Drive(3000, 0, 40);
  const Movement movement = Derive(track);
  EXPECT_TRUE(movement.stops.empty());
  ASSERT_EQ(movement.trips.size(), 1u);
  EXPECT_NEAR(movement.trips[0].distance_m, 11000, 60);
}

TEST(Movement, StopsBeforeAndAfterABreakAreOpen) {
  // A 2-minute halt, then silence and 5 km away: the halt may have lasted an hour.
  TrackBuilder track;
  track.Report(40).Drive(2000, 0, 40).Park(2 * kMinute).Silence(60 * kMinute).MoveBy(5000, 0);
  track.Park(20 * kMinute).Drive(2000, 0, 40);
  const Movement movement = Derive(track);
  ASSERT_EQ(movement.stops.size(), 2u);
  EXPECT_FALSE(movement.stops[0].open_start);
  EXPECT_TRUE(movement.stops[0].open_end);
  EXPECT_EQ(movement.stops[0].end_ms - movement.stops[0].start_ms, 90'000);
  EXPECT_TRUE(movement.stops[1].open_start);
  EXPECT_FALSE(movement.stops[1].open_end);
  ASSERT_EQ(movement.trips.size(), 2u);
  EXPECT_NEAR(movement.trips[0].distance_m, 2000, 20);
  EXPECT_NEAR(movement.trips[1].distance_m, 2000, 20);
}

bool SameMovement(const Movement& a, const Movement& b) {
  if (a.stops.size() != b.stops.size() || a.trips.size() != b.trips.size()) {
    return false;
  }
  for (size_t i = 0; i < a.stops.size(); ++i) {
    const Stop &x = a.stops[i], &y = b.stops[i];
    if (x.start_ms != y.start_ms || x.end_ms != y.end_ms || x.center != y.center ||
        x.reports != y.reports || x.open_start != y.open_start || x.open_end != y.open_end) {
      return false;
    }
  }
  for (size_t i = 0; i < a.trips.size(); ++i) {
    const Trip &x = a.trips[i], &y = b.trips[i];
    if (x.start_ms != y.start_ms || x.end_ms != y.end_ms || x.from != y.from || x.to != y.to ||
        x.distance_m != y.distance_m || x.max_speed_kmh != y.max_speed_kmh ||
        x.reports != y.reports) {
      return false;
    }
  }
  return true;
}

TEST(Movement, DuplicatesAndReportsWithoutTimeOrFixAreIgnored) {
  TrackBuilder track;
  track.Park(10 * kMinute).Drive(3000, 0, 40).Park(10 * kMinute).Drive(2000, 1000, 60);
  const Movement clean = Derive(track);
  ASSERT_EQ(clean.stops.size(), 2u);

  std::vector<model::Position> noisy;
  for (const model::Position& position : track.positions) {
    noisy.push_back(position);
    model::Position resend = position;
    resend.serial += 1000;
    resend.receive_time_ms += kMinute;
    noisy.push_back(resend);
    model::Position untimed = position;
    untimed.device_time_ms = 0;
    noisy.push_back(untimed);
    model::Position no_fix = position;
    no_fix.device_time_ms += 1;
    no_fix.lat_e6 = no_fix.lon_e6 = 0;
    noisy.push_back(no_fix);
  }
  EXPECT_TRUE(SameMovement(DeriveMovement(noisy), clean));
}

TEST(Movement, TimesAreDeviceTimesNotReceiveTimes) {
  TrackBuilder track;
  track.Park(10 * kMinute).Drive(3000, 0, 40).Park(10 * kMinute);
  const Movement original = Derive(track);
  // The same reports received in one late batch, out of their order.
  std::vector<model::Position> batch = track.positions;
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].receive_time_ms = track.now_ms() + 3600'000 - static_cast<int64_t>(i);
  }
  const Movement late = DeriveMovement(batch);
  EXPECT_TRUE(SameMovement(late, original));
  ASSERT_EQ(late.stops.size(), 2u);
  EXPECT_EQ(late.stops[0].start_ms, track.positions[0].device_time_ms);
}

TEST(Movement, NoReportsOrOneReportGiveNothing) {
  EXPECT_TRUE(DeriveMovement({}).stops.empty());
  TrackBuilder track;
  track.Report(0);
  const Movement movement = Derive(track);
  EXPECT_TRUE(movement.stops.empty());
  EXPECT_TRUE(movement.trips.empty());
}

// Property: on random tracks of parking, driving, silences (with and without jumps) and GPS
// outliers, stops and trips are ordered and disjoint, count exactly the reports in their time
// ranges, and a stop lasts at least min_stop_ms unless it is open.
TEST(Movement, RandomTracksKeepTheInvariants) {
  std::mt19937_64 engine(20261207);
  auto uniform = [&engine](double low, double high) {
    return std::uniform_real_distribution<double>(low, high)(engine);
  };
  const MovementThresholds thresholds;
  size_t stops_seen = 0, open_seen = 0, trips_seen = 0;
  for (int round = 0; round < 300; ++round) {
    TrackBuilder track;
    const int segments = static_cast<int>(uniform(1, 25));
    for (int s = 0; s < segments; ++s) {
      const double kind = uniform(0, 1);
      if (kind < 0.35) {
        track.Park(static_cast<int64_t>(uniform(0, 25)) * kMinute);
      } else if (kind < 0.75) {
        const double angle = uniform(0, 2 * std::numbers::pi);
        const double length = uniform(50, 6000);
        track.Drive(length * std::cos(angle), length * std::sin(angle), uniform(6, 90));
      } else if (kind < 0.85) {
        track.Silence(static_cast<int64_t>(uniform(1, 180)) * kMinute);
        if (uniform(0, 1) < 0.5) {
          track.MoveBy(uniform(-8000, 8000), uniform(-8000, 8000));
        }
      } else if (kind < 0.93) {
        track.Report(uniform(0, 120));  // a speed spike, moving or not
      } else {
        const double east = uniform(-500, 500), north = uniform(-500, 500);
        track.MoveBy(east, north).Report(0).MoveBy(-east, -north);  // a position outlier
      }
    }
    const std::vector<model::Position>& positions = track.positions;
    const Movement movement = DeriveMovement(positions, thresholds);

    // Every stop and trip as [start, end], merged in time order: strictly disjoint.
    std::vector<std::pair<int64_t, int64_t>> spans;
    auto reports_in = [&positions](int64_t from, int64_t to) {
      size_t count = 0;
      for (const model::Position& position : positions) {
        count += position.device_time_ms >= from && position.device_time_ms <= to;
      }
      return count;
    };
    auto index_of = [&positions](int64_t time) {
      for (size_t i = 0; i < positions.size(); ++i) {
        if (positions[i].device_time_ms == time) {
          return i;
        }
      }
      ADD_FAILURE() << "no report at " << time;
      return size_t{0};
    };
    for (size_t i = 0; i < movement.stops.size(); ++i) {
      const Stop& stop = movement.stops[i];
      ASSERT_LT(stop.start_ms, stop.end_ms);
      if (i > 0) {
        ASSERT_LT(movement.stops[i - 1].end_ms, stop.start_ms);
      }
      EXPECT_EQ(stop.reports, reports_in(stop.start_ms, stop.end_ms));
      EXPECT_TRUE(stop.end_ms - stop.start_ms >= thresholds.min_stop_ms || stop.open_start ||
                  stop.open_end);
      // Open means at the edge of the data or next to a silence.
      const size_t first = index_of(stop.start_ms), last = index_of(stop.end_ms);
      if (stop.open_start && first > 0) {
        EXPECT_GT(stop.start_ms - positions[first - 1].device_time_ms, thresholds.max_gap_ms);
      }
      if (stop.open_end && last + 1 < positions.size()) {
        EXPECT_GT(positions[last + 1].device_time_ms - stop.end_ms, thresholds.max_gap_ms);
      }
      spans.emplace_back(stop.start_ms, stop.end_ms);
      open_seen += stop.open_start || stop.open_end;
    }
    for (size_t i = 0; i < movement.trips.size(); ++i) {
      const Trip& trip = movement.trips[i];
      ASSERT_LT(trip.start_ms, trip.end_ms);
      if (i > 0) {
        ASSERT_LT(movement.trips[i - 1].end_ms, trip.start_ms);
      }
      EXPECT_GE(trip.reports, 2u);
      EXPECT_EQ(trip.reports, reports_in(trip.start_ms, trip.end_ms));
      EXPECT_GE(trip.distance_m + 1e-6, geo::DistanceM(trip.from, trip.to));
      EXPECT_LE(trip.max_speed_kmh, 120.05);
      spans.emplace_back(trip.start_ms, trip.end_ms);
    }
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i) {
      ASSERT_LT(spans[i - 1].second, spans[i].first) << "round " << round;
    }
    stops_seen += movement.stops.size();
    trips_seen += movement.trips.size();
  }
  // The generator exercises what it should.
  EXPECT_GT(stops_seen, 300u);
  EXPECT_GT(open_seen, 50u);
  EXPECT_GT(trips_seen, 300u);
}

TEST(Movement, ChinaDayBoundsAreLocalMidnights) {
  const int64_t start = 1'650'384'000'000;  // 2022-04-20 00:00 China = 04-19 16:00 UTC
  const int64_t end = start + 24 * 3600'000;
  EXPECT_EQ(ChinaDayBounds(1'650'415'800'000), std::pair(start, end));  // 08:50 China
  EXPECT_EQ(ChinaDayBounds(start), std::pair(start, end));
  EXPECT_EQ(ChinaDayBounds(end - 1), std::pair(start, end));
  EXPECT_EQ(ChinaDayBounds(end), std::pair(end, end + 24 * 3600'000));
  // Before the epoch: 1970-01-01 07:59:59.999 China is still that day.
  EXPECT_EQ(ChinaDayBounds(-1), std::pair(int64_t{-8} * 3600'000, int64_t{16} * 3600'000));
  EXPECT_EQ(ChinaDayBounds(-8 * 3600'000 - 1),
            std::pair(int64_t{-32} * 3600'000, int64_t{-8} * 3600'000));
}

}  // namespace
}  // namespace baotong::track
