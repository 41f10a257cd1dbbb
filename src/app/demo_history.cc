#include "app/demo_history.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "alarm/alarm_service.h"
#include "alarm/policy.h"
#include "checkpoint/checkpoint_service.h"
#include "checkpoint/decision.h"
#include "registry/credentials.h"
#include "sim/simulator.h"
#include "stats/stats_service.h"
#include "store/sqlite/database.h"

namespace baotong::app {
namespace {

using checkpoint::Direction;
using checkpoint::Verdict;
using monitor::AlarmKind;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// Relative traffic by hour of the day (China time): freight's morning and afternoon peaks.
constexpr std::array<int, 24> kHourly = {1, 1, 1, 1, 2, 4, 7, 9, 9, 8, 7, 6,
                                         5, 6, 7, 8, 8, 7, 5, 4, 3, 2, 2, 1};
// Entries on a weekday at the start of the history; a quarter more by its end.
constexpr double kWeekdayEntries = 260;
constexpr double kTrend = 0.25;
// Share of gate reads turned back, in percent.
constexpr int kTurnBackPercent = 12;
// Trip passes with cargo for some entries (the rest on standing registrations): about this many
// a day, at most kMaxTripPasses (each goes through the pass checks and is signed).
constexpr int64_t kTripPassesPerDay = 4;
constexpr int64_t kMaxTripPasses = 600;
// Alarms per hundred stays, by kind.
struct KindShare {
  AlarmKind kind;
  int per_thousand_stays;
  const char* detail;
};
constexpr std::array<KindShare, 9> kAlarmKinds = {{
    {AlarmKind::kOverspeed, 30, "超速行驶"},
    {AlarmKind::kStopOutsideSite, 20, "在非指定地点停车"},
    {AlarmKind::kOffRoute, 8, "偏离备案路线"},
    {AlarmKind::kFatigueContinuous, 8, "连续驾驶超过 4 小时"},
    {AlarmKind::kSignalLost, 10, "定位信号中断"},
    {AlarmKind::kDoorOpen, 6, "行驶中车门打开"},
    {AlarmKind::kOverstay, 4, "超过计划出城时间仍在城内"},
    {AlarmKind::kNoPermit, 2, "无有效通行证在城内行驶"},
    {AlarmKind::kTerminalAlarm, 2, "终端报警：紧急报警按钮"},
}};
constexpr std::array<const char*, 4> kOutcomes = {"已电话提醒驾驶员，驾驶员已整改", "已现场处置",
                                                  "经核实为误报", "已通报运输企业"};
struct CargoKind {
  const char* category;
  const char* name;
  int min_tonnes, max_tonnes;
};
constexpr std::array<CargoKind, 6> kCargo = {{
    {"生活物资", "蔬菜", 5, 20},
    {"生活物资", "粮油", 10, 30},
    {"钢材", "热轧卷板", 20, 40},
    {"建材", "水泥", 15, 35},
    {"医疗物资", "防护用品", 2, 8},
    {"农产品", "水果", 5, 18},
}};
// Where trucks on each road come from (gates in DemoCity::gates order).
constexpr std::array<const char*, 4> kOrigins = {"辽阳市", "营口市", "丹东市", "盘锦市"};

class Dice {
 public:
  explicit Dice(uint64_t seed) : engine_(seed) {}
  size_t Below(size_t bound) { return static_cast<size_t>(engine_() % bound); }
  int64_t Between(int64_t low, int64_t high) {
    return low + static_cast<int64_t>(Below(static_cast<size_t>(high - low + 1)));
  }
  bool Chance(int percent) { return Below(100) < static_cast<size_t>(percent); }
  double Unit() { return static_cast<double>(engine_() >> 11) / 9007199254740992.0; }
  // Rounds `expected` up or down at random so that the sum keeps its mean.
  int64_t Round(double expected) {
    const double whole = std::floor(expected);
    return static_cast<int64_t>(whole) + (Unit() < expected - whole ? 1 : 0);
  }

 private:
  std::mt19937_64 engine_;
};

int PickHour(Dice& dice) {
  int total = 0;
  for (int weight : kHourly)
    total += weight;
  int roll = static_cast<int>(dice.Below(static_cast<size_t>(total)));
  for (int hour = 0; hour < 24; ++hour) {
    if (roll < kHourly[static_cast<size_t>(hour)])
      return hour;
    roll -= kHourly[static_cast<size_t>(hour)];
  }
  return 12;
}

// A dwell: mostly a few hours, some short deliveries, some long stays.
int64_t PickDwellMs(Dice& dice) {
  const size_t roll = dice.Below(100);
  if (roll < 30)
    return dice.Between(30, 120) * kMinute;
  if (roll < 80)
    return dice.Between(120, 360) * kMinute;
  return dice.Between(360, 720) * kMinute;
}

struct Stay {
  size_t vehicle = 0;
  size_t in_gate = 0, out_gate = 0;
  int64_t in_ms = 0, out_ms = 0;
  std::optional<int64_t> pass_id;
  std::optional<int64_t> valid_until_ms, planned_exit_ms;
  int64_t entry_id = 0;
};

struct PassageRow {
  int64_t time_ms = 0;
  size_t stay = 0;
  enum class Kind : uint8_t { kEntry, kExit, kTurnBack } kind = Kind::kEntry;
  size_t vehicle = 0;  // kTurnBack
  size_t gate = 0;     // kTurnBack
};

// "YYYY-MM-DD" of `ms` in China (UTC+8).
std::string ChinaDate(int64_t ms) {
  return registry::AddDays("1970-01-01", static_cast<int>((ms + 8 * kHour) / kDay));
}

Result<int64_t> CountRows(store::Database& db, std::string_view table) {
  auto statement = db.Prepare("SELECT COUNT(*) FROM " + std::string(table));
  if (!statement)
    return tl::unexpected(statement.error());
  auto row = statement->Step();
  if (!row)
    return tl::unexpected(row.error());
  return *row ? statement->Int(0) : 0;
}

}  // namespace

Result<DemoHistorySummary> GenerateDemoHistory(const std::filesystem::path& data_dir,
                                               const sim::DemoCity& city, size_t terminals,
                                               pass::PassStore& passes,
                                               const DemoHistoryOptions& options) {
  DemoHistorySummary summary;
  if (options.days <= 0) {
    summary.skipped_because = "--history-days 0";
    return summary;
  }
  if (city.gates.size() < 2 || city.vehicles.empty() || city.sites.empty())
    return Fail(ErrorCode::kBadValue, "demo history: the city has no gates, vehicles or sites");
  const std::filesystem::path database_file = data_dir / "registry.db";
  // The alarm tables are the alarm service's: opening it once creates them.
  {
    auto alarms = alarm::AlarmService::Open(database_file, alarm::DefaultAlarmPolicy());
    if (!alarms)
      return tl::unexpected(alarms.error());
  }
  auto opened = store::Database::Open(database_file);
  if (!opened)
    return tl::unexpected(opened.error());
  store::Database& db = **opened;
  if (auto ok = checkpoint::CheckpointService::Migrate(db); !ok)
    return tl::unexpected(ok.error());
  auto passages_stored = CountRows(db, "passages");
  auto alarms_stored = CountRows(db, "alarms");
  if (!passages_stored || !alarms_stored)
    return tl::unexpected(!passages_stored ? passages_stored.error() : alarms_stored.error());
  if (*passages_stored > 0 || *alarms_stored > 0) {
    summary.skipped_because = "the data directory has passages or alarms already";
    return summary;
  }

  Dice dice(options.seed * 0x9e3779b97f4a7c15ULL + 14);
  // Up to the moment the demo is loaded (or today 00:00 without one).
  const int64_t end_ms =
      options.now_ms > 0 ? options.now_ms : registry::ChinaMidnightMs(options.today);
  // From the first of the month, so that every month of the history is whole for the
  // monthly correlations.
  const std::string first_day = registry::AddDays(options.today, -options.days).substr(0, 8) + "01";
  const int64_t start_ms = registry::ChinaMidnightMs(first_day);
  const int days = static_cast<int>((end_ms - start_ms + kDay - 1) / kDay);
  const size_t gates = city.gates.size();
  // Trucks come in by the busier roads more often: the expressway from 辽阳/沈阳 first.
  constexpr std::array<int, 4> kGateWeights = {35, 25, 20, 20};
  auto pick_gate = [&] {
    int total = 0;
    for (size_t g = 0; g < gates; ++g)
      total += g < kGateWeights.size() ? kGateWeights[g] : 10;
    int roll = static_cast<int>(dice.Below(static_cast<size_t>(total)));
    for (size_t g = 0; g < gates; ++g) {
      const int weight = g < kGateWeights.size() ? kGateWeights[g] : 10;
      if (roll < weight)
        return g;
      roll -= weight;
    }
    return size_t{0};
  };

  // The stays: every one opens and closes inside the history, one at a time per vehicle.
  std::vector<Stay> stays;
  std::vector<PassageRow> rows;
  std::vector<int64_t> busy_until(city.vehicles.size(), 0);
  for (int day = 0; day < days; ++day) {
    const int64_t midnight = start_ms + int64_t{day} * kDay;
    // 1970-01-01 was a Thursday; China days start at 16:00 UTC the day before.
    const int64_t weekday = ((midnight + 8 * kHour) / kDay + 3) % 7;  // 0 = Monday
    const double week_factor = weekday == 5 ? 0.7 : (weekday == 6 ? 0.55 : 1.0);
    const double trend = 1.0 + kTrend * day / std::max(1, days - 1);
    const double noise = 0.9 + 0.2 * dice.Unit();
    const int64_t entries = dice.Round(kWeekdayEntries * week_factor * trend * noise);
    for (int64_t n = 0; n < entries; ++n) {
      const int64_t in_ms = midnight + PickHour(dice) * kHour + dice.Between(0, 59) * kMinute +
                            dice.Between(0, 59) * 1000;
      const int64_t out_ms = in_ms + PickDwellMs(dice);
      if (out_ms >= end_ms - kMinute)
        continue;  // would still be in the city now
      size_t vehicle = 0;
      bool found = false;
      for (int tries = 0; tries < 8 && !found; ++tries) {
        vehicle = dice.Below(city.vehicles.size());
        found = busy_until[vehicle] < in_ms;
      }
      if (!found)
        continue;
      busy_until[vehicle] = out_ms + 10 * kMinute;
      Stay stay;
      stay.vehicle = vehicle;
      stay.in_gate = pick_gate();
      stay.out_gate = dice.Chance(30) ? stay.in_gate : pick_gate();
      stay.in_ms = in_ms;
      stay.out_ms = out_ms;
      stays.push_back(stay);
      rows.push_back({in_ms, stays.size() - 1, PassageRow::Kind::kEntry, 0, 0});
      rows.push_back({out_ms, stays.size() - 1, PassageRow::Kind::kExit, 0, 0});
    }
    const int64_t turned = dice.Round(static_cast<double>(entries) * kTurnBackPercent / 100.0);
    for (int64_t n = 0; n < turned; ++n) {
      const int64_t at = midnight + PickHour(dice) * kHour + dice.Between(0, 3599) * 1000;
      if (at >= end_ms)
        continue;
      rows.push_back(
          {at, 0, PassageRow::Kind::kTurnBack, dice.Below(city.vehicles.size()), pick_gate()});
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const PassageRow& a, const PassageRow& b) { return a.time_ms < b.time_ms; });

  // Trip passes with cargo for some entries of goods vehicles, through the pass checks as of
  // the day before (no health record then: they go to review, and a reviewer approves them).
  std::map<std::string, std::vector<const registry::Driver*>> drivers_of;
  for (const auto& driver : city.drivers) {
    if (driver.carrier_credit_code)
      drivers_of[*driver.carrier_credit_code].push_back(&driver);
  }
  // Spread over the whole history (about 70 % of the stays are goods vehicles').
  const int64_t trip_passes = std::min(kMaxTripPasses, kTripPassesPerDay * days);
  const size_t trip_per_mille = std::min<size_t>(
      1000, static_cast<size_t>(trip_passes) * 1000 * 10 / std::max<size_t>(1, stays.size() * 7));
  for (auto& stay : stays) {
    if (summary.trip_passes >= trip_passes || dice.Below(1000) >= trip_per_mille)
      continue;
    const auto& vehicle = city.vehicles[stay.vehicle];
    if (vehicle.vehicle_class != registry::VehicleClass::kTruck &&
        vehicle.vehicle_class != registry::VehicleClass::kHeavyTruck)
      continue;
    const registry::Driver* driver = nullptr;
    for (const auto* candidate : drivers_of[vehicle.carrier_credit_code]) {
      if (registry::DriverFitsVehicle(*candidate, vehicle.vehicle_class).empty()) {
        driver = candidate;
        break;
      }
    }
    if (driver == nullptr)
      continue;
    const CargoKind& cargo = kCargo[dice.Below(kCargo.size())];
    pass::PassApplication trip;
    trip.kind = pass::PassKind::kTrip;
    trip.plate = vehicle.plate;
    trip.plate_color = vehicle.plate_color;
    trip.carrier_credit_code = vehicle.carrier_credit_code;
    trip.driver_id_numbers = {driver->id_number};
    trip.cargo =
        pass::Cargo{cargo.category,
                    cargo.name,
                    1000.0 * static_cast<double>(dice.Between(cargo.min_tonnes, cargo.max_tonnes)),
                    false,
                    std::nullopt,
                    std::nullopt};
    trip.origin = kOrigins[stay.in_gate % kOrigins.size()];
    trip.destination_site_codes = {city.sites[dice.Below(city.sites.size())].code};
    trip.waypoints = {{city.gates[stay.in_gate].lat, city.gates[stay.in_gate].lon},
                      {city.gates[stay.out_gate].lat, city.gates[stay.out_gate].lon}};
    trip.entry_from_ms = stay.in_ms - 2 * kHour;
    trip.entry_until_ms = stay.in_ms + 2 * kHour;
    trip.planned_exit_ms = stay.out_ms + 2 * kHour;
    trip.applicant = "demo";
    trip.applicant_role = "transport";
    const int64_t applied_ms = stay.in_ms - kDay;
    auto created = passes.Create(trip, applied_ms);
    if (!created)
      return tl::unexpected(created.error());
    if (created->status == pass::PassStatus::kPendingReview) {
      created =
          passes.Approve(created->id, "demo", "演示历史数据：人工审核通过", applied_ms + kHour);
      if (!created)
        return tl::unexpected(created.error());
    }
    if (created->status != pass::PassStatus::kApproved)
      continue;
    stay.pass_id = created->id;
    stay.valid_until_ms = created->valid_until_ms;
    stay.planned_exit_ms = created->planned_exit_ms;
    ++summary.trip_passes;
  }

  auto transaction = store::Transaction::Begin(db);
  if (!transaction)
    return tl::unexpected(transaction.error());
  auto insert = db.Prepare(
      "INSERT INTO passages(checkpoint_id, direction, plate, plate_color, time_ms, decision, "
      "reason_code, reason, display_text, pass_id, source, entered_at_ms, entry_checkpoint_id, "
      "entry_passage_id, pass_valid_until_ms, planned_exit_ms, recorded_at_ms) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'camera', ?, ?, ?, ?, ?, ?)");
  if (!insert)
    return tl::unexpected(insert.error());
  for (const PassageRow& row : rows) {
    const bool turn_back = row.kind == PassageRow::Kind::kTurnBack;
    Stay* stay = turn_back ? nullptr : &stays[row.stay];
    const auto& vehicle = city.vehicles[turn_back ? row.vehicle : stay->vehicle];
    const bool entry = row.kind != PassageRow::Kind::kExit;
    const auto& gate = city.gates[turn_back ? row.gate : (entry ? stay->in_gate : stay->out_gate)];
    const Direction direction = entry ? Direction::kIn : Direction::kOut;
    const Verdict verdict = turn_back ? Verdict::kTurnBack : Verdict::kRelease;
    std::string_view reason_code = checkpoint::reason::kExitRecorded;
    if (turn_back)
      reason_code = checkpoint::reason::kPassMissing;
    else if (entry)
      reason_code =
          stay->pass_id ? checkpoint::reason::kTripValid : checkpoint::reason::kStandingValid;
    insert->Reset();
    insert->Bind(1, entry ? gate.in_checkpoint : gate.out_checkpoint)
        .Bind(2, checkpoint::ToString(direction))
        .Bind(3, vehicle.plate)
        .Bind(4, int64_t{static_cast<int>(vehicle.plate_color)})
        .Bind(5, row.time_ms)
        .Bind(6, checkpoint::ToString(verdict))
        .Bind(7, reason_code)
        .Bind(8, checkpoint::ReasonText(reason_code))
        .Bind(9, checkpoint::DisplayText(vehicle.plate, direction, verdict, reason_code))
        .Bind(10, turn_back ? std::nullopt : stay->pass_id)
        .Bind(11, turn_back ? std::optional<int64_t>(row.time_ms) : std::optional(stay->in_ms))
        .Bind(12, std::optional<std::string>(stay ? city.gates[stay->in_gate].in_checkpoint
                                                  : gate.in_checkpoint))
        .Bind(13, entry ? std::nullopt : std::optional<int64_t>(stay->entry_id))
        .Bind(14, turn_back ? std::nullopt : stay->valid_until_ms)
        .Bind(15, turn_back ? std::nullopt : stay->planned_exit_ms)
        .Bind(16, row.time_ms);
    if (auto ok = insert->Run(); !ok)
      return tl::unexpected(ok.error());
    if (turn_back) {
      ++summary.turned_back;
    } else if (entry) {
      stay->entry_id = db.LastInsertRowId();
      ++summary.entries;
    } else {
      ++summary.exits;
    }
  }

  // Alarms raised during the stays of vehicles with terminals, every one handled to closure.
  const alarm::AlarmPolicy policy = alarm::DefaultAlarmPolicy();
  std::map<std::string, std::string> district_of;  // carrier -> district
  for (const auto& carrier : city.carriers)
    district_of[carrier.credit_code] = carrier.district;
  auto insert_alarm = db.Prepare(
      "INSERT INTO alarms(terminal, plate, plate_color, kind, subject, severity, department, "
      "district, status, active, count, first_at_ms, last_at_ms, cleared_at_ms, lat_e6, lon_e6, "
      "speed_dkmh, detail, pass_id, ack_deadline_ms, close_deadline_ms, acknowledged_by, "
      "acknowledged_at_ms, dispatched_to, dispatch_note, handled_by, handled_at_ms, outcome, "
      "handle_note, closed_by, closed_at_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, 'closed', 0, ?, ?, ?, "
      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  auto insert_step = db.Prepare(
      "INSERT INTO alarm_steps(alarm_id, step, actor, at_ms, target, outcome, note) "
      "VALUES(?, ?, ?, ?, ?, ?, ?)");
  if (!insert_alarm || !insert_step)
    return tl::unexpected(!insert_alarm ? insert_alarm.error() : insert_step.error());
  for (const Stay& stay : stays) {
    if (stay.vehicle >= terminals)
      continue;
    for (const KindShare& share : kAlarmKinds) {
      if (dice.Below(1000) >= static_cast<size_t>(share.per_thousand_stays))
        continue;
      const auto& vehicle = city.vehicles[stay.vehicle];
      const auto& kind_policy = policy.For(share.kind);
      const int severity = policy.SeverityOf(share.kind, "");
      const auto& deadlines = policy.DeadlinesOf(severity);
      const int64_t first =
          stay.in_ms +
          static_cast<int64_t>(dice.Unit() * static_cast<double>(stay.out_ms - stay.in_ms));
      const int64_t cleared = first + dice.Between(1, 20) * kMinute;
      const int64_t acknowledged = first + dice.Between(1, 25) * kMinute;
      const bool dispatch = dice.Chance(50);
      const int64_t dispatched = acknowledged + dice.Between(2, 15) * kMinute;
      const int64_t handled =
          (dispatch ? dispatched : acknowledged) + dice.Between(10, 180) * kMinute;
      const int64_t closed = handled + dice.Between(5, 60) * kMinute;
      if (closed >= end_ms - kMinute)
        continue;  // every alarm of the history is closed by now
      const std::string outcome = kOutcomes[dice.Below(kOutcomes.size())];
      const std::string district = district_of[vehicle.carrier_credit_code];
      const auto& route = city.routes[dice.Below(city.routes.size())];
      const auto& point = route.points[1 + dice.Below(route.points.size() - 2)];
      const std::string terminal = *sim::TerminalPhone("0139", stay.vehicle, jt808::Version::k2013);
      const std::string handler = dispatch ? "tiedong" : "jiaotong";
      const std::string department =
          kind_policy.department == "district" ? "district" : kind_policy.department;
      insert_alarm->Reset();
      insert_alarm->Bind(1, terminal)
          .Bind(2, vehicle.plate)
          .Bind(3, int64_t{static_cast<int>(vehicle.plate_color)})
          .Bind(4, monitor::AlarmKindId(share.kind))
          .Bind(5, share.kind == AlarmKind::kTerminalAlarm ? "bit0" : "")
          .Bind(6, int64_t{severity})
          .Bind(7, department)
          .Bind(8, district)
          .Bind(9, int64_t{1})
          .Bind(10, first)
          .Bind(11, first)
          .Bind(12, cleared)
          .Bind(13, static_cast<int64_t>(std::lround(point[1] * 1e6)))
          .Bind(14, static_cast<int64_t>(std::lround(point[0] * 1e6)))
          .Bind(15,
                share.kind == AlarmKind::kOverspeed ? dice.Between(650, 950) : dice.Between(0, 600))
          .Bind(16, share.detail)
          .Bind(17, stay.pass_id)
          .Bind(18, first + deadlines.acknowledge_ms)
          .Bind(19, first + deadlines.close_ms)
          .Bind(20, "jiaotong")
          .Bind(21, acknowledged)
          .Bind(22, dispatch ? std::optional<std::string>(district) : std::nullopt)
          .Bind(23, dispatch ? std::optional<std::string>("请属地核实处置") : std::nullopt)
          .Bind(24, handler)
          .Bind(25, handled)
          .Bind(26, outcome)
          .Bind(27, outcome)
          .Bind(28, "jiaotong")
          .Bind(29, closed);
      if (auto ok = insert_alarm->Run(); !ok)
        return tl::unexpected(ok.error());
      const int64_t alarm_id = db.LastInsertRowId();
      struct StepRow {
        const char* step;
        std::string by;
        int64_t at;
        std::string to, outcome, note;
      };
      std::vector<StepRow> steps = {{"raised", "system", first, "", "", share.detail},
                                    {"cleared", "system", cleared, "", "", ""},
                                    {"acknowledged", "jiaotong", acknowledged, "", "", ""}};
      if (dispatch)
        steps.push_back({"dispatched", "jiaotong", dispatched, district, "", "请属地核实处置"});
      steps.push_back({"handled", handler, handled, "", outcome, outcome});
      steps.push_back({"closed", "jiaotong", closed, "", "", ""});
      for (const StepRow& step : steps) {
        insert_step->Reset();
        insert_step->Bind(1, alarm_id)
            .Bind(2, step.step)
            .Bind(3, step.by)
            .Bind(4, step.at)
            .Bind(5, step.to)
            .Bind(6, step.outcome)
            .Bind(7, step.note);
        if (auto ok = insert_step->Run(); !ok)
          return tl::unexpected(ok.error());
      }
      ++summary.alarms;
    }
  }
  if (auto ok = transaction->Commit(); !ok)
    return tl::unexpected(ok.error());

  // Monthly indicators that follow the freight of each whole month of the history: road
  // freight with it, retail a month later, electricity loosely, industry's growth as noise.
  std::map<std::string, int64_t> entries_by_month;
  for (const Stay& stay : stays) {
    const std::string day = ChinaDate(stay.in_ms);
    entries_by_month[day.substr(0, 7)] += 1;
  }
  const std::string this_month = options.today.substr(0, 7);
  std::ostringstream csv;
  csv << "指标,期间,数值,单位\n";
  std::optional<double> previous;
  auto row = [&](const char* name, const std::string& month, double value, const char* unit) {
    char line[256];
    std::snprintf(line, sizeof(line), "%s,%s,%.1f,%s\n", name, month.c_str(), value, unit);
    csv << line;
    ++summary.indicator_rows;
  };
  for (const auto& [month, entries] : entries_by_month) {
    if (month >= this_month)
      continue;  // this month is not over
    const double volume = static_cast<double>(entries);
    row("公路货运量", month, volume * 0.065 * (0.97 + 0.06 * dice.Unit()), "万吨");
    row("全社会用电量", month, 15 + volume / 1000.0 * (0.9 + 0.2 * dice.Unit()), "亿千瓦时");
    row("社会消费品零售总额", month,
        60 + previous.value_or(volume) / 200.0 * (0.97 + 0.06 * dice.Unit()), "亿元");
    row("规模以上工业增加值增速", month, 1.5 + 4 * dice.Unit(), "%");
    previous = volume;
  }
  if (summary.indicator_rows > 0) {
    auto statistics = stats::StatsService::Open(database_file);
    if (!statistics)
      return tl::unexpected(statistics.error());
    auto imported = (*statistics)->ImportIndicators(csv.str(), "demo", end_ms);
    if (!imported)
      return tl::unexpected(imported.error());
  }
  summary.written = true;
  return summary;
}

}  // namespace baotong::app
