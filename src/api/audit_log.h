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
// Keyed (issue 13). From entry `keyed_from_id` on, hash is HMAC-SHA256 of the same encoding
// under a 32-byte key in data_dir/audit-chain.key (0600, created on first use), so that whoever
// can write the database but not read the key cannot recompute the chain. Entries written
// before a database was first opened by a keyed build keep their plain SHA-256 hashes and are
// verified as before; audit_keying records the switch-over id with its own MAC (moving it is
// detected), and a keyed "audit.chain_keyed" entry is appended at once, pinning the plain part.
// That row and marker are written only by the migration to version 2, in its transaction: a
// keyed database without the row, or a key file beside a database never keyed, is refused
// rather than keyed again (which would bless a chain rewritten in plain hashes).
//
// Anchors. Entry ids are contiguous, so (entries, head_hash) names one point of the chain.
// `baotong audit head` prints it for a department to keep elsewhere; Verify(anchor) fails when
// the chain no longer holds that hash at that position (rewritten, or truncated below it).
//
// Limits. Someone who holds the key file as well as the database can still rewrite the chain
// consistently; only anchors kept elsewhere detect that. Losing the key file makes the keyed
// part unverifiable (back it up with the database, but keep the copies apart).
//
// Thread-safe. Appends from several threads are committed together (group commit): while one
// transaction is being written, others queue, and the next transaction takes the whole queue,
// so that the fsync per commit is shared. Each caller still returns only once its entries are
// durable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/roles.h"
#include "common/error.h"
#include "common/secret_file.h"
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
  std::string reason;         // Chinese, then English in parentheses; empty when ok
  std::string head_hash;      // the last entry's hash as the head records it (compare off-site)
  int64_t keyed_from_id = 1;  // entries from this id on carry keyed hashes
};

// A point of the chain kept elsewhere: its first `entries` entries end with `head_hash`.
struct AuditAnchor {
  int64_t entries = 0;
  std::string head_hash;
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

  // Walks the whole chain and the head; with an anchor, also checks that the chain still holds
  // the anchor's hash at its position.
  Result<AuditVerifyReport> Verify(const std::optional<AuditAnchor>& anchor = std::nullopt);

  // Newest first.
  Result<AuditPage> List(int64_t offset, int64_t limit, const AuditFilter& filter = {});

  // The hash of an entry as described above (exposed for tests and tools): keyed from
  // keyed_from_id() on, plain SHA-256 before.
  std::string EntryHash(int64_t id, const AuditEntry& entry, std::string_view prev_hash) const;
  // The plain SHA-256 hash (entries before the switch-over, and what a forger without the key
  // can compute).
  static std::string UnkeyedEntryHash(int64_t id, const AuditEntry& entry,
                                      std::string_view prev_hash);
  int64_t keyed_from_id() const { return keyed_from_id_; }

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
  // Writes `batch` inside the caller's transaction.
  Result<void> WriteEntries(const std::deque<PendingAppend*>& batch);
  // The step to version 2 (inside its transaction): creates the tables from `from`, the key
  // file, the keying row and, after plain entries, the audit.chain_keyed marker.
  Result<void> KeyTheChain(int64_t from, const std::optional<std::filesystem::path>& key_file);

  store::Database& database_;
  crypto::SecretBytes key_;    // HMAC-SHA256 key of the chain
  int64_t keyed_from_id_ = 1;  // the switch-over point (audit_keying)
  std::mutex database_mutex_;  // one transaction at a time on the connection
  std::mutex queue_mutex_;
  std::condition_variable written_;
  std::deque<PendingAppend*> queue_;  // guarded by queue_mutex_
  bool writing_ = false;              // guarded by queue_mutex_
};

}  // namespace baotong::api
