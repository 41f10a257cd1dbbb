// Gate decisions through the checkpoint service, passage recording (group commit) included,
// from 1, 4 and 16 client threads against a directory of 10,000 passes (the in-memory test
// double of tests/checkpoint/fake_directories.h stands in for the pass module). Each client
// alternates an entry and an exit of a random plate; a tenth of the plates have no pass.
//
//   build/bench/checkpoint_bench [seconds=3] [runs=3] [durable_wait_ms=2]
//
// A decision returns once its passage is committed (synchronous=FULL) or after
// durable_wait_ms, whichever comes first (ServiceOptions::durable_wait; 0: once queued;
// a large value: always after durability).
// Prints, per thread count, the median of the runs' decisions/s, p50 and p99 latency, and the
// share of decisions whose passage was already durable when they returned.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/checkpoint_service.h"
#include "checkpoint/fake_directories.h"

namespace {

using namespace baotong;
using namespace baotong::checkpoint;
using Clock = std::chrono::steady_clock;

constexpr int kPasses = 10'000;
constexpr int kPlates = 11'000;  // the last 1,000 have no pass
constexpr int64_t kNow = 1'800'000'000'000;
constexpr int64_t kDay = 24 * 3600 * 1000;

std::string Plate(int n) {
  char text[32];
  std::snprintf(text, sizeof text, "辽C%05d", n);
  return text;
}

struct RunResult {
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t decisions = 0;
  double durable_share = 0;
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

RunResult RunOnce(int threads, double seconds, std::chrono::microseconds durable_wait, int run) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("baotong_checkpoint_bench_" + std::to_string(::getpid()) + "_" +
                    std::to_string(threads) + "_" + std::to_string(run));
  std::filesystem::remove_all(dir);
  testing::FakePassDirectory passes;
  testing::FakeVehicleDirectory vehicles;
  for (int i = 0; i < kPasses; ++i) {
    PassInForce pass{i + 1,
                     std::string(i % 4 == 0 ? kStandingPass : kTripPass),
                     Plate(i),
                     2,
                     kNow - kDay,
                     kNow + (i % 50 == 0 ? -kDay / 2 : 3 * kDay),  // 2% expired
                     kNow + 2 * kDay};
    passes.Add({pass, i % 100 == 1 ? testing::FakePassState::kRevoked
                                   : testing::FakePassState::kApproved});
    vehicles.Add(Plate(i));
  }
  ServiceOptions options;
  options.durable_wait = durable_wait;
  auto service = CheckpointService::Open(dir / "registry.db", passes, vehicles, options);
  if (!service) {
    std::fprintf(stderr, "open: %s\n", service.error().Message().c_str());
    std::exit(1);
  }
  (*service)->AddCheckpoint({"KK-IN", "入城卡口", 41.1, 123.0, Direction::kIn, 0});
  (*service)->AddCheckpoint({"KK-OUT", "出城卡口", 41.1, 123.0, Direction::kOut, 0});

  std::atomic<bool> failed{false};
  std::atomic<int64_t> durable{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(threads));
  const auto deadline =
      Clock::now() + std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
  const auto started = Clock::now();
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      auto& mine = latencies[static_cast<size_t>(t)];
      mine.reserve(1 << 16);
      uint64_t state = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(t + 1);
      std::string plate;
      for (int64_t i = 0; Clock::now() < deadline; ++i) {
        if (i % 2 == 0) {
          state ^= state << 13;
          state ^= state >> 7;
          state ^= state << 17;
          plate = Plate(static_cast<int>(state % kPlates));
        }
        PlateRead read{i % 2 == 0 ? "KK-IN" : "KK-OUT", plate, 2, kNow + i, std::nullopt};
        const auto before = Clock::now();
        auto decision = (*service)->Decide(read);
        const auto after = Clock::now();
        if (!decision) {
          failed = true;
          return;
        }
        mine.push_back(std::chrono::duration<double, std::milli>(after - before).count());
        if (decision->durable)
          durable.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& client : clients)
    client.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  service->reset();
  std::filesystem::remove_all(dir);
  if (failed) {
    std::fprintf(stderr, "a decision failed\n");
    std::exit(1);
  }
  std::vector<double> all;
  for (auto& list : latencies)
    all.insert(all.end(), list.begin(), list.end());
  std::sort(all.begin(), all.end());
  RunResult result;
  result.decisions = static_cast<int64_t>(all.size());
  result.per_second = static_cast<double>(all.size()) / elapsed;
  result.p50_ms = all[all.size() / 2];
  result.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  result.durable_share = static_cast<double>(durable.load()) / static_cast<double>(all.size());
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3;
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  const double wait_ms = argc > 3 ? std::atof(argv[3]) : 2;
  const auto durable_wait = std::chrono::microseconds(static_cast<int64_t>(wait_ms * 1000));

  std::printf("checkpoint decisions, %d passes, durable_wait %.1f ms, %.1f s x %d runs (medians)\n",
              kPasses, wait_ms, seconds, runs);
  std::printf("%8s %14s %10s %10s %10s\n", "threads", "decisions/s", "p50 ms", "p99 ms", "durable");
  for (int threads : {1, 4, 16}) {
    std::vector<double> rates, p50s, p99s, shares;
    for (int run = 0; run < runs; ++run) {
      RunResult result = RunOnce(threads, seconds, durable_wait, run);
      rates.push_back(result.per_second);
      p50s.push_back(result.p50_ms);
      p99s.push_back(result.p99_ms);
      shares.push_back(result.durable_share);
    }
    std::printf("%8d %14.0f %10.3f %10.3f %9.1f%%\n", threads, Median(rates), Median(p50s),
                Median(p99s), 100 * Median(shares));
  }
  return 0;
}
