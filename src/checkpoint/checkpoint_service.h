// The checkpoint service: configured checkpoints with per-camera API keys, gate decisions for
// plate reads and QR scans, passages recorded durably, the set of vehicles in the city, operator
// overrides and a long-poll feed of new passages.
//
// Storage: its own connections on data_dir/registry.db (component "checkpoint"). Passages are
// written by one writer thread that commits whatever has queued up as one transaction (group
// commit). A decision call returns AFTER its passage is durable (committed with
// synchronous=FULL), waiting at most ServiceOptions::durable_wait: on a slow disk the gate
// still gets its answer in time, with Passage::durable false, and the passage is written in
// order right after. Overrides always wait until durable.
//
// The in-city set lives in memory and is rebuilt at Open by replaying every passage in id order;
// it is updated when a decision is made (before its passage is durable). If a batch fails to
// commit, its callers get kStorage and the set may hold their entries until the next Open.
//
// Thread-safe: every public method may be called from any thread.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "checkpoint/decision.h"
#include "checkpoint/directory.h"
#include "common/error.h"
#include "store/sqlite/database.h"

namespace baotong::checkpoint {

struct Checkpoint {
  std::string id;    // "KK-HD-01": letters, digits, '-' and '_', at most 64
  std::string name;  // "沈海高速鞍山收费站入城卡口"
  double lat = 0;
  double lon = 0;
  Direction direction = Direction::kIn;
  int64_t created_at_ms = 0;
};

// A camera's plate read.
struct PlateRead {
  std::string checkpoint_id;
  std::string plate;               // as read; normalised here (registry::NormalisePlate)
  std::optional<int> plate_color;  // JT/T 415 code; empty when the camera gives none
  int64_t time_ms = 0;             // 0: now
  std::optional<std::string> image_ref;
};

// An operator's scan of a QR pass.
struct QrScan {
  std::string checkpoint_id;
  std::string token;
  std::string operator_name;
  int64_t time_ms = 0;  // 0: now
};

// An operator replacing the decision of a passage.
struct Override {
  int64_t passage_id = 0;
  Verdict verdict = Verdict::kRelease;
  std::string reason;  // required
  std::string operator_name;
  int64_t time_ms = 0;  // 0: now
};

// One decision at a gate, as recorded.
struct Passage {
  int64_t id = 0;
  std::string checkpoint_id;
  Direction direction = Direction::kIn;
  std::string plate;  // empty when a QR token failed to verify
  std::optional<int> plate_color;
  int64_t time_ms = 0;
  Verdict verdict = Verdict::kTurnBack;
  std::string reason_code;
  std::string reason;  // Chinese
  std::string display_text;
  std::optional<int64_t> pass_id;
  Source source = Source::kCamera;
  std::optional<std::string> operator_name;
  std::optional<std::string> image_ref;
  std::optional<int64_t> overrides_id;  // the passage an override replaces
  // The stay the passage opens (entries) or closes (exits), so that the in-city set can be
  // rebuilt and an exit's override can reopen the stay.
  std::optional<int64_t> entered_at_ms;
  std::optional<std::string> entry_checkpoint_id;
  std::optional<int64_t> entry_passage_id;
  std::optional<int64_t> pass_valid_until_ms;
  std::optional<int64_t> planned_exit_ms;
  int64_t recorded_at_ms = 0;
  // Whether the passage was committed when the decision was returned (not stored).
  bool durable = false;
};

// A vehicle in the city.
struct InCityEntry {
  std::string plate;
  std::optional<int> plate_color;
  int64_t entered_at_ms = 0;
  std::string checkpoint_id;  // where it entered
  int64_t passage_id = 0;     // the passage that let it in
  std::optional<int64_t> pass_id;
  std::optional<int64_t> valid_until_ms;
  std::optional<int64_t> planned_exit_ms;

  // The earlier of the pass's end and the planned exit; empty when neither is known.
  std::optional<int64_t> DeadlineMs() const;
  bool Overdue(int64_t now_ms) const;
};

struct InCityPage {
  int64_t total = 0;
  std::vector<InCityEntry> items;  // overdue first (longest overdue first), then by entry time
};

struct PassagePage {
  std::vector<Passage> items;  // in id order
  int64_t last_id = 0;         // the highest id returned, or the asked after_id when none
};

struct ServiceOptions {
  // How long a decision waits for its passage to be committed. Zero: return once queued.
  // A slow disk (fsync of several ms under load) must not hold the gate past its budget.
  std::chrono::microseconds durable_wait = std::chrono::milliseconds(2);
  // Decisions queued for the writer at most; further decisions wait for room.
  size_t max_queued = 50'000;
  // Epoch milliseconds; empty: the system clock. Tests pin it.
  std::function<int64_t()> clock;
};

class CheckpointService {
 public:
  // Creates or upgrades the checkpoint tables (component "checkpoint").
  static Result<void> Migrate(store::Database& database);

  // Opens its connections on `database_file` (data_dir/registry.db), migrates, loads the
  // checkpoints, rebuilds the in-city set and starts the writer. `passes` and `vehicles` must
  // outlive the service.
  static Result<std::unique_ptr<CheckpointService>> Open(const std::filesystem::path& database_file,
                                                         const PassDirectory& passes,
                                                         const VehicleDirectory& vehicles,
                                                         ServiceOptions options = {});
  ~CheckpointService();
  CheckpointService(const CheckpointService&) = delete;
  CheckpointService& operator=(const CheckpointService&) = delete;

  // --- Checkpoints -----------------------------------------------------------------------
  // Adds a checkpoint and returns its camera API key; only its SHA-256 is stored, so this is
  // the one time it can be read. kBadValue: invalid field; kConflict: the id exists.
  Result<std::string> AddCheckpoint(const Checkpoint& checkpoint);
  // A new key for the checkpoint (the old one stops working). kNotFound.
  Result<std::string> RotateApiKey(std::string_view checkpoint_id);
  // A checkpoint moved, renamed or turned round (its geography changed); its key stays.
  // kNotFound when there is none with that id.
  Result<void> UpdateCheckpoint(const Checkpoint& checkpoint);
  std::vector<Checkpoint> Checkpoints() const;  // by id
  std::optional<Checkpoint> FindCheckpoint(std::string_view checkpoint_id) const;
  // Constant-time comparison of the key's hash; false for an unknown checkpoint.
  bool VerifyApiKey(std::string_view checkpoint_id, std::string_view api_key) const;

  // --- Decisions -------------------------------------------------------------------------
  // kNotFound: unknown checkpoint; kBadValue: plate colour code, oversized field; kStorage.
  Result<Passage> Decide(const PlateRead& read);
  Result<Passage> Decide(const QrScan& scan);
  // kNotFound: no such (durable) passage; kConflict: it was overridden already; kBadValue:
  // empty or oversized reason.
  Result<Passage> ApplyOverride(const Override& change);

  // --- Records ---------------------------------------------------------------------------
  Result<std::optional<Passage>> FindPassage(int64_t id);
  // A plate's stored passages with from_ms <= time <= to_ms, by time (the newest first when
  // asked), at most `limit`; passages an override replaced are left out (the override stands in
  // their place).
  Result<std::vector<Passage>> PassagesOfPlate(std::string_view plate, int64_t from_ms,
                                               int64_t to_ms, int64_t limit, bool newest_first);
  // Passages with id > after_id (at one checkpoint, or all when empty), at most `limit`;
  // waits up to `timeout` for the first one to become durable. Returns empty on timeout or
  // when the service closes.
  Result<PassagePage> WaitForPassages(std::optional<std::string_view> checkpoint_id,
                                      int64_t after_id, std::chrono::milliseconds timeout,
                                      int64_t limit = 100);
  // The vehicles in the city, overdue first; with `keep`, only the entries it accepts (a
  // district's vehicles), and total and paging count those. `keep` runs under the service's
  // lock: a lookup, nothing slow.
  InCityPage InCity(int64_t now_ms, int64_t offset = 0, int64_t limit = 50,
                    const std::function<bool(const InCityEntry&)>& keep = {}) const;
  int64_t InCityCount() const;

  // Stops the writer after it has written everything queued, and wakes long-polls. Called
  // by the destructor; later decisions fail with kUnsupported.
  void Close();

 private:
  struct StoredCheckpoint {
    Checkpoint checkpoint;
    std::array<unsigned char, 32> key_hash{};
  };

  CheckpointService(std::unique_ptr<store::Database> writer,
                    std::unique_ptr<store::Database> reader, const PassDirectory& passes,
                    const VehicleDirectory& vehicles, ServiceOptions options);
  Result<void> Load();
  int64_t Now() const;
  std::optional<Direction> DirectionOf(std::string_view checkpoint_id) const;
  // Judges the facts, records the passage and (by default) waits until it is durable.
  Result<Passage> Conclude(Passage passage, GateFacts facts,
                           std::optional<int64_t> shown_pass_id = std::nullopt);
  Result<Passage> Enqueue(Passage passage);
  void ApplyToCityLocked(const Passage& passage);
  // true: committed; false: still queued after `wait`; error: its batch failed.
  Result<bool> WaitDurable(int64_t id, std::chrono::microseconds wait);
  void WriterLoop();
  Result<void> WriteBatch(const std::vector<Passage>& batch,
                          std::optional<store::Statement>& insert);

  std::unique_ptr<store::Database> writer_db_;  // the writer thread's only
  std::unique_ptr<store::Database> reader_db_;  // queries and checkpoint admin
  const PassDirectory& passes_;
  const VehicleDirectory& vehicles_;
  ServiceOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable queue_cv_;    // writer: work queued or stopping
  std::condition_variable durable_cv_;  // callers and long-polls: a batch committed
  std::map<std::string, StoredCheckpoint, std::less<>> checkpoints_;
  std::unordered_map<std::string, InCityEntry> in_city_;  // by plate
  std::unordered_set<int64_t> overridden_;                // passages already overridden
  std::vector<Passage> queue_;
  int64_t next_id_ = 1;
  int64_t durable_through_ = 0;  // every id <= this is committed (or failed)
  std::unordered_map<std::string, int64_t> last_durable_by_checkpoint_;
  std::unordered_set<int64_t> failed_;
  bool stopping_ = false;
  bool writer_done_ = false;
  std::mutex admin_mutex_;  // checkpoint inserts and key changes, one at a time
  std::once_flag close_once_;
  std::thread writer_;
};

}  // namespace baotong::checkpoint
