#include "app/demo_command.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "api/audit_log.h"
#include "app/checkpoint_command.h"
#include "app/demo_history.h"
#include "app/provisioning.h"
#include "common/clock.h"
#include "pass/pass_store.h"
#include "registry/credentials.h"
#include "registry/map_layers.h"
#include "registry/registry_store.h"
#include "sim/demo_city.h"
#include "sim/demo_fleet.h"
#include "stats/stats_service.h"
#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"

namespace baotong::app {
namespace {

struct DemoArguments {
  std::string data_dir = "data";
  sim::DemoCityOptions city;
  // Sample economic indicators (statistics page); skipped when the file is absent.
  std::string indicators = "config/demo-indicators.csv";
  int history_days = 180;  // passages, alarms and indicators before today (demo_history.h)
};

template <typename Rows>
Result<registry::UpsertCounts> UpsertAll(registry::RegistryStore& registry, Rows& rows,
                                         int64_t now_ms) {
  auto outcomes = registry.Upsert(std::span(rows), now_ms);
  if (!outcomes)
    return tl::unexpected(outcomes.error());
  registry::UpsertCounts counts;
  counts.Add(*outcomes);
  return counts;
}

// Entry passes of the demo fleet, so that the monitor has permitted and unpermitted vehicles and
// a route to watch. Every simulated vehicle applies for a standing registration (备案) through
// the ordinary checks, so those whose papers have lapsed are refused and show up in the city
// without a permit; the first simulated truck whose trip pass on route R1 is approved is the
// demo's route-watching truck (its terminal index is reported, for scenarios that make it
// deviate). Skipped when passes exist already (the demo was loaded before).
Result<nlohmann::ordered_json> ApplyDemoPasses(pass::PassStore& passes, const sim::DemoCity& city,
                                               const sim::DemoCityOptions& options,
                                               int64_t now_ms) {
  constexpr int64_t kHour = 3600 * 1000;
  nlohmann::ordered_json result{
      {"standing_approved", 0}, {"standing_refused", 0}, {"trip_terminal_index", nullptr}};
  if (!passes.IndexedPasses().empty() || city.sites.empty())
    return result;
  // Drivers with a recent negative test first: a carrier sends those it can.
  std::set<std::string> tested;
  for (const auto& record : city.health_records) {
    if (record.result == "阴性" && record.tested_at > now_ms - 36 * kHour)
      tested.insert(record.id_number);
  }
  std::map<std::string, std::vector<const registry::Driver*>> drivers_of;
  for (const auto& driver : city.drivers) {
    if (driver.carrier_credit_code)
      drivers_of[*driver.carrier_credit_code].push_back(&driver);
  }
  // A carrier sends the drivers whose papers hold for the whole window first.
  const std::string tomorrow = registry::AddDays(options.today, 1);
  auto papers_hold = [&](const registry::Driver* driver) {
    return driver->licence_valid_until.value_or("") > tomorrow &&
           driver->qualification_valid_until.value_or("") > tomorrow;
  };
  for (auto& [carrier, drivers] : drivers_of) {
    std::stable_partition(drivers.begin(), drivers.end(), papers_hold);
    std::stable_partition(drivers.begin(), drivers.end(), [&](const registry::Driver* driver) {
      return tested.contains(driver->id_number);
    });
  }
  const size_t simulated = std::min(options.terminals, city.vehicles.size());
  bool have_trip = false;
  for (size_t i = 0; i < simulated; ++i) {
    const registry::Vehicle& vehicle = city.vehicles[i];
    const registry::Driver* driver = nullptr;
    for (const auto* candidate : drivers_of[vehicle.carrier_credit_code]) {
      if (registry::DriverFitsVehicle(*candidate, vehicle.vehicle_class).empty()) {
        driver = candidate;
        break;
      }
    }
    if (!driver)
      continue;
    pass::PassApplication application;
    application.plate = vehicle.plate;
    application.plate_color = vehicle.plate_color;
    application.carrier_credit_code = vehicle.carrier_credit_code;
    application.driver_id_numbers = {driver->id_number};
    application.origin = "鞍山";
    application.destination_site_codes = {city.sites.front().code};
    application.applicant = "demo";
    application.applicant_role = "transport";
    const bool truck = vehicle.vehicle_class == registry::VehicleClass::kTruck ||
                       vehicle.vehicle_class == registry::VehicleClass::kHeavyTruck;
    if (!have_trip && truck) {
      pass::PassApplication trip = application;
      trip.kind = pass::PassKind::kTrip;
      trip.origin = "沈阳";
      trip.cargo = pass::Cargo{"生活物资", "蔬菜", 8000, false, std::nullopt, std::nullopt};
      trip.route_id = "R1";
      trip.entry_from_ms = now_ms - kHour;
      trip.entry_until_ms = now_ms + 4 * kHour;
      trip.planned_exit_ms = now_ms + 10 * kHour;
      auto created = passes.Create(trip, now_ms);
      if (!created)
        return tl::unexpected(created.error());
      if (created->status == pass::PassStatus::kApproved) {
        have_trip = true;
        result["trip_terminal_index"] = i;
        result["trip_plate"] = vehicle.plate;
        continue;
      }
    }
    application.kind = pass::PassKind::kStanding;
    application.entry_from_ms = now_ms - kHour;
    // Under the default rules a driver's nucleic acid test must be under 48 hours old for the
    // whole window, so the demo's registrations run for the rest of the day.
    application.entry_until_ms = now_ms + 20 * kHour;
    application.planned_exit_ms = application.entry_until_ms;
    auto created = passes.Create(application, now_ms);
    if (!created)
      return tl::unexpected(created.error());
    const bool approved = created->status == pass::PassStatus::kApproved;
    result[approved ? "standing_approved" : "standing_refused"] =
        result[approved ? "standing_approved" : "standing_refused"].get<int64_t>() + 1;
  }
  return result;
}

int RunDemo(DemoArguments arguments) {
  if (arguments.city.today.empty())
    arguments.city.today = registry::TodayInChina();
  auto city = sim::GenerateDemoCity(arguments.city);
  if (!city) {
    std::cerr << "baotong demo: " << city.error().Message() << '\n';
    return 2;
  }
  const std::filesystem::path data_dir = arguments.data_dir;
  auto database = store::Database::Open(data_dir / "registry.db");
  if (!database) {
    std::cerr << "baotong demo: cannot open " << (data_dir / "registry.db") << ": "
              << database.error().Message() << '\n';
    return 1;
  }
  store::Database& db = **database;
  auto fail = [&](const Error& error) {
    std::cerr << "baotong demo: " << error.Message() << " (" << db.LastMessage() << ")\n";
    return 1;
  };
  if (auto ok = registry::RegistryStore::Migrate(db); !ok)
    return fail(ok.error());
  if (auto ok = registry::MigrateMapLayers(db); !ok)
    return fail(ok.error());
  auto audit = api::AuditLog::Open(db);
  if (!audit)
    return fail(audit.error());

  registry::RegistryStore registry(db);
  const int64_t now_ms = NowMs();
  nlohmann::ordered_json counts;
  {
    auto transaction = store::Transaction::Begin(db);
    if (!transaction)
      return fail(transaction.error());
    auto count = [&](const char* name, const Result<registry::UpsertCounts>& result) {
      if (!result)
        return false;
      counts[name] = {{"inserted", result->inserted},
                      {"updated", result->updated},
                      {"unchanged", result->unchanged}};
      return true;
    };
    Result<registry::UpsertCounts> result;
    // Carriers first: vehicles and drivers refer to them.
    if (!count("carriers", result = UpsertAll(registry, city->carriers, now_ms)) ||
        !count("vehicles", result = UpsertAll(registry, city->vehicles, now_ms)) ||
        !count("drivers", result = UpsertAll(registry, city->drivers, now_ms)) ||
        !count("terminals", result = UpsertAll(registry, city->terminals, now_ms)) ||
        !count("health_records", result = UpsertAll(registry, city->health_records, now_ms)) ||
        !count("sites", result = UpsertAll(registry, city->sites, now_ms))) {
      return fail(result.error());
    }
    // The boundary says the records are invented; the server labels the map 演示数据 from it.
    for (auto& feature : city->boundary["features"])
      feature["properties"]["demo"] = true;
    if (auto ok = registry::PutMapLayer(db, "boundary", city->boundary); !ok)
      return fail(ok.error());
    if (auto ok = registry::PutMapLayer(db, "districts", city->districts); !ok)
      return fail(ok.error());
    if (auto ok = registry::PutMapLayer(db, "towns", city->towns); !ok)
      return fail(ok.error());
    if (auto ok = transaction->Commit(); !ok)
      return fail(ok.error());
  }

  // The gateway's own terminal table (baotong.db): known terminals may register even when
  // auto_register is off; each gets its authentication code on its first 0x0100.
  auto positions = store::SqliteStore::Open(data_dir);
  if (!positions) {
    std::cerr << "baotong demo: cannot open the position store: " << positions.error().Message()
              << '\n';
    return 1;
  }
  auto provisioned = ProvisionTerminals(**positions, city->terminals);
  if (!provisioned) {
    std::cerr << "baotong demo: " << provisioned.error().Message() << '\n';
    return 1;
  }

  // Published routes and checkpoints; each checkpoint's camera key goes to
  // data_dir/checkpoint-keys/<id>.key (mode 0600), for the simulator and the tests.
  auto services = OpenCheckpointServices(data_dir);
  if (!services) {
    std::cerr << "baotong demo: " << services.error().Message() << '\n';
    return 1;
  }
  std::vector<pass::PublishedRoute> routes;
  for (const auto& demo : city->routes) {
    nlohmann::ordered_json line{{"type", "LineString"},
                                {"coordinates", nlohmann::ordered_json::array()}};
    for (const auto& point : demo.points)
      line["coordinates"].push_back({point[0], point[1]});
    routes.push_back(pass::PublishedRoute{demo.id, demo.name, line.dump(), demo.allows_hazardous});
  }
  if (auto ok = services->passes->UpsertRoutes(routes, now_ms); !ok)
    return fail(ok.error());
  nlohmann::ordered_json checkpoint_layer{{"type", "FeatureCollection"},
                                          {"features", nlohmann::ordered_json::array()}};
  size_t new_checkpoints = 0;
  for (const auto& demo : city->checkpoints) {
    checkpoint_layer["features"].push_back(
        {{"type", "Feature"},
         {"properties",
          {{"layer", "checkpoint"},
           {"id", demo.id},
           {"name", demo.name},
           {"direction", demo.inbound ? "in" : "out"}}},
         {"geometry", {{"type", "Point"}, {"coordinates", {demo.lon, demo.lat}}}}});
    if (services->checkpoints->FindCheckpoint(demo.id))
      continue;  // keep its camera key
    checkpoint::Checkpoint added;
    added.id = demo.id;
    added.name = demo.name;
    added.lat = demo.lat;
    added.lon = demo.lon;
    added.direction = demo.inbound ? checkpoint::Direction::kIn : checkpoint::Direction::kOut;
    auto key = services->checkpoints->AddCheckpoint(added);
    if (!key)
      return fail(key.error());
    if (auto ok = WriteSecretFile(data_dir / "checkpoint-keys" / (demo.id + ".key"), *key); !ok)
      return fail(ok.error());
    ++new_checkpoints;
  }
  if (auto ok = registry::PutMapLayer(db, "checkpoints", checkpoint_layer); !ok)
    return fail(ok.error());
  auto demo_passes = ApplyDemoPasses(*services->passes, *city, arguments.city, now_ms);
  if (!demo_passes)
    return fail(demo_passes.error());
  // The simulated fleet's trips through the checkpoints (`baotong sim --demo-fleet`). When the
  // passes were issued before, the plan written then (with its trip-pass truck) stands.
  const std::filesystem::path plan_file = data_dir / "demo-fleet.json";
  std::optional<size_t> trip_terminal;
  if ((*demo_passes)["trip_terminal_index"].is_number())
    trip_terminal = (*demo_passes)["trip_terminal_index"].get<size_t>();
  if (trip_terminal || !std::filesystem::exists(plan_file)) {
    const auto plan = sim::MakeDemoFleetPlan(*city, arguments.city.terminals, trip_terminal, "R1");
    std::ofstream out(plan_file, std::ios::trunc);
    out << sim::ToJson(plan).dump() << '\n';
    if (!out.flush()) {
      std::cerr << "baotong demo: cannot write " << plan_file << '\n';
      return 1;
    }
  }
  int64_t indicators_imported = 0;
  if (std::ifstream csv(arguments.indicators, std::ios::binary); csv) {
    std::ostringstream bytes;
    bytes << csv.rdbuf();
    auto statistics = stats::StatsService::Open(data_dir / "registry.db");
    if (!statistics)
      return fail(statistics.error());
    auto imported = (*statistics)->ImportIndicators(bytes.str(), "cli", now_ms);
    if (!imported)
      return fail(imported.error());
    indicators_imported = imported->imported;
  }

  // Months of history after the indicators above, which it overrides for its own months.
  DemoHistoryOptions history_options;
  history_options.days = arguments.history_days;
  history_options.seed = arguments.city.seed;
  history_options.today = arguments.city.today;
  // Up to now when the demo is today's; a demo placed around another day ends at its midnight.
  if (arguments.city.today == registry::TodayInChina())
    history_options.now_ms = now_ms;
  const auto history_started = std::chrono::steady_clock::now();
  auto history = GenerateDemoHistory(data_dir, *city, arguments.city.terminals, *services->passes,
                                     history_options);
  if (!history)
    return fail(history.error());
  nlohmann::ordered_json history_detail{{"days", arguments.history_days}};
  if (history->written) {
    history_detail["entries"] = history->entries;
    history_detail["exits"] = history->exits;
    history_detail["turned_back"] = history->turned_back;
    history_detail["trip_passes"] = history->trip_passes;
    history_detail["alarms"] = history->alarms;
    history_detail["indicator_rows"] = history->indicator_rows;
    history_detail["seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - history_started).count();
  } else {
    history_detail["skipped"] = history->skipped_because;
  }

  nlohmann::ordered_json detail{
      {"seed", arguments.city.seed}, {"today", arguments.city.today}, {"records", counts}};
  api::AuditEntry entry;
  entry.at_ms = now_ms;
  entry.actor = "cli";
  entry.action = "registry.demo_load";
  entry.target = "registry";
  entry.detail = detail.dump();
  if (auto ok = (*audit)->Append(entry); !ok)
    return fail(ok.error());
  detail["terminals_provisioned"] = *provisioned;
  detail["routes"] = routes.size();
  detail["checkpoints_added"] = new_checkpoints;
  detail["passes"] = *demo_passes;
  detail["indicators"] = indicators_imported;
  detail["history"] = history_detail;
  detail["data_dir"] = data_dir.string();
  std::cout << detail.dump() << std::endl;
  return 0;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int& exit_code) {
  auto* demo = app.add_subcommand(
      "demo",
      "Load the Anshan demo city (real geography, invented records: 演示数据) into the data "
      "directory");
  auto arguments = std::make_shared<DemoArguments>();
  demo->add_option("--data-dir", arguments->data_dir, "Directory of the embedded database");
  demo->add_option("--seed", arguments->city.seed, "Random seed (same seed, same city)");
  demo->add_option("--today", arguments->city.today,
                   "Date the validity dates are placed around (YYYY-MM-DD; default today)");
  demo->add_option("--carriers", arguments->city.carriers, "Number of carriers");
  demo->add_option("--vehicles", arguments->city.vehicles, "Number of vehicles");
  demo->add_option("--terminals", arguments->city.terminals,
                   "Vehicles with a terminal (phones 0139 + 8 digits, as `baotong sim` uses)");
  demo->add_option("--drivers", arguments->city.drivers, "Number of drivers");
  demo->add_option("--health-records", arguments->city.health_records, "Number of health records");
  demo->add_option("--history-days", arguments->history_days,
                   "Days of history before today: passages, alarms, indicators (0: none; only "
                   "into a data directory without passages or alarms)");
  demo->add_option("--indicators", arguments->indicators,
                   "Sample economic indicators CSV to import (skipped when absent)");
  demo->callback([arguments, &exit_code] { exit_code = RunDemo(*arguments); });
}

}  // namespace baotong::app
