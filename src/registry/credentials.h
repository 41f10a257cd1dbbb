// Credential status of vehicles and drivers: whether the certificates the law requires are
// present and in date. Pure functions over the record structs, so that the listing, the detail
// page, the checkpoints and the tests all judge alike. The store filters by status in SQL with
// the same rules (registry_store.cc); a test keeps the two in step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/records.h"

namespace baotong::registry {

// ---- Dates ("YYYY-MM-DD").

// Accepts 2026-01-05, 2026-1-5, 2026/1/5, 2026.1.5, 20260105 and 2026年1月5日, optionally
// followed by a time of day (" 0:00:00", as Excel writes) that is ignored. Returns the
// normalised "YYYY-MM-DD" of a real calendar date between 1900 and 2199, or nullopt.
std::optional<std::string> NormaliseDate(std::string_view text);
// `date` must be normalised. Days may be negative.
std::string AddDays(std::string_view date, int days);
// Days from `from` to `to` (both normalised); negative when `to` is earlier.
int DaysBetween(std::string_view from, std::string_view to);
// Today's date in China (UTC+8).
std::string TodayInChina();
// 20261126 for "2026-11-26" (the form validation.h's ID number check takes).
int DateNumber(std::string_view date);
// UTC epoch ms of 00:00 China time on `date`.
int64_t ChinaMidnightMs(std::string_view date);

// ---- Status.

// In order of severity: the overall status of a record is its worst item's. An expired
// certificate is a definite finding, so it ranks above a missing one (which may be a gap in
// the data the bureau supplied).
enum class CredentialStatus : uint8_t {
  kValid = 0,
  kExpiring = 1,  // valid, but ends within `expiring_within_days` of today (inclusive)
  kMissing = 2,   // no validity date registered (or no record to hold it)
  kExpired = 3,   // valid_until is before today; the valid_until day itself is still valid
};
// "valid", "expiring", "missing", "expired".
std::string_view CredentialStatusId(CredentialStatus status);
// 有效, 即将到期, 缺失, 已过期.
std::string_view CredentialStatusName(CredentialStatus status);
std::optional<CredentialStatus> ParseCredentialStatus(std::string_view id);

struct CredentialReason {
  std::string code;     // e.g. "transport_cert.expired"
  std::string message;  // e.g. "道路运输证已于2026-01-01过期"
  bool operator==(const CredentialReason&) const = default;
};

struct CredentialItem {
  std::string name;  // 道路运输证, 交强险, 经营许可证, 驾驶证, 从业资格证
  CredentialStatus status = CredentialStatus::kMissing;
  std::optional<std::string> valid_until;
  std::string message;
};

struct CredentialReport {
  CredentialStatus status = CredentialStatus::kValid;
  std::vector<CredentialReason> reasons;  // one per item that is not valid
  std::vector<CredentialItem> items;
};

// Status of one validity date against today.
CredentialStatus DateStatus(const std::optional<std::string>& valid_until, std::string_view today,
                            int expiring_within_days);

// 道路运输证, 交强险 and the carrier's 道路运输经营许可证. `carrier` may be null when the
// vehicle's carrier is not in the registry (its permit then counts as missing).
CredentialReport VehicleCredentials(const Vehicle& vehicle, const Carrier* carrier,
                                    std::string_view today, int expiring_within_days = 30);
// Same, given only the carrier's permit date (what the listing reads from its row).
CredentialReport VehicleCredentials(const Vehicle& vehicle,
                                    const std::optional<std::string>& business_permit_valid_until,
                                    std::string_view today, int expiring_within_days = 30);

// 驾驶证 and 从业资格证.
CredentialReport DriverCredentials(const Driver& driver, std::string_view today,
                                   int expiring_within_days = 30);

// Whether a driver may drive a vehicle of this class, by licence class and qualification
// category (dates are DriverCredentials' concern):
//  - hazardous: qualification category for dangerous goods (危险货物...), licence A1/A2/B2;
//  - heavy_truck: licence A1, A2 or B2;  truck: A1, A2, B1, B2 or C1;
//  - tour_bus and line_bus: qualification category for passengers (旅客...), licence A1 or B1
//    (A1 also covers large buses, B1 medium ones).
// Empty when the driver fits; otherwise the reasons.
std::vector<CredentialReason> DriverFitsVehicle(const Driver& driver, VehicleClass vehicle_class);

}  // namespace baotong::registry
