// Every role against every route: the role matrix (api/roles.h, docs/roles.md) is enforced
// by the routes, the forbidden combinations included.
#include <gtest/gtest.h>

#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using testing::ApiFixture;

struct RouteCase {
  http::verb verb;
  std::string target;
  std::vector<Permission> needs;  // all of them; empty: any signed-in user
  std::string body;
};

std::vector<RouteCase> Routes() {
  std::vector<RouteCase> routes = {
      {http::verb::get, "/api/auth/me", {}, ""},
      {http::verb::get, "/api/positions/latest", {Permission::kPositionsRead}, ""},
      {http::verb::get,
       "/api/track?terminal=013900000001&from=1&to=2&purpose=test%20purpose",
       {Permission::kPositionsRead},
       ""},
      {http::verb::get, "/api/terminals/connected", {Permission::kPositionsRead}, ""},
      {http::verb::get,
       "/api/track/movement?terminal=013900000001&from=1&to=2&purpose=test%20purpose",
       {Permission::kPositionsRead},
       ""},
      // The city's geography, no personal data: every role's map has it (issue 14).
      {http::verb::get, "/api/map/layers", {}, ""},
      {http::verb::get, "/api/geo/layers", {}, ""},
      {http::verb::get, "/api/geo/layers/routes", {}, ""},
      {http::verb::get, "/api/geo/layers/districts/versions", {}, ""},
      {http::verb::post,
       "/api/geo/preview?kind=checkpoints&file_name=k.csv",
       {Permission::kMonitorConfigure},
       "code,name,lon,lat,direction\nK9,x,123,41.1,in\n"},
      {http::verb::put,
       "/api/geo/layers/restricted/features/Z77",
       {Permission::kMonitorConfigure},
       R"({"type":"Feature","properties":{"name":"z"},"geometry":{"type":"Polygon",)"
       R"("coordinates":[[[123,41.1],[123.01,41.1],[123.01,41.11],[123,41.1]]]}})"},
      {http::verb::post,
       "/api/terminals/013900000001/commands",
       {Permission::kTerminalsCommand},
       R"({"type":"location_query"})"},
      {http::verb::get, "/api/commands/1", {Permission::kTerminalsCommand}, ""},
      {http::verb::get, "/api/audit", {Permission::kAuditRead}, ""},
      {http::verb::post, "/api/investigations/area", {Permission::kInvestigate}, "{}"},
      {http::verb::post, "/api/investigations/area/export", {Permission::kInvestigate}, "{}"},
      {http::verb::post, "/api/investigations/vehicle", {Permission::kInvestigate}, "{}"},
      {http::verb::post, "/api/investigations/track", {Permission::kInvestigate}, "{}"},
      {http::verb::get, "/api/imports", {Permission::kImportsRead}, ""},
      {http::verb::get, "/api/alarms", {Permission::kAlarmsRead}, ""},
      {http::verb::get, "/api/alarms/999", {Permission::kAlarmsRead}, ""},
      {http::verb::post,
       "/api/alarms/999/acknowledge",
       {Permission::kAlarmsHandle},
       R"({"note":"x"})"},
      {http::verb::post,
       "/api/alarms/bulk",
       {Permission::kAlarmsHandle},
       R"({"action":"acknowledge","ids":[999],"note":"x"})"},
      {http::verb::get, "/api/alarms/export.csv", {Permission::kAlarmsRead}, ""},
      {http::verb::get, "/api/monitor/vehicles", {Permission::kAlarmsRead}, ""},
      {http::verb::get, "/api/monitor/vehicles/013900000001", {Permission::kAlarmsRead}, ""},
      {http::verb::get, "/api/monitor/zones", {Permission::kAlarmsRead}, ""},
      {http::verb::post, "/api/monitor/zones", {Permission::kMonitorConfigure}, "{}"},
      {http::verb::delete_, "/api/monitor/zones/NONE", {Permission::kMonitorConfigure}, ""},
      {http::verb::get, "/api/monitor/rules", {Permission::kAlarmsRead}, ""},
      {http::verb::put, "/api/monitor/rules", {Permission::kMonitorConfigure}, "{}"},
      // Accounts (issue 13): anyone changes their own password; only users.manage lists and
      // resets.
      {http::verb::post,
       "/api/auth/password",
       {},
       R"({"old_password":"not the password","new_password":"Another-Strong-Passphrase-71"})"},
      {http::verb::get, "/api/users", {Permission::kUsersManage}, ""},
      {http::verb::post, "/api/users/nobody/password-reset", {Permission::kUsersManage}, ""},
      // Passes, arrivals and the vehicles in the city (issue 13 items 5, 6, 10, 11).
      {http::verb::get, "/api/passes", {Permission::kPassesRead}, ""},
      {http::verb::get, "/api/passes/999", {Permission::kPassesRead}, ""},
      {http::verb::post, "/api/passes", {Permission::kPassesApply}, "{}"},
      {http::verb::post,
       "/api/passes/bulk-approve",
       {Permission::kPassesReview},
       R"({"ids":[999],"note":"x"})"},
      {http::verb::get, "/api/sites/ZD001/arrivals", {Permission::kReadSites}, ""},
      {http::verb::get, "/api/in-city", {Permission::kInCityRead}, ""},
  };
  for (std::string kind :
       {"carriers", "vehicles", "drivers", "terminals", "health_records", "sites"}) {
    const Permission read = *ReadPermission(kind);
    const Permission import = *ImportPermission(kind);
    routes.push_back({http::verb::get, "/api/registry/" + kind, {read}, ""});
    routes.push_back({http::verb::get, "/api/registry/" + kind + "/no-such-key", {read}, ""});
    routes.push_back({http::verb::get,
                      "/api/registry/" + kind + "/export.xlsx",
                      {read, Permission::kRegistryExport},
                      ""});
    routes.push_back({http::verb::get, "/api/import-templates/" + kind + ".csv", {import}, ""});
    // A file with only a header: the import runs and accepts nothing.
    routes.push_back(
        {http::verb::post, "/api/imports?kind=" + kind + "&format=json", {import}, "[]"});
  }
  return routes;
}

class RoleMatrixTest : public ApiFixture {};

TEST_F(RoleMatrixTest, EveryRoleAgainstEveryRoute) {
  int allowed = 0;
  int forbidden = 0;
  for (const Role role : AllRoles()) {
    for (const auto& route : Routes()) {
      bool expected = true;
      for (Permission permission : route.needs)
        expected = expected && Allows(role, permission);
      auto response = Send(route.verb, route.target, route.body, role);
      const std::string what = std::string(RoleId(role)) + " " +
                               std::string(http::to_string(route.verb)) + " " + route.target;
      EXPECT_NE(response.result(), http::status::unauthorized) << what;
      if (expected) {
        ++allowed;
        // Allowed: whatever the route answers, it is not the role's refusal (a wrong old
        // password is a 403 of its own, "wrong_password").
        EXPECT_NE(ErrorCode(response), "forbidden") << what << ": " << response.body();
      } else {
        ++forbidden;
        EXPECT_EQ(response.result(), http::status::forbidden) << what << ": " << response.body();
        EXPECT_EQ(ErrorCode(response), "forbidden") << what;
      }
      imports_->WaitIdle();
    }
  }
  // The matrix has both kinds of cell, so this test checks something either way.
  EXPECT_GT(allowed, 20);
  EXPECT_GT(forbidden, 20);
  // Refusals are audited.
  AuditFilter filter;
  filter.action = "access.denied";
  auto denied = audit_->List(0, 1, filter);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->total, forbidden);
}

}  // namespace
}  // namespace baotong::api
