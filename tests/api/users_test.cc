#include "api/users.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "registry/validation.h"

namespace baotong::api {
namespace {

constexpr int64_t kT0 = 1'790'000'000'000;  // 2026-09
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr std::string_view kPassword = "Tiedong-7391-east";

std::string ValidCreditCode() {
  const std::string first17 = "91210300MA0XXXXXX";
  return first17 + registry::CreditCodeCheckCharacter(first17);
}

class UserStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong-users-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto database = store::Database::Open(dir_ / "registry.db");
    ASSERT_TRUE(database);
    database_ = std::move(*database);
    UserStoreOptions options;
    // The cheapest argon2id: the tests check the logic, not the cost.
    options.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
    options.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
    auto users = UserStore::Open(*database_, options);
    ASSERT_TRUE(users);
    users_ = std::move(*users);
  }
  void TearDown() override {
    users_.reset();
    database_.reset();
    std::filesystem::remove_all(dir_);
  }

  Principal Create(std::string username, Role role = Role::kPolice) {
    NewUser user;
    user.username = std::move(username);
    user.display_name = "王警官";
    user.password = std::string(kPassword);
    user.role = role;
    auto created = users_->CreateUser(user, kT0);
    EXPECT_TRUE(created) << (created ? "" : created.error().Message());
    return created.value_or(Principal{});
  }

  LoginOutcome Login(std::string_view username, std::string_view password, int64_t now,
                     std::string_view address = "10.0.0.1") {
    auto outcome = users_->Login(username, password, address, now);
    EXPECT_TRUE(outcome);
    return outcome.value_or(LoginOutcome{});
  }

  std::optional<Principal> Auth(std::string_view token, int64_t now) {
    auto principal = users_->Authenticate(token, now);
    EXPECT_TRUE(principal);
    return principal.value_or(std::nullopt);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<UserStore> users_;
};

using Status = LoginOutcome::Status;

TEST_F(UserStoreTest, CreatesUsersAndValidatesTheirFields) {
  Principal police = Create("wang.police");
  EXPECT_GT(police.user_id, 0);
  EXPECT_EQ(police.department, "鞍山市公安局");
  EXPECT_EQ(police.role, Role::kPolice);

  NewUser user;
  user.username = "li_district";
  user.password = std::string(kPassword);
  user.role = Role::kDistrict;
  auto missing_district = users_->CreateUser(user, kT0);
  ASSERT_FALSE(missing_district);
  EXPECT_EQ(missing_district.error().code, ErrorCode::kBadValue);
  user.district = "铁东区";
  auto district = users_->CreateUser(user, kT0);
  ASSERT_TRUE(district);
  EXPECT_EQ(district->district, "铁东区");
  EXPECT_EQ(district->department, "铁东区人民政府");
  EXPECT_EQ(district->display_name, "li_district");

  NewUser carrier;
  carrier.username = "fleet-1";
  carrier.password = std::string(kPassword);
  carrier.role = Role::kCarrier;
  EXPECT_FALSE(users_->CreateUser(carrier, kT0));
  carrier.carrier_credit_code = "91210300MA0XXXXXX0";
  if (ValidCreditCode().back() == '0')
    carrier.carrier_credit_code = "91210300MA0XXXXXX1";
  auto bad_code = users_->CreateUser(carrier, kT0);
  ASSERT_FALSE(bad_code);
  EXPECT_NE(bad_code.error().detail.find("统一社会信用代码"), std::string_view::npos);
  std::string lower = ValidCreditCode();
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  carrier.carrier_credit_code = lower;
  auto fleet = users_->CreateUser(carrier, kT0);
  ASSERT_TRUE(fleet) << fleet.error().Message();
  EXPECT_EQ(fleet->carrier_credit_code, ValidCreditCode());

  // Scope fields belong to their roles only.
  NewUser scoped_police;
  scoped_police.username = "zhao";
  scoped_police.password = std::string(kPassword);
  scoped_police.role = Role::kPolice;
  scoped_police.district = "铁西区";
  EXPECT_FALSE(users_->CreateUser(scoped_police, kT0));

  NewUser duplicate;
  duplicate.username = "wang.police";
  duplicate.password = std::string(kPassword);
  auto taken = users_->CreateUser(duplicate, kT0);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);

  auto listed = users_->ListUsers();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 3u);
}

TEST_F(UserStoreTest, RefusesBadUsernamesAndWeakPasswords) {
  for (std::string_view name : {"ab", "Wang", "wang police", "王警官", "a/b", ""})
    EXPECT_FALSE(CheckUsername(name)) << name;
  for (std::string_view name : {"abc", "wang.police", "user_01", "a-b"})
    EXPECT_TRUE(CheckUsername(name)) << name;
  EXPECT_TRUE(CheckUsername(std::string(32, 'a')));
  EXPECT_FALSE(CheckUsername(std::string(33, 'a')));

  for (std::string_view password : {"short", "123456789", "Password123", "aaaaaaaaaaaa",
                                    "abababababab", "1234567890", "abcdefghijkl", "xwang.policex1"})
    EXPECT_FALSE(CheckPassword(password, "wang.police")) << password;
  EXPECT_TRUE(CheckPassword(kPassword, "wang.police"));
  // Twelve Chinese characters are twelve characters.
  EXPECT_TRUE(CheckPassword("鞍山市铁东区保通平台管理", "wang"));
  EXPECT_FALSE(CheckPassword("鞍山市铁东区保通平台", "wang"));
  EXPECT_FALSE(CheckPassword(std::string(2000, 'x') + "abc", "wang"));
}

TEST_F(UserStoreTest, LoginStartsASessionThatAuthenticates) {
  Principal police = Create("wang.police");
  LoginOutcome outcome = Login("wang.police", kPassword, kT0);
  ASSERT_EQ(outcome.status, Status::kOk);
  EXPECT_EQ(outcome.token.size(), 43u);  // 32 bytes, base64url without padding
  EXPECT_EQ(outcome.principal, police);
  EXPECT_EQ(outcome.session_expires_at_ms, kT0 + 7 * 24 * kHour);

  auto principal = Auth(outcome.token, kT0 + kMinute);
  ASSERT_TRUE(principal);
  EXPECT_EQ(*principal, police);
  EXPECT_FALSE(Auth(outcome.token + "x", kT0));
  EXPECT_FALSE(Auth("", kT0));
  EXPECT_FALSE(Auth("not a token at all!", kT0));

  // Two sign-ins, two different tokens.
  LoginOutcome second = Login("wang.police", kPassword, kT0);
  ASSERT_EQ(second.status, Status::kOk);
  EXPECT_NE(second.token, outcome.token);
}

TEST_F(UserStoreTest, StoresOnlyHashesOfTokensAndPasswords) {
  Create("wang.police");
  LoginOutcome outcome = Login("wang.police", kPassword, kT0);
  ASSERT_EQ(outcome.status, Status::kOk);
  for (std::string_view sql :
       {"SELECT token_sha256 || client_address FROM sessions",
        "SELECT username || display_name || password_hash || role || department FROM users"}) {
    auto select = database_->Prepare(sql);
    ASSERT_TRUE(select);
    int rows = 0;
    while (*select->Step()) {
      ++rows;
      const std::string text = select->Text(0);
      EXPECT_EQ(text.find(outcome.token), std::string::npos);
      EXPECT_EQ(text.find(kPassword), std::string::npos);
    }
    EXPECT_EQ(rows, 1);
  }
  auto hash = database_->Prepare("SELECT password_hash FROM users");
  ASSERT_TRUE(hash && *hash->Step());
  EXPECT_EQ(hash->Text(0).rfind("$argon2id$", 0), 0u);
}

TEST_F(UserStoreTest, WrongPasswordsAndUnknownUsersAreBadCredentials) {
  Create("wang.police");
  EXPECT_EQ(Login("wang.police", "Tiedong-7391-wes", kT0).status, Status::kBadCredentials);
  EXPECT_EQ(Login("nobody", kPassword, kT0).status, Status::kBadCredentials);
  EXPECT_EQ(Login("", "", kT0).status, Status::kBadCredentials);
  EXPECT_EQ(Login("wang.police", std::string(5000, 'x'), kT0).status, Status::kBadCredentials);
  EXPECT_TRUE(Login("wang.police", "nope", kT0).token.empty());
}

TEST_F(UserStoreTest, ThrottlesTheSixthAttemptFromOneAddressUntilTheFirstLeavesTheWindow) {
  Create("wang.police");
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(Login("wang.police", "wrong-password", kT0 + i * 1000).status,
              Status::kBadCredentials)
        << i;
  // From that address the right password does not help now: 5 failures in 15 minutes.
  LoginOutcome throttled = Login("wang.police", kPassword, kT0 + 5000);
  EXPECT_EQ(throttled.status, Status::kThrottled);
  EXPECT_EQ(throttled.throttled_until_ms, kT0 + 15 * kMinute);
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 15 * kMinute - 1).status, Status::kThrottled);
  // Another account from the same address is not throttled by this one, nor this account
  // from another address.
  Create("li.police");
  EXPECT_EQ(Login("li.police", kPassword, kT0 + 6000).status, Status::kOk);
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 6000, "10.0.0.9").status, Status::kOk);
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 15 * kMinute).status, Status::kOk);
}

TEST_F(UserStoreTest, FailuresOutsideTheWindowOrBeforeASuccessDoNotCount) {
  Create("wang.police");
  for (int i = 0; i < 4; ++i)
    Login("wang.police", "wrong-password", kT0 + i);
  ASSERT_EQ(Login("wang.police", kPassword, kT0 + 10).status, Status::kOk);
  for (int i = 0; i < 4; ++i)
    Login("wang.police", "wrong-password", kT0 + 20 + i);
  // Four since the success: the right password still works.
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 30).status, Status::kOk);

  for (int i = 0; i < 4; ++i)
    Login("wang.police", "wrong-password", kT0 + kHour + i);
  // The fifth comes 15 minutes after the first four: they have left the window.
  Login("wang.police", "wrong-password", kT0 + kHour + 15 * kMinute + 10);
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + kHour + 15 * kMinute + 20).status, Status::kOk);
}

TEST_F(UserStoreTest, ThrottlesAnAddressThatTriesManyUsernames) {
  Create("wang.police");
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(Login("guess" + std::to_string(i), "wrong-password", kT0 + i, "203.0.113.9").status,
              Status::kBadCredentials);
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 100, "203.0.113.9").status, Status::kThrottled);
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 100, "10.0.0.2").status, Status::kOk);
}

TEST_F(UserStoreTest, SessionsExpireWhenIdleOrTooOld) {
  Create("wang.police");
  const std::string token = Login("wang.police", kPassword, kT0).token;
  ASSERT_TRUE(Auth(token, kT0 + 7 * kHour));
  // Sliding: idle time counts from the last request.
  ASSERT_TRUE(Auth(token, kT0 + 15 * kHour - 1));
  EXPECT_FALSE(Auth(token, kT0 + 23 * kHour - 1));
  // Gone for good, even asked with an earlier clock.
  EXPECT_FALSE(Auth(token, kT0 + 16 * kHour));

  const std::string busy = Login("wang.police", kPassword, kT0).token;
  int64_t now = kT0;
  for (; now < kT0 + 7 * 24 * kHour; now += 7 * kHour)
    ASSERT_TRUE(Auth(busy, now)) << (now - kT0) / kHour;
  // The last request was 7 hours ago, within the idle timeout: only the absolute one ends it.
  EXPECT_EQ(now, kT0 + 7 * 24 * kHour);
  EXPECT_FALSE(Auth(busy, now));

  // Writes of last_seen happen at most once a minute.
  const std::string quiet = Login("wang.police", kPassword, kT0).token;
  ASSERT_TRUE(Auth(quiet, kT0 + 30'000));
  EXPECT_FALSE(Auth(quiet, kT0 + 8 * kHour));
}

TEST_F(UserStoreTest, PurgesExpiredSessions) {
  Create("wang.police");
  Login("wang.police", kPassword, kT0);
  const std::string fresh = Login("wang.police", kPassword, kT0 + 7 * kHour).token;
  auto purged = users_->PurgeExpiredSessions(kT0 + 8 * kHour);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  EXPECT_TRUE(Auth(fresh, kT0 + 8 * kHour));
}

TEST_F(UserStoreTest, LogoutEndsTheSession) {
  Create("wang.police");
  const std::string token = Login("wang.police", kPassword, kT0).token;
  const std::string other = Login("wang.police", kPassword, kT0).token;
  ASSERT_TRUE(users_->Logout(token));
  EXPECT_FALSE(Auth(token, kT0 + 1));
  EXPECT_TRUE(Auth(other, kT0 + 1));
  EXPECT_TRUE(users_->Logout(token));
  EXPECT_TRUE(users_->Logout("garbage"));
}

TEST_F(UserStoreTest, DisabledUsersCannotSignInAndLoseTheirSessions) {
  Create("wang.police");
  const std::string token = Login("wang.police", kPassword, kT0).token;
  ASSERT_TRUE(users_->DisableUser("wang.police"));
  EXPECT_FALSE(Auth(token, kT0 + 1));
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 2).status, Status::kDisabled);
  // Without the right password, a disabled account looks like any other failure.
  EXPECT_EQ(Login("wang.police", "wrong-password", kT0 + 3).status, Status::kBadCredentials);
  auto found = users_->FindUser("wang.police");
  ASSERT_TRUE(found && *found);
  EXPECT_TRUE((*found)->disabled);
  EXPECT_EQ(users_->DisableUser("nobody").error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(users_->SetDisabled("wang.police", false));
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 4).status, Status::kOk);
}

TEST_F(UserStoreTest, ChangingThePasswordEndsSessions) {
  Create("wang.police");
  const std::string token = Login("wang.police", kPassword, kT0).token;
  EXPECT_FALSE(users_->SetPassword("wang.police", "short", kT0));
  EXPECT_EQ(users_->SetPassword("nobody", "Another-pass-2026", kT0).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(users_->SetPassword("wang.police", "Another-pass-2026", kT0 + 1));
  EXPECT_FALSE(Auth(token, kT0 + 2));
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 3).status, Status::kBadCredentials);
  EXPECT_EQ(Login("wang.police", "Another-pass-2026", kT0 + 4).status, Status::kOk);
}

TEST_F(UserStoreTest, SessionsWorkFromSeveralThreads) {
  Create("wang.police");
  std::vector<std::string> tokens;
  for (int i = 0; i < 4; ++i)
    tokens.push_back(Login("wang.police", kPassword, kT0).token);
  std::atomic<int> authenticated{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto principal = users_->Authenticate(tokens[static_cast<size_t>(t)], kT0 + i * kMinute);
        if (principal && *principal)
          ++authenticated;
      }
    });
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(authenticated.load(), 800);
}

TEST(SessionTokenTest, ReadsTheTokenFromCookieAndBearerHeaders) {
  const std::string token = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234";
  EXPECT_EQ(SessionTokenFromCookie("baotong_session=" + token), token);
  EXPECT_EQ(SessionTokenFromCookie("theme=dark; baotong_session=" + token + "; lang=zh-CN"), token);
  EXPECT_EQ(
      SessionTokenFromCookie("x_baotong_session=zzzzzzzzzzzzzzzzzzzz; baotong_session=" + token),
      token);
  EXPECT_EQ(SessionTokenFromCookie("baotong_session=\"" + token + "\""), token);
  EXPECT_FALSE(SessionTokenFromCookie("theme=dark; lang=zh-CN"));
  EXPECT_FALSE(SessionTokenFromCookie(""));
  EXPECT_FALSE(SessionTokenFromCookie("baotong_session="));
  EXPECT_FALSE(SessionTokenFromCookie("baotong_session=bad token with spaces"));
  EXPECT_FALSE(SessionTokenFromCookie("baotong_sessionx=" + token));

  EXPECT_EQ(SessionTokenFromAuthorization("Bearer " + token), token);
  EXPECT_EQ(SessionTokenFromAuthorization("bearer   " + token + " "), token);
  EXPECT_FALSE(SessionTokenFromAuthorization("Basic dXNlcjpwYXNzd29yZA=="));
  EXPECT_FALSE(SessionTokenFromAuthorization("Bearer"));
  EXPECT_FALSE(SessionTokenFromAuthorization("Bearer "));
  EXPECT_FALSE(SessionTokenFromAuthorization("Bearer" + token));
  EXPECT_FALSE(SessionTokenFromAuthorization(""));
}

TEST(PrincipalJsonTest, HasTheFieldsOfTheApiUserObject) {
  Principal principal;
  principal.username = "li";
  principal.display_name = "李";
  principal.role = Role::kDistrict;
  principal.department = "铁东区人民政府";
  principal.district = "铁东区";
  auto json = PrincipalToJson(principal);
  EXPECT_EQ(json["role"], "district");
  EXPECT_EQ(json["role_name"], "区县政府");
  EXPECT_EQ(json["district"], "铁东区");
  EXPECT_TRUE(json["carrier_credit_code"].is_null());
  EXPECT_EQ(json["permissions"].size(), PermissionIds(Role::kDistrict).size());
}

}  // namespace
}  // namespace baotong::api
