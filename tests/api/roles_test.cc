#include "api/roles.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace baotong::api {
namespace {

// The expected matrix, written out: a change to roles.cc must change this table (and
// docs/roles.md) too.
const std::map<std::string, std::set<std::string>>& ExpectedMatrix() {
  static const std::map<std::string, std::set<std::string>> matrix = {
      {"admin",
       {"registry.read.carriers",
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
        "indicators.import"}},
      {"transport",
       {"registry.read.carriers",
        "registry.read.vehicles",
        "registry.read.drivers",
        "registry.read.terminals",
        "registry.read.sites",
        "registry.import.carriers",
        "registry.import.vehicles",
        "registry.import.drivers",
        "registry.import.terminals",
        "registry.import.sites",
        "registry.export",
        "positions.read",
        "terminals.command",
        "imports.read",
        "passes.apply",
        "passes.read",
        "passes.review",
        "incity.read",
        "alarms.read",
        "alarms.handle",
        "monitor.configure",
        "investigations.run",
        "stats.read"}},
      {"police",
       {"registry.read.carriers", "registry.read.vehicles", "registry.read.drivers",
        "registry.read.terminals", "registry.read.sites", "registry.import.vehicles",
        "registry.import.drivers", "registry.export", "positions.read", "imports.read",
        "passes.read", "incity.read", "alarms.read", "alarms.handle", "investigations.run",
        "stats.read"}},
      {"health",
       {"registry.read.drivers", "registry.read.health_records", "registry.read.sites",
        "registry.import.health_records", "registry.export", "imports.read", "alarms.read",
        "alarms.handle", "investigations.run", "stats.read"}},
      {"district",
       {"registry.read.carriers", "registry.read.vehicles", "registry.read.drivers",
        "registry.read.sites", "registry.export", "positions.read", "incity.read", "alarms.read",
        "alarms.handle", "investigations.run", "stats.read"}},
      {"checkpoint",
       {"registry.read.carriers", "registry.read.vehicles", "registry.read.drivers",
        "registry.read.sites", "passes.read", "checkpoint.operate", "incity.read"}},
      {"carrier",
       {"registry.read.carriers", "registry.read.vehicles", "registry.read.drivers",
        "registry.read.terminals", "registry.read.sites", "registry.import.vehicles",
        "registry.import.drivers", "registry.import.terminals", "registry.export", "positions.read",
        "passes.apply", "passes.read"}},
  };
  return matrix;
}

TEST(RolesTest, EveryRoleAndPermissionMatchesTheExpectedMatrix) {
  ASSERT_EQ(AllRoles().size(), ExpectedMatrix().size());
  ASSERT_EQ(AllPermissions().size(), 29u);
  for (Role role : AllRoles()) {
    const std::string role_id(RoleId(role));
    ASSERT_TRUE(ExpectedMatrix().contains(role_id)) << role_id;
    const auto& expected = ExpectedMatrix().at(role_id);
    for (Permission permission : AllPermissions()) {
      const std::string permission_id(PermissionId(permission));
      EXPECT_EQ(Allows(role, permission), expected.contains(permission_id))
          << role_id << " × " << permission_id;
    }
    const std::vector<std::string> ids = PermissionIds(role);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), expected) << role_id;
  }
}

TEST(RolesTest, IdsAndNamesRoundTrip) {
  std::set<std::string> names;
  for (Role role : AllRoles()) {
    EXPECT_EQ(ParseRole(RoleId(role)), role);
    EXPECT_FALSE(RoleName(role).empty());
    names.emplace(RoleName(role));
  }
  EXPECT_EQ(names.size(), AllRoles().size());
  EXPECT_EQ(RoleName(Role::kTransport), "交通运输局");
  EXPECT_EQ(RoleName(Role::kAdmin), "大数据局");
  EXPECT_EQ(DefaultDepartment(Role::kPolice), "鞍山市公安局");
  EXPECT_FALSE(ParseRole("Admin"));
  EXPECT_FALSE(ParseRole(""));
  EXPECT_FALSE(ParseRole("root"));

  std::set<std::string> permission_ids;
  for (Permission permission : AllPermissions()) {
    EXPECT_EQ(ParsePermission(PermissionId(permission)), permission);
    permission_ids.emplace(PermissionId(permission));
  }
  EXPECT_EQ(permission_ids.size(), AllPermissions().size());
  EXPECT_FALSE(ParsePermission("registry.read"));
}

TEST(RolesTest, KindsMapToTheirReadAndImportPermissions) {
  for (std::string_view kind :
       {"carriers", "vehicles", "drivers", "terminals", "health_records", "sites"}) {
    auto read = ReadPermission(kind);
    auto import = ImportPermission(kind);
    ASSERT_TRUE(read && import) << kind;
    EXPECT_EQ(PermissionId(*read), "registry.read." + std::string(kind));
    EXPECT_EQ(PermissionId(*import), "registry.import." + std::string(kind));
  }
  EXPECT_FALSE(ReadPermission("users"));
  EXPECT_FALSE(ImportPermission(""));
}

TEST(RolesTest, ScopedRolesCannotManageUsersOrReadTheAuditLog) {
  for (Role role : AllRoles()) {
    if (role == Role::kAdmin)
      continue;
    EXPECT_FALSE(Allows(role, Permission::kUsersManage)) << RoleId(role);
    EXPECT_FALSE(Allows(role, Permission::kAuditRead)) << RoleId(role);
  }
  // Health records are 卫健委's: nobody else but the platform administrators reads them.
  for (Role role : AllRoles())
    EXPECT_EQ(Allows(role, Permission::kReadHealthRecords),
              role == Role::kAdmin || role == Role::kHealth)
        << RoleId(role);
}

}  // namespace
}  // namespace baotong::api
