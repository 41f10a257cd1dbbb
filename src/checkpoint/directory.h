// What the checkpoint needs to know from elsewhere, as two small interfaces: the passes (pass
// module, adapted by the application) and the vehicle registry. The gate asks them on every
// decision, so implementations must be fast (in memory) and safe to call from many threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "common/error.h"

namespace baotong::checkpoint {

// Pass kinds as the pass module names them.
inline constexpr std::string_view kTripPass = "trip";
inline constexpr std::string_view kStandingPass = "standing";  // 备案: a standing registration

// An approved, unrevoked pass whose validity covers the asked time.
struct PassInForce {
  int64_t pass_id = 0;
  std::string kind;  // kTripPass or kStandingPass
  std::string plate;
  int plate_color = 0;  // JT/T 415 code (registry::PlateColor)
  int64_t valid_from_ms = 0;
  int64_t valid_until_ms = 0;
  std::optional<int64_t> planned_exit_ms;  // trip passes
};

// What the passes say about a plate at a time. When `in_force` is empty the flags tell why.
struct PassLookup {
  std::optional<PassInForce> in_force;  // for this plate and colour (any colour if none given)
  bool has_expired = false;             // an approved pass for the plate whose validity ended
  bool has_revoked = false;             // a revoked pass for the plate (still within its window)
  bool has_upcoming = false;            // an approved pass that is not valid yet
  // A pass in force exists for this plate with this other colour (the camera read a
  // different colour than the pass holds).
  std::optional<int> other_color;
};

// The claims of a token that verified (signature good, within its validity).
struct TokenClaims {
  int64_t pass_id = 0;
  std::string plate;
  int plate_color = 0;
  std::string kind;
  int64_t valid_from_ms = 0;
  int64_t valid_until_ms = 0;
};

class PassDirectory {
 public:
  virtual ~PassDirectory() = default;
  // The passes of `plate` at `at_ms`. `plate_color` empty: the camera gave none; any colour.
  virtual PassLookup Find(std::string_view plate, std::optional<int> plate_color,
                          int64_t at_ms) const = 0;
  // Offline check of a QR token: its claims, or why it failed as one of "bad_format",
  // "bad_signature", "expired", "not_yet_valid".
  virtual tl::expected<TokenClaims, std::string> VerifyToken(std::string_view token,
                                                             int64_t at_ms) const = 0;
};

class VehicleDirectory {
 public:
  virtual ~VehicleDirectory() = default;
  // Whether the plate is a registered vehicle (in any colour: cameras misjudge colours).
  virtual Result<bool> IsRegistered(std::string_view plate) const = 0;
};

}  // namespace baotong::checkpoint
