#include "app/pass_directory.h"

#include <array>

#include "pass/signing.h"

namespace baotong::app {
namespace {

checkpoint::PassInForce InForce(const pass::PassApplication& pass) {
  checkpoint::PassInForce in_force;
  in_force.pass_id = pass.id;
  in_force.kind = std::string(pass::PassKindId(pass.kind));
  in_force.plate = pass.plate;
  in_force.plate_color = static_cast<int>(pass.plate_color);
  in_force.valid_from_ms = pass.valid_from_ms.value_or(pass.entry_from_ms);
  in_force.valid_until_ms = pass.valid_until_ms.value_or(pass.entry_until_ms);
  if (pass.kind == pass::PassKind::kTrip)
    in_force.planned_exit_ms = pass.planned_exit_ms;
  return in_force;
}

// Colours to try when the camera gives none, commonest for freight first.
constexpr std::array kColours = {registry::PlateColor::kYellow, registry::PlateColor::kBlue,
                                 registry::PlateColor::kGreen,  registry::PlateColor::kBlack,
                                 registry::PlateColor::kWhite,  registry::PlateColor::kOther,
                                 registry::PlateColor::kNone};

}  // namespace

checkpoint::PassLookup PassStoreDirectory::Find(std::string_view plate,
                                                std::optional<int> plate_color,
                                                int64_t at_ms) const {
  checkpoint::PassLookup result;
  auto take = [&](const pass::PassLookup& lookup) {
    switch (lookup.state) {
      case pass::PassState::kInForce:
        if (lookup.color_mismatch)
          result.other_color = static_cast<int>(lookup.pass->plate_color);
        else
          result.in_force = InForce(*lookup.pass);
        break;
      case pass::PassState::kRevoked:
        result.has_revoked = true;
        break;
      case pass::PassState::kExpired:
        result.has_expired = true;
        break;
      case pass::PassState::kNotYetValid:
        result.has_upcoming = true;
        break;
      case pass::PassState::kNone:
        break;
    }
  };
  if (plate_color) {
    take(passes_.Lookup(plate, static_cast<registry::PlateColor>(*plate_color), at_ms));
    return result;
  }
  // No colour read: a pass in force under any colour counts, the first found wins.
  for (auto colour : kColours) {
    auto lookup = passes_.Lookup(plate, colour, at_ms);
    if (lookup.state == pass::PassState::kInForce && !lookup.color_mismatch) {
      result = {};
      result.in_force = InForce(*lookup.pass);
      return result;
    }
    if (lookup.state != pass::PassState::kInForce)
      take(lookup);
  }
  return result;
}

tl::expected<checkpoint::TokenClaims, std::string> PassStoreDirectory::VerifyToken(
    std::string_view token, int64_t at_ms) const {
  auto payload = pass::VerifyToken(token, passes_.signing_key().public_key(), at_ms);
  if (!payload)
    return tl::unexpected(std::string(pass::TokenErrorId(payload.error())));
  checkpoint::TokenClaims claims;
  claims.pass_id = payload->id;
  claims.plate = payload->plate;
  claims.plate_color = payload->color;
  claims.kind = payload->kind;
  claims.valid_from_ms = payload->from;
  claims.valid_until_ms = payload->until;
  return claims;
}

}  // namespace baotong::app
