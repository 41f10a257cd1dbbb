// The alarms the monitor raises (issue 6) and their thresholds: per vehicle class, with legal
// defaults from 道路运输车辆动态监督管理办法 and 道路交通安全法实施条例 (docs/monitor.md gives the
// source of each), as JSON for the settings page with validation in Chinese.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>

#include "monitor/zones.h"

namespace baotong::monitor {

enum class AlarmKind : uint8_t {
  kNoPermit,
  kOffRoute,
  kStopOutsideSite,
  kDoorOpen,
  kZoneEntry,
  kZoneExit,
  kOverspeed,
  kFatigueContinuous,
  kFatigueDaily,
  kNightBus,
  kSignalLost,
  kOverstay,
  kTerminalAlarm,
};
inline constexpr size_t kAlarmKinds = 13;

// "no_permit", "off_route", ... as listed in the enum, snake case.
std::string_view AlarmKindId(AlarmKind kind);
// 无证入城, 偏离路线, 非指定地点停车, 门感报警, 驶入管控区域, 驶离管控区域, 超速, 连续驾驶超时,
// 当日累计驾驶超时, 客车夜间违规行驶, 信号中断, 逾期未出城, 终端报警.
std::string_view AlarmKindName(AlarmKind kind);
std::optional<AlarmKind> ParseAlarmKind(std::string_view id);
std::span<const AlarmKind> AllAlarmKinds();

// Thresholds of one vehicle class. Durations in seconds, speeds in km/h.
struct ClassThresholds {
  double speed_limit_kmh = 100;    // the class's limit; a lower zone limit wins
  double overspeed_for_s = 10;     // above the limit this long: overspeed
  double overspeed_clear_kmh = 5;  // clears below limit - this
  double continuous_day_s = 4 * 3600;
  double continuous_night_s = 2 * 3600;
  double rest_s = 20 * 60;      // a stop this long resets continuous driving
  double daily_s = 8 * 3600;    // driving in the China local day
  double stop_speed_kmh = 5;    // below: stopped; at or above: driving
  double stop_for_s = 15 * 60;  // stopped outside a site this long; 0: rule off for the class
  bool night_ban = false;       // banned from driving in bus_ban hours (tour and line buses)
  bool night_speed_reduction = false;  // passenger vehicles: night limit = factor * limit
  bool door_rule = true;               // door_open applies (off for buses, which open at stops)
  bool operator==(const ClassThresholds&) const = default;
};

// Index into RuleSettings::classes: VehicleClass, then one entry for unregistered vehicles.
inline constexpr size_t kUnregisteredClass = 5;
inline constexpr size_t kClassEntries = 6;
// "tour_bus", ..., "truck", "unregistered".
std::string_view ClassEntryId(size_t entry);

struct RuleSettings {
  std::array<ClassThresholds, kClassEntries> classes = DefaultClasses();
  double off_route_for_s = 120;          // outside the corridor this long
  double off_route_clear_margin_m = 50;  // back within corridor - margin ...
  int off_route_clear_reports = 3;       // ... for this many reports in a row
  double zone_exit_margin_m = 30;        // leaving a zone needs this far outside
  double signal_lost_after_s = 600;      // wall clock, checked by Tick
  double overstay_grace_s = 1800;
  double night_speed_factor = 0.8;
  double night_bus_clear_stop_s = 300;  // a stopped bus at night clears night_bus
  int night_start_minute = 22 * 60;     // China local; wraps midnight
  int night_end_minute = 6 * 60;
  int bus_ban_start_minute = 2 * 60;
  int bus_ban_end_minute = 5 * 60;
  uint32_t terminal_alarm_mask = DefaultTerminalAlarmMask();
  std::array<bool, kAlarmKinds> enabled = AllEnabled();

  bool Enabled(AlarmKind kind) const { return enabled[static_cast<size_t>(kind)]; }
  static std::array<ClassThresholds, kClassEntries> DefaultClasses();
  // Emergency, overspeed, fatigue, danger, GNSS and power faults, daily driving, overtime
  // parking, route deviation, theft, illegal ignition and displacement, collision, rollover.
  // Not: door (bit 31, door_open's), pre-warnings, display faults, area/route ack bits.
  static uint32_t DefaultTerminalAlarmMask();
  static std::array<bool, kAlarmKinds> AllEnabled();
  bool operator==(const RuleSettings&) const = default;
};

nlohmann::ordered_json RuleSettingsJson(const RuleSettings& settings);
// Every member is optional (missing: the default). Refuses with the field named in Chinese,
// e.g. "classes.truck.speed_limit_kmh 必须在 20-150 之间".
Checked<RuleSettings> ParseRuleSettings(const nlohmann::json& json);

// JT/T 808 alarm bit names for terminal_alarm details: 紧急报警, 超速报警, ...
std::string_view TerminalAlarmBitName(int bit);

}  // namespace baotong::monitor
