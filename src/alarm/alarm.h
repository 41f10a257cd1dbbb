// The alarm record and its history: what the monitor raised, who dealt with it, and when. An
// alarm is open from its first raise until a person closes it (闭环), whether or not the
// condition still holds (`active`).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "monitor/rules.h"

namespace baotong::alarm {

// raised -> acknowledged -> dispatched (optional, repeatable) -> handled -> closed. Closing
// straight from raised, acknowledged or dispatched needs a note (e.g. 误报, a false alarm).
enum class Status : uint8_t { kRaised, kAcknowledged, kDispatched, kHandled, kClosed };
std::string_view StatusId(Status status);    // "raised","acknowledged","dispatched",...
std::string_view StatusName(Status status);  // 待确认, 已确认, 已派发, 已处置, 已关闭
std::optional<Status> ParseStatus(std::string_view id);

// One row of an alarm's history. `step` is a Status id for people's steps, or one of
// "cleared" (the condition ended), "text_sent" / "text_result" (the text to the driver).
struct Step {
  std::string step;
  std::string by;  // user name; "system" for the monitor's raises and clears
  int64_t at_ms = 0;
  std::string to, outcome, note;  // dispatch target; handling outcome or text status; note
  bool operator==(const Step&) const = default;
};
std::string_view StepName(std::string_view step);  // Chinese for the history view

struct Alarm {
  int64_t id = 0;
  std::string terminal, plate;
  int plate_color = 0;
  monitor::AlarmKind kind = monitor::AlarmKind::kNoPermit;
  std::string subject;  // "" / zone code / "bit0": one open alarm per (terminal, kind, subject)
  int severity = 3;
  std::string department;  // a department id, or a zone's own owner
  std::string district;    // the carrier's district, for department "district"
  Status status = Status::kRaised;
  bool active = true;  // the condition still holds (no clear since the last raise)
  int64_t count = 1;   // raises folded into this alarm
  int64_t first_at_ms = 0, last_at_ms = 0;
  std::optional<int64_t> cleared_at_ms;
  double lat = 0, lon = 0, speed_kmh = 0;  // of the last raise
  std::string detail;                      // of the last raise, Chinese
  std::optional<int64_t> pass_id;
  int64_t ack_deadline_ms = 0, close_deadline_ms = 0;
  std::optional<std::string> acknowledged_by;
  std::optional<int64_t> acknowledged_at_ms;
  std::optional<std::string> dispatched_to, dispatch_note;
  std::optional<std::string> handled_by;
  std::optional<int64_t> handled_at_ms;
  std::optional<std::string> outcome, handle_note;
  std::optional<std::string> closed_by;
  std::optional<int64_t> closed_at_ms;
  std::optional<uint64_t> text_command_id;
  // "sent" (handed to the gateway), "not_connected", then what the terminal answered
  // (RecordTextResult: e.g. "ok", "failed", "timeout").
  std::optional<std::string> text_status;
  bool operator==(const Alarm&) const = default;
};

// Past the deadline of the step it waits for: acknowledgement while raised, closing after.
bool IsOverdue(const Alarm& alarm, int64_t now_ms);

// Every field (optional ones as null), times as epoch ms, plus kind_name, severity_name,
// department_name, status_name and overdue.
nlohmann::ordered_json AlarmJson(const Alarm& alarm, int64_t now_ms);
// {step, step_name, by, at_ms, to, outcome, note}
nlohmann::ordered_json StepJson(const Step& step);

}  // namespace baotong::alarm
