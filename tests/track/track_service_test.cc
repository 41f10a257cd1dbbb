#include "track/track_service.h"

#include <gtest/gtest.h>

#include <limits>

namespace baotong::track {
namespace {

// Records the calls it receives and returns canned answers.
class FakeStore : public store::PositionStore {
 public:
  Result<size_t> Append(std::span<const model::Position>) override { return 0; }
  Result<std::vector<model::Position>> Track(std::string_view terminal, int64_t from_ms,
                                             int64_t to_ms, size_t limit) override {
    ++track_calls;
    last_terminal = terminal;
    last_from = from_ms;
    last_to = to_ms;
    last_limit = limit;
    return positions;
  }
  Result<std::vector<model::Position>> Latest(size_t offset, size_t limit) override {
    std::vector<model::Position> page;
    for (size_t i = offset; i < positions.size() && page.size() < limit; ++i) {
      page.push_back(positions[i]);
    }
    return page;
  }
  Result<size_t> LatestCount() override { return positions.size(); }
  Result<uint64_t> Count() override { return positions.size(); }
  Result<bool> Contains(const model::PositionKey&) override { return false; }
  Result<std::vector<store::NearTerminal>> TerminalsNear(const store::BoxE6&, int64_t,
                                                         int64_t) override {
    return std::vector<store::NearTerminal>{};
  }

  std::vector<model::Position> positions;
  int track_calls = 0;
  std::string last_terminal;
  int64_t last_from = 0, last_to = 0;
  size_t last_limit = 0;
};

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kDay = 24 * 3600 * 1000;

TEST(TrackServiceTest, ReplayPassesAValidRequestThrough) {
  FakeStore store;
  store.positions.resize(2);
  TrackService service(store);
  auto track = service.Replay("013912345678", kT0, kT0 + 31 * kDay, 100000);
  ASSERT_TRUE(track);
  EXPECT_EQ(track->size(), 2u);
  EXPECT_EQ(store.last_terminal, "013912345678");
  EXPECT_EQ(store.last_from, kT0);
  EXPECT_EQ(store.last_to, kT0 + 31 * kDay);
  EXPECT_EQ(store.last_limit, 100000u);
}

TEST(TrackServiceTest, ReplayRejectsBadRequests) {
  FakeStore store;
  TrackService service(store);
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const struct {
    const char* terminal;
    int64_t from, to;
    size_t limit;
  } bad[] = {
      {"", kT0, kT0 + 1, 1},
      {"01391234567a", kT0, kT0 + 1, 1},
      {"012345678901234567890", kT0, kT0 + 1, 1},
      {"013912345678", kT0, kT0, 1},
      {"013912345678", kT0 + 1, kT0, 1},
      {"013912345678", kT0, kT0 + 31 * kDay + 1, 1},
      {"013912345678", kMin, kMax, 1},
      {"013912345678", kT0, kT0 + 1, 0},
      {"013912345678", kT0, kT0 + 1, 100001},
  };
  for (const auto& request : bad) {
    auto result = service.Replay(request.terminal, request.from, request.to, request.limit);
    ASSERT_FALSE(result) << request.terminal << " " << request.from << " " << request.limit;
    EXPECT_EQ(result.error().code, ErrorCode::kBadValue);
  }
  EXPECT_EQ(store.track_calls, 0);
  EXPECT_TRUE(service.Replay("013912345678", kMin, kMin + 1, 1));
  EXPECT_TRUE(service.Replay("013912345678", kMax - 1, kMax, 1));
}

TEST(TrackServiceTest, LatestPageReturnsTotalAndItems) {
  FakeStore store;
  for (int i = 0; i < 5; ++i) {
    model::Position p;
    p.terminal = std::to_string(i);
    store.positions.push_back(p);
  }
  TrackService service(store);
  auto page = service.LatestPage(3, 10);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 5u);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].terminal, "3");
  EXPECT_FALSE(service.LatestPage(0, 0));
  EXPECT_FALSE(service.LatestPage(0, kMaxLatestPageLimit + 1));
  EXPECT_TRUE(service.LatestPage(100, kMaxLatestPageLimit));
}

}  // namespace
}  // namespace baotong::track
