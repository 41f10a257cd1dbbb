#include "pass/checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>

#include "registry/credentials.h"
#include "registry/registry_fixture.h"

namespace baotong::pass {
namespace {

using registry::testing::CreditCode;
using registry::testing::IdNumber;

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kDay = 24 * kHour;
// 2026-11-26 08:00 China time.
const int64_t kNow = registry::ChinaMidnightMs("2026-11-26") + 8 * kHour;

PassApplication Trip() {
  PassApplication application;
  application.kind = PassKind::kTrip;
  application.plate = "辽C12345";
  application.plate_color = PlateColor::kYellow;
  application.carrier_credit_code = CreditCode(1);
  application.driver_id_numbers = {IdNumber(1)};
  application.cargo = Cargo{"生活物资", "蔬菜", 8000, false, std::nullopt, std::nullopt};
  application.origin = "沈阳";
  application.destination_site_codes = {"S1"};
  application.route_id = "R1";
  application.entry_from_ms = kNow + kHour;
  application.entry_until_ms = kNow + 5 * kHour;
  application.planned_exit_ms = kNow + 10 * kHour;
  return application;
}

CheckFacts GoodFacts() {
  CheckFacts facts;
  registry::Vehicle vehicle;
  vehicle.plate = "辽C12345";
  vehicle.plate_color = PlateColor::kYellow;
  vehicle.vehicle_class = registry::VehicleClass::kHeavyTruck;
  vehicle.carrier_credit_code = CreditCode(1);
  vehicle.transport_cert_valid_until = "2030-01-01";
  vehicle.insurance_valid_until = "2030-01-01";
  facts.vehicle = vehicle;
  facts.carrier = registry::Carrier{CreditCode(1), "鞍山运输",   "铁东区",    std::nullopt,
                                    "许可1",       "2030-01-01", std::nullopt};
  registry::Driver driver;
  driver.id_number = IdNumber(1);
  driver.name = "张三";
  driver.licence_class = "A2";
  driver.licence_valid_until = "2030-01-01";
  driver.qualification_category = "道路货物运输驾驶员";
  driver.qualification_valid_until = "2030-01-01";
  driver.carrier_credit_code = CreditCode(1);
  registry::HealthRecord health;
  health.id_number = IdNumber(1);
  health.kind = "核酸检测";
  health.tested_at = kNow - 2 * kHour;
  health.name = "张三";
  health.result = "阴性";
  facts.drivers = {DriverFacts{IdNumber(1), driver, health}};
  facts.sites = {SiteFacts{"S1", true}};
  facts.route = PublishedRoute{"R1", "鞍山绕城货运通道", "{}", false};
  return facts;
}

// Dangerous goods done right: hazardous vehicle, qualified driver, a route that allows them.
void MakeDangerous(PassApplication& application, CheckFacts& facts) {
  application.cargo = Cargo{"危险货物", "汽油", 20000, true, "UN1203", "3"};
  facts.vehicle->vehicle_class = registry::VehicleClass::kHazardous;
  facts.drivers[0].driver->qualification_category = "危险货物道路运输驾驶员";
  facts.route->allows_hazardous = true;
}

std::vector<std::string> Codes(const std::vector<Check>& findings) {
  std::vector<std::string> codes;
  for (const auto& finding : findings)
    codes.push_back(finding.code);
  return codes;
}

bool Has(const std::vector<Check>& findings, std::string_view code) {
  return std::any_of(findings.begin(), findings.end(),
                     [&](const Check& check) { return check.code == code; });
}

const Check* Find(const std::vector<Check>& findings, std::string_view code) {
  for (const auto& finding : findings) {
    if (finding.code == code)
      return &finding;
  }
  return nullptr;
}

TEST(PassChecksTest, AGoodApplicationHasNoFindingsAndIsApproved) {
  PassRules rules;
  auto findings = RunChecks(Trip(), GoodFacts(), rules, kNow);
  EXPECT_TRUE(findings.empty()) << ::testing::PrintToString(Codes(findings));
  EXPECT_EQ(StatusAfterChecks(findings, rules), PassStatus::kApproved);
  rules.auto_approve = false;
  EXPECT_EQ(StatusAfterChecks(findings, rules), PassStatus::kPendingReview);

  PassApplication dangerous = Trip();
  CheckFacts facts = GoodFacts();
  MakeDangerous(dangerous, facts);
  EXPECT_TRUE(RunChecks(dangerous, facts, PassRules{}, kNow).empty());
}

// One scenario per reason code; the last test makes sure none is left out.
struct Scenario {
  std::string code;
  std::function<void(PassApplication&, CheckFacts&)> change;
};

std::vector<Scenario> Scenarios() {
  const std::string expired = "2026-11-26";  // ends before the planned exit (the 26th, 18:00)
  return {
      {"vehicle.unknown", [](auto&, auto& f) { f.vehicle.reset(); }},
      {"carrier.unknown", [](auto&, auto& f) { f.carrier.reset(); }},
      {"carrier.mismatch", [](auto&, auto& f) { f.vehicle->carrier_credit_code = CreditCode(2); }},
      {"driver.unknown", [](auto&, auto& f) { f.drivers[0].driver.reset(); }},
      {"driver.carrier_mismatch",
       [](auto&, auto& f) { f.drivers[0].driver->carrier_credit_code = CreditCode(2); }},
      {"vehicle.transport_cert.expired_in_window",
       [=](auto&, auto& f) { f.vehicle->transport_cert_valid_until = "2026-11-25"; }},
      {"vehicle.transport_cert.missing",
       [](auto&, auto& f) { f.vehicle->transport_cert_valid_until.reset(); }},
      {"vehicle.insurance.expired_in_window",
       [=](auto& a, auto& f) {
         a.planned_exit_ms = kNow + 20 * kHour;  // into the 27th
         f.vehicle->insurance_valid_until = expired;
       }},
      {"vehicle.insurance.missing",
       [](auto&, auto& f) { f.vehicle->insurance_valid_until.reset(); }},
      {"carrier.permit.expired_in_window",
       [](auto&, auto& f) { f.carrier->business_permit_valid_until = "2020-01-01"; }},
      {"carrier.permit.missing",
       [](auto&, auto& f) { f.carrier->business_permit_valid_until.reset(); }},
      {"driver.licence.expired_in_window",
       [](auto&, auto& f) { f.drivers[0].driver->licence_valid_until = "2026-11-01"; }},
      {"driver.licence.missing",
       [](auto&, auto& f) { f.drivers[0].driver->licence_valid_until.reset(); }},
      {"driver.qualification.expired_in_window",
       [](auto&, auto& f) { f.drivers[0].driver->qualification_valid_until = "2026-11-01"; }},
      {"driver.qualification.missing",
       [](auto&, auto& f) { f.drivers[0].driver->qualification_valid_until.reset(); }},
      {"driver.licence_class", [](auto&, auto& f) { f.drivers[0].driver->licence_class = "C1"; }},
      {"driver.qualification_category",
       [](auto&, auto& f) { f.vehicle->vehicle_class = registry::VehicleClass::kHazardous; }},
      {"cargo.dangerous.vehicle",
       [](auto& a, auto& f) {
         MakeDangerous(a, f);
         f.vehicle->vehicle_class = registry::VehicleClass::kHeavyTruck;
       }},
      {"cargo.dangerous.qualification",
       [](auto& a, auto& f) {
         MakeDangerous(a, f);
         f.drivers[0].driver->qualification_category = "道路货物运输驾驶员";
       }},
      {"cargo.dangerous.route",
       [](auto& a, auto& f) {
         MakeDangerous(a, f);
         f.route->allows_hazardous = false;
       }},
      {"cargo.dangerous.route_unverified",
       [](auto& a, auto& f) {
         MakeDangerous(a, f);
         a.route_id.reset();
         f.route.reset();
         a.waypoints = {{41.1, 122.9}, {41.12, 123.0}};
       }},
      {"cargo.dangerous.un_number",
       [](auto& a, auto& f) {
         MakeDangerous(a, f);
         a.cargo->un_number.reset();
       }},
      {"health.missing", [](auto&, auto& f) { f.drivers[0].newest_health.reset(); }},
      {"health.stale", [](auto&, auto& f) { f.drivers[0].newest_health->tested_at -= 3 * kDay; }},
      {"health.positive", [](auto&, auto& f) { f.drivers[0].newest_health->result = "阳性"; }},
      {"window.invalid", [](auto& a, auto&) { a.entry_until_ms = a.entry_from_ms; }},
      {"window.too_long", [](auto& a, auto&) { a.planned_exit_ms = a.entry_from_ms + 4 * kDay; }},
      {"site.unknown", [](auto&, auto& f) { f.sites[0].known = false; }},
      {"route.unknown", [](auto&, auto& f) { f.route.reset(); }},
  };
}

TEST(PassChecksTest, EachReasonCodeIsReportedWithItsDefaultOutcome) {
  PassRules rules;
  for (const auto& scenario : Scenarios()) {
    PassApplication application = Trip();
    CheckFacts facts = GoodFacts();
    scenario.change(application, facts);
    auto findings = RunChecks(application, facts, rules, kNow);
    const Check* found = Find(findings, scenario.code);
    ASSERT_NE(found, nullptr) << scenario.code << " not in "
                              << ::testing::PrintToString(Codes(findings));
    EXPECT_EQ(found->outcome, rules.OutcomeOf(scenario.code)) << scenario.code;
    EXPECT_FALSE(found->message.empty());
    // Messages are for Chinese staff: the first character is not ASCII.
    EXPECT_GE(static_cast<unsigned char>(found->message[0]), 0x80) << found->message;
    PassStatus expected =
        found->outcome == Outcome::kReject ? PassStatus::kRejected : PassStatus::kPendingReview;
    if (std::none_of(findings.begin(), findings.end(),
                     [](const Check& c) { return c.outcome == Outcome::kReject; })) {
      EXPECT_EQ(StatusAfterChecks(findings, rules), expected) << scenario.code;
    }
  }
}

TEST(PassChecksTest, EveryReasonCodeHasAScenario) {
  std::set<std::string> covered;
  for (const auto& scenario : Scenarios())
    covered.insert(scenario.code);
  for (const auto& reason : ReasonCodes())
    EXPECT_TRUE(covered.contains(std::string(reason.code))) << reason.code;
  EXPECT_EQ(covered.size(), ReasonCodes().size());
}

TEST(PassChecksTest, ACertificateMustCoverThePlannedExit) {
  // Valid until 2026-11-30: the last valid instant is 23:59:59.999 on the 30th, China time.
  const int64_t end = registry::ChinaMidnightMs("2026-12-01");
  EXPECT_TRUE(DateCovers("2026-11-30", end - 1));
  EXPECT_FALSE(DateCovers("2026-11-30", end));
  EXPECT_FALSE(DateCovers("not a date", 0));

  PassApplication application = Trip();
  CheckFacts facts = GoodFacts();
  facts.vehicle->insurance_valid_until = "2026-11-30";
  application.planned_exit_ms = end - 1;  // exit on the last day: covered
  EXPECT_FALSE(
      Has(RunChecks(application, facts, PassRules{}, kNow), "vehicle.insurance.expired_in_window"));
  application.planned_exit_ms = end;  // exit at midnight after it: not covered
  PassRules wide;
  wide.max_window_hours = 240;
  auto findings = RunChecks(application, facts, wide, kNow);
  ASSERT_TRUE(Has(findings, "vehicle.insurance.expired_in_window"));
  EXPECT_NE(Find(findings, "vehicle.insurance.expired_in_window")->message.find("2026-11-30"),
            std::string::npos);
}

TEST(PassChecksTest, ACertificateExpiringInsideTheWindowIsFound) {
  // Valid at application time and at entry, but ends before the planned exit.
  PassApplication application = Trip();
  application.entry_until_ms = kNow + 12 * kHour;
  application.planned_exit_ms = kNow + 30 * kHour;  // 2026-11-27 14:00
  CheckFacts facts = GoodFacts();
  facts.drivers[0].driver->licence_valid_until = "2026-11-26";
  auto findings = RunChecks(application, facts, PassRules{}, kNow);
  EXPECT_EQ(Codes(findings), std::vector<std::string>{"driver.licence.expired_in_window"});
  EXPECT_EQ(StatusAfterChecks(findings, PassRules{}), PassStatus::kRejected);
}

TEST(PassChecksTest, EveryDriverIsChecked) {
  PassApplication application = Trip();
  CheckFacts facts = GoodFacts();
  application.driver_id_numbers.push_back(IdNumber(2));
  DriverFacts second = facts.drivers[0];
  second.id_number = IdNumber(2);
  second.driver->id_number = IdNumber(2);
  second.driver->name = "李四";
  second.driver->licence_class = "C2";
  facts.drivers.push_back(second);
  auto findings = RunChecks(application, facts, PassRules{}, kNow);
  ASSERT_EQ(Codes(findings), std::vector<std::string>{"driver.licence_class"});
  EXPECT_NE(findings[0].message.find("李四"), std::string::npos);
}

TEST(PassChecksTest, DangerousGoodsNeedTheQualificationOnceNotTwice) {
  PassApplication application = Trip();
  CheckFacts facts = GoodFacts();
  MakeDangerous(application, facts);
  facts.drivers[0].driver->qualification_category = "道路货物运输驾驶员";
  auto findings = RunChecks(application, facts, PassRules{}, kNow);
  EXPECT_EQ(Codes(findings), std::vector<std::string>{"cargo.dangerous.qualification"});
}

TEST(PassChecksTest, DangerousGoodsOnWaypointsGoToReview) {
  PassApplication application = Trip();
  CheckFacts facts = GoodFacts();
  MakeDangerous(application, facts);
  application.route_id.reset();
  facts.route.reset();
  application.waypoints = {{41.1, 122.9}, {41.12, 123.0}};
  auto findings = RunChecks(application, facts, PassRules{}, kNow);
  ASSERT_EQ(Codes(findings), std::vector<std::string>{"cargo.dangerous.route_unverified"});
  EXPECT_EQ(findings[0].outcome, Outcome::kReview);
  EXPECT_EQ(StatusAfterChecks(findings, PassRules{}), PassStatus::kPendingReview);
}

TEST(PassChecksTest, UnNumberAndHazardClassFormats) {
  for (auto [un, hazard, ok] : std::vector<std::tuple<const char*, const char*, bool>>{
           {"UN1203", "3", true},
           {"UN1203", "2.1", true},
           {"UN0000", "3", false},
           {"UN12", "3", false},
           {"1203", "3", false},  // ParseApplicationRequest adds the "UN"; the check does not
           {"UN1203", "10", false},
           {"UN1203", "", false},
       }) {
    PassApplication application = Trip();
    CheckFacts facts = GoodFacts();
    MakeDangerous(application, facts);
    application.cargo->un_number = un;
    application.cargo->hazard_class = hazard;
    EXPECT_EQ(Has(RunChecks(application, facts, PassRules{}, kNow), "cargo.dangerous.un_number"),
              !ok)
        << un << " " << hazard;
  }
}

TEST(PassChecksTest, HealthRecordValidityIsMeasuredAtTheLatestEntry) {
  PassRules rules;  // 48 hours
  PassApplication application = Trip();
  CheckFacts facts = GoodFacts();
  auto& health = *facts.drivers[0].newest_health;
  health.tested_at = application.entry_until_ms - 48 * kHour;  // exactly 48 h at the latest entry
  EXPECT_FALSE(Has(RunChecks(application, facts, rules, kNow), "health.stale"));
  health.tested_at -= 1;
  auto findings = RunChecks(application, facts, rules, kNow);
  ASSERT_TRUE(Has(findings, "health.stale"));
  EXPECT_EQ(Find(findings, "health.stale")->outcome, Outcome::kReject);
  rules.health_validity_hours = 72;
  EXPECT_FALSE(Has(RunChecks(application, facts, rules, kNow), "health.stale"));
  rules.health_required = false;
  facts.drivers[0].newest_health.reset();
  EXPECT_TRUE(RunChecks(application, facts, rules, kNow).empty());
}

TEST(PassChecksTest, APositiveResultIsFoundInEitherLanguage) {
  for (const char* result : {"阳性", "POSITIVE", "核酸阳性"}) {
    CheckFacts facts = GoodFacts();
    facts.drivers[0].newest_health->result = result;
    EXPECT_TRUE(Has(RunChecks(Trip(), facts, PassRules{}, kNow), "health.positive")) << result;
  }
}

TEST(PassChecksTest, WindowRules) {
  PassRules rules;  // 72 hours
  auto codes_for = [&](auto change) {
    PassApplication application = Trip();
    change(application);
    return Codes(RunChecks(application, GoodFacts(), rules, kNow));
  };
  const std::vector<std::string> none;
  const std::vector<std::string> invalid = {"window.invalid"};
  const std::vector<std::string> too_long = {"window.too_long"};
  EXPECT_EQ(codes_for([](auto& a) { a.entry_until_ms = a.entry_from_ms - 1; }), invalid);
  EXPECT_EQ(codes_for([](auto& a) { a.planned_exit_ms = a.entry_from_ms; }), invalid);
  EXPECT_EQ(codes_for([](auto& a) {
              a.entry_from_ms = kNow - 5 * kHour;
              a.entry_until_ms = kNow;  // over
            }),
            invalid);
  // Exactly 72 hours from entry to planned exit is allowed; a millisecond more is not.
  EXPECT_EQ(codes_for([](auto& a) { a.planned_exit_ms = a.entry_from_ms + 72 * kHour; }), none);
  EXPECT_EQ(codes_for([](auto& a) { a.planned_exit_ms = a.entry_from_ms + 72 * kHour + 1; }),
            too_long);
}

TEST(PassChecksTest, StandingRegistrationsAreLimitedInDays) {
  PassRules rules;  // 90 days
  PassApplication application = Trip();
  application.kind = PassKind::kStanding;
  application.cargo.reset();
  application.route_id.reset();
  application.entry_from_ms = kNow;
  CheckFacts facts = GoodFacts();
  facts.route.reset();
  application.entry_until_ms = kNow + 90 * kDay;
  application.planned_exit_ms = application.entry_until_ms;
  // Health is checked at the start of the period for a standing registration.
  EXPECT_EQ(Codes(RunChecks(application, facts, rules, kNow)), std::vector<std::string>{});
  application.entry_until_ms += 1;
  application.planned_exit_ms = application.entry_until_ms;
  EXPECT_EQ(Codes(RunChecks(application, facts, rules, kNow)),
            std::vector<std::string>{"window.too_long"});
  // Certificates must last the whole registration.
  application.entry_until_ms = kNow + 30 * kDay;
  application.planned_exit_ms = application.entry_until_ms;
  facts.vehicle->transport_cert_valid_until = "2026-12-01";
  EXPECT_EQ(Codes(RunChecks(application, facts, rules, kNow)),
            std::vector<std::string>{"vehicle.transport_cert.expired_in_window"});
}

TEST(PassChecksTest, ConfiguredOutcomesReplaceTheDefaults) {
  PassRules rules;
  rules.outcomes["health.missing"] = Outcome::kReject;
  rules.outcomes["vehicle.insurance.missing"] = Outcome::kOk;
  CheckFacts facts = GoodFacts();
  facts.vehicle->insurance_valid_until.reset();
  auto findings = RunChecks(Trip(), facts, rules, kNow);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].outcome, Outcome::kOk);  // reported, but does not hold the pass back
  EXPECT_EQ(StatusAfterChecks(findings, rules), PassStatus::kApproved);
  facts.drivers[0].newest_health.reset();
  findings = RunChecks(Trip(), facts, rules, kNow);
  EXPECT_EQ(StatusAfterChecks(findings, rules), PassStatus::kRejected);
}

// Issue 13 item 6: another carrier's driver is reported as not the applicant's, and nothing
// else about that person (licence, qualification, health) is checked or said.
TEST(PassChecksTest, AnotherCarriersDriverIsNamedOnlyAsNotTheApplicants) {
  CheckFacts facts = GoodFacts();
  auto& driver = *facts.drivers[0].driver;
  driver.carrier_credit_code = CreditCode(2);
  driver.licence_valid_until = "2020-01-01";
  driver.licence_class = "C1";
  facts.drivers[0].newest_health->result = "阳性";
  PassApplication dangerous = Trip();
  MakeDangerous(dangerous, facts);
  driver.qualification_category = "道路货物运输驾驶员";
  for (const PassApplication& application : {Trip(), dangerous}) {
    auto findings = RunChecks(application, facts, PassRules{}, kNow);
    ASSERT_TRUE(Has(findings, "driver.carrier_mismatch"))
        << ::testing::PrintToString(Codes(findings));
    for (const auto& finding : findings) {
      EXPECT_FALSE(finding.code.starts_with("health.")) << finding.code;
      EXPECT_FALSE(finding.code.starts_with("driver.licence")) << finding.code;
      EXPECT_NE(finding.code, "cargo.dangerous.qualification");
      EXPECT_EQ(finding.message.find("2020-01-01"), std::string::npos) << finding.message;
    }
    EXPECT_EQ(Find(findings, "driver.carrier_mismatch")->driver_index, 0);
  }
}

// Issue 13 item 5: a health finding names the result; only a viewer who may read health results
// sees it, everyone else one message without the result, kind or time.
TEST(PassChecksTest, HealthFindingsAreShownInFullOnlyToHealthReaders) {
  PassApplication application = Trip();
  application.driver_names = {"张三"};
  std::vector<std::pair<std::string, std::function<void(CheckFacts&)>>> cases = {
      {"health.positive", [](CheckFacts& f) { f.drivers[0].newest_health->result = "阳性"; }},
      {"health.stale", [](CheckFacts& f) { f.drivers[0].newest_health->tested_at -= 3 * kDay; }},
      {"health.missing", [](CheckFacts& f) { f.drivers[0].newest_health.reset(); }},
  };
  std::set<std::string> generic_messages;
  for (const auto& [code, change] : cases) {
    CheckFacts facts = GoodFacts();
    change(facts);
    auto findings = RunChecks(application, facts, PassRules{}, kNow);
    const Check* found = Find(findings, code);
    ASSERT_NE(found, nullptr) << code;
    EXPECT_TRUE(IsHealthFinding(found->code));
    // The health department (and the stored record) keep the code and the full message.
    EXPECT_EQ(ShownCheck(*found, application.driver_names, true), *found);
    const Check shown = ShownCheck(*found, application.driver_names, false);
    EXPECT_EQ(shown.code, kHealthNotQualified) << code;
    EXPECT_EQ(shown.outcome, found->outcome);
    EXPECT_EQ(shown.message,
              "驾驶员张三的健康记录不符合要求 (the driver's health record does not qualify)");
    for (const char* word : {"阳性", "阴性", "positive", "核酸", "2026", "小时", "无健康记录"})
      EXPECT_EQ(shown.message.find(word), std::string::npos) << code << ": " << word;
    generic_messages.insert(shown.message);
  }
  EXPECT_EQ(generic_messages.size(), 1u);
  // The positive finding itself does say it, which is why it must not be shown as it is.
  CheckFacts positive = GoodFacts();
  positive.drivers[0].newest_health->result = "阳性";
  EXPECT_NE(Find(RunChecks(application, positive, PassRules{}, kNow), "health.positive")
                ->message.find("阳性"),
            std::string::npos);
  // Other findings are shown as they are to everyone.
  const Check other{"vehicle.insurance.missing", Outcome::kReview, "车辆辽C12345的交强险", {}};
  EXPECT_EQ(ShownCheck(other, application.driver_names, false), other);
}

}  // namespace
}  // namespace baotong::pass
