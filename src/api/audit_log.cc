#include "api/audit_log.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/secret_file.h"

namespace baotong::api {
namespace {

// Version 1: the chain.
constexpr const char* kTables = R"sql(
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
)sql";
// Version 2 (issue 13): the chain is keyed from `keyed_from_id` on; the row is written once,
// with its own MAC, by the step that brings the component to version 2 (AuditLog::KeyTheChain).
constexpr int64_t kVersion = 2;
constexpr const char* kKeyingTable = R"sql(
CREATE TABLE audit_keying(
  singleton INTEGER PRIMARY KEY CHECK(singleton = 1),
  keyed_from_id INTEGER NOT NULL,
  mac TEXT NOT NULL);
CREATE TRIGGER audit_keying_no_update BEFORE UPDATE ON audit_keying
BEGIN SELECT RAISE(ABORT, 'audit_keying is written once'); END;
CREATE TRIGGER audit_keying_no_delete BEFORE DELETE ON audit_keying
BEGIN SELECT RAISE(ABORT, 'audit_keying is written once'); END;
)sql";

constexpr std::string_view kKeyFileName = "audit-chain.key";
constexpr std::string_view kKeyFileHeader = "baotong-audit-key v1";

constexpr std::string_view kRecordColumns =
    "id, at_ms, actor, role, department, client_address, action, target, detail, prev_hash, hash";
constexpr int64_t kMaxListLimit = 1000;

template <typename T>
tl::unexpected<Error> Forward(const Result<T>& result) {
  return tl::unexpected(result.error());
}

void Field(std::string& encoded, std::string_view bytes) {
  encoded += std::to_string(bytes.size());
  encoded += ':';
  encoded += bytes;
  encoded += ',';
}

// The unambiguous encoding of an entry that both hashes cover (see the header).
std::string Encode(int64_t id, const AuditEntry& entry, std::string_view prev_hash) {
  std::string encoded;
  Field(encoded, std::to_string(id));
  Field(encoded, std::to_string(entry.at_ms));
  Field(encoded, entry.actor);
  Field(encoded, entry.role);
  Field(encoded, entry.department);
  Field(encoded, entry.client_address);
  Field(encoded, entry.action);
  Field(encoded, entry.target);
  Field(encoded, entry.detail);
  Field(encoded, prev_hash);
  return encoded;
}

std::string Hex(const unsigned char* digest) {
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest, crypto_hash_sha256_BYTES);
  return std::string(hex.data(), crypto_hash_sha256_BYTES * 2);
}

std::string Mac(const crypto::SecretBytes& key, std::string_view message) {
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  return Hex(mac.data());
}

// The MAC of the switch-over point, so that moving it (to verify keyed entries as unkeyed
// ones) is detected.
std::string KeyingMac(const crypto::SecretBytes& key, int64_t keyed_from_id) {
  return Mac(key, "audit_keying|keyed_from_id=" + std::to_string(keyed_from_id));
}

// data_dir/audit-chain.key beside the database file; nullopt for a database without a file.
std::optional<std::filesystem::path> KeyFileOf(const store::Database& database) {
  if (auto directory = database.directory())
    return *directory / kKeyFileName;
  return std::nullopt;
}

Result<crypto::SecretBytes> KeyFrom(const std::vector<crypto::SecretEntry>& entries) {
  for (const auto& entry : entries) {
    if (entry.name == "hmac-sha256" && entry.bytes.size() == 32)
      return entry.bytes;
  }
  return Fail(ErrorCode::kBadValue, "audit key file holds no 32-byte hmac-sha256 key");
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

std::string AuditLog::UnkeyedEntryHash(int64_t id, const AuditEntry& entry,
                                       std::string_view prev_hash) {
  const std::string encoded = Encode(id, entry, prev_hash);
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(encoded.data()),
                     encoded.size());
  return Hex(digest.data());
}

std::string AuditLog::EntryHash(int64_t id, const AuditEntry& entry,
                                std::string_view prev_hash) const {
  if (id < keyed_from_id_)
    return UnkeyedEntryHash(id, entry, prev_hash);
  return Mac(key_, Encode(id, entry, prev_hash));
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(store::Database& database) {
  if (sodium_init() < 0)
    return Fail(ErrorCode::kUnsupported, "libsodium could not be initialised");
  std::unique_ptr<AuditLog> log(new AuditLog(database));
  const auto file = KeyFileOf(database);
  // Version 2 keys the chain. The keying row is written only by the step that brings the
  // component to version 2, so that a row missing later means it was removed.
  auto keyed_now = database.UpgradeOnce(kComponent, kVersion,
                                        [&](int64_t from) { return log->KeyTheChain(from, file); });
  if (!keyed_now)
    return Forward(keyed_now);
  if (*keyed_now)
    return log;

  auto keying = database.Prepare("SELECT keyed_from_id FROM audit_keying");
  if (!keying)
    return Forward(keying);
  auto keying_row = keying->Step();
  if (!keying_row)
    return Forward(keying_row);
  if (!*keying_row)
    return Fail(ErrorCode::kStorage,
                "审计链密钥记录缺失：审计日志可能被改写 (audit: the audit_keying row is missing "
                "from a keyed chain: the log may have been rewritten; restore registry.db from "
                "the backup)");
  log->keyed_from_id_ = keying->Int(0);
  keying->Reset();
  if (!file) {
    log->key_ = crypto::SecretBytes::Random(32);
    return log;
  }
  // Once the chain is keyed, a missing key file must not be replaced by a new key: every
  // keyed entry would then read as altered.
  auto entries = crypto::LoadSecrets(*file, kKeyFileHeader);
  if (!entries) {
    if (entries.error().code == ErrorCode::kNotFound)
      return Fail(ErrorCode::kNotFound,
                  "audit: the chain is keyed but audit-chain.key is missing (restore it from "
                  "the backup; a new key would make every keyed entry read as altered)");
    return Forward(entries);
  }
  auto key = KeyFrom(*entries);
  if (!key)
    return Forward(key);
  log->key_ = std::move(*key);
  return log;
}

Result<void> AuditLog::KeyTheChain(int64_t from, const std::optional<std::filesystem::path>& file) {
  if (from < 1) {
    if (auto ok = database_.Exec(kTables); !ok)
      return ok;
  }
  if (auto ok = database_.Exec(kKeyingTable); !ok)
    return ok;
  if (!file) {
    key_ = crypto::SecretBytes::Random(32);
  } else {
    // A key file without a keyed chain: the chain was keyed once and its keying removed (or
    // the database replaced). Keying it again would bless whatever the chain holds now.
    std::error_code error;
    if (std::filesystem::exists(*file, error) || error)
      return Fail(ErrorCode::kStorage,
                  "审计链密钥文件已存在，但数据库中没有密钥记录 (audit: audit-chain.key exists "
                  "but registry.db records no keyed chain: its keying was removed or the "
                  "database replaced; restore registry.db from the backup, or move the key "
                  "file away if this database is new on purpose)");
    auto entries = crypto::LoadOrCreateSecrets(*file, kKeyFileHeader, [] {
      std::vector<crypto::SecretEntry> made;
      made.push_back({"hmac-sha256", crypto::SecretBytes::Random(32)});
      return made;
    });
    if (!entries)
      return Forward(entries);
    auto key = KeyFrom(*entries);
    if (!key)
      return Forward(key);
    key_ = std::move(*key);
  }
  // Entries written so far keep their plain hashes; keyed ones chain after them.
  auto head = database_.Prepare("SELECT last_id FROM audit_head");
  if (!head)
    return Forward(head);
  auto head_row = head->Step();
  if (!head_row)
    return Forward(head_row);
  keyed_from_id_ = (*head_row ? head->Int(0) : 0) + 1;
  head->Reset();
  auto insert = database_.Prepare("INSERT INTO audit_keying VALUES(1, ?, ?)");
  if (!insert)
    return Forward(insert);
  if (auto ok = insert->Bind(1, keyed_from_id_).Bind(2, KeyingMac(key_, keyed_from_id_)).Run(); !ok)
    return ok;
  if (keyed_from_id_ == 1)
    return {};
  // A keyed entry in the same transaction pins the unkeyed part: its MAC covers the last plain
  // hash.
  AuditEntry entry;
  entry.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  entry.actor = "system";
  entry.action = "audit.chain_keyed";
  entry.target = "audit";
  entry.detail = nlohmann::json{{"keyed_from_id", keyed_from_id_}}.dump();
  PendingAppend marker{std::span(&entry, 1)};
  const std::deque<PendingAppend*> batch{&marker};
  return WriteEntries(batch);
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
  if (auto ok = WriteEntries(batch); !ok)
    return ok;
  return transaction->Commit();
}

Result<void> AuditLog::WriteEntries(const std::deque<PendingAppend*>& batch) {
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
  return update->Bind(1, last_id).Bind(2, std::string_view(last_hash)).Bind(3, count).Run();
}

Result<AuditVerifyReport> AuditLog::Verify(const std::optional<AuditAnchor>& anchor) {
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

  auto keying = database_.Prepare("SELECT keyed_from_id, mac FROM audit_keying");
  if (!keying)
    return Forward(keying);
  auto keying_row = keying->Step();
  if (!keying_row)
    return Forward(keying_row);
  if (!*keying_row)
    return Bad(report, 1, "审计链密钥记录缺失 (the audit_keying row is missing)");
  const std::string stored_mac = keying->Text(1);
  const std::string expected_mac = KeyingMac(key_, keyed_from_id_);
  if (keying->Int(0) != keyed_from_id_ || stored_mac.size() != expected_mac.size() ||
      sodium_memcmp(stored_mac.data(), expected_mac.data(), expected_mac.size()) != 0)
    return Bad(report, keying->Int(0),
               "审计链切换点被改动 (the point where keyed hashes begin was altered)");
  report.keyed_from_id = keyed_from_id_;
  keying->Reset();
  std::optional<std::string> anchor_hash_seen;

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
    if (anchor && record.id == anchor->entries)
      anchor_hash_seen = record.hash;
    prev_hash = std::move(record.hash);
    ++expected_id;
    ++report.entries;
  }
  const int64_t last_id = expected_id - 1;
  if (last_id != head_last_id || report.entries != head_entries || prev_hash != head_last_hash)
    return Bad(report, last_id + 1,
               "末尾记录缺失或链头不符 (entries removed at the tail, or the head does not match "
               "the last entry)");
  if (anchor) {
    if (anchor->entries > report.entries)
      return Bad(report, report.entries + 1,
                 "审计链比外部保存的链头短：末尾记录被删除 (the chain is shorter than the anchor "
                 "kept elsewhere: entries were removed)");
    if (anchor->entries > 0 && anchor_hash_seen != anchor->head_hash)
      return Bad(report, anchor->entries,
                 "审计链与外部保存的链头不符：记录被改写 (the chain does not contain the anchor "
                 "kept elsewhere at its position: entries were rewritten)");
    if (anchor->entries == 0 && anchor->head_hash != kZeroHash)
      return Bad(report, 1, "链头无效 (an anchor of 0 entries has the zero hash)");
  }
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
