// Who an alarm goes to and how fast it must be dealt with: per kind a severity, an owning
// department and an optional text to the driver's terminal (JT/T 808 0x8300); per severity the
// time allowed to acknowledge and to close. Defaults are in code; the [alarm] table of the
// configuration file changes them (docs/alarms.md).
#pragma once

#include <toml++/toml.h>

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "monitor/rules.h"

namespace baotong::alarm {

// 1 紧急 (urgent) .. 4 提示 (notice); lower is more severe.
inline constexpr int kMinSeverity = 1;
inline constexpr int kMaxSeverity = 4;
inline constexpr size_t kSeverityCount = kMaxSeverity;
bool IsSeverity(int severity);
std::string_view SeverityName(int severity);  // 紧急, 严重, 一般, 提示; "" for others

// The departments alarms are routed to. A zone may name another owner (free text).
std::string_view DepartmentName(std::string_view id);  // 交通运输局 ...; the id when unknown
bool IsDepartment(std::string_view id);  // "transport","police","health","district","admin"

struct KindPolicy {
  int severity = 3;
  std::string department = "transport";
  std::string text;  // to the driver's terminal when a new alarm opens; "" = none
  // Severity by subject where it differs (terminal_alarm: "bit0", the emergency button).
  std::map<std::string, int, std::less<>> subject_severity;
};

struct Deadlines {
  int64_t acknowledge_ms = 0;  // from the first raise
  int64_t close_ms = 0;        // from the first raise
};

struct AlarmPolicy {
  std::array<KindPolicy, monitor::kAlarmKinds> kinds;  // index = monitor::AlarmKind
  std::array<Deadlines, kSeverityCount> deadlines;     // index = severity - 1

  const KindPolicy& For(monitor::AlarmKind kind) const { return kinds[static_cast<size_t>(kind)]; }
  int SeverityOf(monitor::AlarmKind kind, std::string_view subject) const;
  const Deadlines& DeadlinesOf(int severity) const;
};

AlarmPolicy DefaultAlarmPolicy();

// Reads the [alarm] table over the defaults; null gives the defaults. Unknown keys or kinds,
// wrong types and values out of range are errors, and `message` (Chinese first) names the key:
//   [alarm.kinds.<kind id>] severity = 1-4, department = "transport" | "police" | "health" |
//     "district" | "admin", text = "..." ("" = none, at most 200 characters),
//     subjects = { bit0 = 1 } (severity by subject)
//   [alarm.deadlines] acknowledge_minutes = [5, 15, 60, 240], close_minutes = [...]
//     (one per severity 1-4, 1 - 43200 minutes, acknowledge <= close)
Result<AlarmPolicy> ParseAlarmPolicy(const toml::table* table, std::string& message);

// The policy as JSON, for the settings page: {"kinds":{id:{severity,severity_name,department,
// department_name,text,subjects}},"deadlines":[{severity,acknowledge_minutes,close_minutes}]}.
nlohmann::ordered_json AlarmPolicyJson(const AlarmPolicy& policy);

}  // namespace baotong::alarm
