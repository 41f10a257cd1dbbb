#include "api/repeated_reads.h"

namespace baotong::api {
namespace {

// Past this many open windows the expired ones are dropped (a bound on memory, not a cap on
// what is recorded: a key that is dropped simply opens a new window, and is written, next time).
constexpr size_t kPruneAbove = 50'000;
constexpr int64_t kSweepEveryMs = 60'000;

}  // namespace

std::string RepeatedReads::KeyOf(std::string_view user, std::string_view action,
                                 std::string_view target) {
  std::string key;
  key.reserve(user.size() + action.size() + target.size() + 2);
  key.append(user).push_back('\n');
  key.append(action).push_back('\n');
  key.append(target);
  return key;
}

bool RepeatedReads::OpensWindow(std::string_view user, std::string_view action,
                                std::string_view target, int64_t now_ms) {
  std::string key = KeyOf(user, action, target);
  std::lock_guard lock(mu_);
  // At most one sweep a minute: with many live windows a sweep per read would scan them all on
  // every map refresh.
  if (opened_at_ms_.size() > kPruneAbove && now_ms - swept_at_ms_ >= kSweepEveryMs) {
    swept_at_ms_ = now_ms;
    std::erase_if(opened_at_ms_,
                  [&](const auto& entry) { return now_ms - entry.second >= kWindowMs; });
  }
  auto [it, inserted] = opened_at_ms_.try_emplace(std::move(key), now_ms);
  if (inserted)
    return true;
  if (now_ms - it->second < kWindowMs && now_ms >= it->second)
    return false;
  it->second = now_ms;
  return true;
}

void RepeatedReads::Forget(std::string_view user, std::string_view action,
                           std::string_view target) {
  std::lock_guard lock(mu_);
  opened_at_ms_.erase(KeyOf(user, action, target));
}

}  // namespace baotong::api
