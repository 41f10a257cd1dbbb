#include "app/monitoring.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <unordered_map>

#include "common/clock.h"
#include "gateway/gateway.h"
#include "registry/map_layers.h"
#include "registry/records.h"
#include "registry/registry_store.h"

namespace baotong::app {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE monitor_zones(
  code TEXT PRIMARY KEY NOT NULL,
  body TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE monitor_settings(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  body TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL);
)sql",
};

// Codes of derived zones carry their source as a prefix, so that they cannot clash with the
// codes staff give their own zones (which may not contain ':').
constexpr std::string_view kSitePrefix = "site:";
constexpr std::string_view kRoutePrefix = "route:";
constexpr std::string_view kPassPrefix = "pass:";
constexpr std::string_view kCityPrefix = "city:";

bool IsDerivedCode(std::string_view code) {
  return code.find(':') != std::string_view::npos;
}

std::optional<registry::VehicleClass> ParseClass(std::string_view id) {
  for (auto vehicle_class : registry::kAllVehicleClasses) {
    if (registry::VehicleClassId(vehicle_class) == id)
      return vehicle_class;
  }
  return std::nullopt;
}

// Every shape of a GeoJSON geometry as zones of one kind, numbered when there are several.
void AddShapes(const Json& geometry, double point_radius_m, const std::string& code,
               const std::string& name, monitor::ZoneKind kind, std::string_view source,
               std::vector<api::ZoneEntry>& out) {
  auto shapes = geo::ShapesFromGeoJson(geometry.dump(), point_radius_m);
  if (!shapes) {
    spdlog::warn("monitor: zone {} has a geometry that cannot be read; skipped", code);
    return;
  }
  for (size_t i = 0; i < shapes->size(); ++i) {
    monitor::Zone zone;
    zone.code = shapes->size() == 1 ? code : code + "#" + std::to_string(i + 1);
    zone.name = name;
    zone.kind = kind;
    zone.shape = std::move((*shapes)[i]);
    out.push_back({std::move(zone), std::string(source)});
  }
}

}  // namespace

Result<void> MigrateMonitorTables(store::Database& database) {
  return database.Migrate("monitor", kMigrations);
}

Result<void> UpsertUserZone(store::Database& database, const monitor::Zone& zone,
                            std::string_view by, int64_t now_ms) {
  if (IsDerivedCode(zone.code))
    return Fail(ErrorCode::kConflict, "zone codes with ':' belong to derived zones");
  auto write = database.Prepare(
      "INSERT INTO monitor_zones(code, body, updated_by, updated_at_ms) VALUES(?, ?, ?, ?) "
      "ON CONFLICT(code) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, "
      "updated_at_ms = excluded.updated_at_ms");
  if (!write)
    return tl::unexpected(write.error());
  write->Bind(1, zone.code).Bind(2, monitor::ZoneJson(zone).dump()).Bind(3, by).Bind(4, now_ms);
  return write->Run();
}

Result<std::vector<monitor::Zone>> UserZones(store::Database& database) {
  std::vector<monitor::Zone> zones;
  auto statement = database.Prepare("SELECT body FROM monitor_zones ORDER BY code");
  if (!statement)
    return tl::unexpected(statement.error());
  auto read = statement->ForEachRow([&](const store::Statement& row) -> Result<void> {
    auto parsed =
        monitor::ParseZone(nlohmann::json::parse(row.Text(0), nullptr, /*allow_exceptions=*/false));
    if (!parsed)
      return Fail(ErrorCode::kStorage, "a stored monitor zone is not valid");
    zones.push_back(std::move(*parsed));
    return {};
  });
  if (!read)
    return tl::unexpected(read.error());
  return zones;
}

std::optional<std::string> PassRouteCode(const pass::PassApplication& pass) {
  if (pass.route_id)
    return std::string(kRoutePrefix) + *pass.route_id;
  if (pass.waypoints.size() >= 2)
    return std::string(kPassPrefix) + std::to_string(pass.id);
  return std::nullopt;
}

// ---- RegistryContextSource

Result<void> RegistryContextSource::Reload() {
  auto statement = database_.Prepare(
      "SELECT t.phone, t.plate, t.plate_color, v.vehicle_class, v.district FROM terminals t "
      "LEFT JOIN vehicles v ON v.plate = t.plate AND v.plate_color = t.plate_color "
      "WHERE t.plate IS NOT NULL");
  if (!statement)
    return tl::unexpected(statement.error());
  auto bindings = std::make_shared<std::unordered_map<std::string, Binding>>();
  auto read = statement->ForEachRow([&](const store::Statement& row) -> Result<void> {
    Binding binding;
    binding.plate = row.Text(1);
    binding.plate_color = static_cast<int>(row.OptionalInt(2).value_or(0));
    if (auto vehicle_class = row.OptionalText(3))
      binding.vehicle_class = ParseClass(*vehicle_class);
    binding.district = row.OptionalText(4).value_or("");
    bindings->emplace(row.Text(0), std::move(binding));
    return {};
  });
  if (!read)
    return tl::unexpected(read.error());
  std::lock_guard lock(mutex_);
  bindings_ = std::move(bindings);
  return {};
}

std::shared_ptr<const monitor::VehicleContext> RegistryContextSource::Find(
    std::string_view terminal, int64_t at_ms) const {
  std::shared_ptr<const std::unordered_map<std::string, Binding>> bindings;
  {
    std::lock_guard lock(mutex_);
    bindings = bindings_;
  }
  if (!bindings)
    return nullptr;
  auto found = bindings->find(std::string(terminal));
  if (found == bindings->end())
    return nullptr;  // a terminal fitted to no known vehicle
  const Binding& binding = found->second;
  auto context = std::make_shared<monitor::VehicleContext>();
  context->plate = binding.plate;
  context->plate_color = binding.plate_color;
  context->vehicle_class = binding.vehicle_class;
  context->district = binding.district;
  auto lookup =
      passes_.Lookup(binding.plate, static_cast<registry::PlateColor>(binding.plate_color), at_ms);
  // A pass whose entry window is over still covers the vehicle until its planned exit; after
  // that the overstay rule speaks, not the missing-permit one.
  const bool usable =
      lookup.pass && lookup.pass->status == pass::PassStatus::kApproved &&
      (lookup.state == pass::PassState::kInForce || lookup.state == pass::PassState::kExpired);
  if (usable) {
    const pass::PassApplication& held = *lookup.pass;
    context->pass_id = held.id;
    context->standing = held.kind == pass::PassKind::kStanding;
    context->permit_from_ms = held.valid_from_ms.value_or(held.entry_from_ms);
    context->permit_until_ms =
        std::max(held.valid_until_ms.value_or(held.entry_until_ms),
                 held.kind == pass::PassKind::kTrip ? held.planned_exit_ms : int64_t{0});
    if (held.kind == pass::PassKind::kTrip)
      context->planned_exit_ms = held.planned_exit_ms;
    context->route_code = PassRouteCode(held);
    for (const auto& site : held.destination_site_codes)
      context->destination_site_codes.push_back(std::string(kSitePrefix) + site);
  }
  return context;
}

// ---- Monitoring

Monitoring::Monitoring(std::unique_ptr<store::Database> database, pass::PassStore& passes,
                       MonitoringOptions options)
    : database_(std::move(database)),
      passes_(passes),
      options_(std::move(options)),
      context_(*database_, passes),
      settings_(options_.default_settings) {}

Result<std::unique_ptr<Monitoring>> Monitoring::Open(const std::filesystem::path& database_file,
                                                     pass::PassStore& passes,
                                                     MonitoringOptions options) {
  auto database = store::Database::Open(database_file);
  if (!database)
    return tl::unexpected(database.error());
  if (auto ok = registry::RegistryStore::Migrate(**database); !ok)
    return tl::unexpected(ok.error());
  if (auto ok = registry::MigrateMapLayers(**database); !ok)
    return tl::unexpected(ok.error());
  if (auto ok = MigrateMonitorTables(**database); !ok)
    return tl::unexpected(ok.error());
  std::unique_ptr<Monitoring> monitoring(
      new Monitoring(std::move(*database), passes, std::move(options)));
  Monitoring& self = *monitoring;

  // Settings saved by staff win over the configuration file's.
  auto statement = self.database_->Prepare("SELECT body FROM monitor_settings WHERE id = 1");
  if (!statement)
    return tl::unexpected(statement.error());
  auto row = statement->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (*row) {
    auto parsed = monitor::ParseRuleSettings(
        nlohmann::json::parse(statement->Text(0), nullptr, /*allow_exceptions=*/false));
    if (!parsed)
      return Fail(ErrorCode::kStorage, "the stored monitor settings are not valid");
    self.settings_ = std::move(*parsed);
  }

  auto alarms = alarm::AlarmService::Open(database_file, self.options_.policy);
  if (!alarms)
    return tl::unexpected(alarms.error());
  self.alarms_ = std::move(*alarms);
  if (auto loaded = self.context_.Reload(); !loaded)
    return tl::unexpected(loaded.error());
  auto rules = self.BuildRules();
  if (!rules)
    return tl::unexpected(rules.error());
  self.monitor_ = std::make_unique<monitor::Monitor>(self.options_.monitor, std::move(*rules),
                                                     self.context_, *self.alarms_);
  self.maintenance_ = std::thread([&self] { self.MaintenanceLoop(); });
  return monitoring;
}

Monitoring::~Monitoring() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_wake_.notify_all();
  if (maintenance_.joinable())
    maintenance_.join();
  // The partitions stop (and drain) before the alarm service they signal is destroyed.
  monitor_.reset();
  if (alarms_)
    alarms_->Flush();
}

void Monitoring::OnPosition(std::vector<model::Position>& positions) {
  monitor_->Submit(std::move(positions));
}

void Monitoring::AttachGateway(gateway::Gateway* gateway) {
  gateway_ = gateway;
  alarms_->SetTextSender([this](const alarm::TextRequest& request) -> std::optional<uint64_t> {
    gateway::Gateway* sender = gateway_.load();
    if (!sender)
      return std::nullopt;
    jt808::TextMessage text;
    text.flags = 0x0c;  // terminal display + TTS read-out
    text.text = request.text;
    auto id = sender->SendCommand(request.terminal, jt808::Message{std::move(text)});
    if (!id)
      return std::nullopt;
    std::lock_guard lock(texts_mutex_);
    pending_texts_[request.alarm_id] = *id;
    return *id;
  });
}

Result<std::vector<api::ZoneEntry>> Monitoring::DerivedZones() {
  std::vector<api::ZoneEntry> zones;
  // The city: the boundary layer of the map.
  auto layers = registry::MapLayerFeatures(*database_);
  if (!layers)
    return tl::unexpected(layers.error());
  int city = 0;
  for (const auto& feature : (*layers)["features"]) {
    const auto& properties = feature.value("properties", Json::object());
    if (properties.value("layer", "") != "boundary" || !feature.contains("geometry"))
      continue;
    AddShapes(feature["geometry"], 0, std::string(kCityPrefix) + std::to_string(++city),
              properties.value("name", "城区"), monitor::ZoneKind::kCity, "city", zones);
  }
  // Designated sites: stops and open doors there are expected.
  registry::RegistryStore registry(*database_);
  auto sites = registry.SiteFeatures();
  if (!sites)
    return tl::unexpected(sites.error());
  for (const auto& feature : *sites) {
    const auto& properties = feature["properties"];
    AddShapes(feature["geometry"], options_.site_point_radius_m,
              std::string(kSitePrefix) + properties.value("code", ""), properties.value("name", ""),
              monitor::ZoneKind::kSite, "site", zones);
  }
  // Published routes and the routes of passes drawn by their applicants.
  auto routes = passes_.Routes();
  if (!routes)
    return tl::unexpected(routes.error());
  std::unordered_map<std::string, double> route_corridors;
  for (const auto& route : *routes) {
    AddShapes(Json::parse(route.geometry), 0, std::string(kRoutePrefix) + route.id, route.name,
              monitor::ZoneKind::kRoute, "route", zones);
    if (route.corridor_m > 0)
      route_corridors[std::string(kRoutePrefix) + route.id] = route.corridor_m;
  }
  const int64_t now = NowMs();
  for (const auto& held : passes_.IndexedPasses()) {
    if (held->route_id || held->waypoints.size() < 2 ||
        held->status != pass::PassStatus::kApproved || held->planned_exit_ms < now)
      continue;
    Json line{{"type", "LineString"}, {"coordinates", Json::array()}};
    for (const auto& point : held->waypoints)
      line["coordinates"].push_back(Json::array({point.lon, point.lat}));
    AddShapes(line, 0, std::string(kPassPrefix) + std::to_string(held->id),
              "通行证 " + std::to_string(held->id) + " 路线", monitor::ZoneKind::kRoute, "pass",
              zones);
  }
  // A route's own corridor (drawn or imported with it) wins over the configured default.
  for (auto& entry : zones) {
    if (entry.zone.kind != monitor::ZoneKind::kRoute)
      continue;
    auto own = route_corridors.find(entry.zone.code);
    entry.zone.corridor_m = own != route_corridors.end() ? own->second : options_.route_corridor_m;
  }
  return zones;
}

Result<std::vector<api::ZoneEntry>> Monitoring::Zones() {
  std::lock_guard lock(config_mutex_);
  std::vector<api::ZoneEntry> zones;
  auto user_zones = UserZones(*database_);
  if (!user_zones)
    return tl::unexpected(user_zones.error());
  for (auto& zone : *user_zones)
    zones.push_back({std::move(zone), "user"});
  auto derived = DerivedZones();
  if (!derived)
    return tl::unexpected(derived.error());
  for (auto& entry : *derived)
    zones.push_back(std::move(entry));
  return zones;
}

Result<void> Monitoring::SaveZone(const monitor::Zone& zone, bool create, std::string_view by,
                                  int64_t now_ms) {
  if (IsDerivedCode(zone.code))
    return Fail(ErrorCode::kConflict, "zone codes with ':' belong to derived zones");
  {
    std::lock_guard lock(config_mutex_);
    auto exists = database_->Prepare("SELECT 1 FROM monitor_zones WHERE code = ?");
    if (!exists)
      return tl::unexpected(exists.error());
    exists->Bind(1, zone.code);
    auto row = exists->Step();
    if (!row)
      return tl::unexpected(row.error());
    if (create && *row)
      return Fail(ErrorCode::kConflict, "a zone with this code exists");
    if (!create && !*row)
      return Fail(ErrorCode::kNotFound, "no such zone");
    if (auto ok = UpsertUserZone(*database_, zone, by, now_ms); !ok)
      return tl::unexpected(ok.error());
  }
  return RebuildRules();
}

Result<bool> Monitoring::DeleteZone(std::string_view code) {
  {
    std::lock_guard lock(config_mutex_);
    auto statement = database_->Prepare("DELETE FROM monitor_zones WHERE code = ?");
    if (!statement)
      return tl::unexpected(statement.error());
    statement->Bind(1, code);
    if (auto ok = statement->Run(); !ok)
      return tl::unexpected(ok.error());
    if (database_->Changes() == 0)
      return false;
  }
  if (auto ok = RebuildRules(); !ok)
    return tl::unexpected(ok.error());
  return true;
}

monitor::RuleSettings Monitoring::Settings() {
  std::lock_guard lock(config_mutex_);
  return settings_;
}

Result<void> Monitoring::SaveSettings(const monitor::RuleSettings& settings, std::string_view by,
                                      int64_t now_ms) {
  {
    std::lock_guard lock(config_mutex_);
    auto write = database_->Prepare(
        "INSERT INTO monitor_settings(id, body, updated_by, updated_at_ms) VALUES(1, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, "
        "updated_at_ms = excluded.updated_at_ms");
    if (!write)
      return tl::unexpected(write.error());
    write->Bind(1, monitor::RuleSettingsJson(settings).dump()).Bind(2, by).Bind(3, now_ms);
    if (auto ok = write->Run(); !ok)
      return tl::unexpected(ok.error());
    settings_ = settings;
    last_zone_fingerprint_.clear();  // corridor widths may have changed
  }
  return RebuildRules();
}

Result<std::shared_ptr<const monitor::RuleSet>> Monitoring::BuildRules() {
  auto zones = Zones();
  if (!zones)
    return tl::unexpected(zones.error());
  std::string fingerprint;
  std::vector<monitor::Zone> plain;
  plain.reserve(zones->size());
  for (auto& entry : *zones) {
    fingerprint += monitor::ZoneJson(entry.zone).dump();
    plain.push_back(std::move(entry.zone));
  }
  monitor::RuleSettings settings = Settings();
  fingerprint += monitor::RuleSettingsJson(settings).dump();
  {
    std::lock_guard lock(config_mutex_);
    if (fingerprint == last_zone_fingerprint_)
      return nullptr;
    last_zone_fingerprint_ = fingerprint;
  }
  auto index = monitor::ZoneIndex::Build(std::move(plain));
  if (!index)
    return tl::unexpected(index.error());
  return std::make_shared<const monitor::RuleSet>(monitor::RuleSet{std::move(settings), *index});
}

Result<void> Monitoring::RebuildRules() {
  auto rules = BuildRules();
  if (!rules)
    return tl::unexpected(rules.error());
  if (*rules)
    monitor_->UpdateRules(std::move(*rules));
  return {};
}

Result<void> Monitoring::Refresh() {
  if (auto ok = context_.Reload(); !ok)
    return ok;
  return RebuildRules();
}

void Monitoring::FollowTexts() {
  gateway::Gateway* gateway = gateway_.load();
  if (!gateway)
    return;
  std::map<int64_t, uint64_t> pending;
  {
    std::lock_guard lock(texts_mutex_);
    pending = pending_texts_;
  }
  for (const auto& [alarm_id, command_id] : pending) {
    auto command = gateway->FindCommand(command_id);
    if (command && command->status == gateway::CommandStatus::kPending)
      continue;
    alarms_->RecordTextResult(
        alarm_id, command ? std::string(gateway::ToString(command->status)) : "unknown");
    std::lock_guard lock(texts_mutex_);
    pending_texts_.erase(alarm_id);
  }
}

void Monitoring::MaintenanceLoop() {
  auto last_refresh = std::chrono::steady_clock::now();
  std::unique_lock lock(stop_mutex_);
  while (!stopping_) {
    stop_wake_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_)
      break;
    lock.unlock();
    FollowTexts();
    if (std::chrono::steady_clock::now() - last_refresh >= options_.refresh_interval) {
      last_refresh = std::chrono::steady_clock::now();
      if (auto ok = Refresh(); !ok)
        spdlog::warn("monitor: refreshing vehicles and zones failed: {}", ok.error().Message());
    }
    lock.lock();
  }
}

}  // namespace baotong::app
