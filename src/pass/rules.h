// The rule set of the automatic checks and its parameters, from the [pass] table of the
// configuration file (docs/passes.md), so that the city can tighten or relax them without a
// rebuild.
#pragma once

#include <toml++/toml.h>

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "pass/model.h"

namespace baotong::pass {

// Every reason code the checks can report, with its default outcome.
struct ReasonCode {
  std::string_view code;
  Outcome default_outcome;
  std::string_view summary;  // Chinese, for docs and the rules page
};
std::span<const ReasonCode> ReasonCodes();
// Whether `code` is one of ReasonCodes().
bool IsReasonCode(std::string_view code);

struct PassRules {
  // All checks ok: approve at once (true) or send to a reviewer (false).
  bool auto_approve = true;
  // Whether drivers need a recent health record (the kinds below).
  bool health_required = true;
  // A health record counts for this many hours after the test, measured at the latest moment
  // the vehicle may enter (entry_until_ms) for a trip, at the start of a standing registration.
  int health_validity_hours = 48;
  std::vector<std::string> health_kinds = {"核酸检测"};
  // A trip's entry_from to its planned exit (or entry_until, if later) at most this long.
  int max_window_hours = 72;
  // A standing registration's entry_from to entry_until at most this long.
  int standing_max_days = 90;
  // Outcomes that differ from the defaults, by reason code.
  std::map<std::string, Outcome, std::less<>> outcomes;

  Outcome OutcomeOf(std::string_view code) const;
};

// Reads the [pass] table; null gives the defaults. Unknown keys, unknown reason codes, values
// of the wrong type or out of range are errors, and `message` names the key:
//   auto_approve, health_required (bool), health_validity_hours (1-8760),
//   health_kinds (array of strings), max_window_hours (1-8760), standing_max_days (1-366),
//   [pass.outcomes] "reason.code" = "ok" | "review" | "reject".
Result<PassRules> ParsePassRules(const toml::table* table, std::string& message);

}  // namespace baotong::pass
