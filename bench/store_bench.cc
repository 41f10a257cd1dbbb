// Durable Append throughput of the SQLite position store, compaction included: 10,000
// terminals reporting in turn, batches of 10,000, 2,000,000 positions per run into a fresh
// database. Reports throughput (items_per_second; the median of 5 runs is the figure to quote)
// and the slowest single Append (max_append_ms; the "max" row is the slowest of all runs),
// which bounds how long the gateway's acknowledgements can stall. Run: build/bench/store_bench
// (BAOTONG_BENCH_DIR picks the directory, default the system temp dir; it must be on the disk
// you want to measure, not a tmpfs).
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"

namespace baotong::store {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT0 = 1'700'000'000'000;

fs::path BenchDir() {
  const char* dir = std::getenv("BAOTONG_BENCH_DIR");
  return fs::path(dir != nullptr ? dir : fs::temp_directory_path().c_str()) /
         ("baotong_store_bench_" + std::to_string(::getpid()));
}

// Round `round` of every terminal's reports, terminals [first, first + count) of `terminals`.
void FillBatch(int64_t first, size_t count, int terminals, std::vector<model::Position>& batch) {
  batch.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const int64_t n = first + static_cast<int64_t>(i);
    const auto terminal = static_cast<int>(n % terminals);
    const int64_t round = n / terminals;
    model::Position& p = batch[i];
    p.terminal = "0139" + std::to_string(10'000'000 + terminal);
    p.serial = static_cast<uint16_t>(round * 2 + 1);
    p.device_time_ms = kT0 + round * 10'000 + terminal;
    p.receive_time_ms = p.device_time_ms + 600 + terminal % 400;
    p.alarm = 0;
    p.status = 0x0c0003;
    p.lat_e6 = 39'000'000 + terminal * 100 + static_cast<int32_t>(round * 37);
    p.lon_e6 = 116'000'000 + terminal * 100 + static_cast<int32_t>(round * 53);
    p.altitude_m = static_cast<uint16_t>(40 + round % 5);
    p.speed_dkmh = static_cast<uint16_t>(500 + (round * 7 + terminal) % 300);
    p.direction = static_cast<uint16_t>((terminal + round) % 360);
    const auto odometer = static_cast<uint32_t>(100'000 + terminal + round * 3);
    // Mileage (0x01), signal strength (0x30), satellites (0x31): what most trucks send.
    p.extras = {0x01,
                0x04,
                static_cast<uint8_t>(odometer >> 24),
                static_cast<uint8_t>(odometer >> 16),
                static_cast<uint8_t>(odometer >> 8),
                static_cast<uint8_t>(odometer),
                0x30,
                0x01,
                static_cast<uint8_t>(20 + round % 10),
                0x31,
                0x01,
                static_cast<uint8_t>(12 + round % 6)};
  }
}

int64_t Pragma(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int64_t value = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    value = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return value;
}

void BM_SqliteAppendDurable(benchmark::State& state) {
  const auto batch_size = static_cast<size_t>(state.range(0));
  const int64_t total = state.range(1);
  const auto terminals = static_cast<int>(state.range(2));
  const fs::path dir = BenchDir();
  std::vector<model::Position> batch;
  for (auto _ : state) {
    fs::remove_all(dir);
    auto store = SqliteStore::Open(dir);
    if (!store) {
      state.SkipWithError("cannot open the store");
      return;
    }
    double seconds = 0;
    std::vector<double> appends;  // seconds each; the slowest delays the gateway's acks
    for (int64_t first = 0; first < total; first += static_cast<int64_t>(batch_size)) {
      FillBatch(first, batch_size, terminals, batch);
      const auto start = std::chrono::steady_clock::now();
      auto appended = (*store)->Append(batch);
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      seconds += elapsed;
      appends.push_back(elapsed);
      if (!appended || *appended != batch_size) {
        state.SkipWithError("append failed");
        return;
      }
    }
    state.SetIterationTime(seconds);
    std::sort(appends.begin(), appends.end());
    state.counters["max_append_ms"] = appends.back() * 1000;
    state.counters["p99_append_ms"] = appends[appends.size() * 99 / 100] * 1000;
    state.counters["median_append_ms"] = appends[appends.size() / 2] * 1000;
    store->reset();  // closes, checkpointing the WAL into the database file

    sqlite3* db = nullptr;
    if (sqlite3_open_v2((dir / "baotong.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
        SQLITE_OK) {
      const int64_t page_size = Pragma(db, "PRAGMA page_size");
      const int64_t pages = Pragma(db, "PRAGMA page_count");
      const int64_t free_pages = Pragma(db, "PRAGMA freelist_count");
      state.counters["file_bytes_per_position"] =
          static_cast<double>(fs::file_size(dir / "baotong.db")) / static_cast<double>(total);
      state.counters["used_bytes_per_position"] =
          static_cast<double>((pages - free_pages) * page_size) / static_cast<double>(total);
    }
    sqlite3_close(db);
  }
  fs::remove_all(dir);
  state.SetItemsProcessed(state.iterations() * total);
}
BENCHMARK(BM_SqliteAppendDurable)
    ->ArgNames({"batch", "positions", "terminals"})
    ->Args({10'000, 2'000'000, 10'000})
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(5)
    ->ComputeStatistics("max",
                        [](const std::vector<double>& v) {
                          return *std::max_element(v.begin(), v.end());
                        })
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace baotong::store
