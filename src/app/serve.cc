#include "app/serve.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/http_util.h"
#include "api/import_jobs.h"
#include "api/routes.h"
#include "api/static_files.h"
#include "app/geography.h"
#include "app/monitoring.h"
#include "app/pass_directory.h"
#include "app/provisioning.h"
#include "checkpoint/checkpoint_service.h"
#include "checkpoint/registry_vehicles.h"
#include "common/clock.h"
#include "common/field_cipher.h"
#include "pass/pass_store.h"
#include "registry/map_layers.h"
#include "stats/stats_service.h"
#include "store/sqlite/mbtiles.h"
#include "store/sqlite/sqlite_store.h"
#include "track/investigation.h"

namespace baotong::app {
namespace {

std::atomic<bool> g_stop_requested{false};

void RequestStop(int) {
  g_stop_requested = true;
}

}  // namespace

namespace {

// Each terminal is a file descriptor: take all the kernel allows this process.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("cannot raise the open-file limit to {}", limit.rlim_max);
  }
}

}  // namespace

int RunServe(const ServeOverrides& overrides) {
  std::string message;
  auto config = LoadServeConfig(overrides.config_file, message);
  if (!config) {
    std::cerr << "baotong serve: " << message << '\n';
    return 2;
  }
  if (overrides.data_dir)
    config->data_dir = *overrides.data_dir;
  if (overrides.jt808_port)
    config->gateway.port = *overrides.jt808_port;
  if (overrides.http_port)
    config->http.port = *overrides.http_port;
  if (overrides.auto_register)
    config->gateway.auto_register = true;
  if (overrides.web_root)
    config->web_root = *overrides.web_root;
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  RaiseOpenFileLimit();

  auto store = store::SqliteStore::Open(config->data_dir, config->sqlite);
  if (!store) {
    std::cerr << "baotong serve: cannot open the store in " << config->data_dir << ": "
              << store.error().Message() << '\n';
    return 1;
  }
  // Departments' records, accounts and the audit log share one database (registry.db).
  auto records = store::Database::Open(config->data_dir / "registry.db");
  if (!records) {
    std::cerr << "baotong serve: cannot open " << (config->data_dir / "registry.db") << ": "
              << records.error().Message() << '\n';
    return 1;
  }
  store::Database& records_db = **records;
  auto fail_records = [&](const Error& error) {
    std::cerr << "baotong serve: " << error.Message() << " (" << records_db.LastMessage() << ")\n";
    return 1;
  };
  if (auto ok = registry::RegistryStore::Migrate(records_db); !ok)
    return fail_records(ok.error());
  // Held while serving: `baotong keys rotate` refuses meanwhile (it would retire the key this
  // process seals under).
  auto field_keys_lock = crypto::FieldKeysLock::Take(
      config->data_dir / crypto::FieldCipher::kFileName, crypto::FieldKeysLock::Mode::kShared);
  if (!field_keys_lock)
    return fail_records(field_keys_lock.error());
  if (auto ok = registry::MigrateMapLayers(records_db); !ok)
    return fail_records(ok.error());
  // Accounts and the audit log write through connections of their own, so that no component's
  // transaction takes in another's writes.
  auto users_db = store::Database::Open(config->data_dir / "registry.db");
  auto audit_db = store::Database::Open(config->data_dir / "registry.db");
  if (!users_db || !audit_db)
    return fail_records(!users_db ? users_db.error() : audit_db.error());
  auto audit = api::AuditLog::Open(**audit_db);
  if (!audit)
    return fail_records(audit.error());
  auto users = api::UserStore::Open(**users_db, config->users);
  if (!users)
    return fail_records(users.error());
  registry::RegistryStore registry(records_db);
  // Entry passes (signed with the platform's key, created on first start) and the checkpoints.
  auto signing_key = pass::SigningKey::LoadOrCreate(config->data_dir / "pass-signing.key");
  if (!signing_key)
    return fail_records(signing_key.error());
  auto passes = pass::PassStore::Open(config->data_dir / "registry.db", config->pass_rules,
                                      std::move(*signing_key), NowMs());
  if (!passes)
    return fail_records(passes.error());
  PassStoreDirectory pass_directory(**passes);
  auto vehicles = checkpoint::RegistryVehicles::Open(config->data_dir / "registry.db");
  if (!vehicles)
    return fail_records(vehicles.error());
  auto checkpoints = checkpoint::CheckpointService::Open(config->data_dir / "registry.db",
                                                         pass_directory, **vehicles);
  if (!checkpoints)
    return fail_records(checkpoints.error());
  // Statistics read the other modules' tables on a connection of their own.
  auto statistics = stats::StatsService::Open(config->data_dir / "registry.db");
  if (!statistics)
    return fail_records(statistics.error());
  if (auto interrupted = registry::ImportLog(records_db).FailInterrupted(NowMs()); !interrupted)
    return fail_records(interrupted.error());
  if (auto layers = registry::MapLayerFeatures(records_db); layers) {
    for (const auto& feature : (*layers)["features"]) {
      if (feature.contains("properties") && feature["properties"].value("demo", false))
        config->ui.demo = true;
    }
  }

  // The rule engine and the alarms take every position the gateway queues for storage.
  MonitoringOptions monitoring_options;
  monitoring_options.monitor.partitions = config->monitor_partitions;
  monitoring_options.policy = config->alarm_policy;
  monitoring_options.default_settings = config->monitor_settings;
  auto monitoring =
      Monitoring::Open(config->data_dir / "registry.db", **passes, std::move(monitoring_options));
  if (!monitoring)
    return fail_records(monitoring.error());
  config->gateway.writer.on_queued = [&monitoring](std::vector<model::Position>& positions) {
    (*monitoring)->OnPosition(positions);
  };
  // The city's layers: a change reaches the checkpoints and the rule engine at once.
  Monitoring& engine = **monitoring;
  auto geography = Geography::Open({config->data_dir / "registry.db", **passes, **checkpoints,
                                    [&engine]() { return engine.Refresh(); }});
  if (!geography)
    return fail_records(geography.error());

  // A terminal whose code the [gateway] reregister_same_identity policy replaced is audited.
  config->gateway.on_reregistered = [&audit](const gateway::Reregistration& event) {
    api::AuditEntry entry;
    entry.at_ms = NowMs();
    entry.actor = "system";
    entry.client_address = event.peer;
    entry.action = "terminal.reregistered";
    entry.target = "terminals/" + event.terminal;
    nlohmann::json detail{{"terminal_id", event.terminal_id},
                          {"plate", event.plate},
                          {"plate_color", event.plate_color},
                          {"old_code", "revoked"}};
    entry.detail = detail.dump();
    if (auto appended = (*audit)->Append(entry); !appended) {
      spdlog::error("cannot audit a terminal re-registration (refused for now): {}",
                    appended.error().Message());
      return false;
    }
    return true;
  };
  gateway::Metrics metrics;
  gateway::Gateway gateway(config->gateway, **store, **store, metrics);
  (*monitoring)->AttachGateway(&gateway);
  if (auto started = gateway.Start(); !started) {
    std::cerr << "baotong serve: " << started.error().Message() << '\n';
    return 1;
  }
  track::TrackService track(**store);
  track::Investigations investigations(**store);
  store::TerminalStore& terminal_store = **store;
  api::ImportJobs imports(
      config->data_dir / "registry.db", records_db, **audit,
      [&terminal_store](std::span<const registry::Terminal> terminals) -> Result<void> {
        auto written = ProvisionTerminals(terminal_store, terminals);
        if (!written)
          return tl::unexpected(written.error());
        return {};
      });
  std::shared_ptr<const api::StaticFiles> web;
  if (!config->web_root.empty()) {
    auto files = std::make_shared<api::StaticFiles>(config->web_root);
    if (files->enabled()) {
      web = std::move(files);
    } else {
      spdlog::warn("no dashboard at {}: build it with scripts/web-build.sh",
                   config->web_root.string());
    }
  }
  api::ApiServices services{track,   gateway,          metrics,       registry,
                            **users, **audit,          imports,       config->ui,
                            web,     nullptr,          passes->get(), checkpoints->get(),
                            nullptr, monitoring->get()};
  services.stats = statistics->get();
  services.investigations = &investigations;
  services.geography = geography->get();
  // The offline base map, when configured: a missing or unreadable file stops the start, since
  // the maps of a deployment without internet would be blank.
  std::unique_ptr<store::MbTiles> offline_tiles;
  if (!config->ui.mbtiles.empty()) {
    auto opened = store::MbTiles::Open(config->ui.mbtiles);
    if (!opened) {
      std::cerr << "baotong serve: [map] mbtiles " << config->ui.mbtiles << ": "
                << opened.error().Message() << '\n';
      return 1;
    }
    offline_tiles = std::move(*opened);
    services.tiles = offline_tiles.get();
  }
  services.secure_cookies = config->http.tls();
  // The dashboard's maps load tiles from the configured servers: the only other image sources.
  std::vector<std::string> tile_urls;
  for (const auto& basemap : api::OfferedBaseMaps(config->ui))
    tile_urls.push_back(basemap.url);
  config->http.content_security_policy = api::ContentSecurityPolicy(tile_urls);
  config->http.admit_body = api::MakeBodyAdmission(services, config->http);
  api::HttpServer http(config->http, api::MakeApiHandler(services),
                       api::MakeUpgradeHandler(services));
  if (auto started = http.Start(); !started) {
    std::cerr << "baotong serve: " << started.error().Message() << '\n';
    return 1;
  }
  // /metrics on a listener of its own (loopback by default). Without it the platform still
  // serves: a second server on the same machine, say, only loses its counters.
  std::unique_ptr<api::HttpServer> metrics_http;
  std::string metrics_where = "off";
  if (!config->metrics_listen.empty()) {
    api::HttpOptions metrics_options;
    SplitListenAddress(config->metrics_listen, metrics_options.listen_address,
                       metrics_options.port);  // checked by LoadServeConfig
    metrics_options.threads = 1;
    metrics_options.max_connections_per_address = 16;
    metrics_options.max_connections = 64;
    metrics_http =
        std::make_unique<api::HttpServer>(metrics_options, api::MakeMetricsHandler(metrics));
    if (auto started = metrics_http->Start(); started) {
      metrics_where = metrics_options.listen_address + ":" + std::to_string(metrics_http->port());
    } else {
      spdlog::error("no /metrics: cannot listen on {} ([metrics] listen)", config->metrics_listen);
      metrics_http.reset();
    }
  }

  std::signal(SIGINT, RequestStop);
  std::signal(SIGTERM, RequestStop);
  std::signal(SIGPIPE, SIG_IGN);
  // Scripts wait for this line.
  std::cout << "baotong listening: jt808 " << config->gateway.listen_address << ":"
            << gateway.port() << ", http " << config->http.listen_address << ":" << http.port()
            << ", metrics " << metrics_where << ", data " << config->data_dir.string()
            << (config->http.tls() ? ", https" : "") << std::endl;
  while (!g_stop_requested)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));

  spdlog::info("stopping: closing connections and committing queued positions");
  http.Stop();
  // Failed sign-ins counted since their last summary go into the audit log before it closes.
  if (auto flushed = api::FlushAllFailedSignIns((*users)->failed_sign_in_audit(), **audit, NowMs());
      !flushed)
    spdlog::error("cannot audit pending failed sign-ins: {}", flushed.error().Message());
  if (metrics_http)
    metrics_http->Stop();
  gateway.Stop();
  (*monitoring)->AttachGateway(nullptr);
  return 0;
}

int RunStoreCheck(const std::filesystem::path& data_dir, const std::filesystem::path& acked_file) {
  std::ifstream input(acked_file);
  if (!input) {
    std::cerr << "baotong store-check: cannot read " << acked_file << '\n';
    return 2;
  }
  auto store = store::SqliteStore::Open(data_dir);
  if (!store) {
    std::cerr << "baotong store-check: " << store.error().Message() << '\n';
    return 2;
  }
  uint64_t acked = 0;
  uint64_t stored = 0;
  std::string line;
  while (std::getline(input, line)) {
    if (line.empty())
      continue;
    model::PositionKey key;
    size_t first = line.find(',');
    size_t second = line.find(',', first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      std::cerr << "baotong store-check: bad line: " << line << '\n';
      return 2;
    }
    key.terminal = line.substr(0, first);
    try {
      key.serial = static_cast<uint16_t>(std::stoul(line.substr(first + 1, second - first - 1)));
      key.device_time_ms = std::stoll(line.substr(second + 1));
    } catch (const std::exception&) {
      std::cerr << "baotong store-check: bad line: " << line << '\n';
      return 2;
    }
    ++acked;
    auto found = (*store)->Contains(key);
    if (!found) {
      std::cerr << "baotong store-check: " << found.error().Message() << '\n';
      return 2;
    }
    if (*found)
      ++stored;
  }
  std::cout << nlohmann::json{{"acked", acked},
                              {"stored_of_acked", stored},
                              {"lost", acked - stored}}
                   .dump()
            << '\n';
  return acked == stored ? 0 : 1;
}

}  // namespace baotong::app
