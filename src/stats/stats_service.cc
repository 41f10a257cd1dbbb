#include "stats/stats_service.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "alarm/alarm.h"
#include "checkpoint/decision.h"
#include "monitor/rules.h"
#include "pass/model.h"
#include "stats/periods.h"

namespace baotong::stats {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;

// Version 1. Values are stored as text (the shortest form that reads back to the same double):
// store::Statement binds integers and text only.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE economic_indicators(
  indicator TEXT NOT NULL,
  period TEXT NOT NULL,
  value TEXT NOT NULL,
  unit TEXT NOT NULL,
  imported_at_ms INTEGER NOT NULL,
  imported_by TEXT NOT NULL,
  PRIMARY KEY(indicator, period)) WITHOUT ROWID;
)sql";
constexpr std::array<const char*, 1> kMigrations = {kSchemaV1};

// The passages that moved a vehicle, as the gate finally decided: released, and not replaced
// by an operator's override (an override that releases counts instead, at the time of the
// passage it replaced). ?3: a vehicle class id, or NULL for every vehicle.
std::string EffectivePassagesSql() {
  const std::string release(checkpoint::ToString(checkpoint::Verdict::kRelease));
  return "WITH eff AS (SELECT p.id, p.plate, p.direction, p.checkpoint_id, p.pass_id, "
         "p.entered_at_ms, COALESCE(o.time_ms, p.time_ms) AS t "
         "FROM passages p LEFT JOIN passages o ON o.id = p.overrides_id "
         "WHERE p.decision = '" +
         release +
         "' AND p.plate <> '' "
         "AND NOT EXISTS (SELECT 1 FROM passages x WHERE x.overrides_id = p.id) "
         "AND (?3 IS NULL OR p.plate IN (SELECT plate FROM vehicles WHERE vehicle_class = ?3))) ";
}

const std::string& DirectionIn() {
  static const std::string in(checkpoint::ToString(checkpoint::Direction::kIn));
  return in;
}

std::optional<std::string> ClassId(const std::optional<registry::VehicleClass>& vehicle_class) {
  if (!vehicle_class)
    return std::nullopt;
  return std::string(registry::VehicleClassId(*vehicle_class));
}

// Which source tables exist: a module that never ran on this database has no rows.
struct Tables {
  bool passages = false, checkpoints = false, passes = false, vehicles = false, sites = false,
       alarms = false;
};

Result<Tables> ReadTables(store::Database& db) {
  auto query = db.Prepare("SELECT name FROM sqlite_master WHERE type = 'table'");
  if (!query)
    return tl::unexpected(query.error());
  Tables tables;
  auto read = query->ForEachRow([&](const store::Statement& row) {
    const std::string name = row.Text(0);
    tables.passages |= name == "passages";
    tables.checkpoints |= name == "checkpoints";
    tables.passes |= name == "passes";
    tables.vehicles |= name == "vehicles";
    tables.sites |= name == "sites";
    tables.alarms |= name == "alarms";
  });
  if (!read)
    return tl::unexpected(read.error());
  return tables;
}

// Passage and alarm queries are possible (a class filter needs the registry's vehicles).
bool CanQuery(const Tables& tables, bool source, const std::optional<std::string>& class_id) {
  return source && (!class_id || tables.vehicles);
}

struct Movement {
  std::string plate;
  bool in = false;
  std::string checkpoint_id;
  std::optional<int64_t> pass_id;
  std::optional<int64_t> entered_at_ms;
  int64_t time_ms = 0;
};

Movement ReadMovement(const store::Statement& row) {
  return Movement{row.Text(0),        row.Text(1) == DirectionIn(), row.Text(2),
                  row.OptionalInt(3), row.OptionalInt(4),           row.Int(5)};
}

// Movements with from_ms <= time < to_ms, in time order.
Result<std::vector<Movement>> LoadMovements(store::Database& db, const Tables& tables,
                                            int64_t from_ms, int64_t to_ms,
                                            const std::optional<std::string>& class_id) {
  std::vector<Movement> movements;
  if (!CanQuery(tables, tables.passages, class_id))
    return movements;
  auto query = db.Prepare(EffectivePassagesSql() +
                          "SELECT plate, direction, checkpoint_id, pass_id, entered_at_ms, t "
                          "FROM eff WHERE t >= ?1 AND t < ?2 ORDER BY t, id");
  if (!query)
    return tl::unexpected(query.error());
  query->Bind(1, from_ms).Bind(2, to_ms).Bind(3, class_id);
  auto read = query->ForEachRow(
      [&](const store::Statement& row) { movements.push_back(ReadMovement(row)); });
  if (!read)
    return tl::unexpected(read.error());
  return movements;
}

// Each plate's last movement before `before_ms`: those "in" are inside at that moment.
Result<std::vector<Movement>> LastMovements(store::Database& db, const Tables& tables,
                                            int64_t before_ms,
                                            const std::optional<std::string>& class_id) {
  std::vector<Movement> movements;
  if (!CanQuery(tables, tables.passages, class_id))
    return movements;
  // SQLite takes the bare columns from the row that holds MAX(t).
  auto query = db.Prepare(EffectivePassagesSql() +
                          "SELECT plate, direction, checkpoint_id, pass_id, entered_at_ms, "
                          "MAX(t) FROM eff WHERE t < ?1 GROUP BY plate");
  if (!query)
    return tl::unexpected(query.error());
  query->Bind(1, before_ms).Bind(3, class_id);
  auto read = query->ForEachRow(
      [&](const store::Statement& row) { movements.push_back(ReadMovement(row)); });
  if (!read)
    return tl::unexpected(read.error());
  return movements;
}

// Passes whose first entry falls in [from_ms, to_ms): pass id -> time of that entry.
Result<std::vector<std::pair<int64_t, int64_t>>> FirstPassEntries(
    store::Database& db, const Tables& tables, int64_t from_ms, int64_t to_ms,
    const std::optional<std::string>& class_id) {
  std::vector<std::pair<int64_t, int64_t>> entries;
  if (!CanQuery(tables, tables.passages, class_id))
    return entries;
  auto query = db.Prepare(EffectivePassagesSql() +
                          "SELECT pass_id, MIN(t) FROM eff WHERE direction = '" + DirectionIn() +
                          "' AND pass_id IS NOT NULL AND t < ?2 GROUP BY pass_id "
                          "HAVING MIN(t) >= ?1");
  if (!query)
    return tl::unexpected(query.error());
  query->Bind(1, from_ms).Bind(2, to_ms).Bind(3, class_id);
  auto read = query->ForEachRow(
      [&](const store::Statement& row) { entries.emplace_back(row.Int(0), row.Int(1)); });
  if (!read)
    return tl::unexpected(read.error());
  return entries;
}

struct AlarmRow {
  std::string kind;
  std::optional<int64_t> pass_id;
  int64_t first_at_ms = 0;
  std::optional<int64_t> closed_at_ms;
};

Result<std::vector<AlarmRow>> LoadAlarms(store::Database& db, const Tables& tables, int64_t from_ms,
                                         int64_t to_ms,
                                         const std::optional<std::string>& class_id) {
  std::vector<AlarmRow> alarms;
  if (!CanQuery(tables, tables.alarms, class_id))
    return alarms;
  auto query = db.Prepare(
      "SELECT kind, pass_id, first_at_ms, closed_at_ms FROM alarms "
      "WHERE first_at_ms >= ?1 AND first_at_ms < ?2 "
      "AND (?3 IS NULL OR plate IN (SELECT plate FROM vehicles WHERE vehicle_class = ?3))");
  if (!query)
    return tl::unexpected(query.error());
  query->Bind(1, from_ms).Bind(2, to_ms).Bind(3, class_id);
  auto read = query->ForEachRow([&](const store::Statement& row) {
    alarms.push_back({row.Text(0), row.OptionalInt(1), row.Int(2), row.OptionalInt(3)});
  });
  if (!read)
    return tl::unexpected(read.error());
  return alarms;
}

// What the statistics need of an approved (or later revoked) trip pass.
struct Trip {
  std::string category;
  double tonnes = 0;
  std::string origin;
  std::vector<std::string> destinations;
};

Result<std::map<int64_t, Trip>> LoadTrips(store::Database& db, const Tables& tables,
                                          const std::set<int64_t>& ids) {
  std::map<int64_t, Trip> trips;
  if (!tables.passes || ids.empty())
    return trips;
  const std::string trip_kind(pass::PassKindId(pass::PassKind::kTrip));
  auto query =
      db.Prepare("SELECT body FROM passes WHERE id = ?1 AND kind = ?2 AND status IN (?3, ?4)");
  if (!query)
    return tl::unexpected(query.error());
  for (int64_t id : ids) {
    query->Reset();
    query->Bind(1, id)
        .Bind(2, trip_kind)
        .Bind(3, pass::PassStatusId(pass::PassStatus::kApproved))
        .Bind(4, pass::PassStatusId(pass::PassStatus::kRevoked));
    auto found = query->Step();
    if (!found)
      return tl::unexpected(found.error());
    if (!*found)
      continue;
    auto json = nlohmann::json::parse(query->Text(0), nullptr, /*allow_exceptions=*/false);
    auto application = pass::ApplicationFromJson(json);
    if (json.is_discarded() || !application || !application->cargo)
      continue;  // unreadable: not counted rather than failing the whole report
    trips[id] = Trip{application->cargo->category, application->cargo->weight_kg / 1000.0,
                     application->origin, application->destination_site_codes};
  }
  return trips;
}

Result<std::vector<std::string>> CargoCategories(store::Database& db, const Tables& tables) {
  std::vector<std::string> categories;
  if (!tables.passes)
    return categories;
  auto query = db.Prepare(
      "SELECT DISTINCT json_extract(body, '$.cargo.category') AS category FROM passes "
      "WHERE kind = ?1 AND status IN (?2, ?3) AND category IS NOT NULL AND category <> '' "
      "ORDER BY category");
  if (!query)
    return tl::unexpected(query.error());
  query->Bind(1, pass::PassKindId(pass::PassKind::kTrip))
      .Bind(2, pass::PassStatusId(pass::PassStatus::kApproved))
      .Bind(3, pass::PassStatusId(pass::PassStatus::kRevoked));
  auto read =
      query->ForEachRow([&](const store::Statement& row) { categories.push_back(row.Text(0)); });
  if (!read)
    return tl::unexpected(read.error());
  return categories;
}

Result<std::map<std::string, std::string>> NamesOf(store::Database& db, bool exists,
                                                   const char* sql) {
  std::map<std::string, std::string> names;
  if (!exists)
    return names;
  auto query = db.Prepare(sql);
  if (!query)
    return tl::unexpected(query.error());
  auto read =
      query->ForEachRow([&](const store::Statement& row) { names[row.Text(0)] = row.Text(1); });
  if (!read)
    return tl::unexpected(read.error());
  return names;
}

// Periods of a report: day d of the range falls in period Of(d).
struct Periods {
  explicit Periods(const FreightQuery& query) : from_day(query.from_day), by(query.by) {
    for (int64_t day = query.from_day; day <= query.to_day; ++day) {
      const int64_t start = by == Granularity::kDay ? day : WeekStart(day);
      if (labels.empty() || starts.back() != start) {
        labels.push_back(DayLabel(start));
        starts.push_back(start);
      }
      // The period ends with the last day of the range it covers.
      if (ends.size() < starts.size())
        ends.push_back(DayStartMs(day + 1));
      else
        ends.back() = DayStartMs(day + 1);
    }
  }
  size_t Of(int64_t utc_ms) const {
    const int64_t day = ChinaDay(utc_ms);
    if (by == Granularity::kDay)
      return static_cast<size_t>(day - from_day);
    return static_cast<size_t>((WeekStart(day) - WeekStart(from_day)) / 7);
  }
  size_t size() const { return labels.size(); }

  int64_t from_day;
  Granularity by;
  std::vector<std::string> labels;
  std::vector<int64_t> starts;
  std::vector<int64_t> ends;  // UTC ms, exclusive
};

std::optional<double> Median(std::vector<double> values) {
  return Percentile(values, 50);
}

struct DwellBin {
  double below_h;
  const char* label;
};
constexpr DwellBin kDwellBins[] = {{2, "<2小时"},     {6, "2-6小时"}, {12, "6-12小时"},
                                   {24, "12-24小时"}, {72, "1-3天"},  {INFINITY, "≥3天"}};

}  // namespace

std::string_view GranularityId(Granularity by) {
  return by == Granularity::kDay ? "day" : "week";
}

std::string_view FreightSeriesId(FreightSeries series) {
  switch (series) {
    case FreightSeries::kEntries:
      return "entries";
    case FreightSeries::kExits:
      return "exits";
    case FreightSeries::kTonnage:
      return "tonnage";
  }
  return "";
}

std::optional<FreightSeries> ParseFreightSeries(std::string_view id) {
  for (auto series : {FreightSeries::kEntries, FreightSeries::kExits, FreightSeries::kTonnage}) {
    if (FreightSeriesId(series) == id)
      return series;
  }
  return std::nullopt;
}

Checked<FreightQuery> ParseFreightQuery(const FreightParams& params, int64_t now_ms) {
  const auto given = [](const std::optional<std::string>& value) {
    return value && !value->empty();
  };
  FreightQuery query;
  std::optional<int64_t> from, to;
  if (given(params.from)) {
    from = ParseDay(*params.from);
    if (!from)
      return tl::unexpected(Invalid{"from", "from 应为日期 YYYY-MM-DD (from must be a date)"});
  }
  if (given(params.to)) {
    to = ParseDay(*params.to);
    if (!to)
      return tl::unexpected(Invalid{"to", "to 应为日期 YYYY-MM-DD (to must be a date)"});
  }
  query.to_day = to.value_or(ChinaDay(now_ms));
  query.from_day = from.value_or(query.to_day - (kDefaultRangeDays - 1));
  if (query.to_day < query.from_day)
    return tl::unexpected(Invalid{"to", "结束日期不能早于开始日期 (to is before from)"});
  if (query.to_day - query.from_day + 1 > kMaxRangeDays)
    return tl::unexpected(Invalid{"to", "统计区间最长 366 天 (at most 366 days)"});
  if (given(params.by)) {
    if (*params.by == "day")
      query.by = Granularity::kDay;
    else if (*params.by == "week")
      query.by = Granularity::kWeek;
    else
      return tl::unexpected(Invalid{"by", "by 应为 day 或 week (by must be day or week)"});
  }
  if (given(params.vehicle_class)) {
    query.vehicle_class = registry::ParseVehicleClass(*params.vehicle_class);
    if (!query.vehicle_class)
      return tl::unexpected(Invalid{"class", "车辆类型取值无效 (unknown vehicle class)"});
  }
  if (given(params.cargo)) {
    if (params.cargo->size() > 100)
      return tl::unexpected(Invalid{"cargo", "货物类别过长 (cargo category too long)"});
    query.cargo_category = *params.cargo;
  }
  return query;
}

Result<std::unique_ptr<StatsService>> StatsService::Open(
    const std::filesystem::path& database_file) {
  auto database = store::Database::Open(database_file);
  if (!database)
    return tl::unexpected(database.error());
  if (auto migrated = (*database)->Migrate("stats", kMigrations); !migrated)
    return tl::unexpected(migrated.error());
  return std::unique_ptr<StatsService>(new StatsService(std::move(*database)));
}

Result<FreightReport> StatsService::Freight(const FreightQuery& query) {
  std::lock_guard lock(mutex_);
  store::Database& db = *database_;
  auto tables = ReadTables(db);
  if (!tables)
    return tl::unexpected(tables.error());
  const Periods periods(query);
  const size_t count = periods.size();
  const int64_t from_ms = DayStartMs(query.from_day);
  const int64_t to_ms = DayStartMs(query.to_day + 1);
  const auto class_id = ClassId(query.vehicle_class);

  auto movements = LoadMovements(db, *tables, from_ms, to_ms, class_id);
  if (!movements)
    return tl::unexpected(movements.error());
  auto before = LastMovements(db, *tables, from_ms, class_id);
  if (!before)
    return tl::unexpected(before.error());
  auto first_entries = FirstPassEntries(db, *tables, from_ms, to_ms, class_id);
  if (!first_entries)
    return tl::unexpected(first_entries.error());
  auto alarms = LoadAlarms(db, *tables, from_ms, to_ms, class_id);
  if (!alarms)
    return tl::unexpected(alarms.error());

  // The trip passes behind the tonnage, and (for a cargo filter) behind every figure.
  std::set<int64_t> pass_ids;
  for (const auto& [pass_id, at_ms] : *first_entries)
    pass_ids.insert(pass_id);
  if (query.cargo_category) {
    for (const auto* list : {&*movements, &*before})
      for (const Movement& movement : *list)
        if (movement.pass_id)
          pass_ids.insert(*movement.pass_id);
    for (const AlarmRow& alarm : *alarms)
      if (alarm.pass_id)
        pass_ids.insert(*alarm.pass_id);
  }
  auto trips = LoadTrips(db, *tables, pass_ids);
  if (!trips)
    return tl::unexpected(trips.error());
  const auto matches = [&](const std::optional<int64_t>& pass_id) {
    if (!query.cargo_category)
      return true;
    if (!pass_id)
      return false;
    auto trip = trips->find(*pass_id);
    return trip != trips->end() && trip->second.category == *query.cargo_category;
  };

  FreightReport report;
  report.query = query;
  report.periods = periods.labels;
  std::vector<double> entries(count), exits(count), in_city(count), tonnage(count),
      alarm_counts(count);
  std::vector<std::vector<double>> dwell_by_period(count);
  std::vector<double> dwell_all;

  // Entries, exits and dwell; the checkpoints' own series.
  auto checkpoint_names = NamesOf(db, tables->checkpoints, "SELECT id, name FROM checkpoints");
  if (!checkpoint_names)
    return tl::unexpected(checkpoint_names.error());
  std::map<std::string, CheckpointCounts> by_checkpoint;
  for (const auto& [id, name] : *checkpoint_names)
    by_checkpoint[id] = {id, name, std::vector<int64_t>(count), std::vector<int64_t>(count)};
  for (const Movement& movement : *movements) {
    if (!matches(movement.pass_id))
      continue;
    const size_t period = periods.Of(movement.time_ms);
    auto [at, added] = by_checkpoint.try_emplace(movement.checkpoint_id);
    if (added)
      at->second = {movement.checkpoint_id, movement.checkpoint_id, std::vector<int64_t>(count),
                    std::vector<int64_t>(count)};
    if (movement.in) {
      entries[period] += 1;
      at->second.entries[period] += 1;
    } else {
      exits[period] += 1;
      at->second.exits[period] += 1;
      if (movement.entered_at_ms && *movement.entered_at_ms <= movement.time_ms) {
        const double hours =
            static_cast<double>(movement.time_ms - *movement.entered_at_ms) / kHourMs;
        dwell_by_period[period].push_back(hours);
        dwell_all.push_back(hours);
      }
    }
  }
  for (auto& [id, counts] : by_checkpoint)
    report.by_checkpoint.push_back(std::move(counts));

  // Vehicles inside at each period's end: replay the range from the state at its start.
  std::unordered_map<std::string, std::optional<int64_t>> inside;  // plate -> stay's pass
  int64_t inside_matching = 0;
  const auto apply = [&](const Movement& movement) {
    auto found = inside.find(movement.plate);
    if (found != inside.end()) {
      inside_matching -= matches(found->second) ? 1 : 0;
      inside.erase(found);
    }
    if (movement.in) {
      inside.emplace(movement.plate, movement.pass_id);
      inside_matching += matches(movement.pass_id) ? 1 : 0;
    }
  };
  for (const Movement& movement : *before)
    apply(movement);
  size_t next = 0;
  for (size_t period = 0; period < count; ++period) {
    while (next < movements->size() && (*movements)[next].time_ms < periods.ends[period])
      apply((*movements)[next++]);
    in_city[period] = static_cast<double>(inside_matching);
  }

  // Tonnage and origin-destination flows, each trip pass once, at its first entry.
  std::map<std::string, std::vector<double>> by_cargo;
  std::map<std::pair<std::string, std::string>, OdFlow> flows;
  for (const auto& [pass_id, at_ms] : *first_entries) {
    auto trip = trips->find(pass_id);
    if (trip == trips->end() || !matches(pass_id))
      continue;
    const size_t period = periods.Of(at_ms);
    tonnage[period] += trip->second.tonnes;
    auto& cargo = by_cargo[trip->second.category];
    cargo.resize(count);
    cargo[period] += trip->second.tonnes;
    const auto& destinations = trip->second.destinations;
    for (const std::string& destination : destinations) {
      OdFlow& flow = flows[{trip->second.origin, destination}];
      flow.origin = trip->second.origin;
      flow.destination = destination;
      flow.trips += 1;
      flow.tonnage_t += trip->second.tonnes / static_cast<double>(destinations.size());
    }
  }
  for (auto& [category, values] : by_cargo)
    report.tonnage_by_cargo.push_back({category, std::move(values)});
  const auto total = [](const CargoTonnage& cargo) {
    double sum = 0;
    for (double value : cargo.values)
      sum += value;
    return sum;
  };
  std::stable_sort(
      report.tonnage_by_cargo.begin(), report.tonnage_by_cargo.end(),
      [&](const CargoTonnage& a, const CargoTonnage& b) { return total(a) > total(b); });
  auto site_names = NamesOf(db, tables->sites, "SELECT code, name FROM sites");
  if (!site_names)
    return tl::unexpected(site_names.error());
  for (auto& [key, flow] : flows) {
    auto name = site_names->find(flow.destination);
    flow.destination_name = name == site_names->end() ? flow.destination : name->second;
    report.od_flows.push_back(std::move(flow));
  }
  std::stable_sort(report.od_flows.begin(), report.od_flows.end(),
                   [](const OdFlow& a, const OdFlow& b) {
                     if (a.trips != b.trips)
                       return a.trips > b.trips;
                     return a.tonnage_t > b.tonnage_t;
                   });
  if (report.od_flows.size() > kMaxOdFlows)
    report.od_flows.resize(kMaxOdFlows);

  // Dwell: the whole range, and a histogram.
  report.dwell.count = static_cast<int64_t>(dwell_all.size());
  report.dwell.median_h = Median(dwell_all);
  report.dwell.p90_h = Percentile(dwell_all, 90);
  for (const DwellBin& bin : kDwellBins)
    report.dwell.histogram.push_back({bin.label, 0});
  for (double hours : dwell_all) {
    for (size_t i = 0; i < std::size(kDwellBins); ++i) {
      if (hours < kDwellBins[i].below_h) {
        ++report.dwell.histogram[i].count;
        break;
      }
    }
  }

  // Alarms raised per period, and per kind with the time they took to close.
  struct KindTally {
    int64_t count = 0;
    std::vector<double> close_min;
  };
  std::map<std::string, KindTally> by_kind;
  for (const AlarmRow& alarm : *alarms) {
    if (!matches(alarm.pass_id))
      continue;
    alarm_counts[periods.Of(alarm.first_at_ms)] += 1;
    KindTally& tally = by_kind[alarm.kind];
    ++tally.count;
    if (alarm.closed_at_ms)
      tally.close_min.push_back(static_cast<double>(*alarm.closed_at_ms - alarm.first_at_ms) /
                                60'000.0);
  }
  for (auto& [kind, tally] : by_kind) {
    AlarmKindSummary summary;
    summary.kind = kind;
    auto parsed = monitor::ParseAlarmKind(kind);
    summary.name = parsed ? std::string(monitor::AlarmKindName(*parsed)) : kind;
    summary.count = tally.count;
    summary.closed = static_cast<int64_t>(tally.close_min.size());
    summary.median_close_min = Median(tally.close_min);
    summary.p90_close_min = Percentile(tally.close_min, 90);
    report.alarms_by_kind.push_back(std::move(summary));
  }
  std::stable_sort(
      report.alarms_by_kind.begin(), report.alarms_by_kind.end(),
      [](const AlarmKindSummary& a, const AlarmKindSummary& b) { return a.count > b.count; });

  const auto series = [&](const char* id, const char* name, const char* unit,
                          const std::vector<double>& values) {
    Series result{id, name, unit, {}};
    for (double value : values)
      result.values.emplace_back(value);
    return result;
  };
  report.series.push_back(series("entries", "入城车次", "车次", entries));
  report.series.push_back(series("exits", "出城车次", "车次", exits));
  report.series.push_back(series("in_city", "在城车辆", "辆", in_city));
  report.series.push_back(series("tonnage", "货运量", "吨", tonnage));
  Series dwell{"dwell_median_h", "停留时长中位数", "小时", {}};
  for (auto& values : dwell_by_period)
    dwell.values.push_back(Median(std::move(values)));
  report.series.push_back(std::move(dwell));
  report.series.push_back(series("alarms", "报警数", "起", alarm_counts));

  auto categories = CargoCategories(db, *tables);
  if (!categories)
    return tl::unexpected(categories.error());
  report.cargo_categories = std::move(*categories);
  return report;
}

Result<Overview> StatsService::TodayOverview(int64_t now_ms) {
  std::lock_guard lock(mutex_);
  store::Database& db = *database_;
  auto tables = ReadTables(db);
  if (!tables)
    return tl::unexpected(tables.error());
  Overview overview;
  overview.now_ms = now_ms;
  const int64_t start = DayStartMs(ChinaDay(now_ms));
  const auto hours = static_cast<size_t>((now_ms - start) / kHourMs + 1);
  overview.hourly_entries.assign(hours, 0);
  overview.hourly_exits.assign(hours, 0);
  overview.hourly_alarms.assign(hours, 0);
  const auto hour_of = [&](int64_t index) {
    return std::min(static_cast<size_t>(std::max<int64_t>(index, 0)), hours - 1);
  };

  if (tables->passages) {
    auto hourly = db.Prepare(EffectivePassagesSql() +
                             "SELECT direction, (t - ?1) / 3600000, COUNT(*) FROM eff "
                             "WHERE t >= ?1 AND t <= ?2 GROUP BY 1, 2");
    if (!hourly)
      return tl::unexpected(hourly.error());
    hourly->Bind(1, start).Bind(2, now_ms);
    auto read = hourly->ForEachRow([&](const store::Statement& row) {
      const bool in = row.Text(0) == DirectionIn();
      (in ? overview.hourly_entries : overview.hourly_exits)[hour_of(row.Int(1))] += row.Int(2);
      (in ? overview.entered_today : overview.exited_today) += row.Int(2);
    });
    if (!read)
      return tl::unexpected(read.error());
    auto inside = db.Prepare(EffectivePassagesSql() +
                             "SELECT COUNT(*) FROM (SELECT direction, MAX(t) FROM eff "
                             "WHERE t <= ?1 GROUP BY plate) WHERE direction = '" +
                             DirectionIn() + "'");
    if (!inside)
      return tl::unexpected(inside.error());
    inside->Bind(1, now_ms);
    auto counted = inside->Step();
    if (!counted)
      return tl::unexpected(counted.error());
    overview.in_city_now = *counted ? inside->Int(0) : 0;
  }
  if (tables->alarms) {
    auto hourly = db.Prepare(
        "SELECT (first_at_ms - ?1) / 3600000, COUNT(*) FROM alarms "
        "WHERE first_at_ms >= ?1 AND first_at_ms <= ?2 GROUP BY 1");
    if (!hourly)
      return tl::unexpected(hourly.error());
    hourly->Bind(1, start).Bind(2, now_ms);
    auto read = hourly->ForEachRow([&](const store::Statement& row) {
      overview.hourly_alarms[hour_of(row.Int(0))] += row.Int(1);
    });
    if (!read)
      return tl::unexpected(read.error());
    auto open =
        db.Prepare("SELECT severity, COUNT(*) FROM alarms WHERE status <> ?1 GROUP BY severity");
    if (!open)
      return tl::unexpected(open.error());
    open->Bind(1, alarm::StatusId(alarm::Status::kClosed));
    read = open->ForEachRow([&](const store::Statement& row) {
      const int64_t severity = row.Int(0);
      if (severity >= 1 && severity <= 4)
        overview.open_alarms[static_cast<size_t>(severity - 1)] += row.Int(1);
    });
    if (!read)
      return tl::unexpected(read.error());
  }
  return overview;
}

}  // namespace baotong::stats
