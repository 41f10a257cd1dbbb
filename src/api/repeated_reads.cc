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
  if (windows_.size() > kPruneAbove && now_ms - swept_at_ms_ >= kSweepEveryMs) {
    swept_at_ms_ = now_ms;
    std::erase_if(windows_, [&](const auto& entry) {
      return now_ms - entry.second.opened_at_ms >= kWindowMs;
    });
  }
  auto [it, inserted] = windows_.try_emplace(std::move(key), Window{now_ms, false});
  if (inserted)
    return true;
  Window& window = it->second;
  const bool open = now_ms - window.opened_at_ms < kWindowMs && now_ms >= window.opened_at_ms;
  if (open)
    return !window.recorded;
  window = Window{now_ms, false};
  return true;
}

void RepeatedReads::Confirm(std::string_view user, std::string_view action,
                            std::string_view target) {
  std::lock_guard lock(mu_);
  auto found = windows_.find(KeyOf(user, action, target));
  if (found != windows_.end())
    found->second.recorded = true;
}

void RepeatedReads::Forget(std::string_view user, std::string_view action,
                           std::string_view target) {
  std::lock_guard lock(mu_);
  windows_.erase(KeyOf(user, action, target));
}

}  // namespace baotong::api
