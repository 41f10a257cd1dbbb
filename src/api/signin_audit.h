// What the audit log keeps of failed sign-ins, bounded however hard someone tries.
//
// Addresses are grouped by SignInAddressKey: an IPv6 address by its /64, the block one
// subscriber holds, so that rotating through it gains nothing. A failed sign-in is written whole
// only when it is the first from its address key within the window, and at most
// `max_full_entries_per_window` are written whole per window: beyond, new addresses share the
// bucket "*". Later ones from that key are counted, and written as one
// "auth.login_failed_summary" entry when `summary_every` have gathered or when the address has
// been quiet for a window (at the next sign-in call of anyone, see TakeDue). The submitted
// username is recorded cut to kAuditUsernameBytes on a UTF-8 boundary, with its length, so that
// a 5 MiB username costs the log what a short one does. The fact of an attack is never lost: the
// first failure is in the log at once, the counts follow.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/audit_log.h"

namespace baotong::api {

inline constexpr size_t kAuditUsernameBytes = 64;

// At most `max_bytes` of `text`, cut before a UTF-8 continuation byte so the result stays valid
// UTF-8 when `text` is (invalid bytes are replaced by '?', as the audit detail is JSON).
std::string CapForAudit(std::string_view text, size_t max_bytes = kAuditUsernameBytes);

// What failed sign-ins are counted by, in the audit and in the throttle (UserStore): an IPv4
// address as it is, an IPv6 address by its /64 ("2001:db8:1:2::/64"), an IPv4-mapped IPv6
// address as the IPv4 one. Anything else (not an address) is capped to kAuditUsernameBytes.
std::string SignInAddressKey(std::string_view address);

struct FailedSignInAuditOptions {
  int64_t window_ms = 60'000;     // quiet this long: the address's count is written and forgotten
  int summary_every = 100;        // failures gathered before a summary is written anyway
  size_t max_addresses = 10'000;  // beyond: new addresses share one bucket ("*")
  // Whole "auth.login_failed" entries per window; beyond, new addresses share the bucket "*".
  int64_t max_full_entries_per_window = 100;
  size_t usernames_per_summary = 8;
};

class FailedSignInAudit {
 public:
  explicit FailedSignInAudit(FailedSignInAuditOptions options = {}) : options_(options) {}

  // A failed sign-in of `username` from `address` for `reason` ("bad_credentials",
  // "throttled", "disabled"). Returns the entries to append now (due summaries of other
  // addresses included), oldest first.
  std::vector<AuditEntry> Note(std::string_view username, std::string_view address,
                               std::string_view reason, int64_t now_ms);
  // Summaries of addresses quiet for a window; call it now and then (every sign-in does).
  std::vector<AuditEntry> TakeDue(int64_t now_ms);
  // Everything still counted, e.g. at shutdown (see FlushAllFailedSignIns).
  std::vector<AuditEntry> TakeAll(int64_t now_ms);

 private:
  struct Bucket {
    int64_t first_ms = 0;             // first failure counted since the last entry
    int64_t last_ms = 0;              // last failure of any kind
    int64_t pending = 0;              // failures not yet in the log
    std::set<std::string> usernames;  // capped, at most usernames_per_summary
    bool more_usernames = false;
    std::map<std::string, int64_t> reasons;
  };
  AuditEntry Summary(const std::string& address, Bucket& bucket, int64_t now_ms) const;
  void TakeDueLocked(int64_t now_ms, bool all, std::vector<AuditEntry>& out);

  FailedSignInAuditOptions options_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
  int64_t next_sweep_ms_ = 0;
  int64_t full_entries_since_ms_ = 0;  // start of the window full_entries_ counts in
  int64_t full_entries_ = 0;
};

// Writes everything `audit` still counts into `log` (TakeAll): `baotong serve` calls it when it
// stops, so that counts gathered since the last summary are not lost.
Result<void> FlushAllFailedSignIns(FailedSignInAudit& audit, AuditLog& log, int64_t now_ms);

}  // namespace baotong::api
