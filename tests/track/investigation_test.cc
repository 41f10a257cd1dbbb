#include "track/investigation.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "store/sqlite/sqlite_store.h"

namespace baotong::track {
namespace {

namespace fs = std::filesystem;

constexpr double kCentreLat = 41.10;
constexpr double kCentreLon = 122.99;
constexpr int64_t kStartMs = 1'790'000'000'000;  // 2026-09-21, on an hour boundary
constexpr double kPi = 3.14159265358979323846;
constexpr double kMetresPerDegree = geo::kEarthRadiusM * kPi / 180;

model::Position At(const std::string& terminal, int64_t time_ms, double lat, double lon,
                   uint16_t serial = 0) {
  model::Position p;
  p.terminal = terminal;
  p.serial = serial;
  p.device_time_ms = time_ms;
  p.receive_time_ms = time_ms + 500;
  p.lat_e6 = static_cast<int32_t>(std::llround(lat * 1e6));
  p.lon_e6 = static_cast<int32_t>(std::llround(lon * 1e6));
  return p;
}

// A point `metres` east and `north` of the centre (local plane).
geo::LatLon Offset(double east, double north) {
  return {kCentreLat + north / kMetresPerDegree,
          kCentreLon + east / (kMetresPerDegree * std::cos(kCentreLat * kPi / 180))};
}

Area MakeArea(const AreaShape& shape) {
  auto area = Area::Make(shape);
  EXPECT_TRUE(area) << (area ? "" : area.error().Message());
  return *area;
}

TEST(AreaTest, CircleIncludesItsEdgeToATenthOfAMetre) {
  const Area area = MakeArea(geo::Circle{{kCentreLat, kCentreLon}, 1000});
  const geo::LatLon edge = Offset(1000, 0);
  const geo::LatLon beyond = Offset(1000.5, 0);
  EXPECT_TRUE(
      area.Contains(At("1", 0, edge.lat, edge.lon).lat_e6, At("1", 0, edge.lat, edge.lon).lon_e6));
  EXPECT_FALSE(area.Contains(At("1", 0, beyond.lat, beyond.lon).lat_e6,
                             At("1", 0, beyond.lat, beyond.lon).lon_e6));
}

TEST(AreaTest, ChordBetweenTwoReportsOutsideIsInsideInTheMiddle) {
  const Area area = MakeArea(geo::Circle{{kCentreLat, kCentreLon}, 500});
  const geo::LatLon west = Offset(-600, 0);
  const geo::LatLon east = Offset(600, 0);
  const auto parts =
      area.InsideParts(At("1", 0, west.lat, west.lon), At("1", 0, east.lat, east.lon));
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_NEAR(parts[0].first, 100.0 / 1200, 1e-4);
  EXPECT_NEAR(parts[0].second, 1100.0 / 1200, 1e-4);
  // Passing 10 m north of the circle: no part.
  const geo::LatLon nw = Offset(-600, 510);
  const geo::LatLon ne = Offset(600, 510);
  EXPECT_TRUE(area.InsideParts(At("1", 0, nw.lat, nw.lon), At("1", 0, ne.lat, ne.lon)).empty());
}

TEST(AreaTest, PolygonEdgesAndVerticesCountAsInside) {
  const std::vector<geo::LatLon> square = {Offset(0, 0), Offset(1000, 0), Offset(1000, 1000),
                                           Offset(0, 1000)};
  const Area area = MakeArea(square);
  for (const geo::LatLon& point : {Offset(500, 0), Offset(1000, 1000), Offset(500, 500)}) {
    const auto p = At("1", 0, point.lat, point.lon);
    EXPECT_TRUE(area.Contains(p.lat_e6, p.lon_e6)) << point.lat << "," << point.lon;
  }
  const auto outside = At("1", 0, Offset(500, -1).lat, Offset(500, -1).lon);
  EXPECT_FALSE(area.Contains(outside.lat_e6, outside.lon_e6));
  // A segment across a corner, both ends outside, and one entering through an edge.
  const auto a = At("1", 0, Offset(800, -100).lat, Offset(800, -100).lon);
  const auto b = At("1", 0, Offset(1100, 200).lat, Offset(1100, 200).lon);
  auto parts = area.InsideParts(a, b);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_NEAR(parts[0].first, 1.0 / 3, 1e-3);
  EXPECT_NEAR(parts[0].second, 2.0 / 3, 1e-3);
  const auto below = At("1", 0, Offset(500, -100).lat, Offset(500, -100).lon);
  const auto above = At("1", 0, Offset(500, 100).lat, Offset(500, 100).lon);
  parts = area.InsideParts(below, above);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_NEAR(parts[0].first, 0.5, 1e-3);
  EXPECT_EQ(parts[0].second, 1.0);
}

TEST(AreaTest, RefusesBadShapes) {
  EXPECT_FALSE(Area::Make(geo::Circle{{kCentreLat, kCentreLon}, 0}));
  EXPECT_FALSE(Area::Make(geo::Circle{{kCentreLat, kCentreLon}, 60'000}));
  EXPECT_FALSE(Area::Make(geo::Circle{{95, kCentreLon}, 100}));
  EXPECT_FALSE(Area::Make(std::vector<geo::LatLon>{Offset(0, 0), Offset(1, 1)}));
}

// Generated tracks stored through the real store; each query's answer must equal the exact
// test applied to every terminal's whole track (brute force).
class InvestigationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("baotong_investigation_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    options_.compact_every_rows = 3000;
    options_.compact_slice_rows = 400;
    options_.compact_every_ms = 0;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void Open() {
    store_.reset();
    auto store = store::SqliteStore::Open(dir_, options_);
    ASSERT_TRUE(store) << store.error().Message();
    store_ = std::move(*store);
  }

  void Append(std::vector<model::Position> batch) {
    for (const model::Position& p : batch) {
      tracks_[p.terminal].push_back(p);
    }
    auto added = store_->Append(batch);
    ASSERT_TRUE(added) << added.error().Message();
  }

  // 150 vehicles over four hours in a 9 km × 9 km square: 30 s reports, speeds 0-60 km/h,
  // parked spells, silent gaps of 10 minutes, GPS jumps, and reports sent 20 minutes late.
  void Generate(uint32_t seed, int64_t start_ms, int64_t hours) {
    std::mt19937 random(seed);
    std::uniform_real_distribution<double> unit(0, 1);
    struct Vehicle {
      std::string terminal;
      double east, north, heading, speed_ms;
      int64_t silent_until = 0;
    };
    std::vector<Vehicle> vehicles;
    for (int i = 0; i < 150; ++i) {
      vehicles.push_back({"0139" + std::to_string(10'000'000 + i), (unit(random) - 0.5) * 9000,
                          (unit(random) - 0.5) * 9000, unit(random) * 2 * kPi,
                          unit(random) < 0.2 ? 0.0 : unit(random) * 16.7});
    }
    std::vector<model::Position> late;
    uint16_t serial = 0;
    for (int64_t t = start_ms; t < start_ms + hours * 3'600'000; t += 30'000) {
      std::vector<model::Position> batch;
      for (Vehicle& v : vehicles) {
        v.heading += (unit(random) - 0.5) * 0.6;
        v.east = std::clamp(v.east + std::cos(v.heading) * v.speed_ms * 30, -4500.0, 4500.0);
        v.north = std::clamp(v.north + std::sin(v.heading) * v.speed_ms * 30, -4500.0, 4500.0);
        if (unit(random) < 0.01) {
          v.speed_ms = unit(random) < 0.3 ? 0.0 : unit(random) * 16.7;
        }
        if (t < v.silent_until) {
          continue;
        }
        if (unit(random) < 0.002) {
          v.silent_until = t + 600'000;
          continue;
        }
        geo::LatLon where = Offset(v.east, v.north);
        if (unit(random) < 0.003) {
          where = Offset(v.east + 20'000, v.north);  // a GPS jump
        }
        model::Position p = At(v.terminal, t, where.lat, where.lon, ++serial);
        (unit(random) < 0.02 ? late : batch).push_back(p);
      }
      // Late reports arrive 20 minutes after they were made.
      while (!late.empty() && late.front().device_time_ms <= t - 1'200'000) {
        batch.push_back(late.front());
        late.erase(late.begin());
      }
      Append(std::move(batch));
    }
    Append(std::move(late));
  }

  std::vector<Presence> BruteForce(const Area& area, int64_t from_ms, int64_t to_ms) {
    std::vector<Presence> result;
    for (auto& [terminal, track] : tracks_) {
      std::sort(track.begin(), track.end(), [](const auto& a, const auto& b) {
        return a.device_time_ms != b.device_time_ms ? a.device_time_ms < b.device_time_ms
                                                    : a.serial < b.serial;
      });
      if (auto presence = PresenceIn(area, track, from_ms, to_ms)) {
        result.push_back(*presence);
      }
    }
    std::sort(result.begin(), result.end(), [](const Presence& a, const Presence& b) {
      return a.first_ms != b.first_ms ? a.first_ms < b.first_ms : a.terminal < b.terminal;
    });
    return result;
  }

  // Random circles and polygons over random windows; returns how many vehicles were found.
  size_t CompareRandomQueries(uint32_t seed, int64_t start_ms, int64_t hours, int queries) {
    std::mt19937 random(seed);
    std::uniform_real_distribution<double> unit(0, 1);
    Investigations investigations(*store_);
    size_t found = 0;
    for (int i = 0; i < queries; ++i) {
      const double east = (unit(random) - 0.5) * 9000;
      const double north = (unit(random) - 0.5) * 9000;
      AreaShape shape;
      if (i % 3 == 2) {
        std::vector<geo::LatLon> ring;
        const double radius = 200 + unit(random) * 1500;
        for (int k = 0; k < 6; ++k) {
          const double angle = k * kPi / 3 + unit(random) * 0.5;
          const double r = radius * (0.5 + unit(random) * 0.5);
          ring.push_back(Offset(east + r * std::cos(angle), north + r * std::sin(angle)));
        }
        shape = ring;
      } else {
        shape = geo::Circle{Offset(east, north), 100 + unit(random) * 1500};
      }
      const Area area = MakeArea(shape);
      const auto length = static_cast<int64_t>(600'000 + unit(random) * 7'200'000);
      const int64_t from = start_ms + static_cast<int64_t>(unit(random) * hours * 3'600'000);
      auto answer = investigations.InArea(area, from, from + length);
      EXPECT_TRUE(answer);
      if (!answer) {
        return found;
      }
      const auto expected = BruteForce(area, from, from + length);
      EXPECT_EQ(answer->vehicles, expected) << "query " << i;
      found += expected.size();
    }
    return found;
  }

  fs::path dir_;
  store::SqliteOptions options_;
  std::unique_ptr<store::SqliteStore> store_;
  std::map<std::string, std::vector<model::Position>> tracks_;
};

TEST_F(InvestigationTest, EdgeCasesAreAnsweredAsDocumented) {
  Open();
  const int64_t t = kStartMs;
  const geo::LatLon west = Offset(-700, 800), east = Offset(700, 800);
  const geo::LatLon edge = Offset(0, 1000);
  const geo::LatLon inside = Offset(100, 100);
  const geo::LatLon far_west = Offset(-3000, 0), far_east = Offset(3000, 0);
  Append({
      // Crosses the circle between two reports a minute apart (the chord at 800 m north).
      At("1", t, west.lat, west.lon, 1),
      At("1", t + 60'000, east.lat, east.lon, 2),
      // One report exactly at the edge.
      At("2", t + 10'000, edge.lat, edge.lon, 1),
      // Inside only at the window's last millisecond, and once a millisecond after it.
      At("3", t + 60'000, inside.lat, inside.lon, 1),
      At("4", t + 60'001, inside.lat, inside.lon, 1),
      // A gap of ten minutes across the circle: nothing is assumed.
      At("5", t, far_west.lat, far_west.lon, 1),
      At("5", t + 600'000, far_east.lat, far_east.lon, 1),
  });
  const Area circle = MakeArea(geo::Circle{{kCentreLat, kCentreLon}, 1000});
  auto check = [&] {
    Investigations investigations(*store_);  // the store is reopened between checks
    auto answer = investigations.InArea(circle, t, t + 60'000);
    ASSERT_TRUE(answer) << answer.error().Message();
    ASSERT_EQ(answer->vehicles.size(), 3u);
    const Presence& crossing = answer->vehicles[0];
    EXPECT_EQ(crossing.terminal, "1");
    EXPECT_TRUE(crossing.between_reports);
    EXPECT_EQ(crossing.reports, 0u);
    // Enters 100 m into a 1,400 m, 60 s segment, leaves 1,300 m in.
    EXPECT_NEAR(static_cast<double>(crossing.first_ms - t), 60'000.0 * 100 / 1400, 5);
    EXPECT_NEAR(static_cast<double>(crossing.last_ms - t), 60'000.0 * 1300 / 1400, 5);
    EXPECT_EQ(answer->vehicles[1].terminal, "2");
    EXPECT_EQ(answer->vehicles[1].reports, 1u);
    EXPECT_EQ(answer->vehicles[2].terminal, "3");
    EXPECT_EQ(answer->vehicles[2].first_ms, t + 60'000);
    EXPECT_EQ(answer->vehicles, BruteForce(circle, t, t + 60'000));
  };
  check();  // from the in-memory tail
  ASSERT_TRUE(store_->Compact());
  check();  // from the index
  Open();
  check();  // after a restart
}

TEST_F(InvestigationTest, FindsACrossingWhoseReportsLieCellsAway) {
  // 3 km in 100 s across a 100 m circle: neither report's grid cell is near the circle, so only
  // the segment's cells can lead the index to it.
  Open();
  const geo::LatLon west = Offset(-1500, 0), east = Offset(1500, 0);
  // The first reports are compacted before the second arrive: the segment is indexed as a
  // continuation of the compacted track.
  Append({At("1", kStartMs, west.lat, west.lon, 1), At("2", kStartMs, west.lat, west.lon, 1)});
  ASSERT_TRUE(store_->Compact());
  Append({At("1", kStartMs + 100'000, east.lat, east.lon, 2),
          At("2", kStartMs + 200'000, east.lat, east.lon, 2)});  // too long a gap
  const Area small = MakeArea(geo::Circle{{kCentreLat, kCentreLon}, 100});
  Investigations investigations(*store_);
  for (bool compacted : {false, true}) {
    if (compacted) {
      ASSERT_TRUE(store_->Compact());
    }
    auto answer = investigations.InArea(small, kStartMs, kStartMs + 100'000);
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->vehicles.size(), 1u) << compacted;
    EXPECT_EQ(answer->vehicles[0].terminal, "1");
    EXPECT_TRUE(answer->vehicles[0].between_reports);
    EXPECT_NEAR(static_cast<double>(answer->vehicles[0].first_ms - kStartMs), 46'667, 5);
  }
}

TEST_F(InvestigationTest, LateDataAfterARestartDoesNotHideTheNextCrossing) {
  // Compacted reports up to t, a restart, an hour-old backlog compacted on its own, then the
  // report after t: the segment t -> t + 60 s crosses a small circle far from both reports'
  // cells, and only an index that joined it to the report at t finds it.
  const int64_t t = kStartMs + 3'600'000;
  const geo::LatLon west = Offset(-1500, 0), east = Offset(1500, 0), away = Offset(5000, 5000);
  Open();
  std::vector<model::Position> before;
  for (int i = 0; i <= 10; ++i) {
    before.push_back(At("1", t - (10 - i) * 30'000, west.lat, west.lon, static_cast<uint16_t>(i)));
  }
  Append(before);
  ASSERT_TRUE(store_->Compact());
  Open();
  Append({At("1", kStartMs, away.lat, away.lon, 100),
          At("1", kStartMs + 30'000, away.lat, away.lon, 101)});
  ASSERT_TRUE(store_->Compact());
  Append({At("1", t + 60'000, east.lat, east.lon, 11)});
  ASSERT_TRUE(store_->Compact());
  Investigations investigations(*store_);
  const Area small = MakeArea(geo::Circle{{kCentreLat, kCentreLon}, 100});
  auto answer = investigations.InArea(small, t, t + 60'000);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->vehicles.size(), 1u);
  EXPECT_TRUE(answer->vehicles[0].between_reports);
  EXPECT_EQ(answer->vehicles, BruteForce(small, t, t + 60'000));
}

TEST_F(InvestigationTest, ReportsWithoutTimeOrPlaceAreStoredButNeverFound) {
  Open();
  model::Position untimed = At("1", 0, kCentreLat, kCentreLon, 1);
  model::Position polar = At("2", kStartMs, 90, 179.999999, 1);
  model::Position polar_next = At("2", kStartMs + 30'000, 90, -179.999999, 2);
  Append({untimed, polar, polar_next});
  ASSERT_TRUE(store_->Compact());
  Investigations investigations(*store_);
  const Area circle = MakeArea(geo::Circle{{kCentreLat, kCentreLon}, 1000});
  auto answer = investigations.InArea(circle, kStartMs - 3'600'000, kStartMs + 3'600'000);
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->vehicles.empty());
  EXPECT_EQ(*store_->Count(), 3u);
}

TEST_F(InvestigationTest, AnswersEqualABruteForceScanInTailIndexAndAfterRestart) {
  Open();
  Generate(7, kStartMs, 4);
  ASSERT_GT(store_->TailSize(), 0u);  // some answers come from memory, some from the index
  EXPECT_GT(CompareRandomQueries(11, kStartMs, 4, 60), 50u);
  ASSERT_TRUE(store_->Compact());
  CompareRandomQueries(12, kStartMs, 4, 40);
  // After a restart the writer no longer knows each terminal's last compacted position: new
  // positions read their neighbours from the chunks.
  Open();
  Generate(8, kStartMs + 4 * 3'600'000 - 300'000, 1);
  ASSERT_TRUE(store_->Compact());
  CompareRandomQueries(13, kStartMs, 5, 40);
}

TEST_F(InvestigationTest, AStoreWithoutTheIndexIsIndexedAtOpen) {
  Open();
  Generate(9, kStartMs, 2);
  ASSERT_TRUE(store_->Compact());
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "baotong.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DELETE FROM position_cells; UPDATE store_meta SET value = 0 WHERE key = "
                         "'cells_indexed'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Open();
  EXPECT_GT(CompareRandomQueries(14, kStartMs, 2, 40), 20u);
}

TEST_F(InvestigationTest, RefusesAnOverlongOrReversedWindow) {
  Open();
  Investigations investigations(*store_);
  const Area circle = MakeArea(geo::Circle{{kCentreLat, kCentreLon}, 1000});
  EXPECT_FALSE(investigations.InArea(circle, kStartMs, kStartMs - 1));
  EXPECT_FALSE(investigations.InArea(circle, kStartMs, kStartMs + kMaxInvestigationSpanMs + 1));
}

}  // namespace
}  // namespace baotong::track
