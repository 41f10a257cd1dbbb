// Review of issue 13 items 12 and 13: a password reset that cannot be audited changes nothing;
// only administrators reset; an oversized current password is refused before any hashing.
#include <gtest/gtest.h>

#include "api/users.h"
#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using testing::ApiFixture;
using testing::Json;
using testing::kPassword;

class AccountsResetTest : public ApiFixture {};

TEST_F(AccountsResetTest, AResetThatCannotBeAuditedChangesNothing) {
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

TEST_F(AccountsResetTest, EveryRoleButTheAdministratorIsRefused) {
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

TEST_F(AccountsResetTest, AHugeCurrentPasswordIsRefusedUnhashed) {
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
