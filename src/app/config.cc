#include "app/config.h"

#include <toml++/toml.h>

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace baotong::app {
namespace {

// Reads one optional value into `target`, checking its type and range.
template <typename T>
bool Read(const toml::table& table, std::string_view key, T& target, std::string& message,
          std::string_view section) {
  const toml::node* node = table.get(key);
  if (!node)
    return true;
  std::string name =
      section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
  // value<T>() converts between types (1 would read as true): check the node's own type.
  if constexpr (std::is_same_v<T, bool>) {
    if (const auto* value = node->as_boolean()) {
      target = value->get();
      return true;
    }
    message = name + " must be true or false";
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (const auto* value = node->as_string()) {
      target = value->get();
      return true;
    }
    message = name + " must be a string";
  } else if constexpr (std::is_floating_point_v<T>) {
    if (auto value = node->value<double>()) {
      target = static_cast<T>(*value);
      return true;
    }
    message = name + " must be a number";
  } else {
    if (auto value = node->value<int64_t>()) {
      if (*value >= 0 && static_cast<uint64_t>(*value) <= std::numeric_limits<T>::max()) {
        target = static_cast<T>(*value);
        return true;
      }
      message = name + " is out of range";
      return false;
    }
    message = name + " must be a whole number";
  }
  return false;
}

bool CheckKeys(const toml::table& table, const std::set<std::string_view>& allowed,
               std::string_view section, std::string& message) {
  for (const auto& [key, node] : table) {
    if (!allowed.contains(key.str())) {
      message = "unknown key " + (section.empty() ? "" : std::string(section) + ".") +
                std::string(key.str());
      return false;
    }
  }
  return true;
}

const toml::table* Section(const toml::table& root, std::string_view name) {
  const toml::node* node = root.get(name);
  return node ? node->as_table() : nullptr;
}

}  // namespace

bool SplitListenAddress(std::string_view text, std::string& address, uint16_t& port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return false;
  std::string_view host = text.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']'))
    host = host.substr(1, host.size() - 2);
  std::string_view digits = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || value > 65535)
    return false;
  boost::system::error_code bad_address;
  boost::asio::ip::make_address(std::string(host), bad_address);
  if (bad_address)
    return false;
  address = std::string(host);
  port = static_cast<uint16_t>(value);
  return true;
}

Result<ServeConfig> LoadServeConfig(const std::optional<std::filesystem::path>& path,
                                    std::string& message) {
  ServeConfig config;
  if (!path)
    return config;
  toml::table root;
  try {
    root = toml::parse_file(path->string());
  } catch (const toml::parse_error& error) {
    message = path->string() + ": " + std::string(error.description());
    return Fail(ErrorCode::kBadValue, "configuration file does not parse");
  }
  auto bad = [&] { return Fail(ErrorCode::kBadValue, "bad configuration value"); };
  if (!CheckKeys(root,
                 {"data_dir", "gateway", "store", "http", "metrics", "map", "auth", "pass",
                  "monitor", "alarm", "log"},
                 "", message))
    return bad();
  std::string data_dir = config.data_dir.string();
  if (!Read(root, "data_dir", data_dir, message, ""))
    return bad();
  config.data_dir = data_dir;

  if (const auto* gateway = Section(root, "gateway")) {
    if (!CheckKeys(
            *gateway,
            {"listen", "port", "io_threads", "idle_timeout_s", "auth_timeout_s", "auto_register",
             "max_bad_frames", "command_timeout_s", "reregister_same_identity",
             "max_auth_failures_per_connection", "auth_failures_per_phone", "auth_failure_window_s",
             "auth_lockout_s", "max_connections_per_address"},
            "gateway", message)) {
      return bad();
    }
    auto& options = config.gateway;
    // Defaults come from GatewayOptions, so they are written down in one place only.
    using std::chrono::duration_cast;
    using std::chrono::seconds;
    auto idle = static_cast<uint32_t>(duration_cast<seconds>(options.idle_timeout).count());
    auto auth = static_cast<uint32_t>(duration_cast<seconds>(options.auth_timeout).count());
    auto command = static_cast<uint32_t>(duration_cast<seconds>(options.command_timeout).count());
    auto failure_window =
        static_cast<uint32_t>(duration_cast<seconds>(options.auth_failure_window).count());
    auto lockout = static_cast<uint32_t>(duration_cast<seconds>(options.auth_lockout).count());
    if (!Read(*gateway, "listen", options.listen_address, message, "gateway") ||
        !Read(*gateway, "port", options.port, message, "gateway") ||
        !Read(*gateway, "io_threads", options.io_threads, message, "gateway") ||
        !Read(*gateway, "idle_timeout_s", idle, message, "gateway") ||
        !Read(*gateway, "auth_timeout_s", auth, message, "gateway") ||
        !Read(*gateway, "auto_register", options.auto_register, message, "gateway") ||
        !Read(*gateway, "max_bad_frames", options.max_bad_frames, message, "gateway") ||
        !Read(*gateway, "command_timeout_s", command, message, "gateway") ||
        !Read(*gateway, "reregister_same_identity", options.reregister_same_identity, message,
              "gateway") ||
        !Read(*gateway, "max_auth_failures_per_connection",
              options.max_auth_failures_per_connection, message, "gateway") ||
        !Read(*gateway, "auth_failures_per_phone", options.auth_failures_per_phone, message,
              "gateway") ||
        !Read(*gateway, "auth_failure_window_s", failure_window, message, "gateway") ||
        !Read(*gateway, "auth_lockout_s", lockout, message, "gateway") ||
        !Read(*gateway, "max_connections_per_address", options.max_connections_per_address, message,
              "gateway")) {
      return bad();
    }
    if (options.max_auth_failures_per_connection == 0 || options.auth_failures_per_phone == 0) {
      message =
          "gateway.max_auth_failures_per_connection and auth_failures_per_phone must be at "
          "least 1";
      return bad();
    }
    options.auth_failure_window = std::chrono::seconds(failure_window);
    options.auth_lockout = std::chrono::seconds(lockout);
    options.idle_timeout = std::chrono::seconds(idle);
    options.auth_timeout = std::chrono::seconds(auth);
    options.command_timeout = std::chrono::seconds(command);
  }
  if (const auto* store = Section(root, "store")) {
    if (!CheckKeys(*store,
                   {"max_batch", "max_queued", "compact_every_rows", "compact_every_s",
                    "compact_slice_rows"},
                   "store", message)) {
      return bad();
    }
    uint32_t compact_every_s = static_cast<uint32_t>(config.sqlite.compact_every_ms / 1000);
    if (!Read(*store, "max_batch", config.gateway.writer.max_batch, message, "store") ||
        !Read(*store, "max_queued", config.gateway.writer.max_queued, message, "store") ||
        !Read(*store, "compact_every_rows", config.sqlite.compact_every_rows, message, "store") ||
        !Read(*store, "compact_every_s", compact_every_s, message, "store") ||
        !Read(*store, "compact_slice_rows", config.sqlite.compact_slice_rows, message, "store")) {
      return bad();
    }
    config.sqlite.compact_every_ms = int64_t{compact_every_s} * 1000;
    if (config.gateway.writer.max_batch == 0 ||
        config.gateway.writer.max_queued < config.gateway.writer.max_batch) {
      message = "store.max_batch must be at least 1 and at most store.max_queued";
      return bad();
    }
  }
  if (const auto* http = Section(root, "http")) {
    if (!CheckKeys(*http,
                   {"listen", "port", "threads", "web_root", "max_body_mib", "certificate",
                    "private_key", "max_connections_per_address", "max_connections"},
                   "http", message))
      return bad();
    std::string web_root = config.web_root.string();
    size_t max_body_mib = config.http.max_body_bytes >> 20;
    if (!Read(*http, "listen", config.http.listen_address, message, "http") ||
        !Read(*http, "port", config.http.port, message, "http") ||
        !Read(*http, "threads", config.http.threads, message, "http") ||
        !Read(*http, "web_root", web_root, message, "http") ||
        !Read(*http, "max_body_mib", max_body_mib, message, "http") ||
        !Read(*http, "certificate", config.http.certificate_file, message, "http") ||
        !Read(*http, "private_key", config.http.private_key_file, message, "http") ||
        !Read(*http, "max_connections_per_address", config.http.max_connections_per_address,
              message, "http") ||
        !Read(*http, "max_connections", config.http.max_connections, message, "http")) {
      return bad();
    }
    if (config.http.certificate_file.empty() != config.http.private_key_file.empty()) {
      message = "http.certificate and http.private_key go together (HTTPS needs both)";
      return bad();
    }
    if (max_body_mib == 0 || max_body_mib > 1024) {
      message = "http.max_body_mib must be 1 to 1024";
      return bad();
    }
    config.web_root = web_root;
    config.http.max_body_bytes = max_body_mib << 20;
  }
  if (const auto* metrics = Section(root, "metrics")) {
    if (!CheckKeys(*metrics, {"listen"}, "metrics", message) ||
        !Read(*metrics, "listen", config.metrics_listen, message, "metrics"))
      return bad();
    std::string address;
    uint16_t port = 0;
    if (!config.metrics_listen.empty() &&
        !SplitListenAddress(config.metrics_listen, address, port)) {
      message = "metrics.listen must be \"address:port\" (e.g. \"127.0.0.1:9108\") or empty";
      return bad();
    }
  }
  if (const auto* map = Section(root, "map")) {
    if (!CheckKeys(*map,
                   {"tile_url", "tile_attribution", "center_lat", "center_lon", "zoom", "mbtiles",
                    "basemaps"},
                   "map", message))
      return bad();
    auto& ui = config.ui;
    if (!Read(*map, "tile_url", ui.tile_url, message, "map") ||
        !Read(*map, "tile_attribution", ui.tile_attribution, message, "map") ||
        !Read(*map, "center_lat", ui.center_lat, message, "map") ||
        !Read(*map, "center_lon", ui.center_lon, message, "map") ||
        !Read(*map, "zoom", ui.zoom, message, "map") ||
        !Read(*map, "mbtiles", ui.mbtiles, message, "map")) {
      return bad();
    }
    if (const toml::node* list = map->get("basemaps")) {
      const toml::array* basemaps = list->as_array();
      if (!basemaps) {
        message = "map.basemaps must be an array of tables ([[map.basemaps]])";
        return bad();
      }
      for (const toml::node& node : *basemaps) {
        const toml::table* entry = node.as_table();
        api::BaseMap basemap;
        if (!entry ||
            !CheckKeys(
                *entry,
                {"id", "name", "url", "key", "subdomains", "attribution", "datum", "max_zoom"},
                "map.basemaps", message) ||
            !Read(*entry, "id", basemap.id, message, "map.basemaps") ||
            !Read(*entry, "name", basemap.name, message, "map.basemaps") ||
            !Read(*entry, "url", basemap.url, message, "map.basemaps") ||
            !Read(*entry, "key", basemap.key, message, "map.basemaps") ||
            !Read(*entry, "subdomains", basemap.subdomains, message, "map.basemaps") ||
            !Read(*entry, "attribution", basemap.attribution, message, "map.basemaps") ||
            !Read(*entry, "datum", basemap.datum, message, "map.basemaps") ||
            !Read(*entry, "max_zoom", basemap.max_zoom, message, "map.basemaps")) {
          if (message.empty())
            message = "map.basemaps entries must be tables";
          return bad();
        }
        const bool web_url =
            basemap.url.starts_with("https://") || basemap.url.starts_with("http://");
        if (basemap.id.empty() || basemap.name.empty() || !web_url ||
            (basemap.datum != "wgs84" && basemap.datum != "gcj02") || basemap.max_zoom > 22) {
          message =
              "each [[map.basemaps]] needs id, name, an http(s) url, datum \"wgs84\" or "
              "\"gcj02\" and max_zoom 0-22";
          return bad();
        }
        ui.basemaps.push_back(std::move(basemap));
      }
    }
    if (ui.center_lat < -90 || ui.center_lat > 90 || ui.center_lon < -180 || ui.center_lon > 180 ||
        ui.zoom > 19) {
      message = "map.center_lat/center_lon must be WGS-84 degrees and map.zoom 0-19";
      return bad();
    }
  }
  if (const auto* auth = Section(root, "auth")) {
    if (!CheckKeys(*auth, {"session_idle_minutes", "session_absolute_hours"}, "auth", message))
      return bad();
    auto idle_minutes = static_cast<uint32_t>(config.users.session_idle_ms / 60'000);
    auto absolute_hours = static_cast<uint32_t>(config.users.session_absolute_ms / 3'600'000);
    if (!Read(*auth, "session_idle_minutes", idle_minutes, message, "auth") ||
        !Read(*auth, "session_absolute_hours", absolute_hours, message, "auth")) {
      return bad();
    }
    if (idle_minutes == 0 || absolute_hours == 0) {
      message = "auth session lifetimes must be at least 1";
      return bad();
    }
    config.users.session_idle_ms = int64_t{idle_minutes} * 60'000;
    config.users.session_absolute_ms = int64_t{absolute_hours} * 3'600'000;
  }
  {
    // Without a [pass] table the rules are the defaults (docs/passes.md).
    auto rules = pass::ParsePassRules(Section(root, "pass"), message);
    if (!rules)
      return bad();
    config.pass_rules = std::move(*rules);
  }
  if (const auto* monitor = Section(root, "monitor")) {
    // [monitor] partitions = N, and [monitor.settings] in the shape of GET /api/monitor/rules.
    if (!CheckKeys(*monitor, {"partitions", "settings"}, "monitor", message))
      return bad();
    int64_t partitions = static_cast<int64_t>(config.monitor_partitions);
    if (!Read(*monitor, "partitions", partitions, message, "monitor"))
      return bad();
    if (partitions < 1 || partitions > 64) {
      message = "monitor.partitions must be 1-64";
      return bad();
    }
    config.monitor_partitions = static_cast<size_t>(partitions);
    if (const auto* settings = Section(*monitor, "settings")) {
      std::ostringstream json;
      json << toml::json_formatter{*settings};
      auto parsed = monitor::ParseRuleSettings(nlohmann::json::parse(json.str()));
      if (!parsed) {
        message = "monitor.settings: " + parsed.error().message;
        return bad();
      }
      config.monitor_settings = std::move(*parsed);
    }
  }
  {
    auto policy = alarm::ParseAlarmPolicy(Section(root, "alarm"), message);
    if (!policy)
      return bad();
    config.alarm_policy = std::move(*policy);
  }
  if (const auto* log = Section(root, "log")) {
    if (!CheckKeys(*log, {"level"}, "log", message))
      return bad();
    if (!Read(*log, "level", config.log_level, message, "log"))
      return bad();
  }
  return config;
}

}  // namespace baotong::app
