// The monitor (issue 6): positions from the gateway partitioned by terminal over N threads, each
// running its own RuleEngine, so that a vehicle's positions are processed in order by one thread
// and its state needs no locks on the hot path.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include "model/position.h"
#include "monitor/engine.h"

namespace baotong::monitor {

struct MonitorOptions {
  size_t partitions = 2;
  size_t queue_capacity = 100'000;                // positions per partition
  std::chrono::milliseconds tick_interval{1000};  // Tick with the system clock this often
  int64_t context_refresh_ms = 30'000;
};

class Monitor {
 public:
  // `context` and `sink` must outlive the monitor.
  Monitor(MonitorOptions options, std::shared_ptr<const RuleSet> rules,
          const ContextSource& context, AlarmSink& sink);
  ~Monitor();  // drains and joins
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // From the gateway's writer thread after positions are durable. Blocks (back-pressure) while
  // a partition's queue is full rather than dropping. Thread-safe.
  void Submit(std::span<const model::Position> positions);
  // The same, taking the positions instead of copying them.
  void Submit(std::vector<model::Position>&& positions);
  // All partitions, between positions.
  void UpdateRules(std::shared_ptr<const RuleSet> rules);
  // Safe from any thread.
  std::vector<RuleEngine::VehicleStatus> Snapshot(int64_t now_ms) const;
  std::optional<RuleEngine::VehicleStatus> Find(std::string_view terminal, int64_t now_ms) const;

  struct Stats {
    uint64_t processed = 0;
    uint64_t signals = 0;
    size_t queued = 0;
  };
  Stats stats() const;
  // Waits until everything submitted so far is processed and its signals delivered.
  void Flush();

  size_t PartitionOf(std::string_view terminal) const;

 private:
  struct Queued {
    model::Position position;
    int64_t received_ns;
  };
  struct Partition {
    std::unique_ptr<RuleEngine> engine;  // guarded by engine_mutex
    mutable std::mutex engine_mutex;
    mutable std::mutex queue_mutex;
    std::condition_variable not_empty, not_full, drained;
    std::deque<Queued> queue;  // guarded by queue_mutex
    uint64_t submitted = 0;    // guarded by queue_mutex
    uint64_t done = 0;         // guarded by queue_mutex
    bool stopping = false;     // guarded by queue_mutex
    std::atomic<uint64_t> processed{0}, signals{0};
    std::thread thread;
  };
  void Run(Partition& partition);

  MonitorOptions options_;
  AlarmSink& sink_;
  std::vector<std::unique_ptr<Partition>> partitions_;
};

}  // namespace baotong::monitor
