#include "sim/scenario.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "protocol/jt808/constants.h"

namespace baotong::sim {
namespace {

constexpr double kMaxSpeedKmh = 250;
constexpr char kDefaultRouteName[] = "anshan";

// "key" with its quotes (built by appending: GCC 12 warns falsely on "x" + std::string).
std::string Quoted(std::string_view key) {
  std::string out;
  out += '"';
  out.append(key);
  out += '"';
  return out;
}

// Collects the first error with its location; parsing stops at the first one.
class Checker {
 public:
  explicit Checker(std::string_view source) : source_(source) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  bool Fail(const toml::node* node, const std::string& context, const std::string& message) {
    return FailAt(node != nullptr ? node->source() : toml::source_region{}, context, message);
  }

  bool FailAt(const toml::source_region& where, const std::string& context,
              const std::string& message) {
    if (failed())
      return false;
    std::ostringstream out;
    out << source_;
    if (where.begin.line > 0)
      out << ':' << where.begin.line << ':' << where.begin.column;
    out << ": ";
    if (!context.empty())
      out << context << ": ";
    out << message;
    error_ = out.str();
    return false;
  }

  // Rejects keys outside `allowed`, so that typos do not pass silently.
  bool OnlyKeys(const toml::table& table, const std::string& context,
                std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, unused_value] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end()) {
        std::string list;
        for (std::string_view name : allowed) {
          list += list.empty() ? "" : ", ";
          list += name;
        }
        return FailAt(
            key.source(), context,
            "unknown key \"" + std::string(key.str()) + "\" (expected one of: " + list + ")");
      }
    }
    return true;
  }

  std::optional<double> Number(const toml::table& table, std::string_view key,
                               const std::string& context, bool required, double min, double max) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      if (required)
        Fail(&table, context, "missing \"" + std::string(key) + "\"");
      return std::nullopt;
    }
    std::optional<double> value;
    if (node->is_integer())
      value = static_cast<double>(node->as_integer()->get());
    else if (node->is_floating_point())
      value = node->as_floating_point()->get();
    if (!value) {
      Fail(node, context, Quoted(key) + " must be a number");
      return std::nullopt;
    }
    if (!std::isfinite(*value) || *value < min || *value > max) {
      std::ostringstream message;
      message << '"' << key << "\" must be between " << min << " and " << max << ", not " << *value;
      Fail(node, context, message.str());
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::string> String(const toml::table& table, std::string_view key,
                                    const std::string& context, bool required) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      if (required)
        Fail(&table, context, "missing \"" + std::string(key) + "\"");
      return std::nullopt;
    }
    if (!node->is_string()) {
      Fail(node, context, Quoted(key) + " must be a string");
      return std::nullopt;
    }
    return node->as_string()->get();
  }

  std::optional<bool> Bool(const toml::table& table, std::string_view key,
                           const std::string& context) {
    const toml::node* node = table.get(key);
    if (node == nullptr)
      return std::nullopt;
    if (!node->is_boolean()) {
      Fail(node, context, Quoted(key) + " must be true or false");
      return std::nullopt;
    }
    return node->as_boolean()->get();
  }

  // An array of integers in [min, max]; each sets bit (value + bit_offset) of the mask.
  std::optional<uint32_t> Bits(const toml::table& table, std::string_view key,
                               const std::string& context, bool required, int64_t min, int64_t max,
                               int bit_offset) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      if (required)
        Fail(&table, context, "missing \"" + std::string(key) + "\"");
      return std::nullopt;
    }
    const std::string message = Quoted(key) + " must be a non-empty list of integers " +
                                std::to_string(min) + ".." + std::to_string(max);
    const toml::array* array = node->as_array();
    if (array == nullptr || array->empty()) {
      Fail(node, context, message);
      return std::nullopt;
    }
    uint32_t mask = 0;
    for (const toml::node& item : *array) {
      if (!item.is_integer() || item.as_integer()->get() < min || item.as_integer()->get() > max) {
        Fail(&item, context, message);
        return std::nullopt;
      }
      mask |= 1u << (item.as_integer()->get() + bit_offset);
    }
    return mask;
  }

 private:
  std::string source_;
  std::string error_;
};

bool ParseRoute(Checker& check, const toml::table& table, size_t index, Scenario& scenario) {
  std::string context = "route #" + std::to_string(index + 1);
  if (!check.OnlyKeys(table, context, {"name", "loop", "points"}))
    return false;
  auto name = check.String(table, "name", context, /*required=*/true);
  if (!name)
    return false;
  context = "route \"" + *name + "\"";
  if (name->empty())
    return check.Fail(table.get("name"), context, "\"name\" must not be empty");
  for (const NamedRoute& existing : scenario.routes) {
    if (existing.name == *name)
      return check.Fail(table.get("name"), context, "a route with this name is already defined");
  }
  bool loop = check.Bool(table, "loop", context).value_or(true);
  if (check.failed())
    return false;
  const toml::node* points_node = table.get("points");
  if (points_node == nullptr)
    return check.Fail(&table, context, "missing \"points\"");
  const toml::array* points = points_node->as_array();
  if (points == nullptr || points->size() < 2) {
    return check.Fail(points_node, context,
                      "\"points\" must be a list of at least two [latitude, longitude] pairs");
  }
  std::vector<GeoPoint> waypoints;
  for (const toml::node& point : *points) {
    const toml::array* pair = point.as_array();
    auto number = [](const toml::node& n) -> std::optional<double> {
      if (n.is_integer())
        return static_cast<double>(n.as_integer()->get());
      if (n.is_floating_point())
        return n.as_floating_point()->get();
      return std::nullopt;
    };
    std::optional<double> lat, lon;
    if (pair != nullptr && pair->size() == 2) {
      lat = number(*pair->get(0));
      lon = number(*pair->get(1));
    }
    if (!lat || !lon) {
      return check.Fail(&point, context,
                        "each point must be [latitude, longitude] in decimal degrees");
    }
    if (*lat < -90 || *lat > 90 || *lon < -180 || *lon > 180) {
      return check.Fail(&point, context,
                        "latitude must be within -90..90 and longitude within -180..180");
    }
    waypoints.push_back({*lat, *lon});
  }
  auto route = Route::Make(std::move(waypoints), loop);
  if (!route)
    return check.Fail(points_node, context, std::string(route.error().detail));
  scenario.routes.push_back({*name, std::move(*route)});
  return true;
}

bool ParseEvent(Checker& check, const toml::table& table, const std::string& group_context,
                size_t index, VehicleGroup& group) {
  const std::string context = group_context + ", event #" + std::to_string(index + 1);
  auto type_name = check.String(table, "type", context, /*required=*/true);
  if (!type_name)
    return false;
  ScenarioEvent event;
  if (*type_name == "deviate") {
    event.type = EventType::kDeviate;
    if (!check.OnlyKeys(table, context, {"type", "at", "duration", "metres"}))
      return false;
    auto metres = check.Number(table, "metres", context, true, -100000, 100000);
    if (!metres)
      return false;
    if (*metres == 0)
      return check.Fail(table.get("metres"), context, "\"metres\" must not be 0");
    event.metres = *metres;
  } else if (*type_name == "stop") {
    event.type = EventType::kStop;
    if (!check.OnlyKeys(table, context, {"type", "at", "duration"}))
      return false;
  } else if (*type_name == "speed") {
    event.type = EventType::kSpeed;
    if (!check.OnlyKeys(table, context, {"type", "at", "duration", "kmh"}))
      return false;
    auto kmh = check.Number(table, "kmh", context, true, 0, kMaxSpeedKmh);
    if (!kmh)
      return false;
    event.speed_kmh = *kmh;
  } else if (*type_name == "door") {
    event.type = EventType::kDoor;
    if (!check.OnlyKeys(table, context, {"type", "at", "duration", "doors"}))
      return false;
    // Door n is status bit 12 + n (door 1 = bit 13, front door).
    auto bits = check.Bits(table, "doors", context, true, 1, 5, 12);
    if (!bits)
      return false;
    event.bits = *bits;
  } else if (*type_name == "alarm" || *type_name == "status") {
    event.type = *type_name == "alarm" ? EventType::kAlarm : EventType::kStatus;
    if (!check.OnlyKeys(table, context, {"type", "at", "duration", "bits"}))
      return false;
    auto bits = check.Bits(table, "bits", context, true, 0, 31, 0);
    if (!bits)
      return false;
    event.bits = *bits;
  } else {
    return check.Fail(table.get("type"), context,
                      "unknown event type \"" + *type_name +
                          "\" (expected deviate, stop, speed, door, alarm or status)");
  }
  auto at = check.Number(table, "at", context, true, 0, 1e7);
  if (!at)
    return false;
  auto duration = check.Number(table, "duration", context, true, 0, 1e7);
  if (!duration)
    return false;
  if (*duration <= 0)
    return check.Fail(table.get("duration"), context, "\"duration\" must be greater than 0");
  event.at_s = *at;
  event.duration_s = *duration;
  group.events.push_back(event);
  return true;
}

bool ParseGroup(Checker& check, const toml::table& table, size_t index, Scenario& scenario) {
  std::string context = "group #" + std::to_string(index + 1);
  if (!check.OnlyKeys(table, context,
                      {"name", "route", "count", "speed_kmh", "interval_s", "spread", "status_bits",
                       "event"})) {
    return false;
  }
  VehicleGroup group;
  group.name =
      check.String(table, "name", context, false).value_or("group " + std::to_string(index + 1));
  if (check.failed())
    return false;
  context = "group \"" + group.name + "\"";

  auto route_name = check.String(table, "route", context, /*required=*/false);
  if (check.failed())
    return false;
  const std::string wanted = route_name.value_or(scenario.routes.front().name);
  auto route = std::find_if(scenario.routes.begin(), scenario.routes.end(),
                            [&](const NamedRoute& r) { return r.name == wanted; });
  if (route == scenario.routes.end())
    return check.Fail(table.get("route"), context, "unknown route \"" + wanted + "\"");
  group.route = static_cast<size_t>(route - scenario.routes.begin());

  if (const toml::node* count = table.get("count")) {
    if (!count->is_integer() || count->as_integer()->get() < 1 ||
        count->as_integer()->get() > 10'000'000) {
      return check.Fail(count, context, "\"count\" must be an integer from 1 to 10000000");
    }
    group.count = static_cast<size_t>(count->as_integer()->get());
  }

  if (const toml::node* speed = table.get("speed_kmh")) {
    if (const toml::array* range = speed->as_array()) {
      if (range->size() != 2 || !range->get(0)->is_number() || !range->get(1)->is_number()) {
        return check.Fail(speed, context, "\"speed_kmh\" must be a number or [min, max]");
      }
      group.min_speed_kmh = range->get(0)->value<double>().value_or(-1);
      group.max_speed_kmh = range->get(1)->value<double>().value_or(-1);
    } else if (speed->is_number()) {
      group.min_speed_kmh = group.max_speed_kmh = speed->value<double>().value_or(-1);
    } else {
      return check.Fail(speed, context, "\"speed_kmh\" must be a number or [min, max]");
    }
    if (!(group.min_speed_kmh >= 0 && group.min_speed_kmh <= group.max_speed_kmh &&
          group.max_speed_kmh <= kMaxSpeedKmh)) {
      return check.Fail(speed, context, "\"speed_kmh\" must satisfy 0 <= min <= max <= 250");
    }
  }

  if (table.get("interval_s") != nullptr) {
    auto interval = check.Number(table, "interval_s", context, false, 0.001, 3600);
    if (!interval)
      return false;
    group.interval_s = *interval;
  }
  group.spread = check.Bool(table, "spread", context).value_or(true);
  if (check.failed())
    return false;
  if (table.get("status_bits") != nullptr) {
    auto bits = check.Bits(table, "status_bits", context, false, 0, 31, 0);
    if (!bits)
      return false;
    group.base_status = *bits;
  }

  if (const toml::node* events = table.get("event")) {
    const toml::array* list = events->as_array();
    if (list == nullptr || !list->is_array_of_tables()) {
      return check.Fail(events, context,
                        "\"event\" must be an array of tables ([[group.event]] sections)");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      if (!ParseEvent(check, *list->get(i)->as_table(), context, i, group))
        return false;
    }
  }
  std::stable_sort(group.events.begin(), group.events.end(),
                   [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.at_s < b.at_s; });
  // Speed-changing events must not overlap: the distance driven is integrated piecewise.
  const ScenarioEvent* previous = nullptr;
  for (const ScenarioEvent& event : group.events) {
    if (event.type != EventType::kStop && event.type != EventType::kSpeed)
      continue;
    if (previous != nullptr && event.at_s < previous->at_s + previous->duration_s) {
      std::ostringstream message;
      message << ToString(event.type) << " event at " << event.at_s << " s overlaps the "
              << ToString(previous->type) << " event at " << previous->at_s
              << " s (stop and speed events of one group must not overlap)";
      return check.Fail(table.get("event"), context, message.str());
    }
    previous = &event;
  }
  for (const VehicleGroup& existing : scenario.groups) {
    if (!existing.count) {
      return check.Fail(&table, context,
                        "follows group \"" + existing.name +
                            "\", which has no \"count\" and so takes every remaining terminal");
    }
  }
  scenario.groups.push_back(std::move(group));
  return true;
}

}  // namespace

std::string_view ToString(EventType type) {
  switch (type) {
    case EventType::kDeviate:
      return "deviate";
    case EventType::kStop:
      return "stop";
    case EventType::kSpeed:
      return "speed";
    case EventType::kDoor:
      return "door";
    case EventType::kAlarm:
      return "alarm";
    case EventType::kStatus:
      return "status";
  }
  return "unknown";
}

tl::expected<Scenario, std::string> ParseScenario(std::string_view toml_text,
                                                  std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    std::ostringstream out;
    out << source_name << ':' << error.source().begin.line << ':' << error.source().begin.column
        << ": TOML syntax error: " << error.description();
    return tl::unexpected(out.str());
  }
  Checker check(source_name);
  Scenario scenario;
  if (!check.OnlyKeys(root, "", {"route", "group"}))
    return tl::unexpected(check.error());

  if (const toml::node* routes = root.get("route")) {
    const toml::array* list = routes->as_array();
    if (list == nullptr || !list->is_array_of_tables())
      check.Fail(routes, "", "\"route\" must be an array of tables ([[route]] sections)");
    for (size_t i = 0; list != nullptr && !check.failed() && i < list->size(); ++i)
      ParseRoute(check, *list->get(i)->as_table(), i, scenario);
    if (check.failed())
      return tl::unexpected(check.error());
  }
  // The built-in route is available under its name unless the file defines its own.
  if (std::none_of(scenario.routes.begin(), scenario.routes.end(),
                   [](const NamedRoute& r) { return r.name == kDefaultRouteName; })) {
    scenario.routes.push_back({kDefaultRouteName, DefaultRoute()});
  }

  const toml::node* groups = root.get("group");
  if (groups == nullptr) {
    check.Fail(nullptr, "", "no [[group]] sections: a scenario needs at least one vehicle group");
    return tl::unexpected(check.error());
  }
  const toml::array* list = groups->as_array();
  if (list == nullptr || !list->is_array_of_tables() || list->empty()) {
    check.Fail(groups, "", "\"group\" must be an array of tables ([[group]] sections)");
    return tl::unexpected(check.error());
  }
  for (size_t i = 0; i < list->size(); ++i) {
    if (!ParseGroup(check, *list->get(i)->as_table(), i, scenario))
      return tl::unexpected(check.error());
  }
  return scenario;
}

tl::expected<Scenario, std::string> LoadScenario(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return tl::unexpected(path.string() + ": cannot open scenario file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    return tl::unexpected(path.string() + ": cannot read scenario file");
  return ParseScenario(text.str(), path.string());
}

Scenario DefaultScenario() {
  Scenario scenario;
  scenario.routes.push_back({kDefaultRouteName, DefaultRoute()});
  VehicleGroup group;
  group.name = "default";
  scenario.groups.push_back(std::move(group));
  return scenario;
}

std::optional<GroupSlot> AssignGroup(const Scenario& scenario, size_t terminal_index,
                                     size_t total_terminals) {
  size_t first = 0;
  for (size_t g = 0; g < scenario.groups.size(); ++g) {
    const VehicleGroup& group = scenario.groups[g];
    const size_t size =
        group.count ? *group.count : (total_terminals > first ? total_terminals - first : 0);
    if (terminal_index < first + size)
      return GroupSlot{g, terminal_index - first, size};
    first += size;
  }
  return std::nullopt;
}

}  // namespace baotong::sim
