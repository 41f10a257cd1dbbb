#include "checkpoint/decision.h"

#include <array>
#include <utility>

namespace baotong::checkpoint {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kReasonTexts = {{
    {reason::kTripValid, "通行证有效"},
    {reason::kStandingValid, "备案车辆，备案有效"},
    {reason::kPassExpired, "通行证已过期"},
    {reason::kPassRevoked, "通行证已被撤销"},
    {reason::kPassNotYetValid, "通行证尚未生效"},
    {reason::kPassMissing, "车辆已登记，但没有有效通行证"},
    {reason::kVehicleUnknown, "车辆未登记，且没有通行证"},
    {reason::kColorMismatch, "车牌颜色与通行证不符"},
    {reason::kPlateUnreadable, "车牌无法识别"},
    {reason::kAlreadyInCity, "车辆已在城内（无出城记录），疑似逆行或漏记出城"},
    {reason::kExitRecorded, "出城登记"},
    {reason::kExitWithoutEntry, "出城车辆无入城记录"},
    {reason::kTokenBadFormat, "通行码格式错误"},
    {reason::kTokenBadSignature, "通行码签名无效（可能被篡改）"},
    {reason::kTokenExpired, "通行码已过期"},
    {reason::kTokenNotYetValid, "通行码尚未生效"},
    {reason::kTokenInvalid, "通行码无效"},
    {reason::kOverride, "人工改判"},
}};

// The middle word of the LED text for a turn-back.
std::string_view TurnBackWords(std::string_view code) {
  if (code == reason::kPassExpired)
    return "通行证已过期";
  if (code == reason::kPassRevoked)
    return "通行证已撤销";
  if (code == reason::kPassNotYetValid)
    return "通行证未生效";
  if (code.starts_with("token."))
    return "通行码无效";
  if (code == reason::kPassMissing || code == reason::kVehicleUnknown)
    return "未办理通行证";
  return {};
}

}  // namespace

std::string_view ToString(Direction direction) {
  return direction == Direction::kIn ? "in" : "out";
}

std::string_view ToString(Verdict verdict) {
  switch (verdict) {
    case Verdict::kRelease:
      return "release";
    case Verdict::kTurnBack:
      return "turn_back";
    case Verdict::kManualCheck:
      return "manual_check";
  }
  return "turn_back";
}

std::string_view ToString(Source source) {
  switch (source) {
    case Source::kCamera:
      return "camera";
    case Source::kQr:
      return "qr";
    case Source::kOverride:
      return "override";
  }
  return "camera";
}

std::optional<Direction> ParseDirection(std::string_view text) {
  if (text == "in")
    return Direction::kIn;
  if (text == "out")
    return Direction::kOut;
  return std::nullopt;
}

std::optional<Verdict> ParseVerdict(std::string_view text) {
  for (Verdict verdict : {Verdict::kRelease, Verdict::kTurnBack, Verdict::kManualCheck})
    if (text == ToString(verdict))
      return verdict;
  return std::nullopt;
}

std::optional<Source> ParseSource(std::string_view text) {
  for (Source source : {Source::kCamera, Source::kQr, Source::kOverride})
    if (text == ToString(source))
      return source;
  return std::nullopt;
}

bool NeedsRegistration(const GateFacts& facts) {
  const PassLookup& passes = facts.passes;
  return facts.direction == Direction::kIn && !facts.plate_unreadable && !facts.token_failure &&
         !passes.in_force && !passes.other_color && !passes.has_revoked && !passes.has_expired &&
         !passes.has_upcoming;
}

Ruling Judge(const GateFacts& facts) {
  if (facts.direction == Direction::kOut)
    return {Verdict::kRelease, facts.in_city ? reason::kExitRecorded : reason::kExitWithoutEntry,
            std::nullopt};
  if (facts.plate_unreadable)
    return {Verdict::kManualCheck, reason::kPlateUnreadable, std::nullopt};
  if (facts.token_failure)
    return {Verdict::kTurnBack, TokenReasonCode(*facts.token_failure), std::nullopt};
  const PassLookup& passes = facts.passes;
  if (passes.in_force) {
    if (facts.in_city)
      return {Verdict::kManualCheck, reason::kAlreadyInCity, passes.in_force};
    return {Verdict::kRelease,
            passes.in_force->kind == kStandingPass ? reason::kStandingValid : reason::kTripValid,
            passes.in_force};
  }
  if (passes.other_color)
    return {Verdict::kManualCheck, reason::kColorMismatch, std::nullopt};
  if (passes.has_revoked)
    return {Verdict::kTurnBack, reason::kPassRevoked, std::nullopt};
  if (passes.has_expired)
    return {Verdict::kTurnBack, reason::kPassExpired, std::nullopt};
  if (passes.has_upcoming)
    return {Verdict::kTurnBack, reason::kPassNotYetValid, std::nullopt};
  return {Verdict::kTurnBack, facts.registered ? reason::kPassMissing : reason::kVehicleUnknown,
          std::nullopt};
}

std::string_view TokenReasonCode(std::string_view failure) {
  if (failure == "bad_format")
    return reason::kTokenBadFormat;
  if (failure == "bad_signature")
    return reason::kTokenBadSignature;
  if (failure == "expired")
    return reason::kTokenExpired;
  if (failure == "not_yet_valid")
    return reason::kTokenNotYetValid;
  return reason::kTokenInvalid;
}

std::string_view ReasonText(std::string_view reason_code) {
  for (const auto& [code, text] : kReasonTexts)
    if (code == reason_code)
      return text;
  return reason_code;
}

std::string DisplayText(std::string_view plate, Direction direction, Verdict verdict,
                        std::string_view reason_code) {
  std::string text(plate);
  auto add = [&text](std::string_view words) {
    if (words.empty())
      return;
    if (!text.empty())
      text += ' ';
    text += words;
  };
  switch (verdict) {
    case Verdict::kRelease:
      if (reason_code == reason::kOverride)
        add("人工放行");
      else
        add(direction == Direction::kOut ? "出城登记" : "核验通过");
      add("请通行");
      break;
    case Verdict::kTurnBack:
      add(TurnBackWords(reason_code));
      add("请掉头");
      break;
    case Verdict::kManualCheck:
      add("请靠边接受检查");
      break;
  }
  return text;
}

}  // namespace baotong::checkpoint
