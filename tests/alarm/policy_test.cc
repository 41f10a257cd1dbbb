#include "alarm/policy.h"

#include <gtest/gtest.h>

#include <string>

namespace baotong::alarm {
namespace {

using monitor::AlarmKind;

constexpr int64_t kMinute = 60 * 1000;

// Parses `text` as a configuration file and reads its [alarm] table.
Result<AlarmPolicy> Parse(std::string_view text, std::string& message) {
  toml::table root = toml::parse(text);
  return ParseAlarmPolicy(root["alarm"].as_table(), message);
}

std::string ErrorOf(std::string_view text) {
  std::string message;
  auto policy = Parse(text, message);
  EXPECT_FALSE(policy.has_value()) << text;
  return message;
}

TEST(AlarmPolicyTest, DefaultsCoverEveryKindAndSeverity) {
  const AlarmPolicy policy = DefaultAlarmPolicy();
  for (AlarmKind kind : monitor::AllAlarmKinds()) {
    EXPECT_TRUE(IsSeverity(policy.For(kind).severity)) << monitor::AlarmKindId(kind);
    EXPECT_TRUE(IsDepartment(policy.For(kind).department)) << monitor::AlarmKindId(kind);
  }
  EXPECT_EQ(policy.SeverityOf(AlarmKind::kTerminalAlarm, "bit0"), 1);  // emergency button
  EXPECT_EQ(policy.SeverityOf(AlarmKind::kTerminalAlarm, "bit1"), 2);
  EXPECT_EQ(policy.For(AlarmKind::kOffRoute).text, "您已偏离备案路线，请尽快返回");
  EXPECT_TRUE(policy.For(AlarmKind::kSignalLost).text.empty());
  EXPECT_EQ(policy.DeadlinesOf(1).acknowledge_ms, 5 * kMinute);
  EXPECT_EQ(policy.DeadlinesOf(1).close_ms, 120 * kMinute);
  EXPECT_EQ(policy.DeadlinesOf(4).close_ms, 72 * 60 * kMinute);
  for (int severity = 1; severity <= 4; ++severity)
    EXPECT_LE(policy.DeadlinesOf(severity).acknowledge_ms, policy.DeadlinesOf(severity).close_ms);
}

TEST(AlarmPolicyTest, NamesAreChinese) {
  EXPECT_EQ(SeverityName(1), "紧急");
  EXPECT_EQ(SeverityName(4), "提示");
  EXPECT_EQ(SeverityName(5), "");
  EXPECT_EQ(DepartmentName("police"), "公安局");
  EXPECT_EQ(DepartmentName("health"), "卫健委");
  EXPECT_EQ(DepartmentName("某街道办"), "某街道办");  // a zone's own owner stays as written
}

TEST(AlarmPolicyTest, MissingTableGivesDefaults) {
  std::string message;
  auto policy = ParseAlarmPolicy(nullptr, message);
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->For(AlarmKind::kZoneEntry).severity,
            DefaultAlarmPolicy().For(AlarmKind::kZoneEntry).severity);
}

TEST(AlarmPolicyTest, ReadsKindsAndDeadlines) {
  std::string message;
  auto policy = Parse(R"(
[alarm.kinds.off_route]
severity = 1
department = "police"
text = "请返回路线"
[alarm.kinds.signal_lost]
text = "请检查终端"
[alarm.kinds.terminal_alarm]
subjects = { bit0 = 1, bit3 = 4 }
[alarm.deadlines]
acknowledge_minutes = [1, 2, 3, 4]
close_minutes = [10, 20, 30, 40]
)",
                      message);
  ASSERT_TRUE(policy) << message;
  EXPECT_EQ(policy->For(AlarmKind::kOffRoute).severity, 1);
  EXPECT_EQ(policy->For(AlarmKind::kOffRoute).department, "police");
  EXPECT_EQ(policy->For(AlarmKind::kOffRoute).text, "请返回路线");
  EXPECT_EQ(policy->For(AlarmKind::kSignalLost).text, "请检查终端");
  EXPECT_EQ(policy->For(AlarmKind::kSignalLost).severity, 3);  // untouched keys keep defaults
  EXPECT_EQ(policy->SeverityOf(AlarmKind::kTerminalAlarm, "bit3"), 4);
  EXPECT_EQ(policy->DeadlinesOf(2).acknowledge_ms, 2 * kMinute);
  EXPECT_EQ(policy->DeadlinesOf(3).close_ms, 30 * kMinute);
}

TEST(AlarmPolicyTest, ErrorsNameTheKeyInChinese) {
  EXPECT_EQ(ErrorOf("[alarm]\nsound = true\n"), "未知配置项 alarm.sound (unknown key)");
  EXPECT_EQ(ErrorOf("[alarm.kinds.flying]\nseverity = 1\n"),
            "未知告警类型 alarm.kinds.flying (unknown alarm kind)");
  EXPECT_NE(ErrorOf("[alarm.kinds.overspeed]\nseverity = 5\n")
                .find("alarm.kinds.overspeed.severity 必须是 1-4"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[alarm.kinds.overspeed]\nseverity = \"2\"\n").find("必须是 1-4"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[alarm.kinds.overspeed]\ndepartment = \"army\"\n")
                .find("alarm.kinds.overspeed.department"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[alarm.kinds.overspeed]\ncolour = 1\n").find("alarm.kinds.overspeed.colour"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[alarm.kinds.overspeed]\ntext = 3\n").find("必须是字符串"), std::string::npos);
  EXPECT_NE(ErrorOf("[alarm.kinds.overspeed]\ntext = \"" + std::string(201 * 3, 'a') + "\"\n")
                .find("200"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[alarm.kinds.terminal_alarm]\nsubjects = { bit0 = 0 }\n")
                .find("alarm.kinds.terminal_alarm.subjects.bit0"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[alarm.deadlines]\nacknowledge_minutes = [1, 2, 3]\n").find("4 个整数"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[alarm.deadlines]\nclose_minutes = [0, 20, 30, 40]\n").find("1-43200"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[alarm.deadlines]\nacknowledge_minutes = [200, 2, 3, 4]\n")
                .find("紧急告警的确认时限不能长于关闭时限"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[alarm.deadlines]\nack = 1\n").find("alarm.deadlines.ack"), std::string::npos);
}

TEST(AlarmPolicyTest, TextLimitCountsCharactersNotBytes) {
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += "停";  // 3 bytes each
  std::string message;
  auto policy = Parse("[alarm.kinds.overspeed]\ntext = \"" + text + "\"\n", message);
  ASSERT_TRUE(policy) << message;
  EXPECT_EQ(policy->For(AlarmKind::kOverspeed).text, text);
}

TEST(AlarmPolicyTest, JsonListsEveryKindAndSeverity) {
  const auto json = AlarmPolicyJson(DefaultAlarmPolicy());
  EXPECT_EQ(json["kinds"].size(), monitor::kAlarmKinds);
  EXPECT_EQ(json["kinds"]["zone_entry"]["severity_name"], "紧急");
  EXPECT_EQ(json["kinds"]["zone_entry"]["department_name"], "公安局");
  EXPECT_EQ(json["kinds"]["terminal_alarm"]["subjects"]["bit0"], 1);
  ASSERT_EQ(json["deadlines"].size(), 4u);
  EXPECT_EQ(json["deadlines"][0]["acknowledge_minutes"], 5);
  EXPECT_EQ(json["deadlines"][3]["close_minutes"], 72 * 60);
}

}  // namespace
}  // namespace baotong::alarm
