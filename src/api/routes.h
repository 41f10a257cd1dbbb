// The platform's HTTP routes (the list is in src/api/openapi.json, served at
// /api/openapi.json). Every /api route but sign-in, the UI configuration and the OpenAPI
// document needs a session (cookie or bearer token); the role's permissions (api/roles.h,
// docs/roles.md) decide the rest, and personal data is masked and its reads audited.
// /healthz stays open for operations; /metrics (Prometheus) is served on a listener of its own
// (MakeMetricsHandler), not on the API's port.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/audit_log.h"
#include "api/http_server.h"
#include "api/repeated_reads.h"
#include "api/users.h"
#include "gateway/gateway.h"
#include "gateway/metrics.h"
#include "model/position.h"
#include "registry/registry_store.h"
#include "track/track_service.h"

namespace baotong::api {

class GeographyControl;
class ImportJobs;
class MonitoringControl;
class StaticFiles;
}  // namespace baotong::api
namespace baotong::pass {
class PassStore;
}
namespace baotong::checkpoint {
class CheckpointService;
}
namespace baotong::track {
class Investigations;
}
namespace baotong::store {
class MbTiles;
}
namespace baotong::stats {
class StatsService;
}
namespace baotong::api {

// A base map the dashboard may show: a tile source and the datum its tiles are drawn in.
// GCJ-02 tiles (Amap, Tencent) get the data shifted for display only; stored coordinates stay
// WGS-84. 天地图 (CGCS2000) is used as WGS-84.
struct BaseMap {
  std::string id;    // "tianditu", "amap", "offline"
  std::string name;  // shown in the switcher: "天地图", "高德地图", "离线地图"
  // Leaflet's template: {z} {x} {y}, {s} for a subdomain; {key} is replaced by `key`.
  std::string url;
  std::string key;  // the tile service's browser key (天地图 tk), sent to the browser
  std::string subdomains;
  std::string attribution;
  std::string datum = "wgs84";  // "wgs84" or "gcj02"
  uint32_t max_zoom = 18;
};

// What the dashboard needs before sign-in: map tiles and where to centre.
struct UiConfig {
  std::string tile_url;  // e.g. "https://tiles.example/{z}/{x}/{y}.png"; empty: no tiles
  std::string tile_attribution;
  std::vector<BaseMap> basemaps;  // [[map.basemaps]]; tile_url, when set, is the first
  std::string mbtiles;            // [map] mbtiles: an offline tile file the server serves
  double center_lat = 41.108;     // Anshan
  double center_lon = 122.994;
  uint32_t zoom = 10;
  bool demo = false;  // the data are the synthetic demo city
};

// The registry's terminal <-> plate binding, read at most every kRefreshMs: the live map asks
// for it on every refresh, and an import of terminals shows on the map within that time.
class TerminalPlates {
 public:
  static constexpr int64_t kRefreshMs = 10'000;
  struct Snapshot {
    std::map<std::string, std::string> plate_of_terminal;
    std::map<std::string, std::string> terminal_of_plate;
  };
  Result<std::shared_ptr<const Snapshot>> Get(registry::RegistryStore& registry, int64_t now_ms);

 private:
  std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;
  int64_t loaded_at_ms_ = 0;
};

struct ApiServices {
  track::TrackService& track;
  gateway::Gateway& gateway;
  gateway::Metrics& metrics;
  registry::RegistryStore& registry;
  UserStore& users;
  AuditLog& audit;
  ImportJobs& imports;
  UiConfig ui;
  std::shared_ptr<const StaticFiles> web;  // the dashboard's files; null: none
  std::function<int64_t()> now_ms;         // null: the system clock
  pass::PassStore* passes = nullptr;       // entry passes; null: those routes answer 404
  checkpoint::CheckpointService* checkpoints = nullptr;
  std::shared_ptr<TerminalPlates> terminal_plates;  // null: MakeApiHandler makes one
  MonitoringControl* monitoring = nullptr;  // rule engine and alarms; null: those routes 404
  track::Investigations* investigations = nullptr;  // 协查; null: those routes 404
  stats::StatsService* stats = nullptr;   // statistics and indicators; null: those routes 404
  GeographyControl* geography = nullptr;  // the city's layers; null: those routes 404
  store::MbTiles* tiles = nullptr;        // the offline base map; null: its route 404s
  std::shared_ptr<RepeatedReads> repeated_reads{};  // null: MakeApiHandler makes one
  bool secure_cookies = false;  // served over HTTPS: the session cookie is Secure
};

Handler MakeApiHandler(ApiServices services);
// The body limit of a request with this method and target, from `options`' sizes: imports,
// sign-in and the rest of the API each have their own.
size_t RequestBodyLimit(const HttpOptions& options, boost::beast::http::verb method,
                        std::string_view target);
// The base maps the dashboard offers, in order: `tile_url` (as "default"), [[map.basemaps]],
// then the offline MBTiles file (served at /api/map/tiles/{z}/{x}/{y}).
std::vector<BaseMap> OfferedBaseMaps(const UiConfig& ui);

// For HttpOptions::admit_body: RequestBodyLimit, and an import's large body only from a live
// session whose role may import that kind (401/403 before a byte of it is read).
BodyAdmission MakeBodyAdmission(ApiServices services, HttpOptions limits);
// GET /metrics (Prometheus) and /healthz, for the separate metrics listener ([metrics] listen,
// loopback by default): the API's port does not answer /metrics.
Handler MakeMetricsHandler(gateway::Metrics& metrics);
// WebSocket upgrades: /api/alarms/live, the alarm feed (the session cookie authenticates).
UpgradeHandler MakeUpgradeHandler(ApiServices services);

nlohmann::ordered_json PositionToJson(const model::Position& position);

}  // namespace baotong::api
