// What the API asks of stored positions: a terminal's track over a time range (replay) and
// pages of the live map. Validates requests so that one call cannot make the store read
// without bound.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "model/position.h"
#include "store/position_store.h"

namespace baotong::track {

inline constexpr int64_t kMaxReplaySpanMs = int64_t{31} * 24 * 3600 * 1000;
inline constexpr size_t kMaxReplayLimit = 100'000;
inline constexpr size_t kMaxLatestPageLimit = 10'000;

struct LatestPositions {
  size_t total = 0;  // terminals with a latest position
  std::vector<model::Position> items;
};

class TrackService {
 public:
  explicit TrackService(store::PositionStore& positions) : positions_(positions) {}

  // The positions of `terminal` with from_ms <= device time < to_ms, oldest first, at most
  // `limit`. kBadValue unless the terminal is 1-20 digits, from_ms < to_ms,
  // to_ms - from_ms <= kMaxReplaySpanMs and 1 <= limit <= kMaxReplayLimit.
  Result<std::vector<model::Position>> Replay(std::string_view terminal, int64_t from_ms,
                                              int64_t to_ms, size_t limit);

  // Latest positions ordered by terminal, `limit` (1..kMaxLatestPageLimit) of them starting
  // after the first `offset`, and how many there are in all.
  Result<LatestPositions> LatestPage(size_t offset, size_t limit);

 private:
  store::PositionStore& positions_;
};

}  // namespace baotong::track
