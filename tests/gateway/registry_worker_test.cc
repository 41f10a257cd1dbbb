// The registry thread's own bookkeeping (issue 13 review): driven directly, without sockets.
#include <gtest/gtest.h>

#include <future>

#include "gateway/core.h"
#include "gateway/test_support.h"

namespace baotong::gateway {
namespace {

using testing::MemoryStore;

// Once more than 10,000 phones have wrong codes on record, each further wrong code used to
// rescan the whole table on the single registry thread; now it is swept at most once per
// interval.
TEST(RegistryWorkerTest, TheFailureTableIsNotRescannedOnEveryWrongCode) {
  MemoryStore store;
  constexpr size_t kPhones = 10'500;
  for (size_t i = 0; i < kPhones; ++i) {
    store::TerminalRecord record;
    record.terminal = "0139" + std::to_string(10'000'000 + i);
    record.auth_code = "0123456789ABCDEF";
    ASSERT_TRUE(store.Upsert(record));
  }
  GatewayOptions options;
  Metrics metrics;
  RegistryWorker worker(store, options, metrics);
  std::promise<void> all_answered;
  std::atomic<size_t> answered{0};
  for (size_t i = 0; i < kPhones; ++i) {
    worker.Authenticate("0139" + std::to_string(10'000'000 + i), "WRONGWRONGWRONG0",
                        [&](RegistryWorker::AuthOutcome outcome) {
                          EXPECT_EQ(outcome, RegistryWorker::AuthOutcome::kRefused);
                          if (++answered == kPhones)
                            all_answered.set_value();
                        });
  }
  all_answered.get_future().wait();
  EXPECT_LE(worker.failure_sweeps(), 1u);
}

}  // namespace
}  // namespace baotong::gateway
