// Storage interfaces for positions and terminals. Services use only these; which backend
// implements them (SQLite now, PostgreSQL later) is chosen in src/app.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "model/position.h"
#include "store/path_cells.h"

namespace baotong::store {

// A terminal that may have been in a box, and when (PositionStore::TerminalsNear).
struct NearTerminal {
  std::string terminal;
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  bool operator==(const NearTerminal&) const = default;
};

// Positions. Thread-safety: Append is called by one writer thread only; every other method may
// be called from any thread at the same time as Append.
class PositionStore {
 public:
  virtual ~PositionStore() = default;

  // Makes `batch` durable in one transaction (committed to disk when this returns) and returns
  // how many positions were new. A position whose (terminal, serial, device_time_ms) is
  // already stored, or appears twice in the batch, is skipped: terminals resend what was not
  // acknowledged.
  virtual Result<size_t> Append(std::span<const model::Position> batch) = 0;

  // One terminal's positions with from_ms <= device_time_ms < to_ms, ordered by device time,
  // at most `limit` of them. Includes positions appended a moment ago.
  virtual Result<std::vector<model::Position>> Track(std::string_view terminal, int64_t from_ms,
                                                     int64_t to_ms, size_t limit) = 0;

  // The latest position (by device time) of each terminal, ordered by terminal, for the live
  // map: `limit` of them starting after the first `offset`.
  virtual Result<std::vector<model::Position>> Latest(size_t offset, size_t limit) = 0;
  // How many terminals have a latest position.
  virtual Result<size_t> LatestCount() = 0;

  // Number of positions stored.
  virtual Result<uint64_t> Count() = 0;

  // The terminals that may have been inside `box` at some time in [from_ms, to_ms]: every
  // terminal with a report in the box then, or a path segment (path_cells.h) crossing the box
  // then, and perhaps others; the caller tests each exactly. Each comes with the part of the
  // window it may have been there in (within [from_ms, to_ms]). Sorted by terminal, one entry
  // each.
  virtual Result<std::vector<NearTerminal>> TerminalsNear(const BoxE6& box, int64_t from_ms,
                                                          int64_t to_ms) = 0;

  // Whether the position with this key is stored (used to check that nothing acknowledged was
  // lost).
  virtual Result<bool> Contains(const model::PositionKey& key) = 0;
};

// What a terminal told us when it registered (0x0100).
struct TerminalRecord {
  std::string terminal;  // phone, all digits
  std::string auth_code;
  uint16_t province_id = 0;
  uint16_t city_id = 0;
  std::string maker_id;
  std::string terminal_model;
  std::string terminal_id;
  uint8_t plate_color = 0;
  std::string plate;
  int64_t registered_at_ms = 0;
  bool operator==(const TerminalRecord&) const = default;
};

// Terminals known to the platform. Thread-safe.
class TerminalStore {
 public:
  virtual ~TerminalStore() = default;
  virtual Result<std::optional<TerminalRecord>> Find(std::string_view terminal) = 0;
  // Inserts or replaces the record of record.terminal.
  virtual Result<void> Upsert(const TerminalRecord& record) = 0;
  // Every record whose plate (or VIN, for an unplated vehicle) is `plate`: the gateway refuses
  // a second terminal for a vehicle that a registered terminal already holds.
  virtual Result<std::vector<TerminalRecord>> FindByPlate(std::string_view plate) = 0;
  // The same for many records; a backend should do it in one transaction, since thousands of
  // terminals register at once when a gateway restarts.
  virtual Result<void> UpsertMany(std::span<const TerminalRecord> records) {
    for (const TerminalRecord& record : records) {
      if (auto done = Upsert(record); !done)
        return done;
    }
    return {};
  }
};

}  // namespace baotong::store
