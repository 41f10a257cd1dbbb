#include "api/signin_audit.h"

#include <arpa/inet.h>

#include <array>
#include <nlohmann/json.hpp>

namespace baotong::api {
namespace {

using Json = nlohmann::ordered_json;

// Length of the valid UTF-8 sequence at the start of `text`, or 0.
size_t Utf8SequenceLength(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  size_t length = lead < 0x80           ? 1
                  : (lead >> 5) == 0x6  ? 2
                  : (lead >> 4) == 0xE  ? 3
                  : (lead >> 3) == 0x1E ? 4
                                        : 0;
  if (length == 0 || length > text.size())
    return 0;
  for (size_t i = 1; i < length; ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
      return 0;
  return length;
}

}  // namespace

std::string CapForAudit(std::string_view text, size_t max_bytes) {
  std::string capped;
  while (!text.empty()) {
    size_t length = Utf8SequenceLength(text);
    const bool valid = length != 0;
    if (!valid)
      length = 1;
    if (capped.size() + (valid ? length : 1) > max_bytes)
      break;
    if (valid)
      capped.append(text.substr(0, length));
    else
      capped.push_back('?');
    text.remove_prefix(length);
  }
  return capped;
}

std::string SignInAddressKey(std::string_view address) {
  // A zone ("fe80::1%eth0") names the local interface, not the peer.
  const std::string text(address.substr(0, std::min(address.find('%'), size_t{64})));
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1)
    return text;
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1)
    return CapForAudit(address);
  std::array<char, INET6_ADDRSTRLEN> printed{};
  constexpr std::array<unsigned char, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin())) {
    inet_ntop(AF_INET, bytes.data() + 12, printed.data(), printed.size());
    return printed.data();
  }
  std::fill(bytes.begin() + 8, bytes.end(), 0);  // the interface half
  inet_ntop(AF_INET6, bytes.data(), printed.data(), printed.size());
  return std::string(printed.data()) + "/64";
}

std::vector<AuditEntry> FailedSignInAudit::Note(std::string_view username, std::string_view address,
                                                std::string_view reason, int64_t now_ms) {
  std::vector<AuditEntry> out;
  std::lock_guard lock(mutex_);
  TakeDueLocked(now_ms, /*all=*/false, out);
  if (now_ms - full_entries_since_ms_ >= options_.window_ms) {
    full_entries_since_ms_ = now_ms;
    full_entries_ = 0;
  }
  std::string key = SignInAddressKey(address);
  if (!buckets_.contains(key) && (buckets_.size() >= options_.max_addresses ||
                                  full_entries_ >= options_.max_full_entries_per_window))
    key = "*";  // a flood from very many addresses: one bucket for all the new ones
  auto [it, is_new] = buckets_.try_emplace(key);
  Bucket& bucket = it->second;
  bucket.last_ms = now_ms;
  const std::string capped = CapForAudit(username);
  if (is_new) {
    ++full_entries_;
    AuditEntry entry;
    entry.at_ms = now_ms;
    entry.actor = capped;
    entry.client_address = std::string(address.substr(0, kAuditUsernameBytes));
    entry.action = "auth.login_failed";
    entry.target = "users/" + capped;
    entry.detail = Json{{"reason", reason},
                        {"username_bytes", username.size()},
                        {"username_truncated", capped.size() < username.size()}}
                       .dump(-1, ' ', false, Json::error_handler_t::replace);
    out.push_back(std::move(entry));
    return out;
  }
  if (bucket.pending == 0)
    bucket.first_ms = now_ms;
  ++bucket.pending;
  ++bucket.reasons[std::string(reason)];
  if (bucket.usernames.size() < options_.usernames_per_summary)
    bucket.usernames.insert(capped);
  else if (!bucket.usernames.contains(capped))
    bucket.more_usernames = true;
  if (bucket.pending >= options_.summary_every)
    out.push_back(Summary(key, bucket, now_ms));
  return out;
}

std::vector<AuditEntry> FailedSignInAudit::TakeDue(int64_t now_ms) {
  std::vector<AuditEntry> out;
  std::lock_guard lock(mutex_);
  TakeDueLocked(now_ms, /*all=*/false, out);
  return out;
}

std::vector<AuditEntry> FailedSignInAudit::TakeAll(int64_t now_ms) {
  std::vector<AuditEntry> out;
  std::lock_guard lock(mutex_);
  TakeDueLocked(now_ms, /*all=*/true, out);
  return out;
}

void FailedSignInAudit::TakeDueLocked(int64_t now_ms, bool all, std::vector<AuditEntry>& out) {
  // A sweep looks at every bucket; once a second is often enough.
  if (!all && now_ms < next_sweep_ms_)
    return;
  next_sweep_ms_ = now_ms + 1000;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Bucket& bucket = it->second;
    const bool quiet = now_ms - bucket.last_ms >= options_.window_ms;
    if (!all && !quiet) {
      ++it;
      continue;
    }
    if (bucket.pending > 0)
      out.push_back(Summary(it->first, bucket, now_ms));
    it = buckets_.erase(it);
  }
}

Result<void> FlushAllFailedSignIns(FailedSignInAudit& audit, AuditLog& log, int64_t now_ms) {
  const std::vector<AuditEntry> pending = audit.TakeAll(now_ms);
  if (pending.empty())
    return {};
  if (auto appended = log.AppendMany(pending); !appended)
    return tl::unexpected(appended.error());
  return {};
}

AuditEntry FailedSignInAudit::Summary(const std::string& address, Bucket& bucket,
                                      int64_t now_ms) const {
  AuditEntry entry;
  entry.at_ms = now_ms;
  // One username named: it is the actor; several: "*" (they are in the detail).
  const bool one = bucket.usernames.size() == 1 && !bucket.more_usernames;
  entry.actor = one ? *bucket.usernames.begin() : "*";
  entry.client_address = address;
  entry.action = "auth.login_failed_summary";
  entry.target = "users/" + entry.actor;
  Json reasons = Json::object();
  for (const auto& [reason, count] : bucket.reasons)
    reasons[reason] = count;
  entry.detail = Json{{"count", bucket.pending},
                      {"first_at_ms", bucket.first_ms},
                      {"last_at_ms", bucket.last_ms},
                      {"usernames", bucket.usernames},
                      {"more_usernames", bucket.more_usernames},
                      {"reasons", std::move(reasons)}}
                     .dump(-1, ' ', false, Json::error_handler_t::replace);
  bucket.pending = 0;
  bucket.usernames.clear();
  bucket.more_usernames = false;
  bucket.reasons.clear();
  return entry;
}

}  // namespace baotong::api
