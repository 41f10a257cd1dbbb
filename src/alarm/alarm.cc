#include "alarm/alarm.h"

#include <array>

#include "alarm/policy.h"

namespace baotong::alarm {
namespace {

struct StatusText {
  Status status;
  std::string_view id, name;
};
constexpr std::array<StatusText, 5> kStatuses = {{
    {Status::kRaised, "raised", "待确认"},
    {Status::kAcknowledged, "acknowledged", "已确认"},
    {Status::kDispatched, "dispatched", "已派发"},
    {Status::kHandled, "handled", "已处置"},
    {Status::kClosed, "closed", "已关闭"},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kStepNames = {{
    {"raised", "告警"},
    {"cleared", "告警解除"},
    {"acknowledged", "确认"},
    {"dispatched", "派发"},
    {"handled", "处置"},
    {"closed", "关闭"},
    {"text_sent", "下发提醒"},
    {"text_result", "提醒回执"},
    {"text_not_connected", "提醒未送达"},
}};

template <typename T>
nlohmann::ordered_json OrNull(const std::optional<T>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::string_view StatusId(Status status) {
  return kStatuses[static_cast<size_t>(status)].id;
}

std::string_view StatusName(Status status) {
  return kStatuses[static_cast<size_t>(status)].name;
}

std::optional<Status> ParseStatus(std::string_view id) {
  for (const auto& entry : kStatuses) {
    if (entry.id == id)
      return entry.status;
  }
  return std::nullopt;
}

std::string_view StepName(std::string_view step) {
  for (const auto& [id, name] : kStepNames) {
    if (id == step)
      return name;
  }
  return step;
}

bool IsOverdue(const Alarm& alarm, int64_t now_ms) {
  switch (alarm.status) {
    case Status::kClosed:
      return false;
    case Status::kRaised:
      return now_ms > alarm.ack_deadline_ms;
    default:
      return now_ms > alarm.close_deadline_ms;
  }
}

nlohmann::ordered_json AlarmJson(const Alarm& alarm, int64_t now_ms) {
  // A district department is shown as the district itself (铁东区), which is who acts.
  const std::string department_name = alarm.department == "district" && !alarm.district.empty()
                                          ? alarm.district
                                          : std::string(DepartmentName(alarm.department));
  return {{"id", alarm.id},
          {"terminal", alarm.terminal},
          {"plate", alarm.plate},
          {"plate_color", alarm.plate_color},
          {"kind", monitor::AlarmKindId(alarm.kind)},
          {"kind_name", monitor::AlarmKindName(alarm.kind)},
          {"subject", alarm.subject},
          {"severity", alarm.severity},
          {"severity_name", SeverityName(alarm.severity)},
          {"department", alarm.department},
          {"department_name", department_name},
          {"district", alarm.district},
          {"status", StatusId(alarm.status)},
          {"status_name", StatusName(alarm.status)},
          {"active", alarm.active},
          {"overdue", IsOverdue(alarm, now_ms)},
          {"count", alarm.count},
          {"first_at_ms", alarm.first_at_ms},
          {"last_at_ms", alarm.last_at_ms},
          {"cleared_at_ms", OrNull(alarm.cleared_at_ms)},
          {"lat", alarm.lat},
          {"lon", alarm.lon},
          {"speed_kmh", alarm.speed_kmh},
          {"detail", alarm.detail},
          {"pass_id", OrNull(alarm.pass_id)},
          {"ack_deadline_ms", alarm.ack_deadline_ms},
          {"close_deadline_ms", alarm.close_deadline_ms},
          {"acknowledged_by", OrNull(alarm.acknowledged_by)},
          {"acknowledged_at_ms", OrNull(alarm.acknowledged_at_ms)},
          {"dispatched_to", OrNull(alarm.dispatched_to)},
          {"dispatch_note", OrNull(alarm.dispatch_note)},
          {"handled_by", OrNull(alarm.handled_by)},
          {"handled_at_ms", OrNull(alarm.handled_at_ms)},
          {"outcome", OrNull(alarm.outcome)},
          {"handle_note", OrNull(alarm.handle_note)},
          {"closed_by", OrNull(alarm.closed_by)},
          {"closed_at_ms", OrNull(alarm.closed_at_ms)},
          {"text_command_id", OrNull(alarm.text_command_id)},
          {"text_status", OrNull(alarm.text_status)}};
}

nlohmann::ordered_json StepJson(const Step& step) {
  return {{"step", step.step}, {"step_name", StepName(step.step)},
          {"by", step.by},     {"at_ms", step.at_ms},
          {"to", step.to},     {"outcome", step.outcome},
          {"note", step.note}};
}

}  // namespace baotong::alarm
