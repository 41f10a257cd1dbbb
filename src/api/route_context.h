// What a route handler works with: the services, the request, who asks and from where.
// Private to src/api (routes*.cc).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "api/http_util.h"
#include "api/routes.h"
#include "pass/model.h"

namespace baotong::api {

struct Call {
  ApiServices& services;
  const Request& request;
  std::string_view client_address;
  std::string_view target;  // path and query, as sent
  std::string_view path;    // without the query
  int64_t now_ms = 0;
  Principal principal;  // set once authenticated
  // A one-time password not yet changed: only PasswordChangeGate's routes answer.
  bool password_change_required = false;

  std::optional<std::string> Param(std::string_view name) const { return QueryParam(target, name); }
  // Writes an audit entry for this caller; a failure is logged, never shown to the caller,
  // but it does fail the request when `required` (reads of personal data must be recorded).
  bool Audit(std::string action, std::string audit_target, std::string detail = "{}") const;
  // Audit for reads a page repeats (live positions, a vehicle's live state): written when the
  // read opens a window for this user, action and target (api/repeated_reads.h). False when the
  // entry was due and could not be written: the data must not leave then.
  bool AuditRepeatedRead(std::string action, std::string audit_target,
                         Json detail = Json::object()) const;
};

// The 事由 that every read of who was where states (协查, tracks): 4 to 200 characters.
bool IsValidPurpose(std::string_view purpose);
inline constexpr std::string_view kPurposeRequired =
    "请填写查询事由（4至200字），例如“疫情协查：确诊病例活动轨迹” (purpose: 4-200 characters)";

// Common refusals, in the API's error shape.
Response Unauthenticated();
Response Forbidden(const Call& call, std::string_view what);
Response BadRequest(std::string_view message);
Response NotFound(std::string_view message);
Response Internal(const Error& error);
// Personal data leave only once their read is in the audit log; this answers (503) when it is
// not. `what`: what is withheld, in the message's words.
Response AuditUnavailable(std::string_view what = "暂不提供个人信息");
// 429 with Retry-After: the seconds until `until_ms`, rounded up (at least 1).
Response Throttled(int64_t until_ms, int64_t now_ms,
                   std::string_view message =
                       "失败次数过多，请稍后再试 (too many failed attempts, try again later)");

// A download: `body` served as `content_type`, saved by the browser as `file_name` (ASCII), not
// cached.
Response Attachment(std::string body, std::string_view content_type, std::string_view file_name);
inline constexpr std::string_view kXlsxContentType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// Offset/limit of a listing: nullopt (and `error` set) for malformed values.
struct Paging {
  int64_t offset = 0;
  int64_t limit = 50;
};
std::optional<Paging> ReadPaging(const Call& call, int64_t default_limit, int64_t max_limit,
                                 Response& error);

// The session token of a request: the cookie, or an Authorization bearer token.
std::optional<std::string> SessionToken(const Request& request);
// Calls `visit` with every record of `kind` within `scope`, page by page (the map's terminals,
// a district's vehicles in the city).
Result<void> ForEachInScope(const Call& call, registry::Kind kind, const registry::Scope& scope,
                            const std::function<void(const Json&)>& visit);
// The terminals a scoped principal (district, carrier) may follow; nullopt: all of them.
Result<std::optional<std::set<std::string>>> VisibleTerminals(const Call& call);
// An application as `principal` may see it: drivers' ID numbers masked unless the role sees
// them (a carrier: its own drivers).
nlohmann::ordered_json PassJson(const pass::PassApplication& application,
                                const Principal& principal, int64_t now_ms);

// The registry routes (routes_registry.cc): listings, records, exports, map layers, imports.
// nullopt when `call` is not one of theirs.
std::optional<Response> RouteRegistry(Call& call);
// The import routes (routes_imports.cc).
std::optional<Response> RouteImports(Call& call);
// Monitoring: vehicle states, alarms and their handling, zones and rule settings
// (routes_monitor.cc), and the live alarm feed (a WebSocket).
std::optional<Response> RouteMonitoring(Call& call);
// Entry passes, published routes, site arrivals (routes_pass.cc).
std::optional<Response> RoutePasses(Call& call);
// Checkpoints (routes_checkpoint.cc): RouteCamera is answered before sign-in (cameras hold an
// API key, not a session).
std::optional<Response> RouteCamera(Call& call);
std::optional<Response> RouteCheckpoints(Call& call);
// 协查: area and vehicle queries over the track store, their export (routes_investigation.cc).
std::optional<Response> RouteInvestigations(Call& call);
// Statistics, the overview screen and economic indicators (routes_stats.cc).
std::optional<Response> RouteStats(Call& call);
// The city's geography (routes_geo.cc): /api/geo/preview, /api/geo/import, /api/geo/layers...
std::optional<Response> RouteGeography(Call& call);
// Accounts (routes_accounts.cc): POST /api/auth/password, GET /api/users,
// POST /api/users/{username}/password-reset.
std::optional<Response> RouteAccounts(Call& call);
// 403 "password_change_required" for every route but me, logout and the password change while
// the session's password is a one-time one; nullopt otherwise.
std::optional<Response> PasswordChangeGate(const Call& call);
// A failed sign-in into the audit log, bounded and aggregated (api/signin_audit.h), and the
// summaries that have come due.
void RecordFailedSignIn(const Call& call, std::string_view username, std::string_view reason);
void FlushFailedSignIns(const Call& call);

}  // namespace baotong::api
