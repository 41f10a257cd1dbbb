#include "pass/rules.h"

#include <gtest/gtest.h>

namespace baotong::pass {
namespace {

// Parses `text` as a whole file and hands its [pass] table to ParsePassRules.
Result<PassRules> Parse(std::string_view text, std::string& message) {
  toml::table root = toml::parse(text);
  const toml::node* node = root.get("pass");
  return ParsePassRules(node ? node->as_table() : nullptr, message);
}

TEST(PassRulesTest, NoTableGivesTheDefaults) {
  std::string message;
  auto rules = ParsePassRules(nullptr, message);
  ASSERT_TRUE(rules);
  EXPECT_TRUE(rules->auto_approve);
  EXPECT_TRUE(rules->health_required);
  EXPECT_EQ(rules->health_validity_hours, 48);
  EXPECT_EQ(rules->health_kinds, std::vector<std::string>{"核酸检测"});
  EXPECT_EQ(rules->max_window_hours, 72);
  EXPECT_EQ(rules->standing_max_days, 90);
  EXPECT_EQ(rules->OutcomeOf("vehicle.unknown"), Outcome::kReject);
  EXPECT_EQ(rules->OutcomeOf("health.missing"), Outcome::kReview);
  EXPECT_EQ(rules->OutcomeOf("cargo.dangerous.route_unverified"), Outcome::kReview);
}

TEST(PassRulesTest, ReadsEveryKey) {
  std::string message;
  auto rules = Parse(R"(
[pass]
auto_approve = false
health_required = true
health_validity_hours = 24
health_kinds = ["核酸检测", "抗原检测"]
max_window_hours = 48
standing_max_days = 30
[pass.outcomes]
"health.missing" = "reject"
"vehicle.insurance.missing" = "ok"
)",
                     message);
  ASSERT_TRUE(rules) << message;
  EXPECT_FALSE(rules->auto_approve);
  EXPECT_EQ(rules->health_validity_hours, 24);
  EXPECT_EQ(rules->health_kinds, (std::vector<std::string>{"核酸检测", "抗原检测"}));
  EXPECT_EQ(rules->max_window_hours, 48);
  EXPECT_EQ(rules->standing_max_days, 30);
  EXPECT_EQ(rules->OutcomeOf("health.missing"), Outcome::kReject);
  EXPECT_EQ(rules->OutcomeOf("vehicle.insurance.missing"), Outcome::kOk);
  EXPECT_EQ(rules->OutcomeOf("health.stale"), Outcome::kReject);  // untouched default
}

TEST(PassRulesTest, ErrorsNameTheKey) {
  struct Case {
    const char* toml;
    const char* expected;  // a substring of the message
  };
  for (const Case& item : std::vector<Case>{
           {"[pass]\nauto_aprove = true\n", "unknown key pass.auto_aprove"},
           {"[pass]\nauto_approve = 1\n", "pass.auto_approve must be true or false"},
           {"[pass]\nhealth_validity_hours = 0\n", "pass.health_validity_hours must be between"},
           {"[pass]\nmax_window_hours = \"72\"\n", "pass.max_window_hours must be a whole number"},
           {"[pass]\nstanding_max_days = 400\n", "pass.standing_max_days"},
           {"[pass]\nhealth_kinds = \"核酸检测\"\n", "pass.health_kinds must be an array"},
           {"[pass]\nhealth_kinds = [1]\n", "pass.health_kinds"},
           {"[pass]\nhealth_kinds = []\n", "pass.health_kinds is empty"},
           {"[pass]\noutcomes = 1\n", "pass.outcomes must be a table"},
           {"[pass.outcomes]\n\"no.such\" = \"ok\"\n", "unknown key pass.outcomes.no.such"},
           {"[pass.outcomes]\nhealth.stale = \"ok\"\n", "unknown key pass.outcomes.health"},
           {"[pass.outcomes]\n\"health.stale\" = \"maybe\"\n",
            "pass.outcomes.health.stale must be"},
       }) {
    std::string message;
    auto rules = Parse(item.toml, message);
    EXPECT_FALSE(rules) << item.toml;
    EXPECT_NE(message.find(item.expected), std::string::npos) << item.toml << " gave: " << message;
  }
}

TEST(PassRulesTest, HealthKindsMayBeEmptyWhenHealthIsNotRequired) {
  std::string message;
  auto rules = Parse("[pass]\nhealth_required = false\nhealth_kinds = []\n", message);
  ASSERT_TRUE(rules) << message;
  EXPECT_TRUE(rules->health_kinds.empty());
}

TEST(PassRulesTest, ReasonCodesAreUnique) {
  std::set<std::string_view> seen;
  for (const auto& reason : ReasonCodes()) {
    EXPECT_TRUE(seen.insert(reason.code).second) << reason.code;
    EXPECT_TRUE(IsReasonCode(reason.code));
  }
  EXPECT_FALSE(IsReasonCode("vehicle"));
}

}  // namespace
}  // namespace baotong::pass
