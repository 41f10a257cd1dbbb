#include "monitor/monitor.h"

#include <functional>

namespace baotong::monitor {
namespace {

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr size_t kBatch = 256;  // positions taken from the queue per lock
// Once a partition finds work it waits this long for a fuller batch: woken per submission (a
// terminal's message, one to eight positions) the partition threads cost the gateway a futex
// wake and a context switch each, about a tenth of the server's CPU at 10,000 terminals
// (docs/PERFORMANCE.md). An alarm waits at most this much longer.
constexpr auto kLinger = std::chrono::milliseconds(1);

}  // namespace

Monitor::Monitor(MonitorOptions options, std::shared_ptr<const RuleSet> rules,
                 const ContextSource& context, AlarmSink& sink)
    : options_(options), sink_(sink) {
  if (options_.partitions == 0)
    options_.partitions = 1;
  if (options_.queue_capacity == 0)
    options_.queue_capacity = 1;
  for (size_t i = 0; i < options_.partitions; ++i) {
    auto partition = std::make_unique<Partition>();
    partition->engine = std::make_unique<RuleEngine>(rules, context, options_.context_refresh_ms);
    partitions_.push_back(std::move(partition));
  }
  for (auto& partition : partitions_)
    partition->thread = std::thread([this, p = partition.get()] { Run(*p); });
}

Monitor::~Monitor() {
  for (auto& partition : partitions_) {
    std::lock_guard lock(partition->queue_mutex);
    partition->stopping = true;
    partition->not_empty.notify_all();
  }
  for (auto& partition : partitions_)
    partition->thread.join();
}

size_t Monitor::PartitionOf(std::string_view terminal) const {
  return std::hash<std::string_view>{}(terminal) % partitions_.size();
}

void Monitor::Submit(std::span<const model::Position> positions) {
  Submit(std::vector<model::Position>(positions.begin(), positions.end()));
}

void Monitor::Submit(std::vector<model::Position>&& positions) {
  const int64_t now = SteadyNs();
  // A run of positions for one partition goes in under one lock: a gateway submission is one
  // message, so one terminal's reports.
  size_t i = 0;
  while (i < positions.size()) {
    Partition& partition = *partitions_[PartitionOf(positions[i].terminal)];
    std::unique_lock lock(partition.queue_mutex);
    do {
      partition.not_full.wait(lock, [&] {
        return partition.queue.size() < options_.queue_capacity || partition.stopping;
      });
      partition.queue.push_back({std::move(positions[i]), now});
      ++partition.submitted;
      // The first position wakes an idle partition; a full batch ends its linger.
      if (partition.queue.size() == 1 || partition.queue.size() == kBatch)
        partition.not_empty.notify_one();
      ++i;
    } while (i < positions.size() &&
             partitions_[PartitionOf(positions[i].terminal)].get() == &partition);
  }
}

void Monitor::Run(Partition& partition) {
  std::vector<Queued> batch;
  std::vector<model::Position> positions;  // the batch as the engine takes it
  std::vector<int64_t> received_ns;
  std::vector<AlarmSignal> signals;
  auto next_tick = std::chrono::steady_clock::now() + options_.tick_interval;
  for (;;) {
    batch.clear();
    bool stopping = false;
    {
      std::unique_lock lock(partition.queue_mutex);
      partition.not_empty.wait_until(
          lock, next_tick, [&] { return !partition.queue.empty() || partition.stopping; });
      if (!partition.queue.empty() && partition.queue.size() < kBatch && !partition.stopping) {
        const auto linger_until = std::min(next_tick, std::chrono::steady_clock::now() + kLinger);
        partition.not_empty.wait_until(lock, linger_until, [&] {
          return partition.queue.size() >= kBatch || partition.stopping;
        });
      }
      while (!partition.queue.empty() && batch.size() < kBatch) {
        batch.push_back(std::move(partition.queue.front()));
        partition.queue.pop_front();
      }
      stopping = partition.stopping && partition.queue.empty();
      if (!batch.empty())
        partition.not_full.notify_all();
    }
    signals.clear();
    positions.clear();
    received_ns.clear();
    for (Queued& item : batch) {
      positions.push_back(std::move(item.position));
      received_ns.push_back(item.received_ns);
    }
    {
      std::lock_guard lock(partition.engine_mutex);
      partition.engine->ProcessBatch(positions, received_ns, signals);
      if (std::chrono::steady_clock::now() >= next_tick) {
        partition.engine->Tick(WallMs(), signals);
        next_tick = std::chrono::steady_clock::now() + options_.tick_interval;
      }
    }
    if (!signals.empty())
      sink_.OnSignals(signals);
    partition.processed.fetch_add(batch.size(), std::memory_order_relaxed);
    partition.signals.fetch_add(signals.size(), std::memory_order_relaxed);
    if (!batch.empty()) {
      std::lock_guard lock(partition.queue_mutex);
      partition.done += batch.size();
      partition.drained.notify_all();
    }
    if (stopping)
      return;
  }
}

void Monitor::UpdateRules(std::shared_ptr<const RuleSet> rules) {
  for (auto& partition : partitions_) {
    std::lock_guard lock(partition->engine_mutex);
    partition->engine->SetRules(rules);
  }
}

std::vector<RuleEngine::VehicleStatus> Monitor::Snapshot(int64_t now_ms) const {
  std::vector<RuleEngine::VehicleStatus> out;
  for (const auto& partition : partitions_) {
    std::lock_guard lock(partition->engine_mutex);
    partition->engine->Snapshot(now_ms, out);
  }
  return out;
}

std::optional<RuleEngine::VehicleStatus> Monitor::Find(std::string_view terminal,
                                                       int64_t now_ms) const {
  const Partition& partition = *partitions_[PartitionOf(terminal)];
  std::lock_guard lock(partition.engine_mutex);
  return partition.engine->Find(terminal, now_ms);
}

Monitor::Stats Monitor::stats() const {
  Stats stats;
  for (const auto& partition : partitions_) {
    stats.processed += partition->processed.load(std::memory_order_relaxed);
    stats.signals += partition->signals.load(std::memory_order_relaxed);
    std::lock_guard lock(partition->queue_mutex);
    stats.queued += partition->queue.size();
  }
  return stats;
}

void Monitor::Flush() {
  for (auto& partition : partitions_) {
    std::unique_lock lock(partition->queue_mutex);
    const uint64_t target = partition->submitted;
    partition->drained.wait(lock, [&] { return partition->done >= target; });
  }
}

}  // namespace baotong::monitor
