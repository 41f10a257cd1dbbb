#include "checkpoint/decision.h"

#include <gtest/gtest.h>

namespace baotong::checkpoint {
namespace {

PassInForce Pass(std::string kind) {
  PassInForce pass;
  pass.pass_id = 7;
  pass.kind = std::move(kind);
  pass.plate = "辽C12345";
  pass.plate_color = 2;
  pass.valid_from_ms = 0;
  pass.valid_until_ms = 1000;
  return pass;
}

GateFacts Entry() {
  return GateFacts{};
}

TEST(JudgeTest, TripPassReleases) {
  GateFacts facts = Entry();
  facts.passes.in_force = Pass("trip");
  Ruling ruling = Judge(facts);
  EXPECT_EQ(ruling.verdict, Verdict::kRelease);
  EXPECT_EQ(ruling.reason_code, reason::kTripValid);
  ASSERT_TRUE(ruling.pass);
  EXPECT_EQ(ruling.pass->pass_id, 7);
}

TEST(JudgeTest, StandingRegistrationReleases) {
  GateFacts facts = Entry();
  facts.passes.in_force = Pass("standing");
  EXPECT_EQ(Judge(facts).verdict, Verdict::kRelease);
  EXPECT_EQ(Judge(facts).reason_code, reason::kStandingValid);
}

TEST(JudgeTest, ExpiredTurnsBack) {
  GateFacts facts = Entry();
  facts.passes.has_expired = true;
  facts.registered = true;
  EXPECT_EQ(Judge(facts).verdict, Verdict::kTurnBack);
  EXPECT_EQ(Judge(facts).reason_code, reason::kPassExpired);
}

TEST(JudgeTest, RevokedTurnsBackAndOutranksExpired) {
  GateFacts facts = Entry();
  facts.passes.has_revoked = true;
  facts.passes.has_expired = true;
  EXPECT_EQ(Judge(facts).verdict, Verdict::kTurnBack);
  EXPECT_EQ(Judge(facts).reason_code, reason::kPassRevoked);
}

TEST(JudgeTest, NotYetValidTurnsBack) {
  GateFacts facts = Entry();
  facts.passes.has_upcoming = true;
  EXPECT_EQ(Judge(facts).reason_code, reason::kPassNotYetValid);
  EXPECT_EQ(Judge(facts).verdict, Verdict::kTurnBack);
}

TEST(JudgeTest, RegisteredWithoutPassTurnsBack) {
  GateFacts facts = Entry();
  facts.registered = true;
  EXPECT_TRUE(NeedsRegistration(facts));
  EXPECT_EQ(Judge(facts).verdict, Verdict::kTurnBack);
  EXPECT_EQ(Judge(facts).reason_code, reason::kPassMissing);
}

TEST(JudgeTest, UnknownPlateTurnsBack) {
  GateFacts facts = Entry();
  EXPECT_EQ(Judge(facts).verdict, Verdict::kTurnBack);
  EXPECT_EQ(Judge(facts).reason_code, reason::kVehicleUnknown);
}

TEST(JudgeTest, ColourMismatchIsManualCheck) {
  GateFacts facts = Entry();
  facts.passes.other_color = 1;
  EXPECT_FALSE(NeedsRegistration(facts));
  EXPECT_EQ(Judge(facts).verdict, Verdict::kManualCheck);
  EXPECT_EQ(Judge(facts).reason_code, reason::kColorMismatch);
}

TEST(JudgeTest, AlreadyInCityIsManualCheck) {
  GateFacts facts = Entry();
  facts.passes.in_force = Pass("trip");
  facts.in_city = true;
  EXPECT_EQ(Judge(facts).verdict, Verdict::kManualCheck);
  EXPECT_EQ(Judge(facts).reason_code, reason::kAlreadyInCity);
}

TEST(JudgeTest, UnreadablePlateIsManualCheck) {
  GateFacts facts = Entry();
  facts.plate_unreadable = true;
  EXPECT_FALSE(NeedsRegistration(facts));
  EXPECT_EQ(Judge(facts).verdict, Verdict::kManualCheck);
  EXPECT_EQ(Judge(facts).reason_code, reason::kPlateUnreadable);
}

TEST(JudgeTest, FailedTokenTurnsBackWhateverThePasses) {
  GateFacts facts = Entry();
  facts.token_failure = "bad_signature";
  facts.passes.in_force = Pass("trip");
  EXPECT_EQ(Judge(facts).verdict, Verdict::kTurnBack);
  EXPECT_EQ(Judge(facts).reason_code, reason::kTokenBadSignature);
  facts.token_failure = "expired";
  EXPECT_EQ(Judge(facts).reason_code, reason::kTokenExpired);
  facts.token_failure = "bad_format";
  EXPECT_EQ(Judge(facts).reason_code, reason::kTokenBadFormat);
  facts.token_failure = "not_yet_valid";
  EXPECT_EQ(Judge(facts).reason_code, reason::kTokenNotYetValid);
  facts.token_failure = "something else";
  EXPECT_EQ(Judge(facts).reason_code, reason::kTokenInvalid);
}

TEST(JudgeTest, ExitAlwaysReleases) {
  GateFacts facts;
  facts.direction = Direction::kOut;
  facts.in_city = true;
  EXPECT_EQ(Judge(facts).verdict, Verdict::kRelease);
  EXPECT_EQ(Judge(facts).reason_code, reason::kExitRecorded);
  facts.in_city = false;
  facts.token_failure = "bad_signature";
  EXPECT_EQ(Judge(facts).verdict, Verdict::kRelease);
  EXPECT_EQ(Judge(facts).reason_code, reason::kExitWithoutEntry);
  EXPECT_FALSE(NeedsRegistration(facts));
}

TEST(DisplayTextTest, PlatePlusVerdict) {
  EXPECT_EQ(DisplayText("辽C12345", Direction::kIn, Verdict::kRelease, reason::kTripValid),
            "辽C12345 核验通过 请通行");
  EXPECT_EQ(DisplayText("辽C12345", Direction::kIn, Verdict::kTurnBack, reason::kPassMissing),
            "辽C12345 未办理通行证 请掉头");
  EXPECT_EQ(DisplayText("辽C12345", Direction::kIn, Verdict::kTurnBack, reason::kVehicleUnknown),
            "辽C12345 未办理通行证 请掉头");
  EXPECT_EQ(DisplayText("辽C12345", Direction::kIn, Verdict::kTurnBack, reason::kPassExpired),
            "辽C12345 通行证已过期 请掉头");
  EXPECT_EQ(DisplayText("辽C12345", Direction::kIn, Verdict::kTurnBack, reason::kPassRevoked),
            "辽C12345 通行证已撤销 请掉头");
  EXPECT_EQ(DisplayText("辽C12345", Direction::kIn, Verdict::kManualCheck, reason::kColorMismatch),
            "辽C12345 请靠边接受检查");
  EXPECT_EQ(DisplayText("辽C12345", Direction::kOut, Verdict::kRelease, reason::kExitRecorded),
            "辽C12345 出城登记 请通行");
  EXPECT_EQ(DisplayText("", Direction::kIn, Verdict::kTurnBack, reason::kTokenBadSignature),
            "通行码无效 请掉头");
  EXPECT_EQ(DisplayText("辽C12345", Direction::kIn, Verdict::kRelease, reason::kOverride),
            "辽C12345 人工放行 请通行");
}

TEST(ReasonTextTest, EveryCodeHasChineseText) {
  for (std::string_view code :
       {reason::kTripValid, reason::kStandingValid, reason::kPassExpired, reason::kPassRevoked,
        reason::kPassNotYetValid, reason::kPassMissing, reason::kVehicleUnknown,
        reason::kColorMismatch, reason::kPlateUnreadable, reason::kAlreadyInCity,
        reason::kExitRecorded, reason::kExitWithoutEntry, reason::kTokenBadFormat,
        reason::kTokenBadSignature, reason::kTokenExpired, reason::kTokenNotYetValid,
        reason::kTokenInvalid, reason::kOverride}) {
    EXPECT_NE(ReasonText(code), code) << code;
    // Chinese text: the first byte is a UTF-8 lead byte of a CJK character.
    EXPECT_GE(static_cast<unsigned char>(ReasonText(code)[0]), 0xE0) << code;
  }
  EXPECT_EQ(ReasonText("no.such.code"), "no.such.code");
}

TEST(NamesTest, RoundTrip) {
  for (Verdict verdict : {Verdict::kRelease, Verdict::kTurnBack, Verdict::kManualCheck})
    EXPECT_EQ(ParseVerdict(ToString(verdict)), verdict);
  for (Direction direction : {Direction::kIn, Direction::kOut})
    EXPECT_EQ(ParseDirection(ToString(direction)), direction);
  for (Source source : {Source::kCamera, Source::kQr, Source::kOverride})
    EXPECT_EQ(ParseSource(ToString(source)), source);
  EXPECT_FALSE(ParseVerdict("allow"));
}

}  // namespace
}  // namespace baotong::checkpoint
