// Entry passes (issue 5): what a carrier applies for, what the checks found, how it was
// reviewed, and the city's published freight routes. JSON as the HTTP API shows it
// (docs/passes.md): snake_case, times as UTC epoch ms, null for an absent optional value.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/records.h"
#include "registry/validation.h"

namespace baotong::pass {

using registry::Checked;
using registry::Invalid;
using registry::PlateColor;

// trip: one journey into the city; standing: a 备案 for a period (supply vehicles), no cargo.
enum class PassKind : uint8_t { kTrip, kStanding };
std::string_view PassKindId(PassKind kind);  // "trip", "standing"
std::optional<PassKind> ParsePassKind(std::string_view id);

// Stored states. "Expired" is derived: approved and now > valid_until_ms (IsExpired).
enum class PassStatus : uint8_t { kPendingReview, kApproved, kRejected, kRevoked };
std::string_view PassStatusId(PassStatus status);  // "pending_review", "approved", ...
std::optional<PassStatus> ParsePassStatus(std::string_view id);

// What a finding does to an application; ordered by severity.
enum class Outcome : uint8_t { kOk = 0, kReview = 1, kReject = 2 };
std::string_view OutcomeId(Outcome outcome);  // "ok", "review", "reject"
std::optional<Outcome> ParseOutcome(std::string_view id);

struct Cargo {
  std::string category;  // e.g. "生活物资"
  std::string name;      // e.g. "蔬菜"
  double weight_kg = 0;
  bool dangerous = false;
  std::optional<std::string> un_number;     // "UN1203"; dangerous goods only
  std::optional<std::string> hazard_class;  // "3", "2.1"; dangerous goods only
  bool operator==(const Cargo&) const = default;
};

// One finding of the automatic checks (checks.h lists the codes). The code is what programs
// match on; the message is the full text, which for health findings names a health result and
// so is shown only to those who may read results (ShownCheck in checks.h renders it per viewer).
struct Check {
  std::string code;  // e.g. "vehicle.insurance.expired_in_window"
  Outcome outcome = Outcome::kOk;
  std::string message;  // Chinese first
  // The driver a finding is about (index into driver_id_numbers and driver_names), if any.
  std::optional<int> driver_index;
  bool operator==(const Check&) const = default;
};

struct Review {
  std::string by;
  int64_t at_ms = 0;
  std::string comment;
  bool operator==(const Review&) const = default;
};

struct Revocation {
  std::string by;
  int64_t at_ms = 0;
  std::string reason;
  bool operator==(const Revocation&) const = default;
};

struct LatLon {
  double lat = 0;
  double lon = 0;
  bool operator==(const LatLon&) const = default;
};

inline constexpr size_t kMaxDrivers = 3;
inline constexpr size_t kMaxWaypoints = 500;
inline constexpr size_t kMaxDestinations = 20;

struct PassApplication {
  int64_t id = 0;  // 0 before storing
  PassKind kind = PassKind::kTrip;
  std::string plate;  // normalised
  PlateColor plate_color = PlateColor::kYellow;
  std::string carrier_credit_code;
  std::vector<std::string> driver_id_numbers;  // 1-3, normalised
  std::vector<std::string> driver_names;       // filled from the registry when stored
  std::optional<Cargo> cargo;                  // required for trips
  std::string origin;
  std::vector<std::string> destination_site_codes;  // 1+
  std::optional<std::string> route_id;              // a published route, or
  std::vector<LatLon> waypoints;                    // 2+ points; neither: standing only
  int64_t entry_from_ms = 0;
  int64_t entry_until_ms = 0;
  int64_t planned_exit_ms = 0;  // standing: defaults to entry_until_ms
  std::string applicant;
  std::string applicant_role;
  int64_t created_at_ms = 0;
  PassStatus status = PassStatus::kPendingReview;
  std::vector<Check> checks;  // the findings; empty when every check passed
  std::optional<Review> review;
  std::optional<Revocation> revocation;
  std::optional<std::string> token;       // when approved
  std::optional<int64_t> valid_from_ms;   // when approved: entry_from_ms
  std::optional<int64_t> valid_until_ms;  // when approved: entry_until_ms
  bool operator==(const PassApplication&) const = default;
};

// Approved and past its validity.
bool IsExpired(const PassApplication& pass, int64_t now_ms);
// Whether a revoked or approved pass covers `t` (valid_from_ms <= t <= valid_until_ms).
bool Covers(const PassApplication& pass, int64_t t_ms);
// The later of entry_until_ms and planned_exit_ms: what certificates must cover.
int64_t CoverUntilMs(const PassApplication& pass);
// 待审核, 已通过, 已驳回, 已撤销, 已过期 (expired derived from now).
std::string_view StatusName(const PassApplication& pass, int64_t now_ms);

// One finding as the API shows it (and as the application stores it).
nlohmann::ordered_json CheckJson(const Check& check);
// The application as the API shows it; `now_ms` derives "expired" and "status_name".
nlohmann::ordered_json ApplicationJson(const PassApplication& pass, int64_t now_ms);
// Reads back everything ApplicationJson wrote (the stored form); no validation.
Checked<PassApplication> ApplicationFromJson(const nlohmann::json& json);

// A client's application (POST /api/passes): the fields it may set, checked and normalised
// (plate, colour, credit code, ID numbers, times, route or waypoints, cargo for trips).
// Server-set fields (id, status, applicant, checks, ...) are ignored. `today_yyyymmdd` bounds
// ID numbers' birth dates.
Checked<PassApplication> ParseApplicationRequest(const nlohmann::json& body, int today_yyyymmdd);

// ---- Published routes (the city's freight routes, shown on the map).
struct PublishedRoute {
  std::string id;  // e.g. "R1"
  std::string name;
  std::string geometry;  // GeoJSON LineString, compact JSON, positions [lon, lat]
  bool allows_hazardous = false;
  double corridor_m = 0;  // half-width of its corridor in whole metres; 0: the default
  bool operator==(const PublishedRoute&) const = default;
};

// {"id","name","geometry":{LineString},"allows_hazardous"} -> checked route.
Checked<PublishedRoute> ParseRoute(const nlohmann::json& json);
nlohmann::ordered_json RouteJson(const PublishedRoute& route);
// FeatureCollection of LineString features, properties {id, name, allows_hazardous}.
nlohmann::ordered_json RoutesFeatureCollection(const std::vector<PublishedRoute>& routes);

// "2026-11-26 08:30" in China time, for messages.
std::string ChinaMinute(int64_t utc_ms);

}  // namespace baotong::pass
