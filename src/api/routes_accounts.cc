// Accounts: one's own password change, the administrators' user listing and password reset,
// the must-change gate, and the bounded audit of failed sign-ins (api/signin_audit.h).
#include <spdlog/spdlog.h>

#include "api/route_context.h"
#include "api/users.h"

namespace baotong::api {
namespace {

void AppendAll(const Call& call, std::vector<AuditEntry> entries) {
  for (AuditEntry& entry : entries) {
    if (auto appended = call.services.audit.Append(entry); !appended)
      spdlog::error("audit log append failed: {}", appended.error().Message());
  }
}

Json UserJson(const UserInfo& user) {
  Json json = PrincipalToJson(user.principal);
  json.erase("permissions");
  json["disabled"] = user.disabled;
  json["must_change_password"] = user.must_change_password;
  json["created_at_ms"] = user.created_at_ms;
  return json;
}

// POST /api/auth/password {"old_password", "new_password"}: the signed-in user's own change.
Response ChangeOwnPassword(Call& call) {
  Json body = Json::parse(call.request.body(), nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("old_password") || !body["old_password"].is_string() ||
      !body.contains("new_password") || !body["new_password"].is_string()) {
    return BadRequest("请提供原密码和新密码 (old_password and new_password are required)");
  }
  const std::string token = SessionToken(call.request).value_or("");
  auto outcome = call.services.users.ChangePassword(
      call.principal.username, body["old_password"].get<std::string>(),
      body["new_password"].get<std::string>(), token, call.client_address, call.now_ms);
  if (!outcome) {
    if (outcome.error().code == ErrorCode::kBadValue)
      return ApiError(http::status::bad_request, "weak_password", outcome.error().detail);
    return Internal(outcome.error());
  }
  using Status = PasswordChangeOutcome::Status;
  if (outcome->status == Status::kThrottled)
    return Throttled(outcome->throttled_until_ms, call.now_ms);
  if (outcome->status == Status::kWrongPassword) {
    call.Audit("user.password_change_failed", "users/" + call.principal.username);
    return ApiError(http::status::forbidden, "wrong_password",
                    "原密码错误 (the current password is wrong)");
  }
  call.Audit("user.password_change", "users/" + call.principal.username);
  Json user = PrincipalToJson(call.principal);
  user["must_change_password"] = false;
  return JsonResponse(http::status::ok, Json{{"ok", true}, {"user", std::move(user)}});
}

// POST /api/users/{username}/password-reset: a one-time password, shown this once.
Response ResetPassword(Call& call, std::string_view username) {
  if (!Allows(call.principal.role, Permission::kUsersManage))
    return Forbidden(call, "重置密码");
  if (!CheckUsername(username))
    return NotFound("用户不存在 (no such user)");
  auto user = call.services.users.FindUser(username);
  if (!user)
    return Internal(user.error());
  if (!*user)
    return NotFound("用户不存在 (no such user)");
  // Audited before anything changes (who reset whose password, never the password): a reset
  // that cannot be recorded does not happen.
  if (!call.Audit("user.password_reset", "users/" + std::string(username),
                  Json{{"must_change_password", true}}.dump()))
    return AuditUnavailable();
  auto password = call.services.users.ResetPassword(username, call.now_ms);
  if (!password) {
    if (password.error().code == ErrorCode::kNotFound)
      return NotFound("用户不存在 (no such user)");
    return Internal(password.error());
  }
  auto response = JsonResponse(http::status::ok, Json{{"username", username},
                                                      {"one_time_password", *password},
                                                      {"must_change_password", true}});
  response.set(http::field::cache_control, "no-store");
  return response;
}

Response ListUsers(Call& call) {
  if (!Allows(call.principal.role, Permission::kUsersManage))
    return Forbidden(call, "查看用户");
  auto users = call.services.users.ListUsers();
  if (!users)
    return Internal(users.error());
  Json items = Json::array();
  for (const UserInfo& user : *users)
    items.push_back(UserJson(user));
  return JsonResponse(http::status::ok, Json{{"total", items.size()}, {"items", std::move(items)}});
}

}  // namespace

Response Throttled(int64_t until_ms, int64_t now_ms, std::string_view message) {
  auto response = ApiError(http::status::too_many_requests, "throttled", message);
  const int64_t wait_s = std::max<int64_t>(1, (until_ms - now_ms + 999) / 1000);
  response.set(http::field::retry_after, std::to_string(wait_s));
  return response;
}

void RecordFailedSignIn(const Call& call, std::string_view username, std::string_view reason) {
  AppendAll(call, call.services.users.failed_sign_in_audit().Note(username, call.client_address,
                                                                  reason, call.now_ms));
}

void FlushFailedSignIns(const Call& call) {
  AppendAll(call, call.services.users.failed_sign_in_audit().TakeDue(call.now_ms));
}

std::optional<Response> PasswordChangeGate(const Call& call) {
  if (!call.password_change_required)
    return std::nullopt;
  const std::string_view path = call.path;
  if (path == "/api/auth/me" || path == "/api/auth/logout" || path == "/api/auth/password")
    return std::nullopt;
  return ApiError(http::status::forbidden, "password_change_required",
                  "请先修改初始密码 (change your one-time password first)");
}

std::optional<Response> RouteAccounts(Call& call) {
  const std::string_view path = call.path;
  const auto method = call.request.method();
  if (path == "/api/auth/password" && method == http::verb::post)
    return ChangeOwnPassword(call);
  if (path == "/api/users" && method == http::verb::get)
    return ListUsers(call);
  constexpr std::string_view kUsers = "/api/users/";
  constexpr std::string_view kReset = "/password-reset";
  if (path.starts_with(kUsers) && path.ends_with(kReset) &&
      path.size() > kUsers.size() + kReset.size() && method == http::verb::post) {
    return ResetPassword(call,
                         path.substr(kUsers.size(), path.size() - kUsers.size() - kReset.size()));
  }
  return std::nullopt;
}

}  // namespace baotong::api
