// The audit log (审计日志): who read or changed what, append-only and hash-chained (component
// "audit" of data_dir/registry.db).
//
// Chain. Entry ids are 1, 2, 3, ... without gaps. Each entry stores prev_hash (the previous
// entry's hash; 64 '0' for the first) and
//   hash = lowercase hex SHA-256 of the concatenation, in this order, of
//     id, at_ms, actor, role, department, client_address, action, target, detail, prev_hash
//   each encoded as <decimal byte length>:<bytes>, (integers as their decimal text), e.g.
//     "1:7,13:1767225600000,5:alice,...,64:000...000,"
//   The length prefixes make the encoding unambiguous: no two different entries encode alike.
// A head row (audit_head: last_id, last_hash, entries) is updated in the same transaction as
// each append, so that entries removed at the tail are detected as well.
// SQLite triggers refuse UPDATE and DELETE on audit_log; the head can only be changed together
// with an append.
//
// Limits. The chain detects edits made with ordinary tools and any edit that does not rewrite
// every later hash and the head. Someone with write access to the file who recomputes the whole
// chain cannot be detected from the file alone (the hash has no secret): record the head hash
// that `baotong audit verify` prints somewhere else (e.g. in a daily report) and compare.
//
// Thread-safe. Appends from several threads are committed together (group commit): while one
// transaction is being written, others queue, and the next transaction takes the whole queue,
// so that the fsync per commit is shared. Each caller still returns only once its entries are
// durable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/roles.h"
#include "common/error.h"
#include "store/sqlite/database.h"

namespace baotong::api {

struct AuditEntry {
  int64_t at_ms = 0;
  std::string actor;           // username, or "system" / "cli"
  std::string role;            // role id, or "" for system and cli
  std::string department;      // Chinese name, or ""
  std::string client_address;  // "" when not from the network
  std::string action;          // "registry.read", "auth.login_failed", "user.create", ...
  std::string target;          // "drivers/210302...", "vehicles?q=辽C", "users/alice"
  std::string detail = "{}";   // JSON text
  bool operator==(const AuditEntry&) const = default;
};

// An entry for an action of `principal`.
AuditEntry AuditEntryFor(const Principal& principal, std::string client_address, std::string action,
                         std::string target, int64_t at_ms, std::string detail = "{}");

struct AuditRecord {
  int64_t id = 0;
  AuditEntry entry;
  std::string prev_hash;
  std::string hash;
};

struct AuditVerifyReport {
  bool ok = true;
  int64_t entries = 0;  // entries read
  std::optional<int64_t> first_bad_id;
  std::string reason;     // Chinese, then English in parentheses; empty when ok
  std::string head_hash;  // the last entry's hash as the head records it (compare off-site)
};

struct AuditFilter {
  std::optional<std::string> actor;
  std::optional<std::string> action;
};

struct AuditPage {
  int64_t total = 0;  // matching entries
  std::vector<AuditRecord> items;
};

class AuditLog {
 public:
  static constexpr const char* kComponent = "audit";
  static constexpr std::string_view kZeroHash =
      "0000000000000000000000000000000000000000000000000000000000000000";

  // Applies the audit migrations. `database` must outlive the log.
  static Result<std::unique_ptr<AuditLog>> Open(store::Database& database);

  // Appends one entry; returns its id.
  Result<int64_t> Append(const AuditEntry& entry);
  // Appends several entries in one transaction (all or none); returns the last id.
  Result<int64_t> AppendMany(std::span<const AuditEntry> entries);

  // Walks the whole chain and the head.
  Result<AuditVerifyReport> Verify();

  // Newest first.
  Result<AuditPage> List(int64_t offset, int64_t limit, const AuditFilter& filter = {});

  // The hash of an entry as described above (exposed for tests and tools).
  static std::string EntryHash(int64_t id, const AuditEntry& entry, std::string_view prev_hash);

 private:
  struct PendingAppend {
    std::span<const AuditEntry> entries;
    Result<int64_t> last_id = 0;
    bool done = false;
  };
  explicit AuditLog(store::Database& database) : database_(database) {}
  // Writes every append of `batch` in one transaction and sets their results.
  void WriteBatch(const std::deque<PendingAppend*>& batch);
  Result<void> WriteBatchLocked(const std::deque<PendingAppend*>& batch);

  store::Database& database_;
  std::mutex database_mutex_;  // one transaction at a time on the connection
  std::mutex queue_mutex_;
  std::condition_variable written_;
  std::deque<PendingAppend*> queue_;  // guarded by queue_mutex_
  bool writing_ = false;              // guarded by queue_mutex_
};

}  // namespace baotong::api
