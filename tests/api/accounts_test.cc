// Issue 13 items 9, 12, 13 at the store level: bounded audit of failed sign-ins, throttling that
// counts before it checks and cannot be turned against the owner, password rules, one-time
// passwords, password change and reset.
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <latch>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/audit_log.h"
#include "api/common_passwords.h"
#include "api/signin_audit.h"
#include "api/users.h"

namespace baotong::api {
namespace {

constexpr int64_t kT0 = 1'790'000'000'000;
constexpr std::string_view kPassword = "Tiedong-7391-east";
using Status = LoginOutcome::Status;
using Json = nlohmann::json;

class AccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong-accounts-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto database = store::Database::Open(dir_ / "registry.db");
    ASSERT_TRUE(database);
    database_ = std::move(*database);
    UserStoreOptions options;
    // Cheap, but not free: a verification takes long enough for parallel attempts to overlap.
    options.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
    options.pwhash_memlimit = 4u << 20;
    auto users = UserStore::Open(*database_, options);
    ASSERT_TRUE(users);
    users_ = std::move(*users);
  }
  void TearDown() override {
    users_.reset();
    database_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Create(std::string username, bool must_change = false) {
    NewUser user;
    user.username = std::move(username);
    user.password = std::string(kPassword);
    user.role = Role::kPolice;
    user.must_change_password = must_change;
    auto created = users_->CreateUser(user, kT0);
    ASSERT_TRUE(created) << created.error().Message();
  }

  LoginOutcome Login(std::string_view username, std::string_view password, int64_t now,
                     std::string_view address) {
    auto outcome = users_->Login(username, password, address, now);
    EXPECT_TRUE(outcome);
    return outcome.value_or(LoginOutcome{});
  }

  // Runs `attempts` sign-ins at once (released together) and counts their outcomes.
  std::map<Status, int> Parallel(int attempts, const std::function<LoginOutcome(int)>& attempt) {
    std::latch start(attempts);
    std::mutex mutex;
    std::map<Status, int> outcomes;
    std::vector<std::thread> threads;
    for (int i = 0; i < attempts; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        LoginOutcome outcome = attempt(i);
        std::lock_guard lock(mutex);
        ++outcomes[outcome.status];
      });
    }
    for (auto& thread : threads)
      thread.join();
    return outcomes;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<UserStore> users_;
};

// Item 12: 40 parallel wrong passwords from one address check at most the budget of 5.
TEST_F(AccountsTest, ParallelAttemptsFromOneAddressCheckAtMostTheBudget) {
  Create("wang.police");
  const uint64_t before = users_->password_verifications();
  auto outcomes = Parallel(
      40, [&](int) { return Login("wang.police", "wrong-password-1", kT0, "203.0.113.5"); });
  EXPECT_EQ(outcomes[Status::kBadCredentials], 5);
  EXPECT_EQ(outcomes[Status::kThrottled], 35);
  EXPECT_EQ(users_->password_verifications() - before, 5u);

  // Many usernames from one address: the address's budget of 20, unknown users included.
  const uint64_t spray_before = users_->password_verifications();
  auto spray = Parallel(40, [&](int i) {
    return Login("guess" + std::to_string(i), "wrong-password-1", kT0, "203.0.113.6");
  });
  EXPECT_EQ(spray[Status::kBadCredentials], 20);
  EXPECT_EQ(users_->password_verifications() - spray_before, 20u);
}

// Item 12: an attacker failing at address A does not stop the owner at address B.
TEST_F(AccountsTest, AStrangerCannotLockTheOwnerOut) {
  Create("wang.police");
  ASSERT_EQ(Login("wang.police", kPassword, kT0, "10.1.1.1").status, Status::kOk);  // owner, B
  for (int i = 0; i < 50; ++i)
    Login("wang.police", "wrong-password-1", kT0 + i, "203.0.113.5");  // attacker, A
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 100, "203.0.113.5").status, Status::kThrottled);
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 100, "10.1.1.1").status, Status::kOk);
  // The owner's first sign-in from a new address works too.
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 100, "10.1.1.2").status, Status::kOk);

  // A distributed attack, 5 guesses from each of 40 addresses: beyond the account's generous
  // budget strangers are slowed to one attempt per 5 s; the owner's addresses are not.
  for (int address = 0; address < 40; ++address)
    for (int i = 0; i < 5; ++i)
      Login("wang.police", "wrong-password-1", kT0 + 1000, "198.51.100." + std::to_string(address));
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 1000, "10.1.1.1").status, Status::kOk);
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 1000, "10.1.1.2").status, Status::kOk);
  LoginOutcome stranger = Login("wang.police", kPassword, kT0 + 1000, "192.0.2.1");
  EXPECT_EQ(stranger.status, Status::kThrottled);
  EXPECT_LE(stranger.throttled_until_ms, kT0 + 1000 + 5000);
  // Delayed, not locked: the same attempt a little later goes through.
  EXPECT_EQ(Login("wang.police", kPassword, stranger.throttled_until_ms, "192.0.2.1").status,
            Status::kOk);
}

// Item 13: length 12, the shipped list of common passwords, and the old rules.
TEST_F(AccountsTest, PasswordsNeedTwelveCharactersAndMustNotBeCommon) {
  EXPECT_GT(CommonPasswordCount(), 19000u);
  for (std::string_view password :
       {"12345678ab", "Abcdefgh12!", "iloveyou1234", "1qaz2wsx3edc", "Baseball2024!",
        "!!sunshine!!2024", "qwertyuiop123", "Password123456", "woaini1314520"})
    EXPECT_FALSE(CheckPassword(password, "wang.police")) << password;
  EXPECT_NE(CheckPassword("Baseball2024!", "wang").error().detail.find("常见"), std::string::npos);
  for (std::string_view password :
       {"Tiedong-7391-east", "correct horse battery", "鞍山市铁东区保通平台管理"})
    EXPECT_TRUE(CheckPassword(password, "wang.police")) << password;
  NewUser user;
  user.username = "zhang";
  user.password = "12345678ab";
  EXPECT_EQ(users_->CreateUser(user, kT0).error().code, ErrorCode::kBadValue);
}

TEST_F(AccountsTest, OneTimePasswordsAreRandomAndPassTheRules) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string password = GenerateOneTimePassword();
    EXPECT_EQ(password.size(), 19u);
    EXPECT_EQ(password[4], '-');
    EXPECT_TRUE(CheckPassword(password, "admin")) << password;
    EXPECT_EQ(password.find_first_of("0O1lI"), std::string::npos) << password;
    seen.insert(password);
  }
  EXPECT_EQ(seen.size(), 200u);
}

// Item 13: a one-time password signs in to a session that can only change the password.
TEST_F(AccountsTest, AOneTimePasswordMustBeChangedBeforeTheSessionActs) {
  Create("wang.police", /*must_change=*/true);
  LoginOutcome first = Login("wang.police", kPassword, kT0, "10.0.0.1");
  ASSERT_EQ(first.status, Status::kOk);
  EXPECT_TRUE(first.must_change_password);
  LoginOutcome second = Login("wang.police", kPassword, kT0, "10.0.0.2");
  // Callers that do not know about must-change get no principal at all.
  EXPECT_FALSE(*users_->Authenticate(first.token, kT0 + 1));
  auto session = users_->AuthenticateSession(first.token, kT0 + 1);
  ASSERT_TRUE(session && *session);
  EXPECT_TRUE((*session)->must_change_password);

  const auto change = [&](std::string_view old_password, std::string_view new_password) {
    return users_->ChangePassword("wang.police", old_password, new_password, first.token,
                                  "10.0.0.1", kT0 + 2);
  };
  EXPECT_EQ(change("wrong-password-1", "Another-pass-2026")->status,
            PasswordChangeOutcome::Status::kWrongPassword);
  EXPECT_EQ(change(kPassword, "password12345").error().code, ErrorCode::kBadValue);
  EXPECT_EQ(change(kPassword, kPassword).error().code, ErrorCode::kBadValue);
  ASSERT_EQ(change(kPassword, "Another-pass-2026")->status, PasswordChangeOutcome::Status::kOk);

  // The changing session goes on, now a full one; the other session has ended.
  auto principal = users_->Authenticate(first.token, kT0 + 3);
  ASSERT_TRUE(principal && *principal);
  EXPECT_EQ((*principal)->username, "wang.police");
  EXPECT_FALSE(*users_->AuthenticateSession(second.token, kT0 + 3));
  LoginOutcome after = Login("wang.police", "Another-pass-2026", kT0 + 4, "10.0.0.1");
  ASSERT_EQ(after.status, Status::kOk);
  EXPECT_FALSE(after.must_change_password);
  auto found = users_->FindUser("wang.police");
  EXPECT_FALSE((*found)->must_change_password);
}

TEST_F(AccountsTest, GuessesAtTheOldPasswordAreThrottledLikeSignIns) {
  Create("wang.police");
  const std::string token = Login("wang.police", kPassword, kT0, "10.0.0.1").token;
  for (int i = 0; i < 5; ++i) {
    auto outcome = users_->ChangePassword("wang.police", "guess-number-" + std::to_string(i),
                                          "Another-pass-2026", token, "10.0.0.1", kT0 + i);
    ASSERT_EQ(outcome->status, PasswordChangeOutcome::Status::kWrongPassword);
  }
  auto throttled = users_->ChangePassword("wang.police", kPassword, "Another-pass-2026", token,
                                          "10.0.0.1", kT0 + 10);
  EXPECT_EQ(throttled->status, PasswordChangeOutcome::Status::kThrottled);
}

// Item 13: an administrator's reset gives a new one-time password and ends every session.
TEST_F(AccountsTest, AResetIssuesAOneTimePasswordAndEndsSessions) {
  Create("wang.police");
  const std::string token = Login("wang.police", kPassword, kT0, "10.0.0.1").token;
  auto password = users_->ResetPassword("wang.police", kT0 + 1);
  ASSERT_TRUE(password);
  EXPECT_TRUE(CheckPassword(*password, "wang.police"));
  EXPECT_FALSE(*users_->AuthenticateSession(token, kT0 + 2));
  EXPECT_EQ(Login("wang.police", kPassword, kT0 + 3, "10.0.0.1").status, Status::kBadCredentials);
  LoginOutcome outcome = Login("wang.police", *password, kT0 + 4, "10.0.0.1");
  ASSERT_EQ(outcome.status, Status::kOk);
  EXPECT_TRUE(outcome.must_change_password);
  EXPECT_EQ(users_->ResetPassword("nobody", kT0).error().code, ErrorCode::kNotFound);
}

// Item 9: what is recorded of a username is bounded and stays valid UTF-8.
// Review item 3: failures from more addresses than the counters keep, all inside the window,
// share one counter instead of growing the maps (and the sweep under the lock stays rare).
TEST_F(AccountsTest, ThrottleCountersStayBoundedUnderAFloodOfAddresses) {
  const std::string impossible(40, 'x');  // refused before any lookup: no hashing
  for (int i = 0; i < 15'000; ++i) {
    const std::string address = "10." + std::to_string(i / 65536) + "." +
                                std::to_string(i / 256 % 256) + "." + std::to_string(i % 256);
    Login(impossible, "wrong-password-1", kT0 + i, address);
  }
  EXPECT_LE(users_->counter_keys(), 2u * 10'001 + 1);
}

// Item 9: counts still pending when the server stops are written, not lost.
TEST_F(AccountsTest, PendingFailedSignInsAreWrittenAtShutdown) {
  auto log = AuditLog::Open(*database_);
  ASSERT_TRUE(log);
  auto& audit = users_->failed_sign_in_audit();
  EXPECT_EQ(audit.Note("admin", "203.0.113.5", "bad_credentials", kT0).size(), 1u);
  for (int i = 1; i <= 3; ++i)
    EXPECT_TRUE(audit.Note("admin", "203.0.113.5", "bad_credentials", kT0 + i).empty());
  ASSERT_TRUE(FlushAllFailedSignIns(audit, **log, kT0 + 10));
  AuditFilter filter;
  filter.action = "auth.login_failed_summary";
  auto page = (*log)->List(0, 10, filter);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(Json::parse(page->items[0].entry.detail)["count"], 3);
  // Nothing is counted twice.
  ASSERT_TRUE(FlushAllFailedSignIns(audit, **log, kT0 + 20));
  EXPECT_EQ((*log)->List(0, 10, filter)->total, 1);
}

// Item 9/12: an IPv6 address counts by its /64, a mapped IPv4 one as IPv4.
TEST(SignInAddressKeyTest, GroupsIpv6ByItsSlash64) {
  EXPECT_EQ(SignInAddressKey("203.0.113.5"), "203.0.113.5");
  EXPECT_EQ(SignInAddressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(SignInAddressKey("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(SignInAddressKey("2001:db8:1:3::1"), "2001:db8:1:3::/64");
  EXPECT_EQ(SignInAddressKey("fe80::1%eth0"), "fe80::/64");
  EXPECT_EQ(SignInAddressKey("::ffff:203.0.113.5"), "203.0.113.5");
  EXPECT_EQ(SignInAddressKey(std::string(500, 'x')), std::string(64, 'x'));
}

// Item 9/12: 200 failures from distinct addresses of one IPv6 /64 share one address budget.
TEST_F(AccountsTest, RotatingThroughAnIpv6Slash64SharesOneBudget) {
  const uint64_t before = users_->password_verifications();
  std::map<Status, int> outcomes;
  for (int i = 0; i < 200; ++i) {
    char address[64];
    std::snprintf(address, sizeof address, "2001:db8:7:9:%x:%x::1", i / 16 + 1, i % 16 + 1);
    ++outcomes[Login("guess" + std::to_string(i), "wrong-password-1", kT0 + i, address).status];
  }
  EXPECT_EQ(outcomes[Status::kBadCredentials], 20);
  EXPECT_EQ(outcomes[Status::kThrottled], 180);
  EXPECT_EQ(users_->password_verifications() - before, 20u);
  // Another /64 has its own budget.
  EXPECT_EQ(Login("guess", "wrong-password-1", kT0 + 300, "2001:db8:7:a::1").status,
            Status::kBadCredentials);
}

// Item 9: the same 200 failures leave a bounded number of audit entries.
TEST(FailedSignInAuditTest, RotatingThroughAnIpv6Slash64IsOneAddress) {
  FailedSignInAudit audit;
  std::vector<AuditEntry> written;
  for (int i = 0; i < 200; ++i) {
    char address[64];
    std::snprintf(address, sizeof address, "2001:db8:7:9:%x:%x::1", i / 16 + 1, i % 16 + 1);
    for (auto& entry : audit.Note("admin", address, "bad_credentials", kT0 + i))
      written.push_back(std::move(entry));
  }
  ASSERT_EQ(written.size(), 2u);  // the first whole, a summary of the next 100
  EXPECT_EQ(written[0].action, "auth.login_failed");
  EXPECT_EQ(written[1].action, "auth.login_failed_summary");
  EXPECT_EQ(written[1].client_address, "2001:db8:7:9::/64");
  auto rest = audit.TakeAll(kT0 + 300);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(Json::parse(rest[0].detail)["count"], 99);
}

// Item 9: distinct /64s (or IPv4 addresses) get at most 100 whole entries a minute; the rest
// are counted in the shared bucket.
TEST(FailedSignInAuditTest, WholeEntriesPerWindowAreCapped) {
  FailedSignInAudit audit;
  std::vector<AuditEntry> written;
  for (int i = 0; i < 1000; ++i) {
    char address[64];
    std::snprintf(address, sizeof address, "2001:db8:%x:%x::1", i / 256 + 1, i % 256);
    for (auto& entry : audit.Note("admin", address, "bad_credentials", kT0 + i))
      written.push_back(std::move(entry));
  }
  size_t whole = 0;
  for (const auto& entry : written)
    whole += entry.action == "auth.login_failed" ? 1 : 0;
  EXPECT_EQ(whole, 101u);  // 100 addresses and the shared bucket's first
  EXPECT_LE(written.size(), 110u);
  int64_t counted = 0;
  for (const auto& entry : written)
    if (entry.action == "auth.login_failed_summary")
      counted += Json::parse(entry.detail)["count"].get<int64_t>();
  for (const auto& entry : audit.TakeAll(kT0 + 2000))
    counted += Json::parse(entry.detail)["count"].get<int64_t>();
  EXPECT_EQ(counted + static_cast<int64_t>(whole), 1000);
  // A minute on, whole entries are written again.
  EXPECT_EQ(audit.Note("admin", "198.51.100.9", "bad_credentials", kT0 + 70'000).size(), 1u);
}

TEST(FailedSignInAuditTest, CapsUsernamesOnACharacterBoundary) {
  EXPECT_EQ(CapForAudit("admin"), "admin");
  EXPECT_EQ(CapForAudit(std::string(5 << 20, 'x')), std::string(64, 'x'));
  std::string chinese;
  for (int i = 0; i < 30; ++i)
    chinese += "保";  // 3 bytes each
  EXPECT_EQ(CapForAudit(chinese), chinese.substr(0, 63));
  EXPECT_EQ(CapForAudit("ab\xff\xfe"
                        "cd"),
            "ab??cd");
  EXPECT_EQ(CapForAudit("ab\xe4\xbf"), "ab??");  // a cut sequence at the end
}

// Item 9: a flood from one address is its first failure plus counts.
TEST(FailedSignInAuditTest, AFloodBecomesOneEntryAndCountedSummaries) {
  FailedSignInAudit audit;
  const std::string huge(5 << 20, 'u');
  auto first = audit.Note(huge, "203.0.113.5", "bad_credentials", kT0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].action, "auth.login_failed");
  EXPECT_EQ(first[0].actor, std::string(64, 'u'));
  EXPECT_EQ(first[0].client_address, "203.0.113.5");
  Json detail = Json::parse(first[0].detail);
  EXPECT_EQ(detail["username_bytes"], 5 << 20);
  EXPECT_EQ(detail["username_truncated"], true);

  std::vector<AuditEntry> written;
  for (int i = 1; i <= 250; ++i) {
    const std::string name = i % 2 ? huge : "user" + std::to_string(i % 20);
    for (auto& entry :
         audit.Note(name, "203.0.113.5", i > 200 ? "throttled" : "bad_credentials", kT0 + i * 100))
      written.push_back(std::move(entry));
  }
  ASSERT_EQ(written.size(), 2u);  // at 100 and at 200
  size_t total_bytes = 0;
  for (const auto& entry : written) {
    EXPECT_EQ(entry.action, "auth.login_failed_summary");
    EXPECT_EQ(entry.actor, "*");  // several usernames
    EXPECT_EQ(Json::parse(entry.detail)["count"], 100);
    EXPECT_TRUE(Json::parse(entry.detail)["more_usernames"]);
    total_bytes += entry.detail.size() + entry.actor.size() + entry.target.size();
  }
  EXPECT_LT(total_bytes, 4000u);
  // Another address's first failure is written at once.
  EXPECT_EQ(audit.Note("admin", "198.51.100.1", "bad_credentials", kT0 + 30'000).size(), 1u);
  // Quiet for a minute: the rest is summed up, and the next failure is written whole again.
  EXPECT_TRUE(audit.TakeDue(kT0 + 25'000 + 59'000).empty());
  auto due = audit.TakeDue(kT0 + 25'000 + 60'000);
  ASSERT_EQ(due.size(), 1u);
  Json rest = Json::parse(due[0].detail);
  EXPECT_EQ(rest["count"], 50);
  EXPECT_EQ(rest["reasons"]["throttled"], 50);
  EXPECT_EQ(rest["first_at_ms"], kT0 + 20'100);
  // The other address had nothing pending: it is forgotten without an entry.
  EXPECT_EQ(audit.Note("admin", "203.0.113.5", "bad_credentials", kT0 + 200'000).size(), 1u);
}

TEST(FailedSignInAuditTest, VeryManyAddressesShareOneBucket) {
  FailedSignInAuditOptions options;
  options.max_addresses = 3;
  FailedSignInAudit audit(options);
  size_t entries = 0;
  for (int i = 0; i < 100; ++i)
    entries += audit.Note("admin", "10.0.0." + std::to_string(i), "bad_credentials", kT0).size();
  EXPECT_EQ(entries, 4u);  // three addresses and the shared bucket's first
  auto all = audit.TakeAll(kT0 + 1);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].client_address, "*");
  EXPECT_EQ(Json::parse(all[0].detail)["count"], 96);
}

}  // namespace
}  // namespace baotong::api
