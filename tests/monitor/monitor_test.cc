#include "monitor/monitor.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "protocol/jt808/constants.h"

namespace baotong::monitor {
namespace {

class NoContexts : public ContextSource {
 public:
  std::shared_ptr<const VehicleContext> Find(std::string_view, int64_t) const override {
    return nullptr;
  }
};

class RecordingSink : public AlarmSink {
 public:
  void OnSignals(std::span<const AlarmSignal> signals) override {
    std::lock_guard lock(mutex);
    for (const auto& s : signals)
      by_terminal[s.terminal].push_back(s);
  }
  std::mutex mutex;
  std::map<std::string, std::vector<AlarmSignal>> by_terminal;
};

std::shared_ptr<const RuleSet> EmptyRules() {
  auto rules = std::make_shared<RuleSet>();
  rules->zones = *ZoneIndex::Build({});
  return rules;
}

// Every position toggles the emergency bit, so each one causes exactly one signal, raise and
// clear alternating: any reordering within a terminal shows up as two equal edges in a row.
TEST(MonitorTest, PartitionsKeepEachVehiclesOrder) {
  NoContexts contexts;
  RecordingSink sink;
  constexpr int kTerminals = 50, kReports = 200;
  {
    Monitor monitor({.partitions = 3, .queue_capacity = 64, .tick_interval = std::chrono::hours(1)},
                    EmptyRules(), contexts, sink);
    std::vector<model::Position> batch;
    for (int r = 0; r < kReports; ++r) {
      batch.clear();
      for (int t = 0; t < kTerminals; ++t) {
        model::Position p;
        p.terminal = "0138000" + std::to_string(1000 + t);
        p.device_time_ms = 1'772'416'800'000 + r * 1000;
        p.alarm = r % 2 == 0 ? jt808::alarm_bit::kEmergency : 0;
        p.lat_e6 = 41'800'000;
        p.lon_e6 = 123'400'000;
        batch.push_back(p);
      }
      monitor.Submit(batch);
    }
    monitor.Flush();
    const auto stats = monitor.stats();
    EXPECT_EQ(stats.processed, uint64_t{kTerminals} * kReports);
    EXPECT_EQ(stats.signals, uint64_t{kTerminals} * kReports);
    EXPECT_EQ(stats.queued, 0u);
    EXPECT_EQ(monitor.Snapshot(1'772'416'800'000).size(), size_t{kTerminals});
    auto status = monitor.Find("01380001000", 1'772'416'800'000 + kReports * 1000);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->at_ms, 1'772'416'800'000 + (kReports - 1) * 1000);
    EXPECT_FALSE(monitor.Find("nobody", 0).has_value());
  }
  std::lock_guard lock(sink.mutex);
  ASSERT_EQ(sink.by_terminal.size(), size_t{kTerminals});
  for (const auto& [terminal, signals] : sink.by_terminal) {
    ASSERT_EQ(signals.size(), size_t{kReports}) << terminal;
    for (int r = 0; r < kReports; ++r) {
      EXPECT_EQ(signals[r].at_ms, 1'772'416'800'000 + r * 1000) << terminal;
      EXPECT_EQ(signals[r].edge,
                r % 2 == 0 ? AlarmSignal::Edge::kRaise : AlarmSignal::Edge::kClear);
    }
  }
}

TEST(MonitorTest, DestructorDrainsTheQueues) {
  NoContexts contexts;
  RecordingSink sink;
  {
    Monitor monitor({.partitions = 2, .queue_capacity = 8}, EmptyRules(), contexts, sink);
    std::vector<model::Position> batch(100);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].terminal = "T" + std::to_string(i);
      batch[i].device_time_ms = 1000;
      batch[i].alarm = jt808::alarm_bit::kEmergency;
    }
    monitor.Submit(batch);
    monitor.UpdateRules(EmptyRules());
  }
  std::lock_guard lock(sink.mutex);
  EXPECT_EQ(sink.by_terminal.size(), 100u);
}

}  // namespace
}  // namespace baotong::monitor
