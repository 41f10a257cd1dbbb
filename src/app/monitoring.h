// The rule engine and the alarms, wired to the rest of the platform: what the registry and the
// passes say about each vehicle (its context), the zones drawn from the city boundary, the
// designated sites, the published and pass routes and the zones staff draw, and the settings
// staff edit (kept in registry.db). `baotong serve` and the end-to-end tests build it alike.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "alarm/alarm_service.h"
#include "alarm/policy.h"
#include "api/monitoring_control.h"
#include "model/position.h"
#include "monitor/monitor.h"
#include "monitor/rules.h"
#include "monitor/zones.h"
#include "pass/pass_store.h"
#include "store/sqlite/database.h"

namespace baotong::gateway {
class Gateway;
}

namespace baotong::app {

// The registry's view of each terminal's vehicle, reloaded every few seconds, joined with the
// pass index (already in memory) on every lookup.
class RegistryContextSource : public monitor::ContextSource {
 public:
  RegistryContextSource(store::Database& database, const pass::PassStore& passes)
      : database_(database), passes_(passes) {}

  // Rereads terminals and vehicles (run by the maintenance thread, and once at start).
  Result<void> Reload();

  std::shared_ptr<const monitor::VehicleContext> Find(std::string_view terminal,
                                                      int64_t at_ms) const override;

 private:
  struct Binding {
    std::string plate;
    int plate_color = 0;
    std::optional<registry::VehicleClass> vehicle_class;
    std::string district;
  };
  store::Database& database_;
  const pass::PassStore& passes_;
  mutable std::mutex mutex_;
  std::shared_ptr<const std::unordered_map<std::string, Binding>> bindings_;
};

// The zone code of a pass's route: "route:R1" for a published route, "pass:123" for its own
// waypoints; nullopt for a pass without a route (standing registrations).
std::optional<std::string> PassRouteCode(const pass::PassApplication& pass);

struct MonitoringOptions {
  monitor::MonitorOptions monitor;
  alarm::AlarmPolicy policy = alarm::DefaultAlarmPolicy();
  // The settings used until staff save their own (the configuration file's, or the defaults).
  monitor::RuleSettings default_settings;
  // Sites given as points are circles of this radius.
  double site_point_radius_m = 300;
  // Half-width of the corridor around published and pass routes (the default).
  double route_corridor_m = 500;
  // How often the registry bindings and the zones from sites, routes and passes are reread.
  std::chrono::milliseconds refresh_interval{std::chrono::seconds(10)};
};

// The tables of staff's zones and rule settings, for a program that changes zones without
// running the engine (`baotong geo import`); Monitoring::Open migrates them too.
Result<void> MigrateMonitorTables(store::Database& database);
// Inserts or replaces a staff zone (codes with ':' belong to derived zones: kConflict).
Result<void> UpsertUserZone(store::Database& database, const monitor::Zone& zone,
                            std::string_view by, int64_t now_ms);
// The staff zones, by code.
Result<std::vector<monitor::Zone>> UserZones(store::Database& database);

class Monitoring final : public api::MonitoringControl {
 public:
  // Opens the alarm store and the configuration tables in `database_file` (registry.db) on
  // connections of their own, loads zones and settings, and starts the partitions.
  static Result<std::unique_ptr<Monitoring>> Open(const std::filesystem::path& database_file,
                                                  pass::PassStore& passes,
                                                  MonitoringOptions options);
  ~Monitoring() override;

  // The gateway's feed (WriterOptions::on_queued): positions as they are queued for storage,
  // on the sessions' threads.
  void OnPosition(std::vector<model::Position>& positions);
  // Texts to drivers go through the gateway; their delivery is followed up by the maintenance
  // thread. Call once the gateway exists (it is built after this object, with OnPosition as
  // its feed).
  void AttachGateway(gateway::Gateway* gateway);

  monitor::Monitor& monitor() override { return *monitor_; }
  alarm::AlarmService& alarms() override { return *alarms_; }

  // api::MonitoringControl: zones and settings as staff edit them.
  Result<std::vector<api::ZoneEntry>> Zones() override;
  Result<void> SaveZone(const monitor::Zone& zone, bool create, std::string_view by,
                        int64_t now_ms) override;
  Result<bool> DeleteZone(std::string_view code) override;
  monitor::RuleSettings Settings() override;
  Result<void> SaveSettings(const monitor::RuleSettings& settings, std::string_view by,
                            int64_t now_ms) override;

  // Rereads the registry and rebuilds the zone index now (tests; the maintenance thread does it
  // every refresh_interval).
  Result<void> Refresh();

 private:
  Monitoring(std::unique_ptr<store::Database> database, pass::PassStore& passes,
             MonitoringOptions options);
  // The rules from the zones and settings now; nullptr when they are what was built last.
  Result<std::shared_ptr<const monitor::RuleSet>> BuildRules();
  Result<void> RebuildRules();
  Result<std::vector<api::ZoneEntry>> DerivedZones();
  void MaintenanceLoop();
  void FollowTexts();

  std::unique_ptr<store::Database> database_;  // config tables and registry reads
  pass::PassStore& passes_;
  const MonitoringOptions options_;
  RegistryContextSource context_;
  std::unique_ptr<alarm::AlarmService> alarms_;
  std::unique_ptr<monitor::Monitor> monitor_;

  std::mutex config_mutex_;  // database_ and settings_
  monitor::RuleSettings settings_;
  std::string last_zone_fingerprint_;

  std::atomic<gateway::Gateway*> gateway_{nullptr};
  std::mutex texts_mutex_;
  std::map<int64_t, uint64_t> pending_texts_;  // alarm id -> gateway command id

  std::mutex stop_mutex_;
  std::condition_variable stop_wake_;
  bool stopping_ = false;
  std::thread maintenance_;
};

}  // namespace baotong::app
