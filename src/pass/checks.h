// The automatic checks of a pass application: pure functions over the registry records the
// store looked up, the rules and the time, so that every reason code is testable alone. Each
// finding carries a stable reason code (rules.h lists them) and a Chinese message; its outcome
// is the rules' for that code. An application with no findings passed every check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pass/model.h"
#include "pass/rules.h"
#include "registry/records.h"

namespace baotong::pass {

struct DriverFacts {
  std::string id_number;
  std::optional<registry::Driver> driver;  // nullopt: not in the registry
  // The newest record of one of rules.health_kinds, tested no later than the reference time.
  std::optional<registry::HealthRecord> newest_health;
};

struct SiteFacts {
  std::string code;
  bool known = false;
};

// What the checks need to know about an application, looked up beforehand.
struct CheckFacts {
  std::optional<registry::Vehicle> vehicle;
  std::optional<registry::Carrier> carrier;  // the application's carrier
  std::vector<DriverFacts> drivers;          // in the application's order
  std::vector<SiteFacts> sites;              // in the application's order
  std::optional<PublishedRoute> route;       // when route_id names a published route
};

// The moment a health record must still be valid: a trip's latest entry (entry_until_ms), a
// standing registration's start (entry_from_ms, or now if later).
int64_t HealthReferenceMs(const PassApplication& application, int64_t now_ms);

// Each group of checks on its own (RunChecks calls them all).
void CheckWindow(const PassApplication& application, const PassRules& rules, int64_t now_ms,
                 std::vector<Check>& findings);
void CheckVehicle(const PassApplication& application, const CheckFacts& facts,
                  const PassRules& rules, std::vector<Check>& findings);
void CheckDrivers(const PassApplication& application, const CheckFacts& facts,
                  const PassRules& rules, std::vector<Check>& findings);
void CheckCargo(const PassApplication& application, const CheckFacts& facts, const PassRules& rules,
                std::vector<Check>& findings);
void CheckHealth(const PassApplication& application, const CheckFacts& facts,
                 const PassRules& rules, int64_t now_ms, std::vector<Check>& findings);
void CheckDestination(const PassApplication& application, const CheckFacts& facts,
                      const PassRules& rules, std::vector<Check>& findings);

// All findings, in a stable order (window, vehicle and carrier, drivers, cargo, health,
// destination and route).
std::vector<Check> RunChecks(const PassApplication& application, const CheckFacts& facts,
                             const PassRules& rules, int64_t now_ms);

// Whether a finding is about a driver's health record (health.*): its code and message tell a
// health result, which only 卫健委 may read (docs/roles.md).
bool IsHealthFinding(std::string_view code);
// What every health finding looks like to a viewer who may not read health results.
inline constexpr std::string_view kHealthNotQualified = "health.not_qualified";
// A finding as a viewer sees it: unchanged when `reads_health_results`; otherwise a health
// finding becomes kHealthNotQualified with "驾驶员<name>的健康记录不符合要求" (`driver_names` of
// the application; no result, kind, time or reason). Its outcome is kept: it decided the status.
Check ShownCheck(const Check& check, const std::vector<std::string>& driver_names,
                 bool reads_health_results);

// Any reject: rejected; else any review: pending_review; else approved when auto_approve,
// pending_review otherwise.
PassStatus StatusAfterChecks(const std::vector<Check>& findings, const PassRules& rules);

// Whether a certificate valid until the end of `valid_until` (YYYY-MM-DD, China time) is still
// valid at `until_ms` (the last instant valid is 23:59:59.999 of that day).
bool DateCovers(const std::string& valid_until, int64_t until_ms);

}  // namespace baotong::pass
