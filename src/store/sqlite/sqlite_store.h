// SQLite backend of PositionStore and TerminalStore: one database file, WAL, synchronous=FULL.
//
// Layout (LSM-like, because a secondary index on (terminal, time) caps SQLite at ~91k inserts/s
// on our machines, see docs/PERFORMANCE.md):
//   position_log, position_log_b
//                      two plain rowid tables with no index that take turns as the active log
//                      (store_meta.active_log says which) and the sealed log. An Append is one
//                      transaction of sequential inserts into the active log; its commit is what
//                      makes the batch durable.
//   position_chunks    compacted positions: one row per (terminal, compaction slice, hour)
//                      holding that terminal's positions sorted by device time and encoded by
//                      position_codec.h, indexed by (terminal_id, first_time). A chunk never
//                      spans kChunkMaxSpanMs or more, so a time range is found by an index range.
//                      Chunks of one terminal may overlap in time.
//   position_cells     the spatio-temporal index for 协查: (hour bucket, grid cell, terminal)
//                      for every cell a compacted report or path segment touched in that hour
//                      (path_cells.h), written in the transaction that writes the chunks.
//   latest_positions   one row per terminal: its newest position by device time, as of the
//                      last compaction slice that touched the terminal.
//   terminals          phone -> small integer id used by the tables above.
//   terminal_registrations, schema_migrations, store_meta.
// Compaction is incremental and runs inside Append (the writer thread). When the active log
// holds SqliteOptions::compact_every_rows positions (or compact_every_ms has passed and it is
// not empty) and no sealed log is pending, the Append that notices seals it: in the same
// transaction store_meta.active_log flips, so later appends go to the other, empty table. While
// a sealed log is pending, every Append (also one whose batch is all resends) first compacts a
// slice of it in its own transaction: the next positions in (terminal id, arrival) order,
// about compact_slice_rows of them (more when the active log would otherwise reach the
// threshold first), become chunks and latest_positions rows, and store_meta records
// (sealed_next_terminal, sealed_next_offset): every sealed position of a lower terminal id, and
// the first sealed_next_offset of that terminal's, are chunks. The slice that finishes the
// sealed log empties it (DELETE without WHERE) in the same transaction and resets the progress.
// Open() thus reloads exactly the positions that are not chunks: the active log and the part
// of the sealed log after the recorded progress. Both are also kept in memory: readers serve
// Track's tail, Latest, Count and terminal ids from memory, and only chunks from disk.
//
// WAL checkpoints (copying committed pages into the database file, fsynced) run on a
// background thread with its own connection, not in the commit of an Append, which would
// otherwise wait for one every ~1000 pages written. Only if that thread falls far behind does
// the writer checkpoint itself.
//
// Thread-safety: as PositionStore requires (Append and Compact from one writer thread; all
// other methods from any thread). Readers use their own connections from a small pool.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/position_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace baotong::store {

struct SqliteOptions {
  std::string file_name = "baotong.db";  // inside data_dir
  int busy_timeout_ms = 5000;
  // The active log is sealed (and then compacted slice by slice) when it holds this many
  // positions...
  size_t compact_every_rows = 200'000;
  // ...or when this long has passed since the last seal (and the log is not empty).
  int64_t compact_every_ms = 600'000;
  // Positions of the sealed log compacted per Append while one is pending (at least; more when
  // the active log would otherwise reach compact_every_rows first). About 1.2 us each, so the
  // default adds about 2.5 ms to an Append: acknowledgements wait for Appends, and at a steady
  // 50,000 positions/s smaller slices measured a lower latency tail than 10,000.
  size_t compact_slice_rows = 2'000;
  // Dedup keys (serial, device time) remembered per terminal; see SqliteStore::Append.
  size_t dedup_window = 256;
  // Reader connections kept open; more concurrent readers wait for one.
  size_t reader_connections = 4;
  // Page cache of the writer connection, KiB.
  int64_t writer_cache_kib = 64 * 1024;
};

// Span of device time one chunk may cover: part of the on-disk format (queries rely on it).
inline constexpr int64_t kChunkMaxSpanMs = 3'600'000;
// At most this many positions per chunk.
inline constexpr size_t kChunkMaxPositions = 4096;

class SqliteStore final : public PositionStore, public TerminalStore {
 public:
  // Opens (creating data_dir and the database if needed) and migrates the schema to the
  // newest version, then loads the uncompacted logs, the latest positions and the dedup keys.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::filesystem::path& data_dir,
                                                   SqliteOptions options = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // PositionStore. Dedup is exact: a position is skipped when its (serial, device_time_ms) is
  // already stored for its terminal, or earlier in the same batch. The last
  // SqliteOptions::dedup_window keys per terminal (rebuilt at Open from the logs and the
  // terminal's newest chunks) answer in memory; a report newer than all of them is new without
  // a lookup; only an older one outside the window (a long resend, out-of-order blind-area
  // data) costs a lookup in the store.
  Result<size_t> Append(std::span<const model::Position> batch) override;
  Result<std::vector<model::Position>> Track(std::string_view terminal, int64_t from_ms,
                                             int64_t to_ms, size_t limit) override;
  Result<std::vector<model::Position>> Latest(size_t offset, size_t limit) override;
  Result<size_t> LatestCount() override;
  Result<uint64_t> Count() override;
  Result<bool> Contains(const model::PositionKey& key) override;
  // From the in-memory tail (any terminal with a report within kPathMaxStepM of the box and
  // kPathMaxGapMs of the window) and from position_cells (the box's cell rows, one key range
  // each, in every hour bucket of the window).
  Result<std::vector<NearTerminal>> TerminalsNear(const BoxE6& box, int64_t from_ms,
                                                  int64_t to_ms) override;

  // TerminalStore.
  Result<std::optional<TerminalRecord>> Find(std::string_view terminal) override;
  Result<void> Upsert(const TerminalRecord& record) override;
  Result<std::vector<TerminalRecord>> FindByPlate(std::string_view plate) override;
  // All records in one transaction: all stored or none.
  Result<void> UpsertMany(std::span<const TerminalRecord> records) override;
  // Staff changing one terminal's record (`baotong terminal reprovision`): reads it, lets
  // `change` edit it and writes it back in one BEGIN IMMEDIATE transaction, so a registration
  // the gateway stores meanwhile is neither lost nor overwritten with stale fields. `change`
  // may do what must happen before the change (the audit entry); its error rolls everything
  // back. kNotFound (change not called) for an unknown terminal. Returns the record as stored.
  using TerminalChange = std::function<Result<void>(TerminalRecord& record)>;
  Result<TerminalRecord> UpdateTerminal(std::string_view terminal, const TerminalChange& change);

  // Compacts both logs now (writer thread only), e.g. before a planned shutdown or in tests.
  Result<void> Compact();

  // Schema version the database is at (the number of migrations applied).
  int SchemaVersion() const { return schema_version_; }
  // Positions in the uncompacted logs (active and sealed).
  size_t TailSize() const;
  // Positions of the sealed log that are not compacted yet.
  size_t SealedSize() const;

 private:
  struct Connection;
  class ReaderLease;

  // The last `capacity` dedup keys of one terminal, the oldest overwritten first.
  struct RecentKeys {
    std::vector<int64_t> times;
    std::vector<uint16_t> serials;
    size_t next = 0;
    int64_t max_time = 0;  // largest time ever added; meaningful when times is not empty
    bool Has(uint16_t serial, int64_t time) const;
    // Whether a key not in the ring may still be stored: the ring is full (older keys were
    // evicted) and `time` is not newer than everything it has seen.
    bool MayHoldOlder(int64_t time, size_t capacity) const {
      return capacity > 0 && times.size() >= capacity && time <= max_time;
    }
    void Add(uint16_t serial, int64_t time, size_t capacity);
  };
  // The sealed positions one compaction slice takes: the first `count` of terminal `id`'s.
  struct SliceItem {
    uint32_t id;
    size_t count;
  };
  struct SlicePlan {
    std::vector<SliceItem> items;
    size_t rows = 0;
    bool finishes = false;  // takes all that is left of the sealed log
    uint32_t next_terminal = 0;
    uint64_t next_offset = 0;
  };
  struct WriterTerminal {
    uint32_t id = 0;
    RecentKeys recent;
    // Its newest compacted position (no extras): the start of the path segment to the next
    // compacted one. Unknown after Open until the terminal's first compaction, which then reads
    // its neighbours from the chunks instead.
    std::optional<model::Position> last_compacted;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  SqliteStore(std::filesystem::path path, SqliteOptions options);
  Result<void> Init();
  Result<void> LoadState();
  Result<void> StartCheckpointer();
  void CheckpointLoop();
  // sqlite3_wal_hook of the writer: after each commit, with the pages now in the WAL.
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int pages);
  Result<std::unique_ptr<Connection>> Connect();
  Result<ReaderLease> AcquireReader();
  void ReleaseReader(std::unique_ptr<Connection> connection);
  Result<void> RegisterTerminals(std::span<const model::Position> batch);
  Result<size_t> Write(std::span<const model::Position> batch);
  // How many sealed positions the Append of `fresh` new ones should compact.
  size_t SliceBudget(size_t fresh) const;
  // The next up to `budget` sealed positions (whole terminals or a terminal's first ones).
  SlicePlan PlanSlice(size_t budget) const;
  // One transaction: compacts `slice`, appends `fresh` (owned by `owners`) to the active log
  // and then, if `seal`, seals it. On success publishes all of it to readers.
  Result<void> Commit(const SlicePlan& slice, std::span<const model::Position* const> fresh,
                      std::span<WriterTerminal* const> owners, bool seal,
                      std::chrono::steady_clock::time_point now);
  // Writes one terminal's positions as chunks (inside the caller's transaction).
  Result<void> WriteChunks(uint32_t id, std::vector<const model::Position*>& group,
                           std::string& blob);
  // Adds the position_cells rows of `group` (one terminal's positions just written as chunks,
  // sorted by device time) and of the path segments joining them to their neighbours; queues
  // the terminal's new newest compacted position in `newest_compacted`.
  Result<void> IndexCells(
      WriterTerminal& terminal, std::span<const model::Position* const> group,
      std::vector<std::pair<WriterTerminal*, model::Position>>& newest_compacted);
  // A terminal's newest compacted position (no extras), read from its chunks (writer thread).
  Result<std::optional<model::Position>> NewestCompacted(uint32_t id, std::string_view phone);
  // Indexes every chunk of a store created before position_cells existed (once, at Open).
  Result<void> IndexOldChunks();
  void SetPhoneOfId(uint32_t id, const std::string& phone);
  // Appends to `out` the positions of terminal_id's chunks with from_ms <= device time <=
  // through_ms, in chunk order; stops early once no further chunk can hold one of the first
  // `limit` by device time.
  Result<void> ReadChunks(Connection& connection, uint32_t terminal_id, std::string_view phone,
                          int64_t from_ms, int64_t through_ms, size_t limit,
                          std::vector<model::Position>& out);

  const std::filesystem::path path_;
  const SqliteOptions options_;
  int schema_version_ = 0;

  // Writer thread only.
  std::unique_ptr<Connection> writer_;
  std::unordered_map<std::string, WriterTerminal, StringHash, std::equal_to<>> writer_terminals_;
  std::chrono::steady_clock::time_point last_compaction_;
  uint64_t compacted_count_ = 0;
  int active_log_ = 0;                 // 0: position_log, 1: position_log_b
  uint32_t sealed_next_terminal_ = 0;  // compaction progress in the sealed log, see above
  uint64_t sealed_next_offset_ = 0;

  // Written by the writer thread under a unique lock of state_mu_; the writer reads without it.
  mutable std::shared_mutex state_mu_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>
      ids_;                               // terminal phone -> id
  std::vector<std::string> phone_of_id_;  // id -> terminal phone ("" for unused ids)
  // The active log, per terminal, in arrival order.
  std::unordered_map<uint32_t, std::vector<model::Position>> active_;
  size_t active_size_ = 0;
  // What of the sealed log is not chunks yet, per terminal in id order, in arrival order.
  std::map<uint32_t, std::vector<model::Position>> sealed_;
  size_t sealed_size_ = 0;
  std::map<std::string, model::Position, std::less<>> latest_;  // newest per terminal
  std::atomic<uint64_t> count_ = 0;

  // Background checkpoints.
  std::unique_ptr<Connection> checkpoint_connection_;
  std::thread checkpointer_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_due_ = false;
  bool stopping_ = false;

  // Reader connections.
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
  size_t open_readers_ = 0;
};

}  // namespace baotong::store
