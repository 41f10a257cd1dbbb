// Who may do what on the platform: the departments of the city freight data-sharing plan
// (鞍山市货运信息数据共享平台建设实施方案, part 4) as roles, and what each role may read, import
// and operate. docs/roles.md has the same matrix as a table, with the reasons.
//
// The matrix is a pure function of the role. Scoping (a district sees its own area, a carrier
// its own fleet) is not a permission: it comes from Principal::district and
// Principal::carrier_credit_code, and the routes filter by them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace baotong::api {

enum class Role : uint8_t {
  kAdmin,      // 大数据局: runs the platform, manages accounts, reads the audit log
  kTransport,  // 交通运输局: road transport permits, qualification certificates, companies, GPS
  kPolice,     // 公安局: driving licences and plates
  kHealth,     // 卫健委: nucleic acid test (health) records
  kDistrict,   // 区县政府: grassroots checks, scoped to one district
  kCheckpoint,  // 卡口操作员: checks vehicles and drivers at a gate
  kCarrier,     // 运输企业: its own fleet, scoped to one company (credit code)
};

// Every role, in the order above (for tables and tests).
std::span<const Role> AllRoles();
// "admin", "transport", "police", "health", "district", "checkpoint", "carrier".
std::string_view RoleId(Role role);
// "大数据局", "交通运输局", "公安局", "卫健委", "区县政府", "卡口操作员", "运输企业".
std::string_view RoleName(Role role);
// The department a user of the role belongs to unless told otherwise, e.g.
// "鞍山市交通运输局"; a district's and a carrier's are their own names and have no default.
std::string_view DefaultDepartment(Role role);
// From the id string; nullopt for anything else (case-sensitive).
std::optional<Role> ParseRole(std::string_view id);

enum class Permission : uint8_t {
  kReadCarriers,
  kReadVehicles,
  kReadDrivers,
  kReadTerminals,
  kReadHealthRecords,
  kReadSites,
  kImportCarriers,
  kImportVehicles,
  kImportDrivers,
  kImportTerminals,
  kImportHealthRecords,
  kImportSites,
  kRegistryExport,    // .xlsx downloads of listings the role may read
  kPositionsRead,     // map, latest positions, tracks
  kTerminalsCommand,  // JT/T 808 downlink commands
  kUsersManage,
  kAuditRead,
  kImportsRead,  // the import history and its rejections
  // Entry passes and checkpoints (issue 5).
  kPassesApply,        // apply for an entry pass (a carrier for its own fleet)
  kPassesRead,         // passes and their checks (a carrier: its own)
  kPassesReview,       // approve, reject, revoke
  kCheckpointOperate,  // the checkpoint console: scans, the passage feed, overrides
  kInCityRead,         // which vehicles are in the city now
  // Monitoring and alarms (issue 6).
  kAlarmsRead,        // the alarm centre, vehicle states on the map, the live alarm feed
  kAlarmsHandle,      // acknowledge, dispatch, handle, close alarms
  kMonitorConfigure,  // zones and rule thresholds
  // 协查 and statistics (issue 7).
  kInvestigate,       // who was where and when (area and vehicle queries), audited with purpose
  kStatsRead,         // freight statistics, the overview screen, economic indicators
  kIndicatorsImport,  // import economic indicator series
};

std::span<const Permission> AllPermissions();
// "registry.read.vehicles", "registry.import.drivers", "registry.export", "positions.read",
// "terminals.command", "users.manage", "audit.read", "imports.read", "passes.apply",
// "passes.read", "passes.review", "checkpoint.operate", "incity.read".
std::string_view PermissionId(Permission permission);
std::optional<Permission> ParsePermission(std::string_view id);
// The read and import permissions of a registry kind ("carriers", "vehicles", "drivers",
// "terminals", "health_records", "sites"); nullopt for another kind.
std::optional<Permission> ReadPermission(std::string_view kind);
std::optional<Permission> ImportPermission(std::string_view kind);

bool Allows(Role role, Permission permission);
// The ids of the role's permissions, in AllPermissions() order (for /api/auth/me).
std::vector<std::string> PermissionIds(Role role);

// The signed-in user a request acts for.
struct Principal {
  int64_t user_id = 0;
  std::string username;
  std::string display_name;
  Role role = Role::kCheckpoint;
  std::string department;                          // Chinese, e.g. "鞍山市公安局"
  std::optional<std::string> district;             // set exactly for Role::kDistrict
  std::optional<std::string> carrier_credit_code;  // set exactly for Role::kCarrier
  bool operator==(const Principal&) const = default;
};

}  // namespace baotong::api
