// Issue 13 items 9 and 13 over HTTP: the bounded audit of failed sign-ins, the must-change gate,
// password change, the administrators' listing and reset (audited, administrators only).
#include <gtest/gtest.h>

#include "api/users.h"
#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using testing::ApiFixture;
using testing::Json;
using testing::kPassword;

class AccountsApiTest : public ApiFixture {
 protected:
  testing::HttpResponse SignIn(std::string_view username, std::string_view password) {
    return Send(http::verb::post, "/api/auth/login",
                Json{{"username", username}, {"password", password}}.dump(), std::nullopt);
  }
  testing::HttpResponse As(const std::string& token, http::verb verb, const std::string& target,
                           const std::string& body = "") {
    return Send(verb, target, body, std::nullopt,
                {{http::field::authorization, "Bearer " + token}});
  }
  int64_t AuditCount(const std::string& action) {
    AuditFilter filter;
    filter.action = action;
    auto page = audit_->List(0, 1000, filter);
    EXPECT_TRUE(page);
    return page ? page->total : -1;
  }
};

// Item 9: 300 failed sign-ins with a 2,000-byte username cost the log three short entries.
TEST_F(AccountsApiTest, FailedSignInFloodsAreCappedAndAggregated) {
  const std::string long_name(2000, 'a');
  for (int i = 0; i < 300; ++i) {
    auto refused = SignIn(long_name, "wrong-password-" + std::to_string(i));
    ASSERT_TRUE(refused.result() == http::status::unauthorized ||
                refused.result() == http::status::too_many_requests)
        << refused.body();
  }
  AuditFilter filter;
  filter.action = "auth.login_failed";
  auto first = audit_->List(0, 10, filter);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->total, 1);
  const AuditEntry& entry = first->items[0].entry;
  EXPECT_EQ(entry.actor, std::string(64, 'a'));
  EXPECT_EQ(entry.client_address, "127.0.0.1");
  Json detail = Json::parse(entry.detail);
  EXPECT_EQ(detail["username_bytes"], 2000);
  EXPECT_EQ(detail["reason"], "bad_credentials");
  filter.action = "auth.login_failed_summary";
  auto summaries = audit_->List(0, 10, filter);
  ASSERT_TRUE(summaries);
  ASSERT_EQ(summaries->total, 2);  // at 100 and 200 more; the last 99 follow when quiet
  for (const auto& record : summaries->items) {
    Json summary = Json::parse(record.entry.detail);
    EXPECT_EQ(summary["count"], 100);
    EXPECT_EQ(record.entry.actor, std::string(64, 'a'));
    EXPECT_LT(record.entry.detail.size(), 400u);
  }
  // The attack is visible: throttled attempts are counted among the reasons.
  EXPECT_GT(Json::parse(summaries->items.back().entry.detail)["reasons"]["throttled"], 0);
}

// Item 13: a one-time password opens only me, logout and the password change.
TEST_F(AccountsApiTest, AOneTimePasswordMustBeChangedFirst) {
  NewUser user;
  user.username = "new_police";
  user.password = "Onetime-Pass-4821";
  user.role = Role::kPolice;
  user.must_change_password = true;
  ASSERT_TRUE(users_->CreateUser(user, 1));
  auto login = SignIn("new_police", "Onetime-Pass-4821");
  ASSERT_EQ(login.result(), http::status::ok) << login.body();
  EXPECT_EQ(Body(login)["user"]["must_change_password"], true);
  const std::string token = Body(login)["token"];
  auto other_login = SignIn("new_police", "Onetime-Pass-4821");
  const std::string other = Body(other_login)["token"];

  for (const char* target : {"/api/registry/drivers", "/api/positions/latest", "/api/users"}) {
    auto refused = As(token, http::verb::get, target);
    EXPECT_EQ(refused.result(), http::status::forbidden) << target;
    EXPECT_EQ(ErrorCode(refused), "password_change_required") << target;
  }
  auto me = As(token, http::verb::get, "/api/auth/me");
  ASSERT_EQ(me.result(), http::status::ok);
  EXPECT_EQ(Body(me)["must_change_password"], true);

  const auto change = [&](std::string_view old_password, std::string_view new_password) {
    return As(token, http::verb::post, "/api/auth/password",
              Json{{"old_password", old_password}, {"new_password", new_password}}.dump());
  };
  EXPECT_EQ(ErrorCode(change("not-the-password", "Another-pass-2026")), "wrong_password");
  auto weak = change("Onetime-Pass-4821", "12345678ab");
  EXPECT_EQ(weak.result(), http::status::bad_request);
  EXPECT_EQ(ErrorCode(weak), "weak_password");
  EXPECT_EQ(change("Onetime-Pass-4821", "").result(), http::status::bad_request);
  auto changed = change("Onetime-Pass-4821", "Another-pass-2026");
  ASSERT_EQ(changed.result(), http::status::ok) << changed.body();
  EXPECT_EQ(Body(changed)["user"]["must_change_password"], false);

  EXPECT_EQ(As(token, http::verb::get, "/api/registry/drivers").result(), http::status::ok);
  EXPECT_EQ(Body(As(token, http::verb::get, "/api/auth/me"))["must_change_password"], false);
  // The other session, opened with the old password, has ended.
  EXPECT_EQ(As(other, http::verb::get, "/api/auth/me").result(), http::status::unauthorized);
  EXPECT_EQ(AuditCount("user.password_change"), 1);
  EXPECT_EQ(AuditCount("user.password_change_failed"), 1);
}

// Item 13: users.manage resets a password; the one-time password is answered once, never logged.
TEST_F(AccountsApiTest, AdministratorsListUsersAndResetPasswords) {
  auto listing = Get("/api/users");
  ASSERT_EQ(listing.result(), http::status::ok) << listing.body();
  Json items = Body(listing)["items"];
  ASSERT_EQ(items.size(), AllRoles().size());
  EXPECT_EQ(items[0].count("must_change_password"), 1u);
  EXPECT_EQ(items[0].count("password_hash"), 0u);
  EXPECT_EQ(Get("/api/users", Role::kPolice).result(), http::status::forbidden);

  EXPECT_EQ(Send(http::verb::post, "/api/users/police_user/password-reset", "", Role::kTransport)
                .result(),
            http::status::forbidden);
  EXPECT_EQ(Send(http::verb::post, "/api/users/nobody/password-reset").result(),
            http::status::not_found);
  auto reset = Send(http::verb::post, "/api/users/police_user/password-reset");
  ASSERT_EQ(reset.result(), http::status::ok) << reset.body();
  EXPECT_EQ(std::string(reset[http::field::cache_control]), "no-store");
  const std::string one_time = Body(reset)["one_time_password"];
  EXPECT_TRUE(CheckPassword(one_time, "police_user"));
  // The police user's session ended; the old password no longer works, the new one must change.
  EXPECT_EQ(Get("/api/auth/me", Role::kPolice).result(), http::status::unauthorized);
  EXPECT_EQ(SignIn("police_user", kPassword).result(), http::status::unauthorized);
  auto login = SignIn("police_user", one_time);
  ASSERT_EQ(login.result(), http::status::ok);
  EXPECT_EQ(Body(login)["user"]["must_change_password"], true);

  AuditFilter filter;
  filter.action = "user.password_reset";
  auto audited = audit_->List(0, 10, filter);
  ASSERT_TRUE(audited);
  ASSERT_EQ(audited->total, 1);
  EXPECT_EQ(audited->items[0].entry.actor, "admin_user");
  EXPECT_EQ(audited->items[0].entry.target, "users/police_user");
  auto everything = audit_->List(0, 1000);
  for (const auto& record : everything->items)
    EXPECT_EQ(record.entry.detail.find(one_time), std::string::npos);
}

// A password reset that cannot be audited changes nothing; only administrators reset; an
// oversized current password is refused before any hashing.
TEST_F(AccountsApiTest, AResetThatCannotBeAuditedChangesNothing) {
  ASSERT_TRUE(
      database_->Exec("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                      "BEGIN SELECT RAISE(ABORT, 'refused'); END"));
  auto reset = Send(http::verb::post, "/api/users/police_user/password-reset");
  EXPECT_EQ(reset.result(), http::status::service_unavailable) << reset.body();
  EXPECT_EQ(reset.body().find("one_time_password"), std::string::npos);
  // The old password and the user's session still work.
  EXPECT_EQ(Get("/api/auth/me", Role::kPolice).result(), http::status::ok);
  auto login = users_->Login("police_user", kPassword, "127.0.0.1", NowMs());
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, LoginOutcome::Status::kOk);
}

TEST_F(AccountsApiTest, EveryRoleButTheAdministratorIsRefused) {
  for (Role role : AllRoles()) {
    if (role == Role::kAdmin)
      continue;
    EXPECT_EQ(Send(http::verb::post, "/api/users/police_user/password-reset", "", role).result(),
              http::status::forbidden)
        << RoleId(role);
  }
  auto login = users_->Login("police_user", kPassword, "127.0.0.1", NowMs());
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, LoginOutcome::Status::kOk);
}

TEST_F(AccountsApiTest, AHugeCurrentPasswordIsRefusedUnhashed) {
  const uint64_t before = users_->password_verifications();
  const std::string huge(4 << 20, 'p');
  // Refused with 413, or the connection closed on the oversized body: either way unhashed.
  try {
    auto refused = Send(http::verb::post, "/api/auth/password",
                        Json{{"old_password", huge}, {"new_password", "Another-pass-2026"}}.dump(),
                        Role::kPolice);
    EXPECT_TRUE(refused.result() == http::status::payload_too_large ||
                refused.result() == http::status::bad_request)
        << refused.result();
  } catch (const std::exception&) {
  }
  EXPECT_EQ(users_->password_verifications(), before);
  // A password just over the limit but under any body limit: refused without a hash either.
  auto long_one = Send(
      http::verb::post, "/api/auth/password",
      Json{{"old_password", std::string(1025, 'p')}, {"new_password", "Another-pass-2026"}}.dump(),
      Role::kPolice);
  EXPECT_NE(long_one.result(), http::status::ok);
  EXPECT_EQ(users_->password_verifications(), before);
}

}  // namespace
}  // namespace baotong::api
