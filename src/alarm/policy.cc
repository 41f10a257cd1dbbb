#include "alarm/policy.h"

#include <algorithm>
#include <set>

namespace baotong::alarm {
namespace {

constexpr int64_t kMinuteMs = 60 * 1000;
constexpr int64_t kMaxDeadlineMinutes = 30 * 24 * 60;
constexpr size_t kMaxTextCharacters = 200;

struct DepartmentText {
  std::string_view id, name;
};
constexpr std::array<DepartmentText, 5> kDepartments = {{
    {"transport", "交通运输局"},
    {"police", "公安局"},
    {"health", "卫健委"},
    {"district", "区县"},
    {"admin", "大数据局"},
}};

constexpr std::array<std::string_view, kSeverityCount> kSeverityNames = {"紧急", "严重", "一般",
                                                                         "提示"};

KindPolicy Kind(int severity, std::string department, std::string text) {
  KindPolicy policy;
  policy.severity = severity;
  policy.department = std::move(department);
  policy.text = std::move(text);
  return policy;
}

size_t Utf8Characters(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

bool ReadSeverity(const toml::node& node, const std::string& key, int& target,
                  std::string& message) {
  auto value = node.is_integer() ? node.value<int64_t>() : std::nullopt;
  if (!value || *value < kMinSeverity || *value > kMaxSeverity) {
    message = key + " 必须是 1-4 之间的整数 (1 紧急, 2 严重, 3 一般, 4 提示; must be 1-4)";
    return false;
  }
  target = static_cast<int>(*value);
  return true;
}

bool ReadKind(const toml::table& table, const std::string& section, KindPolicy& policy,
              std::string& message) {
  for (const auto& [key, node] : table) {
    const std::string name = section + "." + std::string(key.str());
    if (key.str() == "severity") {
      if (!ReadSeverity(node, name, policy.severity, message))
        return false;
    } else if (key.str() == "department") {
      auto text = node.is_string() ? node.value<std::string>() : std::nullopt;
      if (!text || !IsDepartment(*text)) {
        message = name +
                  " 必须是 \"transport\"、\"police\"、\"health\"、\"district\" 或 \"admin\" 之一 "
                  "(unknown department)";
        return false;
      }
      policy.department = *text;
    } else if (key.str() == "text") {
      auto text = node.is_string() ? node.value<std::string>() : std::nullopt;
      if (!text) {
        message = name + " 必须是字符串，空字符串表示不下发 (must be a string)";
        return false;
      }
      if (Utf8Characters(*text) > kMaxTextCharacters) {
        message = name + " 不能超过 200 个字 (text too long)";
        return false;
      }
      policy.text = *text;
    } else if (key.str() == "subjects") {
      const toml::table* subjects = node.as_table();
      if (!subjects) {
        message = name + " 必须是表，例如 { bit0 = 1 } (must be a table)";
        return false;
      }
      policy.subject_severity.clear();
      for (const auto& [subject, value] : *subjects) {
        int severity = 0;
        if (!ReadSeverity(value, name + "." + std::string(subject.str()), severity, message))
          return false;
        policy.subject_severity[std::string(subject.str())] = severity;
      }
    } else {
      message = "未知配置项 " + name + " (unknown key)";
      return false;
    }
  }
  return true;
}

bool ReadMinutes(const toml::table& table, std::string_view key,
                 std::array<int64_t, kSeverityCount>& minutes, std::string& message) {
  const toml::node* node = table.get(key);
  if (!node)
    return true;
  const std::string name = "alarm.deadlines." + std::string(key);
  const toml::array* values = node->as_array();
  if (!values || values->size() != kSeverityCount) {
    message = name + " 必须是 4 个整数的数组，依次对应 紧急、严重、一般、提示 (must be 4 numbers)";
    return false;
  }
  for (size_t i = 0; i < kSeverityCount; ++i) {
    const toml::node& value = *values->get(i);
    auto number = value.is_integer() ? value.value<int64_t>() : std::nullopt;
    if (!number || *number < 1 || *number > kMaxDeadlineMinutes) {
      message = name + " 的每一项必须是 1-43200 之间的整数分钟 (minutes out of range)";
      return false;
    }
    minutes[i] = *number;
  }
  return true;
}

}  // namespace

bool IsSeverity(int severity) {
  return severity >= kMinSeverity && severity <= kMaxSeverity;
}

std::string_view SeverityName(int severity) {
  return IsSeverity(severity) ? kSeverityNames[static_cast<size_t>(severity - 1)] : "";
}

std::string_view DepartmentName(std::string_view id) {
  for (const auto& department : kDepartments) {
    if (department.id == id)
      return department.name;
  }
  return id;
}

bool IsDepartment(std::string_view id) {
  return std::any_of(kDepartments.begin(), kDepartments.end(),
                     [&](const DepartmentText& department) { return department.id == id; });
}

int AlarmPolicy::SeverityOf(monitor::AlarmKind kind, std::string_view subject) const {
  const KindPolicy& policy = For(kind);
  if (auto found = policy.subject_severity.find(subject); found != policy.subject_severity.end())
    return found->second;
  return policy.severity;
}

const Deadlines& AlarmPolicy::DeadlinesOf(int severity) const {
  return deadlines[static_cast<size_t>(std::clamp(severity, kMinSeverity, kMaxSeverity) - 1)];
}

AlarmPolicy DefaultAlarmPolicy() {
  using monitor::AlarmKind;
  AlarmPolicy policy;
  auto set = [&](AlarmKind kind, KindPolicy kind_policy) {
    policy.kinds[static_cast<size_t>(kind)] = std::move(kind_policy);
  };
  set(AlarmKind::kNoPermit,
      Kind(2, "police", "您的车辆未办理入城通行证，请就近停车并联系交通运输部门"));
  set(AlarmKind::kOffRoute, Kind(2, "transport", "您已偏离备案路线，请尽快返回"));
  set(AlarmKind::kStopOutsideSite, Kind(3, "district", "请勿在非指定地点停车"));
  set(AlarmKind::kDoorOpen, Kind(2, "health", "请勿在非指定地点开启车门"));
  set(AlarmKind::kZoneEntry, Kind(1, "police", "您已驶入管控区域，请立即驶离"));
  set(AlarmKind::kZoneExit, Kind(2, "police", ""));
  set(AlarmKind::kOverspeed, Kind(3, "police", "您已超速，请减速慢行"));
  set(AlarmKind::kFatigueContinuous, Kind(3, "transport", "您已连续驾驶超时，请就近停车休息"));
  set(AlarmKind::kFatigueDaily, Kind(3, "transport", "您今日累计驾驶已超时，请停止驾驶"));
  set(AlarmKind::kNightBus, Kind(2, "transport", "客车凌晨2时至5时禁止行驶，请就近停车休息"));
  set(AlarmKind::kSignalLost, Kind(3, "transport", ""));
  set(AlarmKind::kOverstay, Kind(3, "district", "您已超过计划出城时间，请尽快出城"));
  KindPolicy terminal = Kind(2, "transport", "");
  terminal.subject_severity["bit0"] = 1;  // the emergency button
  set(AlarmKind::kTerminalAlarm, std::move(terminal));
  policy.deadlines = {{{5 * kMinuteMs, 2 * 60 * kMinuteMs},
                       {15 * kMinuteMs, 8 * 60 * kMinuteMs},
                       {60 * kMinuteMs, 24 * 60 * kMinuteMs},
                       {4 * 60 * kMinuteMs, 72 * 60 * kMinuteMs}}};
  return policy;
}

Result<AlarmPolicy> ParseAlarmPolicy(const toml::table* table, std::string& message) {
  AlarmPolicy policy = DefaultAlarmPolicy();
  if (!table)
    return policy;
  const auto invalid = [] { return Fail(ErrorCode::kBadValue, "invalid [alarm] configuration"); };
  for (const auto& [key, node] : *table) {
    if (key.str() != "kinds" && key.str() != "deadlines") {
      message = "未知配置项 alarm." + std::string(key.str()) + " (unknown key)";
      return invalid();
    }
  }
  if (const toml::node* node = table->get("kinds")) {
    const toml::table* kinds = node->as_table();
    if (!kinds) {
      message = "alarm.kinds 必须是表 (must be a table)";
      return invalid();
    }
    for (const auto& [id, kind_node] : *kinds) {
      const std::string section = "alarm.kinds." + std::string(id.str());
      auto kind = monitor::ParseAlarmKind(id.str());
      if (!kind) {
        message = "未知告警类型 " + section + " (unknown alarm kind)";
        return invalid();
      }
      const toml::table* kind_table = kind_node.as_table();
      if (!kind_table) {
        message = section + " 必须是表 (must be a table)";
        return invalid();
      }
      if (!ReadKind(*kind_table, section, policy.kinds[static_cast<size_t>(*kind)], message))
        return invalid();
    }
  }
  if (const toml::node* node = table->get("deadlines")) {
    const toml::table* deadlines = node->as_table();
    if (!deadlines) {
      message = "alarm.deadlines 必须是表 (must be a table)";
      return invalid();
    }
    for (const auto& [key, value] : *deadlines) {
      if (key.str() != "acknowledge_minutes" && key.str() != "close_minutes") {
        message = "未知配置项 alarm.deadlines." + std::string(key.str()) + " (unknown key)";
        return invalid();
      }
    }
    std::array<int64_t, kSeverityCount> acknowledge{}, close{};
    for (size_t i = 0; i < kSeverityCount; ++i) {
      acknowledge[i] = policy.deadlines[i].acknowledge_ms / kMinuteMs;
      close[i] = policy.deadlines[i].close_ms / kMinuteMs;
    }
    if (!ReadMinutes(*deadlines, "acknowledge_minutes", acknowledge, message) ||
        !ReadMinutes(*deadlines, "close_minutes", close, message))
      return invalid();
    for (size_t i = 0; i < kSeverityCount; ++i) {
      if (acknowledge[i] > close[i]) {
        message = "alarm.deadlines: " + std::string(kSeverityNames[i]) +
                  "告警的确认时限不能长于关闭时限 (acknowledge_minutes > close_minutes)";
        return invalid();
      }
      policy.deadlines[i] = {acknowledge[i] * kMinuteMs, close[i] * kMinuteMs};
    }
  }
  return policy;
}

nlohmann::ordered_json AlarmPolicyJson(const AlarmPolicy& policy) {
  nlohmann::ordered_json kinds = nlohmann::ordered_json::object();
  for (monitor::AlarmKind kind : monitor::AllAlarmKinds()) {
    const KindPolicy& kind_policy = policy.For(kind);
    nlohmann::ordered_json subjects = nlohmann::ordered_json::object();
    for (const auto& [subject, severity] : kind_policy.subject_severity)
      subjects[subject] = severity;
    kinds[std::string(monitor::AlarmKindId(kind))] = {
        {"name", monitor::AlarmKindName(kind)},
        {"severity", kind_policy.severity},
        {"severity_name", SeverityName(kind_policy.severity)},
        {"department", kind_policy.department},
        {"department_name", DepartmentName(kind_policy.department)},
        {"text", kind_policy.text},
        {"subjects", subjects}};
  }
  nlohmann::ordered_json deadlines = nlohmann::ordered_json::array();
  for (int severity = kMinSeverity; severity <= kMaxSeverity; ++severity) {
    const Deadlines& limits = policy.DeadlinesOf(severity);
    deadlines.push_back({{"severity", severity},
                         {"severity_name", SeverityName(severity)},
                         {"acknowledge_minutes", limits.acknowledge_ms / kMinuteMs},
                         {"close_minutes", limits.close_ms / kMinuteMs}});
  }
  return {{"kinds", kinds}, {"deadlines", deadlines}};
}

}  // namespace baotong::alarm
