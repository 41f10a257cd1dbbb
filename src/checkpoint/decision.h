// The gate's decision table, as a pure function of the facts the service gathers, and the
// words for it: stable reason codes, Chinese reasons, and the short text for the plate LED.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "checkpoint/directory.h"

namespace baotong::checkpoint {

enum class Direction : uint8_t { kIn, kOut };
enum class Verdict : uint8_t { kRelease, kTurnBack, kManualCheck };
enum class Source : uint8_t { kCamera, kQr, kOverride };

// "in" | "out"; "release" | "turn_back" | "manual_check"; "camera" | "qr" | "override".
std::string_view ToString(Direction direction);
std::string_view ToString(Verdict verdict);
std::string_view ToString(Source source);
std::optional<Direction> ParseDirection(std::string_view text);
std::optional<Verdict> ParseVerdict(std::string_view text);
std::optional<Source> ParseSource(std::string_view text);

// Reason codes (stable: programs and the console match on them).
namespace reason {
inline constexpr std::string_view kTripValid = "pass.trip.valid";
inline constexpr std::string_view kStandingValid = "pass.standing.valid";
inline constexpr std::string_view kPassExpired = "pass.expired";
inline constexpr std::string_view kPassRevoked = "pass.revoked";
inline constexpr std::string_view kPassNotYetValid = "pass.not_yet_valid";
inline constexpr std::string_view kPassMissing = "pass.missing";  // registered, no pass
inline constexpr std::string_view kVehicleUnknown = "vehicle.unknown";
inline constexpr std::string_view kColorMismatch = "plate.color_mismatch";
inline constexpr std::string_view kPlateUnreadable = "plate.unreadable";
inline constexpr std::string_view kAlreadyInCity = "entry.already_in_city";
inline constexpr std::string_view kExitRecorded = "exit.recorded";
inline constexpr std::string_view kExitWithoutEntry = "exit.without_entry";
inline constexpr std::string_view kTokenBadFormat = "token.bad_format";
inline constexpr std::string_view kTokenBadSignature = "token.bad_signature";
inline constexpr std::string_view kTokenExpired = "token.expired";
inline constexpr std::string_view kTokenNotYetValid = "token.not_yet_valid";
inline constexpr std::string_view kTokenInvalid = "token.invalid";  // any other failure
inline constexpr std::string_view kOverride = "override";
}  // namespace reason

// The facts one decision is made from.
struct GateFacts {
  Direction direction = Direction::kIn;
  bool plate_unreadable = false;             // the plate failed validation
  std::optional<std::string> token_failure;  // QR scans: why the token failed to verify
  PassLookup passes;                         // for entries
  bool registered = false;                   // asked only when no pass is in force
  bool in_city = false;                      // the in-city set holds the plate
};

struct Ruling {
  Verdict verdict = Verdict::kTurnBack;
  std::string_view reason_code;
  std::optional<PassInForce> pass;  // the pass the decision rests on
};

// The decision table. At an entry, in order: unreadable plate -> manual check; token failed
// -> turn back; pass in force -> release (trip or standing), unless the vehicle is already in
// the city -> manual check; a pass in force under another plate colour -> manual check;
// revoked -> turn back; expired -> turn back; not yet valid -> turn back; registered without a
// pass -> turn back; unknown plate -> turn back. At an exit: always release, recorded as an
// exit or, for a vehicle not in the city, as an exit without entry.
Ruling Judge(const GateFacts& facts);

// Whether Judge needs `registered` for these facts (the only slow-path question).
bool NeedsRegistration(const GateFacts& facts);

// "token.<why>" for a failure reason of PassDirectory::VerifyToken.
std::string_view TokenReasonCode(std::string_view failure);

// The Chinese reason for a reason code ("通行证已过期"); the code itself when unknown.
std::string_view ReasonText(std::string_view reason_code);

// The LED text: plate + verdict, e.g. "辽C12345 核验通过 请通行", "辽C12345 未办理通行证 请掉头",
// "辽C12345 请靠边接受检查". An empty plate leaves just the verdict.
std::string DisplayText(std::string_view plate, Direction direction, Verdict verdict,
                        std::string_view reason_code);

}  // namespace baotong::checkpoint
