// 协查 at scale: fills a position store with a generated city fleet through the real write path
// (SqliteStore::Append, compaction and the cell index included), then times area queries.
//
//   build/bench/investigate_bench fill DIR VEHICLES HOURS [COMPACT_ROWS]   (appends to DIR's store;
//                                 COMPACT_ROWS sets SqliteOptions::compact_every_rows)
//   build/bench/investigate_bench query DIR QUERIES [RADIUS_M] [WINDOW_MIN]
//
// The fleet: VEHICLES trucks in a 40 km × 30 km box around Anshan, each reporting every 30 s
// (JT/T 808's usual interval while driving), driving at 30-60 km/h towards a random
// destination, then parked there for 10-90 minutes (reporting while parked), then off to the
// next; a third of them start parked. 20,000 vehicles over 42 hours is 100.8 million positions.
// `fill` prints progress, the time taken and the store's size on disk (the database and its
// WAL). `query` runs QUERIES circles (default radius 1000 m, window 120 min) at random places
// and times within the stored hours, twice each (the first warms the page cache, the second is
// the figure), and prints the median, p90 and max time, the mean number of candidates and
// vehicles found, and the same times of the first runs (run after dropping the OS page cache,
// `sync; echo 3 > /proc/sys/vm/drop_caches` as root, they are the cold-disk figures).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "track/investigation.h"

namespace {

using namespace baotong;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int64_t kStartMs = 1'790'000'000'000;  // 2026-09-21 10:13 UTC
constexpr double kCentreLat = 41.10;
constexpr double kCentreLon = 122.99;
constexpr double kPi = 3.14159265358979323846;
constexpr double kMetresPerDegree = 6'371'008.8 * kPi / 180;
constexpr double kHalfWidthM = 20'000;
constexpr double kHalfHeightM = 15'000;
constexpr int64_t kIntervalMs = 30'000;

geo::LatLon Offset(double east, double north) {
  return {kCentreLat + north / kMetresPerDegree,
          kCentreLon + east / (kMetresPerDegree * std::cos(kCentreLat * kPi / 180))};
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

uintmax_t StoreBytes(const fs::path& dir) {
  uintmax_t total = 0;
  for (const char* name : {"baotong.db", "baotong.db-wal"}) {
    std::error_code error;
    const auto size = fs::file_size(dir / name, error);
    if (!error) {
      total += size;
    }
  }
  return total;
}

struct Truck {
  double east = 0, north = 0;
  double target_east = 0, target_north = 0;
  double speed_ms = 0;
  int64_t parked_until = 0;
};

// The fleet's state is a pure function of the seed and the time step, so that a second `fill`
// continues where the first stopped (it starts at the store's newest hour).
int Fill(const fs::path& dir, int vehicles, int hours, size_t compact_rows) {
  store::SqliteOptions options;
  if (compact_rows > 0) {
    options.compact_every_rows = compact_rows;
  }
  auto opened = store::SqliteStore::Open(dir, options);
  if (!opened) {
    std::fprintf(stderr, "cannot open the store: %s\n", opened.error().Message().c_str());
    return 1;
  }
  store::SqliteStore& store = **opened;
  const uint64_t before = *store.Count();
  const int64_t first_step = static_cast<int64_t>(before / static_cast<uint64_t>(vehicles));
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> unit(0, 1);
  auto pick_target = [&](Truck& truck) {
    truck.target_east = (unit(random) * 2 - 1) * kHalfWidthM;
    truck.target_north = (unit(random) * 2 - 1) * kHalfHeightM;
    truck.speed_ms = (30 + unit(random) * 30) / 3.6;
  };
  std::vector<Truck> trucks(static_cast<size_t>(vehicles));
  for (Truck& truck : trucks) {
    truck.east = (unit(random) * 2 - 1) * kHalfWidthM;
    truck.north = (unit(random) * 2 - 1) * kHalfHeightM;
    pick_target(truck);
    if (unit(random) < 1.0 / 3) {
      truck.parked_until = kStartMs + static_cast<int64_t>(unit(random) * 5'400'000);
    }
  }
  std::vector<std::string> phones;
  for (int i = 0; i < vehicles; ++i) {
    phones.push_back("0188" + std::to_string(10'000'000 + i));
  }
  const int64_t steps = int64_t{hours} * 3'600'000 / kIntervalMs;
  std::vector<model::Position> batch(static_cast<size_t>(vehicles));
  const auto started = Clock::now();
  for (int64_t step = 0; step < first_step + steps; ++step) {
    const int64_t now = kStartMs + step * kIntervalMs;
    for (size_t i = 0; i < trucks.size(); ++i) {
      Truck& truck = trucks[i];
      if (now >= truck.parked_until) {
        const double dx = truck.target_east - truck.east;
        const double dy = truck.target_north - truck.north;
        const double distance = std::hypot(dx, dy);
        const double travel = truck.speed_ms * (kIntervalMs / 1000.0);
        if (distance <= travel) {
          truck.east = truck.target_east;
          truck.north = truck.target_north;
          truck.parked_until = now + 600'000 + static_cast<int64_t>(unit(random) * 4'800'000);
          pick_target(truck);
        } else {
          truck.east += dx / distance * travel;
          truck.north += dy / distance * travel;
        }
      }
      if (step < first_step) {
        continue;  // replaying the fleet up to what is stored already
      }
      const geo::LatLon where = Offset(truck.east, truck.north);
      model::Position& p = batch[i];
      p.terminal = phones[i];
      p.serial = static_cast<uint16_t>(step);
      p.device_time_ms = now;
      p.receive_time_ms = now + 800;
      p.lat_e6 = static_cast<int32_t>(std::llround(where.lat * 1e6));
      p.lon_e6 = static_cast<int32_t>(std::llround(where.lon * 1e6));
      p.speed_dkmh =
          now >= truck.parked_until ? static_cast<uint16_t>(truck.speed_ms * 36) : uint16_t{0};
      p.status = 0x3;  // ACC on, positioned
    }
    if (step < first_step) {
      continue;
    }
    if (auto added = store.Append(batch); !added) {
      std::fprintf(stderr, "append failed: %s\n", added.error().Message().c_str());
      return 1;
    }
    if ((step - first_step + 1) % 120 == 0) {
      const double elapsed = Seconds(started);
      const auto written = static_cast<double>(step - first_step + 1) * vehicles;
      std::fprintf(stderr, "\r%.1f M positions, %.0f k/s, %.2f GB   ", written / 1e6,
                   written / elapsed / 1e3, static_cast<double>(StoreBytes(dir)) / 1e9);
    }
  }
  if (auto ok = store.Compact(); !ok) {
    std::fprintf(stderr, "compaction failed: %s\n", ok.error().Message().c_str());
    return 1;
  }
  const double elapsed = Seconds(started);
  const uint64_t count = *store.Count();
  opened->reset();  // closing checkpoints the WAL into the database
  std::printf(
      "stored %llu positions (%llu new) in %.0f s (%.0f positions/s); on disk %.2f GB "
      "(%.1f bytes per position)\n",
      static_cast<unsigned long long>(count), static_cast<unsigned long long>(count - before),
      elapsed, static_cast<double>(count - before) / elapsed,
      static_cast<double>(StoreBytes(dir)) / 1e9,
      static_cast<double>(StoreBytes(dir)) / static_cast<double>(count));
  return 0;
}

double Percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const auto index = static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

int Query(const fs::path& dir, int queries, double radius_m, int window_min) {
  auto opened = store::SqliteStore::Open(dir);
  if (!opened) {
    std::fprintf(stderr, "cannot open the store: %s\n", opened.error().Message().c_str());
    return 1;
  }
  store::SqliteStore& store = **opened;
  auto latest = store.Latest(0, 1);
  if (!latest || latest->empty()) {
    std::fprintf(stderr, "the store is empty: run fill first\n");
    return 1;
  }
  const int64_t end_ms = (*latest)[0].device_time_ms;
  const int64_t window_ms = int64_t{window_min} * 60'000;
  track::Investigations investigations(store);
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<double> times;
  std::vector<double> first_times;  // the first run of each query: pages perhaps not cached
  double candidates = 0;
  double found = 0;
  for (int i = 0; i < queries; ++i) {
    // Circles wholly inside the fleet's box, windows wholly inside the stored hours.
    const geo::LatLon centre = Offset((unit(random) * 2 - 1) * (kHalfWidthM - radius_m),
                                      (unit(random) * 2 - 1) * (kHalfHeightM - radius_m));
    const int64_t from =
        kStartMs +
        static_cast<int64_t>(unit(random) * static_cast<double>(end_ms - kStartMs - window_ms));
    auto area = track::Area::Make(geo::Circle{centre, radius_m});
    if (!area) {
      return 1;
    }
    track::AreaAnswer answer;
    double seconds = 0;
    for (int pass = 0; pass < 2; ++pass) {
      const auto started = Clock::now();
      auto result = investigations.InArea(*area, from, from + window_ms);
      seconds = Seconds(started);
      if (pass == 0) {
        first_times.push_back(seconds * 1e3);
      }
      if (!result) {
        std::fprintf(stderr, "query failed: %s\n", result.error().Message().c_str());
        return 1;
      }
      answer = std::move(*result);
    }
    times.push_back(seconds * 1e3);
    candidates += static_cast<double>(answer.candidates);
    found += static_cast<double>(answer.vehicles.size());
  }
  std::printf(
      "%d queries, circle %.0f m, window %d min, store of %llu positions: median %.1f "
      "ms, p90 %.1f ms, max %.1f ms; %.0f candidates and %.0f vehicles found on "
      "average; first runs: median %.1f ms, p90 %.1f ms, max %.1f ms\n",
      queries, radius_m, window_min, static_cast<unsigned long long>(*store.Count()),
      Percentile(times, 0.5), Percentile(times, 0.9), Percentile(times, 1.0), candidates / queries,
      found / queries, Percentile(first_times, 0.5), Percentile(first_times, 0.9),
      Percentile(first_times, 1.0));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fill" && (argc == 5 || argc == 6)) {
    return Fill(argv[2], std::atoi(argv[3]), std::atoi(argv[4]),
                argc == 6 ? static_cast<size_t>(std::atoll(argv[5])) : 0);
  }
  if (mode == "query" && argc >= 4) {
    return Query(argv[2], std::atoi(argv[3]), argc > 4 ? std::atof(argv[4]) : 1000.0,
                 argc > 5 ? std::atoi(argv[5]) : 120);
  }
  std::fprintf(stderr,
               "usage: investigate_bench fill DIR VEHICLES HOURS [COMPACT_ROWS]\n"
               "       investigate_bench query DIR QUERIES [RADIUS_M] [WINDOW_MIN]\n");
  return 2;
}
