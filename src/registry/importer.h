// Imports of registry records from the files departments already keep: CSV (UTF-8 or GBK, as
// Excel saves it) or JSON arrays. Every row is validated; rejected rows are reported with the
// row number and column header the user sees in the spreadsheet and a reason in Chinese; the
// valid rows are upserted by natural key in one transaction. docs/registry.md lists the
// columns of every kind.
//
// The import log (tables imports and import_rejections, created by RegistryStore::Migrate)
// records who imported what and keeps every rejection for download.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "registry/records.h"
#include "registry/registry_store.h"
#include "store/sqlite/database.h"

namespace baotong::registry {

enum class ImportFormat : uint8_t { kCsv, kJson, kXlsx };
// "csv", "json" or "xlsx" (the first sheet of an Excel workbook, read through GDAL).
std::optional<ImportFormat> ParseImportFormat(std::string_view name);

// One column an import understands.
struct ColumnSpec {
  std::string_view field;    // English key, e.g. "plate" (JSON key; also accepted as header)
  std::string_view header;   // Chinese header, e.g. "车牌号码"
  std::string_view aliases;  // other accepted headers, '|'-separated, e.g. "车牌号"
  bool required;
  std::string_view format;  // what a value looks like, for docs and templates
  std::string_view example;
};
std::span<const ColumnSpec> ImportColumns(Kind kind);
// An empty CSV with the Chinese headers (UTF-8 with BOM, CRLF), for download as a template.
std::string ImportTemplateCsv(Kind kind);

struct Rejection {
  int64_t row = 0;     // as the user counts: CSV header = row 1; JSON: 1 = first object
  std::string column;  // the header as written in the file ("" for the whole row)
  std::string reason;  // Chinese first
  bool operator==(const Rejection&) const = default;
};

struct ImportResult {
  Kind kind = Kind::kVehicles;
  int64_t rows_total = 0;  // data rows (empty lines not counted)
  int64_t accepted = 0;    // inserted + updated + unchanged
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  int64_t rejected = 0;               // rows; a row may have several rejections
  std::vector<Rejection> rejections;  // in row order
  std::vector<std::string> warnings;  // e.g. columns that were ignored
};
nlohmann::ordered_json ImportResultJson(const ImportResult& result);

// Why a whole import failed (bad encoding, a missing required column, malformed JSON, a
// storage error, cancellation). Nothing was written.
struct ImportError {
  ErrorCode code = ErrorCode::kBadValue;
  std::string message;  // Chinese first, e.g. "缺少必填列：车牌号码"
};

// Whose records an import may write (issue 13). Every row is checked, in the transaction that
// writes it, against the record as it would be written and against the stored record it would
// replace: a row outside the scope is rejected with a reason and changes nothing. The default
// scope is the whole registry (the platform's administrators, the CLI's operator, the demo).
struct ImportScope {
  std::optional<std::vector<Kind>> kinds;  // the kinds it may import; nullopt: every kind
  // Set for a carrier account: only that company's records (vehicles and drivers naming it,
  // terminals fitted to its vehicles). An empty code matches nothing.
  std::optional<std::string> carrier_credit_code;
  // Set for a district account: only records of that district (a carrier's, its vehicles',
  // its drivers' and its vehicles' terminals' district; a site's). An empty one matches nothing.
  std::optional<std::string> district;

  bool AllowsKind(Kind kind) const;
  // No carrier and no district limit: rows need no ownership check.
  bool CityWide() const { return !carrier_credit_code && !district; }
};

struct ImportOptions {
  std::optional<ImportFormat> format;  // nullopt: a ZIP is .xlsx, '[' first JSON, else CSV
  std::string today;                   // "YYYY-MM-DD" for ID checks; empty: today in China
  int64_t now_ms = 0;                  // updated_at_ms of written rows; 0: the clock
  // Called from the importing thread with (rows done, rows total) about every 1000 rows and
  // at the end.
  std::function<void(int64_t, int64_t)> on_progress;
  // When set and true, the import stops and rolls back.
  const std::atomic<bool>* cancel = nullptr;
  // After a terminals import commits: the accepted terminals (e.g. to provision the gateway).
  // An error here is reported as a warning; the import stays committed.
  std::function<Result<void>(std::span<const Terminal>)> on_terminals;
  // Whose records the import may write; a kind outside it fails the whole import.
  ImportScope scope;
};

tl::expected<ImportResult, ImportError> Import(RegistryStore& store, Kind kind,
                                               std::string_view bytes,
                                               const ImportOptions& options = {});

// ---- The import log.

struct ImportRecord {
  int64_t id = 0;
  Kind kind = Kind::kVehicles;
  std::string file_name;
  std::string user;
  std::string department;
  int64_t started_at_ms = 0;
  std::optional<int64_t> finished_at_ms;
  std::string status;   // running | done | failed
  ImportResult counts;  // rejections: the first ones only (see ImportLog::Get)
  std::optional<std::string> error;
};
// api.md's GET /api/imports/{id} object (rows_done = rows_total once finished, 0 while
// running: the API overlays live progress), with "rejections" when `with_rejections`.
nlohmann::ordered_json ImportRecordJson(const ImportRecord& record, bool with_rejections);

struct ImportList {
  int64_t total = 0;
  std::vector<ImportRecord> items;  // newest first, without rejections
};

class ImportLog {
 public:
  explicit ImportLog(store::Database& database) : database_(database) {}

  // A new import in state "running"; returns its id.
  Result<int64_t> Start(Kind kind, std::string_view file_name, std::string_view user,
                        std::string_view department, int64_t now_ms);
  // "done" with the counts, warnings and every rejection.
  Result<void> Finish(int64_t id, const ImportResult& result, int64_t now_ms);
  // "failed" with the reason.
  Result<void> Fail(int64_t id, std::string_view error, int64_t now_ms);
  // Imports still "running" from a process that stopped: marks them failed. Call at startup.
  Result<int64_t> FailInterrupted(int64_t now_ms);

  Result<ImportList> List(int64_t offset, int64_t limit);
  // With up to `max_rejections` rejections.
  Result<std::optional<ImportRecord>> Get(int64_t id, int64_t max_rejections = 100);
  // Every rejection as CSV: UTF-8 with BOM (for Excel), header 行号,列,原因, CRLF. nullopt when
  // there is no such import.
  Result<std::optional<std::string>> RejectionsCsv(int64_t id);

 private:
  store::Database& database_;
};

}  // namespace baotong::registry
