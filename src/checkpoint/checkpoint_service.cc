#include "checkpoint/checkpoint_service.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>

#include "registry/validation.h"

namespace baotong::checkpoint {
namespace {

constexpr size_t kMaxPlateBytes = 64;
constexpr size_t kMaxImageRefBytes = 1024;
constexpr size_t kMaxReasonBytes = 1000;
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxOperatorBytes = 128;
constexpr size_t kMaxTokenBytes = 4096;
constexpr int64_t kMaxPageLimit = 1000;

// Version 1. Positions as integer micro-degrees (about 0.1 m). Passage ids are assigned by
// the service, in decision order, so that a caller learns its id before the batch commits.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE checkpoints(
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  lat_e6 INTEGER NOT NULL,
  lon_e6 INTEGER NOT NULL,
  direction TEXT NOT NULL CHECK(direction IN ('in', 'out')),
  api_key_sha256 TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  key_changed_at_ms INTEGER NOT NULL) WITHOUT ROWID;

CREATE TABLE passages(
  id INTEGER PRIMARY KEY,
  checkpoint_id TEXT NOT NULL,
  direction TEXT NOT NULL,
  plate TEXT NOT NULL,
  plate_color INTEGER,
  time_ms INTEGER NOT NULL,
  decision TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  reason TEXT NOT NULL,
  display_text TEXT NOT NULL,
  pass_id INTEGER,
  source TEXT NOT NULL,
  operator TEXT,
  image_ref TEXT,
  overrides_id INTEGER,
  entered_at_ms INTEGER,
  entry_checkpoint_id TEXT,
  entry_passage_id INTEGER,
  pass_valid_until_ms INTEGER,
  planned_exit_ms INTEGER,
  recorded_at_ms INTEGER NOT NULL);
CREATE INDEX passages_checkpoint ON passages(checkpoint_id, id);
CREATE INDEX passages_plate ON passages(plate, id);
CREATE INDEX passages_overrides ON passages(overrides_id) WHERE overrides_id IS NOT NULL;
)sql";

constexpr const char* kMigrations[] = {kSchemaV1};

constexpr const char* kPassageColumns =
    "id, checkpoint_id, direction, plate, plate_color, time_ms, decision, reason_code, reason, "
    "display_text, pass_id, source, operator, image_ref, overrides_id, entered_at_ms, "
    "entry_checkpoint_id, entry_passage_id, pass_valid_until_ms, planned_exit_ms, "
    "recorded_at_ms";

std::optional<int> OptionalInt32(const std::optional<int64_t>& value) {
  if (!value)
    return std::nullopt;
  return static_cast<int>(*value);
}

std::optional<int64_t> OptionalInt64(const std::optional<int>& value) {
  if (!value)
    return std::nullopt;
  return static_cast<int64_t>(*value);
}

Passage ReadPassage(const store::Statement& row) {
  Passage passage;
  passage.id = row.Int(0);
  passage.checkpoint_id = row.Text(1);
  passage.direction = ParseDirection(row.Text(2)).value_or(Direction::kIn);
  passage.plate = row.Text(3);
  passage.plate_color = OptionalInt32(row.OptionalInt(4));
  passage.time_ms = row.Int(5);
  passage.verdict = ParseVerdict(row.Text(6)).value_or(Verdict::kTurnBack);
  passage.reason_code = row.Text(7);
  passage.reason = row.Text(8);
  passage.display_text = row.Text(9);
  passage.pass_id = row.OptionalInt(10);
  passage.source = ParseSource(row.Text(11)).value_or(Source::kCamera);
  passage.operator_name = row.OptionalText(12);
  passage.image_ref = row.OptionalText(13);
  passage.overrides_id = row.OptionalInt(14);
  passage.entered_at_ms = row.OptionalInt(15);
  passage.entry_checkpoint_id = row.OptionalText(16);
  passage.entry_passage_id = row.OptionalInt(17);
  passage.pass_valid_until_ms = row.OptionalInt(18);
  passage.planned_exit_ms = row.OptionalInt(19);
  passage.recorded_at_ms = row.Int(20);
  return passage;
}

void BindPassage(store::Statement& insert, const Passage& passage) {
  insert.Bind(1, passage.id)
      .Bind(2, passage.checkpoint_id)
      .Bind(3, ToString(passage.direction))
      .Bind(4, passage.plate)
      .Bind(5, OptionalInt64(passage.plate_color))
      .Bind(6, passage.time_ms)
      .Bind(7, ToString(passage.verdict))
      .Bind(8, passage.reason_code)
      .Bind(9, passage.reason)
      .Bind(10, passage.display_text)
      .Bind(11, passage.pass_id)
      .Bind(12, ToString(passage.source))
      .Bind(13, passage.operator_name)
      .Bind(14, passage.image_ref)
      .Bind(15, passage.overrides_id)
      .Bind(16, passage.entered_at_ms)
      .Bind(17, passage.entry_checkpoint_id)
      .Bind(18, passage.entry_passage_id)
      .Bind(19, passage.pass_valid_until_ms)
      .Bind(20, passage.planned_exit_ms)
      .Bind(21, passage.recorded_at_ms);
}

bool ValidCheckpointId(std::string_view id) {
  if (id.empty() || id.size() > 64)
    return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::array<unsigned char, crypto_hash_sha256_BYTES> Sha256(std::string_view text) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> hash{};
  crypto_hash_sha256(hash.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return hash;
}

std::string Hex(const std::array<unsigned char, crypto_hash_sha256_BYTES>& hash) {
  std::string hex(hash.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), hash.data(), hash.size());
  hex.pop_back();
  return hex;
}

std::optional<std::array<unsigned char, crypto_hash_sha256_BYTES>> FromHex(std::string_view hex) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> hash{};
  size_t length = 0;
  if (sodium_hex2bin(hash.data(), hash.size(), hex.data(), hex.size(), nullptr, &length, nullptr) !=
          0 ||
      length != hash.size())
    return std::nullopt;
  return hash;
}

// 32 random bytes as unpadded base64url: 43 characters.
std::string NewApiKey() {
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  const size_t size =
      sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string key(size, '\0');
  sodium_bin2base64(key.data(), key.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  key.resize(std::char_traits<char>::length(key.c_str()));
  return key;
}

}  // namespace

std::optional<int64_t> InCityEntry::DeadlineMs() const {
  if (valid_until_ms && planned_exit_ms)
    return std::min(*valid_until_ms, *planned_exit_ms);
  if (valid_until_ms)
    return valid_until_ms;
  return planned_exit_ms;
}

bool InCityEntry::Overdue(int64_t now_ms) const {
  auto deadline = DeadlineMs();
  return deadline && now_ms > *deadline;
}

Result<void> CheckpointService::Migrate(store::Database& database) {
  return database.Migrate("checkpoint", kMigrations);
}

CheckpointService::CheckpointService(std::unique_ptr<store::Database> writer,
                                     std::unique_ptr<store::Database> reader,
                                     const PassDirectory& passes, const VehicleDirectory& vehicles,
                                     ServiceOptions options)
    : writer_db_(std::move(writer)),
      reader_db_(std::move(reader)),
      passes_(passes),
      vehicles_(vehicles),
      options_(std::move(options)) {}

Result<std::unique_ptr<CheckpointService>> CheckpointService::Open(
    const std::filesystem::path& database_file, const PassDirectory& passes,
    const VehicleDirectory& vehicles, ServiceOptions options) {
  if (sodium_init() < 0)
    return Fail(ErrorCode::kUnsupported, "libsodium failed to initialise");
  auto writer = store::Database::Open(database_file);
  if (!writer)
    return tl::unexpected(writer.error());
  if (auto migrated = Migrate(**writer); !migrated)
    return tl::unexpected(migrated.error());
  auto reader = store::Database::Open(database_file);
  if (!reader)
    return tl::unexpected(reader.error());
  std::unique_ptr<CheckpointService> service(new CheckpointService(
      std::move(*writer), std::move(*reader), passes, vehicles, std::move(options)));
  if (auto loaded = service->Load(); !loaded)
    return tl::unexpected(loaded.error());
  service->writer_ = std::thread([raw = service.get()] { raw->WriterLoop(); });
  return service;
}

CheckpointService::~CheckpointService() {
  Close();
}

void CheckpointService::Close() {
  std::call_once(close_once_, [this] {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    durable_cv_.notify_all();
    if (writer_.joinable())
      writer_.join();
  });
}

int64_t CheckpointService::Now() const {
  if (options_.clock)
    return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<void> CheckpointService::Load() {
  auto checkpoints = reader_db_->Prepare(
      "SELECT id, name, lat_e6, lon_e6, direction, api_key_sha256, created_at_ms FROM "
      "checkpoints");
  if (!checkpoints)
    return tl::unexpected(checkpoints.error());
  std::lock_guard lock(mutex_);
  for (;;) {
    auto row = checkpoints->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      break;
    StoredCheckpoint stored;
    stored.checkpoint.id = checkpoints->Text(0);
    stored.checkpoint.name = checkpoints->Text(1);
    stored.checkpoint.lat = static_cast<double>(checkpoints->Int(2)) / 1e6;
    stored.checkpoint.lon = static_cast<double>(checkpoints->Int(3)) / 1e6;
    stored.checkpoint.direction = ParseDirection(checkpoints->Text(4)).value_or(Direction::kIn);
    auto hash = FromHex(checkpoints->Text(5));
    if (!hash)
      return Fail(ErrorCode::kStorage, "checkpoint api key hash is corrupt");
    stored.key_hash = *hash;
    stored.checkpoint.created_at_ms = checkpoints->Int(6);
    checkpoints_.emplace(stored.checkpoint.id, std::move(stored));
  }
  // The in-city set is the replay of every passage, in the order they were decided.
  auto passages =
      reader_db_->Prepare(std::string("SELECT ") + kPassageColumns + " FROM passages ORDER BY id");
  if (!passages)
    return tl::unexpected(passages.error());
  for (;;) {
    auto row = passages->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      break;
    Passage passage = ReadPassage(*passages);
    ApplyToCityLocked(passage);
    next_id_ = passage.id + 1;
    durable_through_ = passage.id;
    last_durable_by_checkpoint_[passage.checkpoint_id] = passage.id;
  }
  return {};
}

// ---- Checkpoints ----------------------------------------------------------------------------

namespace {

Result<void> CheckCheckpoint(const Checkpoint& checkpoint) {
  if (!ValidCheckpointId(checkpoint.id))
    return Fail(ErrorCode::kBadValue,
                "卡口编号只能由 1-64 个字母、数字、- 或 _ 组成 (invalid checkpoint id)");
  if (checkpoint.name.empty() || checkpoint.name.size() > kMaxNameBytes)
    return Fail(ErrorCode::kBadValue, "卡口名称不能为空且不超过 200 字节 (invalid name)");
  if (!std::isfinite(checkpoint.lat) || !std::isfinite(checkpoint.lon) ||
      std::abs(checkpoint.lat) > 90 || std::abs(checkpoint.lon) > 180)
    return Fail(ErrorCode::kBadValue, "卡口坐标无效 (invalid lat/lon)");
  return {};
}

}  // namespace

Result<void> CheckpointService::UpdateCheckpoint(const Checkpoint& checkpoint) {
  if (auto ok = CheckCheckpoint(checkpoint); !ok)
    return ok;
  std::lock_guard admin(admin_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (!checkpoints_.contains(checkpoint.id))
      return Fail(ErrorCode::kNotFound, "卡口不存在 (no such checkpoint)");
  }
  auto update = reader_db_->Prepare(
      "UPDATE checkpoints SET name = ?, lat_e6 = ?, lon_e6 = ?, direction = ? WHERE id = ?");
  if (!update)
    return tl::unexpected(update.error());
  update->Bind(1, checkpoint.name)
      .Bind(2, static_cast<int64_t>(std::llround(checkpoint.lat * 1e6)))
      .Bind(3, static_cast<int64_t>(std::llround(checkpoint.lon * 1e6)))
      .Bind(4, ToString(checkpoint.direction))
      .Bind(5, checkpoint.id);
  if (auto ok = update->Run(); !ok)
    return tl::unexpected(ok.error());
  std::lock_guard lock(mutex_);
  Checkpoint& stored = checkpoints_.find(checkpoint.id)->second.checkpoint;
  stored.name = checkpoint.name;
  stored.lat = checkpoint.lat;
  stored.lon = checkpoint.lon;
  stored.direction = checkpoint.direction;
  return {};
}

Result<std::string> CheckpointService::AddCheckpoint(const Checkpoint& checkpoint) {
  if (auto ok = CheckCheckpoint(checkpoint); !ok)
    return tl::unexpected(ok.error());
  std::lock_guard admin(admin_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (checkpoints_.contains(checkpoint.id))
      return Fail(ErrorCode::kConflict, "卡口编号已存在 (checkpoint exists)");
  }
  StoredCheckpoint stored{checkpoint, {}};
  stored.checkpoint.created_at_ms = Now();
  const std::string key = NewApiKey();
  stored.key_hash = Sha256(key);
  auto insert = reader_db_->Prepare("INSERT INTO checkpoints VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert)
    return tl::unexpected(insert.error());
  insert->Bind(1, checkpoint.id)
      .Bind(2, checkpoint.name)
      .Bind(3, static_cast<int64_t>(std::llround(checkpoint.lat * 1e6)))
      .Bind(4, static_cast<int64_t>(std::llround(checkpoint.lon * 1e6)))
      .Bind(5, ToString(checkpoint.direction))
      .Bind(6, Hex(stored.key_hash))
      .Bind(7, stored.checkpoint.created_at_ms)
      .Bind(8, stored.checkpoint.created_at_ms);
  if (auto ok = insert->Run(); !ok)
    return tl::unexpected(ok.error());
  std::lock_guard lock(mutex_);
  checkpoints_.emplace(checkpoint.id, std::move(stored));
  return key;
}

Result<std::string> CheckpointService::RotateApiKey(std::string_view checkpoint_id) {
  std::lock_guard admin(admin_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (!checkpoints_.contains(checkpoint_id))
      return Fail(ErrorCode::kNotFound, "卡口不存在 (no such checkpoint)");
  }
  const std::string key = NewApiKey();
  const auto hash = Sha256(key);
  auto update = reader_db_->Prepare(
      "UPDATE checkpoints SET api_key_sha256 = ?, key_changed_at_ms = ? WHERE id = ?");
  if (!update)
    return tl::unexpected(update.error());
  update->Bind(1, Hex(hash)).Bind(2, Now()).Bind(3, checkpoint_id);
  if (auto ok = update->Run(); !ok)
    return tl::unexpected(ok.error());
  std::lock_guard lock(mutex_);
  checkpoints_.find(checkpoint_id)->second.key_hash = hash;
  return key;
}

std::vector<Checkpoint> CheckpointService::Checkpoints() const {
  std::lock_guard lock(mutex_);
  std::vector<Checkpoint> list;
  list.reserve(checkpoints_.size());
  for (const auto& [id, stored] : checkpoints_)
    list.push_back(stored.checkpoint);
  return list;
}

std::optional<Checkpoint> CheckpointService::FindCheckpoint(std::string_view checkpoint_id) const {
  std::lock_guard lock(mutex_);
  auto found = checkpoints_.find(checkpoint_id);
  if (found == checkpoints_.end())
    return std::nullopt;
  return found->second.checkpoint;
}

bool CheckpointService::VerifyApiKey(std::string_view checkpoint_id,
                                     std::string_view api_key) const {
  const auto offered = Sha256(api_key);
  std::array<unsigned char, crypto_hash_sha256_BYTES> stored{};
  {
    std::lock_guard lock(mutex_);
    auto found = checkpoints_.find(checkpoint_id);
    if (found == checkpoints_.end())
      return false;
    stored = found->second.key_hash;
  }
  return sodium_memcmp(offered.data(), stored.data(), stored.size()) == 0;
}

std::optional<Direction> CheckpointService::DirectionOf(std::string_view checkpoint_id) const {
  std::lock_guard lock(mutex_);
  auto found = checkpoints_.find(checkpoint_id);
  if (found == checkpoints_.end())
    return std::nullopt;
  return found->second.checkpoint.direction;
}

// ---- Decisions ------------------------------------------------------------------------------

Result<Passage> CheckpointService::Decide(const PlateRead& read) {
  if (read.plate.size() > kMaxPlateBytes)
    return Fail(ErrorCode::kBadValue, "车牌号过长 (plate too long)");
  if (read.image_ref && read.image_ref->size() > kMaxImageRefBytes)
    return Fail(ErrorCode::kBadValue, "图片引用过长 (image_ref too long)");
  if (read.plate_color && !registry::ParsePlateColor(*read.plate_color))
    return Fail(ErrorCode::kBadValue, "车牌颜色代码无效 (plate_color)");
  auto direction = DirectionOf(read.checkpoint_id);
  if (!direction)
    return Fail(ErrorCode::kNotFound, "卡口不存在 (no such checkpoint)");

  Passage passage;
  passage.checkpoint_id = read.checkpoint_id;
  passage.direction = *direction;
  passage.plate_color = read.plate_color;
  passage.time_ms = read.time_ms != 0 ? read.time_ms : Now();
  passage.source = Source::kCamera;
  passage.image_ref = read.image_ref;

  GateFacts facts;
  facts.direction = *direction;
  if (auto plate = registry::NormalisePlate(read.plate)) {
    passage.plate = std::move(*plate);
  } else {
    passage.plate = read.plate;
    facts.plate_unreadable = true;
  }
  if (facts.direction == Direction::kIn && !facts.plate_unreadable)
    facts.passes = passes_.Find(passage.plate, passage.plate_color, passage.time_ms);
  if (NeedsRegistration(facts)) {
    auto registered = vehicles_.IsRegistered(passage.plate);
    if (!registered)
      return tl::unexpected(registered.error());
    facts.registered = *registered;
  }
  return Conclude(std::move(passage), std::move(facts));
}

Result<Passage> CheckpointService::Decide(const QrScan& scan) {
  if (scan.token.size() > kMaxTokenBytes)
    return Fail(ErrorCode::kBadValue, "通行码过长 (token too long)");
  if (scan.operator_name.size() > kMaxOperatorBytes)
    return Fail(ErrorCode::kBadValue, "操作员名称过长 (operator too long)");
  auto direction = DirectionOf(scan.checkpoint_id);
  if (!direction)
    return Fail(ErrorCode::kNotFound, "卡口不存在 (no such checkpoint)");

  Passage passage;
  passage.checkpoint_id = scan.checkpoint_id;
  passage.direction = *direction;
  passage.time_ms = scan.time_ms != 0 ? scan.time_ms : Now();
  passage.source = Source::kQr;
  if (!scan.operator_name.empty())
    passage.operator_name = scan.operator_name;

  GateFacts facts;
  facts.direction = *direction;
  std::optional<int64_t> shown_pass_id;
  auto claims = passes_.VerifyToken(scan.token, passage.time_ms);
  if (!claims) {
    facts.token_failure = claims.error();
  } else {
    // The signature proves what the token says; whether the pass still stands (revoked?)
    // is the same table by the token's plate.
    passage.plate = claims->plate;
    passage.plate_color = claims->plate_color;
    shown_pass_id = claims->pass_id;
    if (facts.direction == Direction::kIn)
      facts.passes = passes_.Find(passage.plate, passage.plate_color, passage.time_ms);
    if (NeedsRegistration(facts)) {
      auto registered = vehicles_.IsRegistered(passage.plate);
      if (!registered)
        return tl::unexpected(registered.error());
      facts.registered = *registered;
    }
  }
  return Conclude(std::move(passage), std::move(facts), shown_pass_id);
}

Result<Passage> CheckpointService::Conclude(Passage passage, GateFacts facts,
                                            std::optional<int64_t> shown_pass_id) {
  int64_t id = 0;
  {
    std::unique_lock lock(mutex_);
    durable_cv_.wait(lock, [&] { return queue_.size() < options_.max_queued || stopping_; });
    if (stopping_)
      return Fail(ErrorCode::kUnsupported, "checkpoint service is closed");
    auto entry = passage.plate.empty() ? in_city_.end() : in_city_.find(passage.plate);
    facts.in_city = entry != in_city_.end();
    const Ruling ruling = Judge(facts);
    passage.verdict = ruling.verdict;
    passage.reason_code = ruling.reason_code;
    passage.reason = ReasonText(ruling.reason_code);
    passage.display_text =
        DisplayText(passage.plate, passage.direction, passage.verdict, ruling.reason_code);
    if (passage.direction == Direction::kIn) {
      if (ruling.pass) {
        passage.pass_id = ruling.pass->pass_id;
        passage.pass_valid_until_ms = ruling.pass->valid_until_ms;
        passage.planned_exit_ms = ruling.pass->planned_exit_ms;
      } else {
        passage.pass_id = shown_pass_id;
      }
      passage.entered_at_ms = passage.time_ms;
      passage.entry_checkpoint_id = passage.checkpoint_id;
    } else if (facts.in_city) {
      // The exit closes this stay; keep it on the row so an override can reopen it.
      const InCityEntry& stay = entry->second;
      passage.pass_id = stay.pass_id;
      passage.pass_valid_until_ms = stay.valid_until_ms;
      passage.planned_exit_ms = stay.planned_exit_ms;
      passage.entered_at_ms = stay.entered_at_ms;
      passage.entry_checkpoint_id = stay.checkpoint_id;
      passage.entry_passage_id = stay.passage_id;
      if (!passage.plate_color)
        passage.plate_color = stay.plate_color;
    } else {
      passage.pass_id = shown_pass_id;
    }
    passage.id = next_id_++;
    passage.recorded_at_ms = Now();
    ApplyToCityLocked(passage);
    queue_.push_back(passage);
    id = passage.id;
  }
  queue_cv_.notify_one();
  if (options_.durable_wait.count() > 0) {
    auto durable = WaitDurable(id, options_.durable_wait);
    if (!durable)
      return tl::unexpected(durable.error());
    passage.durable = *durable;
  }
  return passage;
}

Result<Passage> CheckpointService::ApplyOverride(const Override& change) {
  if (change.reason.empty() || change.reason.size() > kMaxReasonBytes)
    return Fail(ErrorCode::kBadValue, "改判理由不能为空且不超过 1000 字节 (reason)");
  if (change.operator_name.size() > kMaxOperatorBytes)
    return Fail(ErrorCode::kBadValue, "操作员名称过长 (operator too long)");
  // A decision may have returned before its passage was committed: let it land first.
  {
    std::unique_lock lock(mutex_);
    if (change.passage_id > 0 && change.passage_id < next_id_)
      durable_cv_.wait(lock, [&] { return durable_through_ >= change.passage_id || writer_done_; });
  }
  auto found = FindPassage(change.passage_id);
  if (!found)
    return tl::unexpected(found.error());
  if (!*found)
    return Fail(ErrorCode::kNotFound, "通行记录不存在 (no such passage)");
  const Passage& old = **found;

  Passage passage;
  passage.checkpoint_id = old.checkpoint_id;
  passage.direction = old.direction;
  passage.plate = old.plate;
  passage.plate_color = old.plate_color;
  passage.time_ms = change.time_ms != 0 ? change.time_ms : Now();
  passage.verdict = change.verdict;
  passage.reason_code = reason::kOverride;
  passage.reason = std::string(ReasonText(reason::kOverride)) + "：" + change.reason;
  passage.display_text =
      DisplayText(passage.plate, passage.direction, passage.verdict, reason::kOverride);
  passage.pass_id = old.pass_id;
  passage.source = Source::kOverride;
  if (!change.operator_name.empty())
    passage.operator_name = change.operator_name;
  passage.overrides_id = old.id;
  passage.entered_at_ms = old.entered_at_ms;
  passage.entry_checkpoint_id = old.entry_checkpoint_id;
  passage.entry_passage_id = old.entry_passage_id;
  passage.pass_valid_until_ms = old.pass_valid_until_ms;
  passage.planned_exit_ms = old.planned_exit_ms;
  {
    std::unique_lock lock(mutex_);
    durable_cv_.wait(lock, [&] { return queue_.size() < options_.max_queued || stopping_; });
    if (stopping_)
      return Fail(ErrorCode::kUnsupported, "checkpoint service is closed");
    if (overridden_.contains(old.id))
      return Fail(ErrorCode::kConflict, "该通行记录已被改判 (passage already overridden)");
    passage.id = next_id_++;
    passage.recorded_at_ms = Now();
    ApplyToCityLocked(passage);
    queue_.push_back(passage);
  }
  queue_cv_.notify_one();
  auto durable = WaitDurable(passage.id, std::chrono::hours(1));
  if (!durable)
    return tl::unexpected(durable.error());
  passage.durable = *durable;
  return passage;
}

void CheckpointService::ApplyToCityLocked(const Passage& passage) {
  if (passage.overrides_id)
    overridden_.insert(*passage.overrides_id);
  if (passage.plate.empty())
    return;
  const bool release = passage.verdict == Verdict::kRelease;
  if (passage.direction == Direction::kIn) {
    if (release) {
      in_city_[passage.plate] = InCityEntry{
          passage.plate,
          passage.plate_color,
          passage.entered_at_ms.value_or(passage.time_ms),
          passage.entry_checkpoint_id.value_or(passage.checkpoint_id),
          passage.id,
          passage.pass_id,
          passage.pass_valid_until_ms,
          passage.planned_exit_ms,
      };
    } else if (passage.overrides_id) {
      // An entry taken back: the stay it opened ends (unless a later entry replaced it).
      auto found = in_city_.find(passage.plate);
      if (found != in_city_.end() && found->second.passage_id == *passage.overrides_id)
        in_city_.erase(found);
    }
    return;
  }
  if (release) {
    in_city_.erase(passage.plate);
  } else if (passage.overrides_id && passage.entered_at_ms) {
    // An exit taken back: the stay it closed is open again.
    in_city_[passage.plate] = InCityEntry{
        passage.plate,
        passage.plate_color,
        *passage.entered_at_ms,
        passage.entry_checkpoint_id.value_or(std::string()),
        passage.entry_passage_id.value_or(0),
        passage.pass_id,
        passage.pass_valid_until_ms,
        passage.planned_exit_ms,
    };
  }
}

Result<bool> CheckpointService::WaitDurable(int64_t id, std::chrono::microseconds wait) {
  std::unique_lock lock(mutex_);
  const bool done =
      durable_cv_.wait_for(lock, wait, [&] { return durable_through_ >= id || writer_done_; });
  if (failed_.erase(id) > 0 || (writer_done_ && durable_through_ < id))
    return Fail(ErrorCode::kStorage, "通行记录未能保存 (passage not recorded)");
  return done;
}

// ---- The writer -----------------------------------------------------------------------------

void CheckpointService::WriterLoop() {
  std::vector<Passage> batch;
  std::optional<store::Statement> insert;  // prepared once, reused for every batch
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      queue_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty())
        break;  // stopping, and everything queued is written
      batch.clear();
      batch.swap(queue_);
    }
    // Whatever queued up while the previous batch was committing goes in one transaction.
    const bool written = WriteBatch(batch, insert).has_value();
    {
      std::lock_guard lock(mutex_);
      durable_through_ = batch.back().id;
      for (const Passage& passage : batch) {
        if (written)
          last_durable_by_checkpoint_[passage.checkpoint_id] = passage.id;
        else
          failed_.insert(passage.id);
      }
    }
    durable_cv_.notify_all();
  }
  {
    std::lock_guard lock(mutex_);
    writer_done_ = true;
  }
  durable_cv_.notify_all();
}

Result<void> CheckpointService::WriteBatch(const std::vector<Passage>& batch,
                                           std::optional<store::Statement>& insert) {
  auto transaction = store::Transaction::Begin(*writer_db_);
  if (!transaction)
    return tl::unexpected(transaction.error());
  if (!insert) {
    auto prepared = writer_db_->Prepare(std::string("INSERT INTO passages(") + kPassageColumns +
                                        ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                        "?, ?, ?, ?, ?)");
    if (!prepared)
      return tl::unexpected(prepared.error());
    insert = std::move(*prepared);
  }
  for (const Passage& passage : batch) {
    insert->Reset();
    BindPassage(*insert, passage);
    if (auto ok = insert->Run(); !ok)
      return ok;
  }
  insert->Reset();
  return transaction->Commit();
}

// ---- Records --------------------------------------------------------------------------------

Result<std::optional<Passage>> CheckpointService::FindPassage(int64_t id) {
  auto select =
      reader_db_->Prepare(std::string("SELECT ") + kPassageColumns + " FROM passages WHERE id = ?");
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, id);
  auto row = select->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::nullopt;
  return ReadPassage(*select);
}

Result<std::vector<Passage>> CheckpointService::PassagesOfPlate(std::string_view plate,
                                                                int64_t from_ms, int64_t to_ms,
                                                                int64_t limit, bool newest_first) {
  auto select = reader_db_->Prepare(
      std::string("SELECT ") + kPassageColumns +
      " FROM passages AS p WHERE plate = ? AND time_ms BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 "
      "FROM passages AS o WHERE o.overrides_id = p.id) ORDER BY " +
      (newest_first ? "time_ms DESC, id DESC" : "time_ms, id") + " LIMIT ?");
  if (!select)
    return tl::unexpected(select.error());
  select->Bind(1, plate);
  select->Bind(2, from_ms);
  select->Bind(3, to_ms);
  select->Bind(4, std::clamp<int64_t>(limit, 1, kMaxPageLimit));
  std::vector<Passage> passages;
  if (auto ok = select->ForEachRow(
          [&](const store::Statement& row) { passages.push_back(ReadPassage(row)); });
      !ok)
    return tl::unexpected(ok.error());
  return passages;
}

Result<PassagePage> CheckpointService::WaitForPassages(
    std::optional<std::string_view> checkpoint_id, int64_t after_id,
    std::chrono::milliseconds timeout, int64_t limit) {
  limit = std::clamp<int64_t>(limit, 1, kMaxPageLimit);
  const std::string checkpoint(checkpoint_id.value_or(std::string_view()));
  auto newest = [&]() -> int64_t {
    if (!checkpoint_id)
      return durable_through_;
    auto found = last_durable_by_checkpoint_.find(checkpoint);
    return found == last_durable_by_checkpoint_.end() ? 0 : found->second;
  };
  {
    std::unique_lock lock(mutex_);
    if (!durable_cv_.wait_for(lock, timeout, [&] { return newest() > after_id || stopping_; }))
      return PassagePage{{}, after_id};
  }
  std::string sql = std::string("SELECT ") + kPassageColumns + " FROM passages WHERE id > ?";
  if (checkpoint_id)
    sql += " AND checkpoint_id = ?";
  sql += " ORDER BY id LIMIT ?";
  auto select = reader_db_->Prepare(sql);
  if (!select)
    return tl::unexpected(select.error());
  int index = 1;
  select->Bind(index++, after_id);
  if (checkpoint_id)
    select->Bind(index++, checkpoint);
  select->Bind(index, limit);
  PassagePage page{{}, after_id};
  for (;;) {
    auto row = select->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      break;
    page.items.push_back(ReadPassage(*select));
    page.last_id = page.items.back().id;
  }
  return page;
}

InCityPage CheckpointService::InCity(int64_t now_ms, int64_t offset, int64_t limit,
                                     const std::function<bool(const InCityEntry&)>& keep) const {
  std::vector<InCityEntry> all;
  {
    std::lock_guard lock(mutex_);
    all.reserve(in_city_.size());
    for (const auto& [plate, entry] : in_city_) {
      if (!keep || keep(entry))
        all.push_back(entry);
    }
  }
  std::sort(all.begin(), all.end(), [now_ms](const InCityEntry& a, const InCityEntry& b) {
    const bool a_overdue = a.Overdue(now_ms);
    const bool b_overdue = b.Overdue(now_ms);
    if (a_overdue != b_overdue)
      return a_overdue;
    if (a_overdue && *a.DeadlineMs() != *b.DeadlineMs())
      return *a.DeadlineMs() < *b.DeadlineMs();
    if (a.entered_at_ms != b.entered_at_ms)
      return a.entered_at_ms < b.entered_at_ms;
    return a.plate < b.plate;
  });
  InCityPage page;
  page.total = static_cast<int64_t>(all.size());
  offset = std::clamp<int64_t>(offset, 0, page.total);
  limit = std::clamp<int64_t>(limit, 0, kMaxPageLimit);
  const auto begin = all.begin() + offset;
  const auto end = all.begin() + std::min(page.total, offset + limit);
  page.items.assign(std::make_move_iterator(begin), std::make_move_iterator(end));
  return page;
}

int64_t CheckpointService::InCityCount() const {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(in_city_.size());
}

}  // namespace baotong::checkpoint
