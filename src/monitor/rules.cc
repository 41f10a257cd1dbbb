#include "monitor/rules.h"

#include <cstdio>
#include <string>

#include "registry/records.h"

namespace baotong::monitor {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::array<AlarmKind, kAlarmKinds> kAll = {
    AlarmKind::kNoPermit,     AlarmKind::kOffRoute,          AlarmKind::kStopOutsideSite,
    AlarmKind::kDoorOpen,     AlarmKind::kZoneEntry,         AlarmKind::kZoneExit,
    AlarmKind::kOverspeed,    AlarmKind::kFatigueContinuous, AlarmKind::kFatigueDaily,
    AlarmKind::kNightBus,     AlarmKind::kSignalLost,        AlarmKind::kOverstay,
    AlarmKind::kTerminalAlarm};

tl::unexpected<Invalid> Refuse(std::string code, std::string message) {
  return tl::unexpected<Invalid>(Invalid{std::move(code), std::move(message)});
}

std::string MinuteText(int minute) {
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", minute / 60 % 100, minute % 60);
  return text;
}

std::string NumberText(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// Reads optional members into a settings struct, remembering the first error.
class Reader {
 public:
  std::optional<Invalid> error;

  void Number(const json& object, const std::string& path, const char* key, double& value,
              double low, double high) {
    if (error || !object.contains(key))
      return;
    const json& item = object[key];
    const std::string field = path + key;
    if (!item.is_number() || !(item.get<double>() >= low) || !(item.get<double>() <= high)) {
      error = Invalid{field, field + " 必须在 " + NumberText(low) + "-" + NumberText(high) +
                                 " 之间 (must be a number in range)"};
      return;
    }
    value = item.get<double>();
  }
  void Integer(const json& object, const std::string& path, const char* key, int& value, int low,
               int high) {
    double number = value;
    Number(object, path, key, number, low, high);
    if (!error && number != static_cast<int>(number)) {
      error = Invalid{path + key, path + key + " 必须是整数 (must be an integer)"};
      return;
    }
    value = static_cast<int>(number);
  }
  void Bool(const json& object, const std::string& path, const char* key, bool& value) {
    if (error || !object.contains(key))
      return;
    if (!object[key].is_boolean()) {
      error = Invalid{path + key, path + key + " 应为 true 或 false (must be a boolean)"};
      return;
    }
    value = object[key].get<bool>();
  }
  void Minute(const json& object, const char* key, int& value) {
    if (error || !object.contains(key))
      return;
    const json& item = object[key];
    std::string text = item.is_string() ? item.get<std::string>() : "";
    int hours = 0, minutes = 0;
    char tail = 0;
    if (text.size() != 5 || std::sscanf(text.c_str(), "%2d:%2d%c", &hours, &minutes, &tail) != 2 ||
        hours < 0 || hours > 23 || minutes < 0 || minutes > 59) {
      error = Invalid{key, std::string(key) + " 应为 HH:MM 格式的时间 (must be \"HH:MM\")"};
      return;
    }
    value = hours * 60 + minutes;
  }
};

// Legal sources: see docs/monitor.md.
ClassThresholds Bus() {
  ClassThresholds c;
  c.speed_limit_kmh = 100;
  c.stop_for_s = 30 * 60;
  c.night_ban = true;
  c.night_speed_reduction = true;
  c.door_rule = false;
  return c;
}

}  // namespace

std::string_view AlarmKindId(AlarmKind kind) {
  switch (kind) {
    case AlarmKind::kNoPermit:
      return "no_permit";
    case AlarmKind::kOffRoute:
      return "off_route";
    case AlarmKind::kStopOutsideSite:
      return "stop_outside_site";
    case AlarmKind::kDoorOpen:
      return "door_open";
    case AlarmKind::kZoneEntry:
      return "zone_entry";
    case AlarmKind::kZoneExit:
      return "zone_exit";
    case AlarmKind::kOverspeed:
      return "overspeed";
    case AlarmKind::kFatigueContinuous:
      return "fatigue_continuous";
    case AlarmKind::kFatigueDaily:
      return "fatigue_daily";
    case AlarmKind::kNightBus:
      return "night_bus";
    case AlarmKind::kSignalLost:
      return "signal_lost";
    case AlarmKind::kOverstay:
      return "overstay";
    case AlarmKind::kTerminalAlarm:
      return "terminal_alarm";
  }
  return "";
}

std::string_view AlarmKindName(AlarmKind kind) {
  switch (kind) {
    case AlarmKind::kNoPermit:
      return "无证入城";
    case AlarmKind::kOffRoute:
      return "偏离路线";
    case AlarmKind::kStopOutsideSite:
      return "非指定地点停车";
    case AlarmKind::kDoorOpen:
      return "门感报警";
    case AlarmKind::kZoneEntry:
      return "驶入管控区域";
    case AlarmKind::kZoneExit:
      return "驶离管控区域";
    case AlarmKind::kOverspeed:
      return "超速";
    case AlarmKind::kFatigueContinuous:
      return "连续驾驶超时";
    case AlarmKind::kFatigueDaily:
      return "当日累计驾驶超时";
    case AlarmKind::kNightBus:
      return "客车夜间违规行驶";
    case AlarmKind::kSignalLost:
      return "信号中断";
    case AlarmKind::kOverstay:
      return "逾期未出城";
    case AlarmKind::kTerminalAlarm:
      return "终端报警";
  }
  return "";
}

std::optional<AlarmKind> ParseAlarmKind(std::string_view id) {
  for (AlarmKind kind : kAll) {
    if (AlarmKindId(kind) == id)
      return kind;
  }
  return std::nullopt;
}

std::span<const AlarmKind> AllAlarmKinds() {
  return kAll;
}

std::string_view ClassEntryId(size_t entry) {
  if (entry < registry::kAllVehicleClasses.size())
    return registry::VehicleClassId(registry::kAllVehicleClasses[entry]);
  return "unregistered";
}

std::array<ClassThresholds, kClassEntries> RuleSettings::DefaultClasses() {
  std::array<ClassThresholds, kClassEntries> classes;
  classes[static_cast<size_t>(registry::VehicleClass::kTourBus)] = Bus();
  classes[static_cast<size_t>(registry::VehicleClass::kLineBus)] = Bus();
  ClassThresholds& hazardous = classes[static_cast<size_t>(registry::VehicleClass::kHazardous)];
  hazardous.speed_limit_kmh = 80;  // 危险货物道路运输安全管理办法 第46条 (expressways)
  hazardous.stop_for_s = 10 * 60;
  return classes;
}

uint32_t RuleSettings::DefaultTerminalAlarmMask() {
  uint32_t mask = 0;
  for (int bit : {0, 1, 2, 3, 4, 5, 6, 7, 8, 18, 19, 23, 26, 27, 28, 29, 30})
    mask |= 1u << bit;
  return mask;
}

std::array<bool, kAlarmKinds> RuleSettings::AllEnabled() {
  std::array<bool, kAlarmKinds> enabled;
  enabled.fill(true);
  return enabled;
}

ordered_json RuleSettingsJson(const RuleSettings& s) {
  ordered_json out;
  ordered_json classes = ordered_json::object();
  for (size_t i = 0; i < kClassEntries; ++i) {
    const ClassThresholds& c = s.classes[i];
    classes[std::string(ClassEntryId(i))] = {{"speed_limit_kmh", c.speed_limit_kmh},
                                             {"overspeed_for_s", c.overspeed_for_s},
                                             {"overspeed_clear_kmh", c.overspeed_clear_kmh},
                                             {"continuous_day_s", c.continuous_day_s},
                                             {"continuous_night_s", c.continuous_night_s},
                                             {"rest_s", c.rest_s},
                                             {"daily_s", c.daily_s},
                                             {"stop_speed_kmh", c.stop_speed_kmh},
                                             {"stop_for_s", c.stop_for_s},
                                             {"night_ban", c.night_ban},
                                             {"night_speed_reduction", c.night_speed_reduction},
                                             {"door_rule", c.door_rule}};
  }
  out["classes"] = classes;
  out["off_route_for_s"] = s.off_route_for_s;
  out["off_route_clear_margin_m"] = s.off_route_clear_margin_m;
  out["off_route_clear_reports"] = s.off_route_clear_reports;
  out["zone_exit_margin_m"] = s.zone_exit_margin_m;
  out["signal_lost_after_s"] = s.signal_lost_after_s;
  out["overstay_grace_s"] = s.overstay_grace_s;
  out["night_speed_factor"] = s.night_speed_factor;
  out["night_bus_clear_stop_s"] = s.night_bus_clear_stop_s;
  out["night_start"] = MinuteText(s.night_start_minute);
  out["night_end"] = MinuteText(s.night_end_minute);
  out["bus_ban_start"] = MinuteText(s.bus_ban_start_minute);
  out["bus_ban_end"] = MinuteText(s.bus_ban_end_minute);
  ordered_json bits = ordered_json::array();
  for (int bit = 0; bit < 32; ++bit) {
    if (s.terminal_alarm_mask & (1u << bit))
      bits.push_back(bit);
  }
  out["terminal_alarm_bits"] = bits;
  ordered_json enabled = ordered_json::object();
  for (AlarmKind kind : kAll)
    enabled[std::string(AlarmKindId(kind))] = s.Enabled(kind);
  out["enabled"] = enabled;
  return out;
}

Checked<RuleSettings> ParseRuleSettings(const json& object) {
  if (!object.is_object())
    return Refuse("settings.json", "规则设置应为JSON对象 (settings: a JSON object)");
  RuleSettings s;
  Reader read;
  if (object.contains("classes")) {
    const json& classes = object["classes"];
    if (!classes.is_object())
      return Refuse("classes", "classes 应为对象 (classes: an object by vehicle class)");
    for (const auto& [key, value] : classes.items()) {
      size_t entry = kClassEntries;
      for (size_t i = 0; i < kClassEntries; ++i) {
        if (ClassEntryId(i) == key)
          entry = i;
      }
      if (entry == kClassEntries)
        return Refuse("classes." + key, "classes." + key + " 不是已知的车辆类型 (unknown class)");
      if (!value.is_object())
        return Refuse("classes." + key, "classes." + key + " 应为对象 (must be an object)");
      ClassThresholds& c = s.classes[entry];
      const std::string path = "classes." + key + ".";
      read.Number(value, path, "speed_limit_kmh", c.speed_limit_kmh, 20, 150);
      read.Number(value, path, "overspeed_for_s", c.overspeed_for_s, 0, 3600);
      read.Number(value, path, "overspeed_clear_kmh", c.overspeed_clear_kmh, 0, 30);
      read.Number(value, path, "continuous_day_s", c.continuous_day_s, 600, 86400);
      read.Number(value, path, "continuous_night_s", c.continuous_night_s, 600, 86400);
      read.Number(value, path, "rest_s", c.rest_s, 60, 86400);
      read.Number(value, path, "daily_s", c.daily_s, 3600, 86400);
      read.Number(value, path, "stop_speed_kmh", c.stop_speed_kmh, 0.5, 30);
      read.Number(value, path, "stop_for_s", c.stop_for_s, 0, 86400);
      read.Bool(value, path, "night_ban", c.night_ban);
      read.Bool(value, path, "night_speed_reduction", c.night_speed_reduction);
      read.Bool(value, path, "door_rule", c.door_rule);
    }
  }
  read.Number(object, "", "off_route_for_s", s.off_route_for_s, 0, 86400);
  read.Number(object, "", "off_route_clear_margin_m", s.off_route_clear_margin_m, 0, 1000);
  read.Integer(object, "", "off_route_clear_reports", s.off_route_clear_reports, 1, 100);
  read.Number(object, "", "zone_exit_margin_m", s.zone_exit_margin_m, 0, 1000);
  read.Number(object, "", "signal_lost_after_s", s.signal_lost_after_s, 30, 86400);
  read.Number(object, "", "overstay_grace_s", s.overstay_grace_s, 0, 7 * 86400);
  read.Number(object, "", "night_speed_factor", s.night_speed_factor, 0.3, 1);
  read.Number(object, "", "night_bus_clear_stop_s", s.night_bus_clear_stop_s, 0, 86400);
  read.Minute(object, "night_start", s.night_start_minute);
  read.Minute(object, "night_end", s.night_end_minute);
  read.Minute(object, "bus_ban_start", s.bus_ban_start_minute);
  read.Minute(object, "bus_ban_end", s.bus_ban_end_minute);
  if (read.error)
    return tl::unexpected(*read.error);
  if (object.contains("terminal_alarm_bits")) {
    const json& bits = object["terminal_alarm_bits"];
    if (!bits.is_array())
      return Refuse("terminal_alarm_bits", "terminal_alarm_bits 应为 0-31 的整数列表");
    s.terminal_alarm_mask = 0;
    for (const auto& bit : bits) {
      if (!bit.is_number_integer() || bit.get<int64_t>() < 0 || bit.get<int64_t>() > 31)
        return Refuse("terminal_alarm_bits", "terminal_alarm_bits 应为 0-31 的整数列表");
      s.terminal_alarm_mask |= 1u << bit.get<int>();
    }
  }
  if (object.contains("enabled")) {
    const json& enabled = object["enabled"];
    if (!enabled.is_object())
      return Refuse("enabled", "enabled 应为对象 (enabled: {rule: true|false})");
    for (const auto& [key, value] : enabled.items()) {
      auto kind = ParseAlarmKind(key);
      if (!kind)
        return Refuse("enabled." + key, "enabled." + key + " 不是已知的规则 (unknown rule)");
      if (!value.is_boolean())
        return Refuse("enabled." + key, "enabled." + key + " 应为 true 或 false");
      s.enabled[static_cast<size_t>(*kind)] = value.get<bool>();
    }
  }
  return s;
}

std::string_view TerminalAlarmBitName(int bit) {
  static constexpr std::array<std::string_view, 32> kNames = {"紧急报警",
                                                              "超速报警",
                                                              "疲劳驾驶",
                                                              "危险预警",
                                                              "GNSS模块故障",
                                                              "GNSS天线未接或被剪断",
                                                              "GNSS天线短路",
                                                              "终端主电源欠压",
                                                              "终端主电源掉电",
                                                              "显示器故障",
                                                              "TTS模块故障",
                                                              "摄像头故障",
                                                              "IC卡模块故障",
                                                              "超速预警",
                                                              "疲劳驾驶预警",
                                                              "保留",
                                                              "保留",
                                                              "保留",
                                                              "当天累计驾驶超时",
                                                              "超时停车",
                                                              "进出区域",
                                                              "进出路线",
                                                              "路段行驶时间不足/过长",
                                                              "路线偏离报警",
                                                              "车辆VSS故障",
                                                              "车辆油量异常",
                                                              "车辆被盗",
                                                              "车辆非法点火",
                                                              "车辆非法位移",
                                                              "碰撞预警",
                                                              "侧翻预警",
                                                              "非法开门报警"};
  if (bit < 0 || bit > 31)
    return "";
  return kNames[static_cast<size_t>(bit)];
}

}  // namespace baotong::monitor
