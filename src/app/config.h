// `baotong serve` configuration: a TOML file (config/baotong.toml documents every key) with
// command-line overrides.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "alarm/policy.h"
#include "api/http_server.h"
#include "api/routes.h"
#include "api/users.h"
#include "common/error.h"
#include "gateway/gateway.h"
#include "monitor/rules.h"
#include "pass/rules.h"
#include "store/sqlite/sqlite_store.h"

namespace baotong::app {

struct ServeConfig {
  std::filesystem::path data_dir = "data";
  gateway::GatewayOptions gateway;
  store::SqliteOptions sqlite;
  api::HttpOptions http;
  // Where /metrics (Prometheus) is served, "address:port"; empty: nowhere. Not on the API's port:
  // the counts describe the deployment, so they stay on loopback unless an operator opens them.
  std::string metrics_listen = "127.0.0.1:9108";
  std::filesystem::path web_root = "web/dist";  // the dashboard's built files
  api::UiConfig ui;
  api::UserStoreOptions users;
  pass::PassRules pass_rules;
  // The rule engine: threads (partitions) and the settings used until staff save their own
  // from the dashboard (docs/monitor.md); alarm severities, owners, deadlines, texts.
  size_t monitor_partitions = 2;
  monitor::RuleSettings monitor_settings;
  alarm::AlarmPolicy alarm_policy = alarm::DefaultAlarmPolicy();
  std::string log_level = "info";
};

// "127.0.0.1:9108" or "[::1]:9108" -> address and port; false when it is neither.
bool SplitListenAddress(std::string_view text, std::string& address, uint16_t& port);

// Reads `path` (or returns the defaults when there is none). Unknown keys and values of the
// wrong type are errors with the key's name in `message`, so a typo does not go unnoticed.
Result<ServeConfig> LoadServeConfig(const std::optional<std::filesystem::path>& path,
                                    std::string& message);

}  // namespace baotong::app
