#include "api/roles.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>

namespace baotong::api {
namespace {

constexpr std::array kRoles = {Role::kAdmin,    Role::kTransport,  Role::kPolice, Role::kHealth,
                               Role::kDistrict, Role::kCheckpoint, Role::kCarrier};

constexpr std::array kPermissions = {
    Permission::kReadCarriers,      Permission::kReadVehicles,        Permission::kReadDrivers,
    Permission::kReadTerminals,     Permission::kReadHealthRecords,   Permission::kReadSites,
    Permission::kImportCarriers,    Permission::kImportVehicles,      Permission::kImportDrivers,
    Permission::kImportTerminals,   Permission::kImportHealthRecords, Permission::kImportSites,
    Permission::kRegistryExport,    Permission::kPositionsRead,       Permission::kTerminalsCommand,
    Permission::kUsersManage,       Permission::kAuditRead,           Permission::kImportsRead,
    Permission::kPassesApply,       Permission::kPassesRead,          Permission::kPassesReview,
    Permission::kCheckpointOperate, Permission::kInCityRead,          Permission::kAlarmsRead,
    Permission::kAlarmsHandle,      Permission::kMonitorConfigure,    Permission::kInvestigate,
    Permission::kStatsRead,         Permission::kIndicatorsImport,
};

struct RoleText {
  std::string_view id;
  std::string_view name;
  std::string_view department;
};

constexpr RoleText kRoleTexts[] = {
    {"admin", "大数据局", "鞍山市大数据管理局"},
    {"transport", "交通运输局", "鞍山市交通运输局"},
    {"police", "公安局", "鞍山市公安局"},
    {"health", "卫健委", "鞍山市卫生健康委员会"},
    {"district", "区县政府", ""},
    {"checkpoint", "卡口操作员", "卡口"},
    {"carrier", "运输企业", ""},
};

constexpr std::string_view kPermissionIds[] = {
    "registry.read.carriers",
    "registry.read.vehicles",
    "registry.read.drivers",
    "registry.read.terminals",
    "registry.read.health_records",
    "registry.read.sites",
    "registry.import.carriers",
    "registry.import.vehicles",
    "registry.import.drivers",
    "registry.import.terminals",
    "registry.import.health_records",
    "registry.import.sites",
    "registry.export",
    "positions.read",
    "terminals.command",
    "users.manage",
    "audit.read",
    "imports.read",
    "passes.apply",
    "passes.read",
    "passes.review",
    "checkpoint.operate",
    "incity.read",
    "alarms.read",
    "alarms.handle",
    "monitor.configure",
    "investigations.run",
    "stats.read",
    "indicators.import",
};

constexpr std::string_view kKinds[] = {"carriers",  "vehicles",       "drivers",
                                       "terminals", "health_records", "sites"};

using P = Permission;

// One row per role (the administrator holds every permission). Reasons are in docs/roles.md;
// keep the two (and roles_test.cc, which states the matrix independently) in step.
struct RoleGrants {
  Role role;
  std::initializer_list<Permission> permissions;
};

const RoleGrants kGrants[] = {
    {Role::kTransport,
     {P::kReadCarriers,     P::kReadVehicles,   P::kReadDrivers,    P::kReadTerminals,
      P::kReadSites,        P::kImportCarriers, P::kImportVehicles, P::kImportDrivers,
      P::kImportTerminals,  P::kImportSites,    P::kRegistryExport, P::kPositionsRead,
      P::kTerminalsCommand, P::kImportsRead,    P::kPassesApply,    P::kPassesRead,
      P::kPassesReview,     P::kInCityRead,     P::kAlarmsRead,     P::kAlarmsHandle,
      P::kMonitorConfigure, P::kInvestigate,    P::kStatsRead}},
    {Role::kPolice,
     {P::kReadCarriers, P::kReadVehicles, P::kReadDrivers, P::kReadTerminals, P::kReadSites,
      P::kImportVehicles, P::kImportDrivers, P::kRegistryExport, P::kPositionsRead, P::kImportsRead,
      P::kPassesRead, P::kInCityRead, P::kAlarmsRead, P::kAlarmsHandle, P::kInvestigate,
      P::kStatsRead}},
    {Role::kHealth,
     {P::kReadDrivers, P::kReadHealthRecords, P::kReadSites, P::kImportHealthRecords,
      P::kRegistryExport, P::kImportsRead, P::kAlarmsRead, P::kAlarmsHandle, P::kInvestigate,
      P::kStatsRead}},
    {Role::kDistrict,
     {P::kReadCarriers, P::kReadVehicles, P::kReadDrivers, P::kReadSites, P::kRegistryExport,
      P::kPositionsRead, P::kInCityRead, P::kAlarmsRead, P::kAlarmsHandle, P::kInvestigate,
      P::kStatsRead}},
    {Role::kCheckpoint,
     {P::kReadCarriers, P::kReadVehicles, P::kReadDrivers, P::kReadSites, P::kPassesRead,
      P::kCheckpointOperate, P::kInCityRead}},
    {Role::kCarrier,
     {P::kReadCarriers, P::kReadVehicles, P::kReadDrivers, P::kReadTerminals, P::kReadSites,
      P::kImportVehicles, P::kImportDrivers, P::kImportTerminals, P::kRegistryExport,
      P::kPositionsRead, P::kPassesApply, P::kPassesRead}},
};

bool Granted(Role role, Permission permission) {
  if (role == Role::kAdmin)
    return true;
  for (const auto& grants : kGrants) {
    if (grants.role == role)
      return std::find(grants.permissions.begin(), grants.permissions.end(), permission) !=
             grants.permissions.end();
  }
  return false;
}

std::optional<size_t> KindIndex(std::string_view kind) {
  for (size_t i = 0; i < std::size(kKinds); ++i)
    if (kKinds[i] == kind)
      return i;
  return std::nullopt;
}

}  // namespace

std::span<const Role> AllRoles() {
  return kRoles;
}

std::string_view RoleId(Role role) {
  return kRoleTexts[static_cast<size_t>(role)].id;
}

std::string_view RoleName(Role role) {
  return kRoleTexts[static_cast<size_t>(role)].name;
}

std::string_view DefaultDepartment(Role role) {
  return kRoleTexts[static_cast<size_t>(role)].department;
}

std::optional<Role> ParseRole(std::string_view id) {
  for (Role role : kRoles)
    if (RoleId(role) == id)
      return role;
  return std::nullopt;
}

std::span<const Permission> AllPermissions() {
  return kPermissions;
}

std::string_view PermissionId(Permission permission) {
  return kPermissionIds[static_cast<size_t>(permission)];
}

std::optional<Permission> ParsePermission(std::string_view id) {
  for (Permission permission : kPermissions)
    if (PermissionId(permission) == id)
      return permission;
  return std::nullopt;
}

std::optional<Permission> ReadPermission(std::string_view kind) {
  auto index = KindIndex(kind);
  if (!index)
    return std::nullopt;
  return static_cast<Permission>(static_cast<size_t>(Permission::kReadCarriers) + *index);
}

std::optional<Permission> ImportPermission(std::string_view kind) {
  auto index = KindIndex(kind);
  if (!index)
    return std::nullopt;
  return static_cast<Permission>(static_cast<size_t>(Permission::kImportCarriers) + *index);
}

bool Allows(Role role, Permission permission) {
  return Granted(role, permission);
}

std::vector<std::string> PermissionIds(Role role) {
  std::vector<std::string> ids;
  for (Permission permission : kPermissions)
    if (Allows(role, permission))
      ids.emplace_back(PermissionId(permission));
  return ids;
}

}  // namespace baotong::api
