#include "track/track_service.h"

#include <algorithm>

namespace baotong::track {

Result<std::vector<model::Position>> TrackService::Replay(std::string_view terminal,
                                                          int64_t from_ms, int64_t to_ms,
                                                          size_t limit) {
  if (terminal.empty() || terminal.size() > 20 ||
      !std::all_of(terminal.begin(), terminal.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Fail(ErrorCode::kBadValue, "terminal must be 1 to 20 digits");
  }
  if (from_ms >= to_ms) {
    return Fail(ErrorCode::kBadValue, "replay range must have from before to");
  }
  // The span as unsigned: exact for every from_ms < to_ms, where int64 could overflow.
  if (static_cast<uint64_t>(to_ms) - static_cast<uint64_t>(from_ms) >
      static_cast<uint64_t>(kMaxReplaySpanMs)) {
    return Fail(ErrorCode::kBadValue, "replay range must span at most 31 days");
  }
  if (limit == 0 || limit > kMaxReplayLimit) {
    return Fail(ErrorCode::kBadValue, "replay limit must be 1 to 100000");
  }
  return positions_.Track(terminal, from_ms, to_ms, limit);
}

Result<LatestPositions> TrackService::LatestPage(size_t offset, size_t limit) {
  if (limit == 0 || limit > kMaxLatestPageLimit) {
    return Fail(ErrorCode::kBadValue, "latest page limit must be 1 to 10000");
  }
  auto total = positions_.LatestCount();
  if (!total) {
    return tl::unexpected(total.error());
  }
  auto items = positions_.Latest(offset, limit);
  if (!items) {
    return tl::unexpected(items.error());
  }
  return LatestPositions{*total, std::move(*items)};
}

}  // namespace baotong::track
