#include "alarm/alarm.h"

#include <gtest/gtest.h>

namespace baotong::alarm {
namespace {

TEST(AlarmStatusTest, IdsRoundTrip) {
  for (Status status : {Status::kRaised, Status::kAcknowledged, Status::kDispatched,
                        Status::kHandled, Status::kClosed}) {
    EXPECT_EQ(ParseStatus(StatusId(status)), status);
    EXPECT_FALSE(StatusName(status).empty());
  }
  EXPECT_EQ(StatusId(Status::kDispatched), "dispatched");
  EXPECT_EQ(StatusName(Status::kRaised), "待确认");
  EXPECT_EQ(ParseStatus("open"), std::nullopt);
}

TEST(AlarmOverdueTest, FollowsTheCurrentStep) {
  Alarm alarm;
  alarm.ack_deadline_ms = 1000;
  alarm.close_deadline_ms = 5000;
  EXPECT_FALSE(IsOverdue(alarm, 1000));
  EXPECT_TRUE(IsOverdue(alarm, 1001));  // not acknowledged in time
  alarm.status = Status::kAcknowledged;
  EXPECT_FALSE(IsOverdue(alarm, 1001));  // acknowledged: the close deadline counts now
  alarm.status = Status::kHandled;
  EXPECT_TRUE(IsOverdue(alarm, 5001));
  alarm.status = Status::kClosed;
  EXPECT_FALSE(IsOverdue(alarm, 99'999));
}

TEST(AlarmJsonTest, HasEveryFieldAndNames) {
  Alarm alarm;
  alarm.id = 7;
  alarm.terminal = "013800000001";
  alarm.plate = "辽C12345";
  alarm.kind = monitor::AlarmKind::kOffRoute;
  alarm.severity = 2;
  alarm.department = "district";
  alarm.district = "铁东区";
  alarm.ack_deadline_ms = 100;
  alarm.close_deadline_ms = 200;
  alarm.text_command_id = 42;
  const auto json = AlarmJson(alarm, 150);
  EXPECT_EQ(json["kind"], "off_route");
  EXPECT_EQ(json["kind_name"], "偏离路线");
  EXPECT_EQ(json["severity_name"], "严重");
  EXPECT_EQ(json["department_name"], "铁东区");
  EXPECT_EQ(json["status"], "raised");
  EXPECT_EQ(json["status_name"], "待确认");
  EXPECT_EQ(json["overdue"], true);
  EXPECT_TRUE(json["cleared_at_ms"].is_null());
  EXPECT_TRUE(json["closed_by"].is_null());
  EXPECT_EQ(json["text_command_id"], 42);
  EXPECT_EQ(json.size(), 39u);  // the 34 stored fields and 5 derived ones

  alarm.department = "police";
  EXPECT_EQ(AlarmJson(alarm, 0)["department_name"], "公安局");
}

TEST(AlarmStepTest, JsonNamesTheStep) {
  const auto json = StepJson(Step{"dispatched", "李四", 5, "铁东区交警大队", "", "尽快到场"});
  EXPECT_EQ(json["step_name"], "派发");
  EXPECT_EQ(json["to"], "铁东区交警大队");
  EXPECT_EQ(StepName("cleared"), "告警解除");
}

}  // namespace
}  // namespace baotong::alarm
