#include "api/audit_log.h"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace baotong::api {
namespace {

constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE audit_log(
  id INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  department TEXT NOT NULL,
  client_address TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_by_actor ON audit_log(actor, id);
CREATE INDEX audit_log_by_action ON audit_log(action, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE audit_head(
  singleton INTEGER PRIMARY KEY CHECK(singleton = 1),
  last_id INTEGER NOT NULL,
  last_hash TEXT NOT NULL,
  entries INTEGER NOT NULL
);
INSERT INTO audit_head VALUES(1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);
CREATE TRIGGER audit_head_follows_log BEFORE UPDATE ON audit_head
WHEN NEW.last_id IS NOT (SELECT max(id) FROM audit_log)
  OR NEW.last_hash IS NOT (SELECT hash FROM audit_log WHERE id = NEW.last_id)
BEGIN SELECT RAISE(ABORT, 'audit_head must match the last audit_log entry'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;
)sql",
};

constexpr std::string_view kRecordColumns =
    "id, at_ms, actor, role, department, client_address, action, target, detail, prev_hash, hash";
constexpr int64_t kMaxListLimit = 1000;

template <typename T>
tl::unexpected<Error> Forward(const Result<T>& result) {
  return tl::unexpected(result.error());
}

void Field(crypto_hash_sha256_state& state, std::string_view bytes) {
  const std::string prefix = std::to_string(bytes.size()) + ":";
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(prefix.data()),
                            prefix.size());
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(bytes.data()),
                            bytes.size());
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(","), 1);
}

AuditRecord ReadRecord(const store::Statement& row) {
  AuditRecord record;
  record.id = row.Int(0);
  record.entry.at_ms = row.Int(1);
  record.entry.actor = row.Text(2);
  record.entry.role = row.Text(3);
  record.entry.department = row.Text(4);
  record.entry.client_address = row.Text(5);
  record.entry.action = row.Text(6);
  record.entry.target = row.Text(7);
  record.entry.detail = row.Text(8);
  record.prev_hash = row.Text(9);
  record.hash = row.Text(10);
  return record;
}

AuditVerifyReport Bad(AuditVerifyReport report, int64_t id, std::string reason) {
  report.ok = false;
  report.first_bad_id = id;
  report.reason = std::move(reason);
  return report;
}

}  // namespace

AuditEntry AuditEntryFor(const Principal& principal, std::string client_address, std::string action,
                         std::string target, int64_t at_ms, std::string detail) {
  AuditEntry entry;
  entry.at_ms = at_ms;
  entry.actor = principal.username;
  entry.role = std::string(RoleId(principal.role));
  entry.department = principal.department;
  entry.client_address = std::move(client_address);
  entry.action = std::move(action);
  entry.target = std::move(target);
  entry.detail = std::move(detail);
  return entry;
}

std::string AuditLog::EntryHash(int64_t id, const AuditEntry& entry, std::string_view prev_hash) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  Field(state, std::to_string(id));
  Field(state, std::to_string(entry.at_ms));
  Field(state, entry.actor);
  Field(state, entry.role);
  Field(state, entry.department);
  Field(state, entry.client_address);
  Field(state, entry.action);
  Field(state, entry.target);
  Field(state, entry.detail);
  Field(state, prev_hash);
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256_final(&state, digest.data());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data(), crypto_hash_sha256_BYTES * 2);
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(store::Database& database) {
  if (sodium_init() < 0)
    return Fail(ErrorCode::kUnsupported, "libsodium could not be initialised");
  if (auto ok = database.Migrate(kComponent, kMigrations); !ok)
    return Forward(ok);
  return std::unique_ptr<AuditLog>(new AuditLog(database));
}

Result<int64_t> AuditLog::Append(const AuditEntry& entry) {
  return AppendMany(std::span(&entry, 1));
}

Result<int64_t> AuditLog::AppendMany(std::span<const AuditEntry> entries) {
  PendingAppend pending{entries};
  std::unique_lock lock(queue_mutex_);
  queue_.push_back(&pending);
  while (!pending.done) {
    if (writing_) {
      written_.wait(lock);
      continue;
    }
    // Lead: write everything queued so far, this append included.
    writing_ = true;
    std::deque<PendingAppend*> batch;
    batch.swap(queue_);
    lock.unlock();
    WriteBatch(batch);
    lock.lock();
    for (PendingAppend* done : batch)
      done->done = true;
    writing_ = false;
    written_.notify_all();
  }
  return pending.last_id;
}

void AuditLog::WriteBatch(const std::deque<PendingAppend*>& batch) {
  std::lock_guard lock(database_mutex_);
  if (auto ok = WriteBatchLocked(batch); !ok)
    for (PendingAppend* pending : batch)
      pending->last_id = tl::unexpected(ok.error());
}

Result<void> AuditLog::WriteBatchLocked(const std::deque<PendingAppend*>& batch) {
  auto transaction = store::Transaction::Begin(database_);
  if (!transaction)
    return Forward(transaction);
  // The head is read inside the write transaction: another process (the CLI) may append too.
  auto head = database_.Prepare("SELECT last_id, last_hash, entries FROM audit_head");
  if (!head)
    return Forward(head);
  auto head_row = head->Step();
  if (!head_row)
    return Forward(head_row);
  if (!*head_row)
    return Fail(ErrorCode::kStorage, "audit_head is missing");
  int64_t last_id = head->Int(0);
  std::string last_hash = head->Text(1);
  int64_t count = head->Int(2);
  head->Reset();

  auto insert = database_.Prepare("INSERT INTO audit_log(" + std::string(kRecordColumns) +
                                  ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert)
    return Forward(insert);
  for (PendingAppend* pending : batch) {
    for (const AuditEntry& entry : pending->entries) {
      const int64_t id = last_id + 1;
      std::string hash = EntryHash(id, entry, last_hash);
      insert->Reset();
      insert->Bind(1, id)
          .Bind(2, entry.at_ms)
          .Bind(3, std::string_view(entry.actor))
          .Bind(4, std::string_view(entry.role))
          .Bind(5, std::string_view(entry.department))
          .Bind(6, std::string_view(entry.client_address))
          .Bind(7, std::string_view(entry.action))
          .Bind(8, std::string_view(entry.target))
          .Bind(9, std::string_view(entry.detail))
          .Bind(10, std::string_view(last_hash))
          .Bind(11, std::string_view(hash));
      if (auto ok = insert->Run(); !ok)
        return ok;
      last_id = id;
      last_hash = std::move(hash);
      ++count;
    }
    pending->last_id = last_id;
  }
  auto update = database_.Prepare(
      "UPDATE audit_head SET last_id = ?, last_hash = ?, entries = ? WHERE singleton = 1");
  if (!update)
    return Forward(update);
  if (auto ok = update->Bind(1, last_id).Bind(2, std::string_view(last_hash)).Bind(3, count).Run();
      !ok)
    return ok;
  return transaction->Commit();
}

Result<AuditVerifyReport> AuditLog::Verify() {
  std::lock_guard lock(database_mutex_);
  // A write transaction gives one consistent view even if another process appends meanwhile.
  auto transaction = store::Transaction::Begin(database_);
  if (!transaction)
    return Forward(transaction);
  AuditVerifyReport report;

  auto head = database_.Prepare("SELECT last_id, last_hash, entries FROM audit_head");
  if (!head)
    return Forward(head);
  auto head_row = head->Step();
  if (!head_row)
    return Forward(head_row);
  if (!*head_row)
    return Bad(report, 1, "审计链头缺失 (the audit head row is missing)");
  const int64_t head_last_id = head->Int(0);
  const std::string head_last_hash = head->Text(1);
  const int64_t head_entries = head->Int(2);
  report.head_hash = head_last_hash;
  head->Reset();

  auto select =
      database_.Prepare("SELECT " + std::string(kRecordColumns) + " FROM audit_log ORDER BY id");
  if (!select)
    return Forward(select);
  int64_t expected_id = 1;
  std::string prev_hash(kZeroHash);
  while (true) {
    auto row = select->Step();
    if (!row)
      return Forward(row);
    if (!*row)
      break;
    AuditRecord record = ReadRecord(*select);
    if (record.id > head_last_id)
      return Bad(report, record.id,
                 "链头之后出现记录：有记录被插入或链头被回退 (an entry after the recorded head: "
                 "inserted, or the head was rolled back)");
    if (record.id != expected_id)
      return Bad(report, record.id,
                 "记录编号不连续：此前有记录被删除 (ids not contiguous: entries before this one "
                 "were removed)");
    if (record.prev_hash != prev_hash)
      return Bad(report, record.id,
                 "前一记录哈希不符：记录被删除、调换或插入 (prev_hash does not match the "
                 "previous entry: removed, reordered or inserted entries)");
    if (EntryHash(record.id, record.entry, record.prev_hash) != record.hash)
      return Bad(report, record.id,
                 "记录内容被修改：哈希不符 (entry altered: its hash does not match its fields)");
    prev_hash = std::move(record.hash);
    ++expected_id;
    ++report.entries;
  }
  const int64_t last_id = expected_id - 1;
  if (last_id != head_last_id || report.entries != head_entries || prev_hash != head_last_hash)
    return Bad(report, last_id + 1,
               "末尾记录缺失或链头不符 (entries removed at the tail, or the head does not match "
               "the last entry)");
  return report;
}

Result<AuditPage> AuditLog::List(int64_t offset, int64_t limit, const AuditFilter& filter) {
  offset = std::max<int64_t>(offset, 0);
  limit = std::clamp<int64_t>(limit, 0, kMaxListLimit);
  constexpr std::string_view kWhere =
      " WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR "
      "action = ?2)";
  std::lock_guard lock(database_mutex_);
  AuditPage page;
  auto count = database_.Prepare("SELECT count(*) FROM audit_log" + std::string(kWhere));
  if (!count)
    return Forward(count);
  count->Bind(1, filter.actor).Bind(2, filter.action);
  auto count_row = count->Step();
  if (!count_row)
    return Forward(count_row);
  page.total = count->Int(0);

  auto select = database_.Prepare("SELECT " + std::string(kRecordColumns) + " FROM audit_log" +
                                  std::string(kWhere) + " ORDER BY id DESC LIMIT ?3 OFFSET ?4");
  if (!select)
    return Forward(select);
  select->Bind(1, filter.actor).Bind(2, filter.action).Bind(3, limit).Bind(4, offset);
  while (true) {
    auto row = select->Step();
    if (!row)
      return Forward(row);
    if (!*row)
      break;
    page.items.push_back(ReadRecord(*select));
  }
  return page;
}

}  // namespace baotong::api
