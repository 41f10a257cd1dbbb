// Freight statistics, the overview screen's figures and economic indicators (issue 7).
//
// A reporting module: it reads other modules' tables in data_dir/registry.db with plain SQL
// (read-only: checkpoint `passages`/`checkpoints`, pass `passes`, registry `vehicles`/`sites`,
// alarm `alarms`) rather than going through their services, because its questions are
// aggregates over history that those services do not keep in memory. It owns one table,
// `economic_indicators` (component "stats"). docs/stats.md defines every figure.
//
// All periods are China local time: days "YYYY-MM-DD", weeks start on Monday and are labelled
// by their Monday, months "YYYY-MM".
//
// Thread-safe: one connection of its own, used under a mutex.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "registry/records.h"
#include "registry/validation.h"
#include "store/sqlite/database.h"

namespace baotong::stats {

using registry::Checked;
using registry::Invalid;

inline constexpr int64_t kMaxRangeDays = 366;
inline constexpr int64_t kDefaultRangeDays = 30;
inline constexpr size_t kMaxOdFlows = 50;
inline constexpr int kMaxLagMonths = 12;
inline constexpr int64_t kMinCorrelationPairs = 4;

enum class Granularity : uint8_t { kDay, kWeek };
std::string_view GranularityId(Granularity by);  // "day", "week"

struct FreightQuery {
  int64_t from_day = 0;  // China days (periods.h), both inclusive
  int64_t to_day = 0;
  Granularity by = Granularity::kDay;
  std::optional<registry::VehicleClass> vehicle_class;
  std::optional<std::string> cargo_category;  // trip passes' cargo.category
};

// The HTTP parameters as given (absent or empty: the default).
struct FreightParams {
  std::optional<std::string> from, to, by, vehicle_class, cargo;
};
// Defaults: the last 30 days up to today (China time), by day. At most kMaxRangeDays.
Checked<FreightQuery> ParseFreightQuery(const FreightParams& params, int64_t now_ms);

struct Series {
  std::string id, name, unit;
  std::vector<std::optional<double>> values;  // one per period; null: nothing to measure
};

struct CheckpointCounts {
  std::string checkpoint_id, name;
  std::vector<int64_t> entries, exits;  // one per period
};

struct CargoTonnage {
  std::string category;
  std::vector<double> values;  // tonnes, one per period
};

struct OdFlow {
  std::string origin, destination, destination_name;
  int64_t trips = 0;
  double tonnage_t = 0;
};

struct HistogramBin {
  std::string label;
  int64_t count = 0;
};

struct DwellSummary {
  int64_t count = 0;
  std::optional<double> median_h, p90_h;
  std::vector<HistogramBin> histogram;
};

struct AlarmKindSummary {
  std::string kind, name;
  int64_t count = 0, closed = 0;
  std::optional<double> median_close_min, p90_close_min;
};

struct FreightReport {
  FreightQuery query;
  std::vector<std::string> periods;  // labels: days, or weeks' Mondays
  // entries, exits, in_city, tonnage, dwell_median_h, alarms (in that order).
  std::vector<Series> series;
  std::vector<CheckpointCounts> by_checkpoint;  // every configured checkpoint, by id
  std::vector<CargoTonnage> tonnage_by_cargo;   // largest total first
  std::vector<OdFlow> od_flows;                 // most trips first, at most kMaxOdFlows
  DwellSummary dwell;
  std::vector<AlarmKindSummary> alarms_by_kind;  // kinds that occurred, most first
  std::vector<std::string> cargo_categories;     // every trip pass's category (filter choices)
};

struct Overview {
  int64_t now_ms = 0;
  int64_t in_city_now = 0, entered_today = 0, exited_today = 0;
  std::array<int64_t, 4> open_alarms{};  // by severity 1-4
  // One per hour of today (China time) from 00:00 up to the current hour.
  std::vector<int64_t> hourly_entries, hourly_exits, hourly_alarms;
};

struct RejectedRow {
  int64_t row = 0;  // as a spreadsheet counts rows (the header is row 1)
  std::string reason;
};

// One accepted row of an indicator file: period normalised ("2026-03", "2026-03-31"), value
// formatted as stored.
struct IndicatorRow {
  std::string indicator, period, value, unit;
};
struct ParsedIndicators {
  std::vector<IndicatorRow> rows;
  std::vector<RejectedRow> rejected;
};
// Reads an indicator CSV (UTF-8 with or without BOM, or GBK/GB18030): a header naming the
// indicator, period and value columns (unit optional; Chinese or English), then one row per
// value. Rows that cannot be taken are rejected with their Excel row number and a Chinese
// reason. kBadValue when the bytes are not text in either encoding. No I/O (fuzzed).
Result<ParsedIndicators> ParseIndicatorCsv(std::string_view csv_bytes);

struct IndicatorImport {
  int64_t imported = 0;  // rows stored, replacements included
  int64_t replaced = 0;  // of those, rows that replaced a stored (indicator, period)
  std::vector<RejectedRow> rejected;
};

struct Indicator {
  std::string name, unit;
  std::vector<std::string> periods;  // sorted: "2026-01", "2026-02" or days
  std::vector<double> values;
};

enum class FreightSeries : uint8_t { kEntries, kExits, kTonnage };
std::string_view FreightSeriesId(FreightSeries series);  // "entries", "exits", "tonnage"
std::optional<FreightSeries> ParseFreightSeries(std::string_view id);

struct CorrelationQuery {
  std::string indicator;
  FreightSeries series = FreightSeries::kEntries;
  int max_lag = 3;  // months, 0..kMaxLagMonths
  std::optional<registry::VehicleClass> vehicle_class;
  std::optional<std::string> cargo_category;
};

struct LagCorrelation {
  int lag = 0;  // > 0: freight leads (freight at month t against the indicator at t + lag)
  std::optional<double> r;  // null when n < kMinCorrelationPairs or a side does not vary
  int64_t n = 0;            // month pairs where both are known
};

struct Correlation {
  std::string indicator;
  FreightSeries series = FreightSeries::kEntries;
  std::vector<std::string> periods;                                     // the indicator's months
  std::vector<std::optional<double>> indicator_values, freight_values;  // aligned, lag 0
  std::vector<LagCorrelation> lags;                                     // -max_lag..max_lag
  std::optional<LagCorrelation> best;  // the largest |r|; ties: the smaller |lag|
  std::string reading;                 // Chinese, one sentence
};

class StatsService {
 public:
  // Opens its own connection on `database_file` (data_dir/registry.db) and migrates its table.
  static Result<std::unique_ptr<StatsService>> Open(const std::filesystem::path& database_file);

  StatsService(const StatsService&) = delete;
  StatsService& operator=(const StatsService&) = delete;

  Result<FreightReport> Freight(const FreightQuery& query);
  Result<Overview> TodayOverview(int64_t now_ms);

  // CSV bytes (UTF-8 or GBK) with columns indicator,period,value[,unit] or 指标,期间,数值[,单位];
  // a re-imported (indicator, period) replaces the stored value. kBadEncoding when the text
  // is neither UTF-8 nor GBK; row problems are reported in `rejected`.
  Result<IndicatorImport> ImportIndicators(std::string_view csv_bytes, std::string_view by,
                                           int64_t now_ms);
  Result<std::vector<Indicator>> Indicators();  // by name
  // nullopt: no such indicator. `now_ms` bounds the months freight is known for.
  Result<std::optional<Correlation>> Correlate(const CorrelationQuery& query, int64_t now_ms);

 private:
  explicit StatsService(std::unique_ptr<store::Database> database)
      : database_(std::move(database)) {}

  std::mutex mutex_;  // guards database_
  std::unique_ptr<store::Database> database_;
};

}  // namespace baotong::stats
