// Platform accounts, password sign-in, sessions and sign-in throttling (component "auth" of
// data_dir/registry.db).
//
// Passwords are stored only as argon2id hashes (libsodium crypto_pwhash_str_alg); session
// tokens are 32 random bytes, handed out once as base64url and stored only as their SHA-256.
// Throttling counters live in memory: a restart clears them, which is acceptable because a
// restart is rare and slow compared with the 15-minute window.
//
// Throttling. Each attempt is counted before its password is checked, under one lock, so that
// parallel attempts cannot exceed a budget (an attempt that then succeeds is taken back):
//  - per source address: max_failures_per_address in the window, any usernames; an address is
//    counted by SignInAddressKey (api/signin_audit.h), so a whole IPv6 /64 is one address;
//  - per account and address: max_failures_per_account_address in the window;
//  - per account from anywhere: beyond max_failures_per_account in the window, attempts from
//    addresses that have never signed in to the account are slowed to one per
//    account_slowdown_ms; addresses the owner signed in from are not slowed. No hard lock-out
//    per account: a stranger cannot lock the owner out.
//
// Thread-safe: every method may be called from several threads. Database work is serialised
// by a mutex of the store; password hashing runs outside it so sign-ins do not queue.
// Times are epoch milliseconds passed in by the caller, so that tests control the clock.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/roles.h"
#include "api/signin_audit.h"
#include "common/error.h"
#include "store/sqlite/database.h"

namespace baotong::api {

struct UserStoreOptions {
  int64_t session_idle_ms = 8LL * 3600 * 1000;           // since the last request
  int64_t session_absolute_ms = 7LL * 24 * 3600 * 1000;  // since sign-in
  // argon2id cost. Defaults are libsodium's INTERACTIVE (about 64 MiB, tens of ms); tests set
  // crypto_pwhash_OPSLIMIT_MIN / crypto_pwhash_MEMLIMIT_MIN. 0 means the default.
  uint64_t pwhash_opslimit = 0;
  size_t pwhash_memlimit = 0;
  int max_failures_per_address = 20;
  int max_failures_per_account_address = 5;
  int max_failures_per_account = 100;
  int64_t account_slowdown_ms = 5'000;
  int64_t failure_window_ms = 15LL * 60 * 1000;
  FailedSignInAuditOptions failure_audit;
};

struct NewUser {
  std::string username;  // 3-32 characters of a-z 0-9 _ . -
  std::string display_name;
  std::string password;               // at least 12 characters, not a common one (CheckPassword)
  bool must_change_password = false;  // a one-time password: to be changed at first sign-in
  Role role = Role::kCheckpoint;
  std::string department;                          // empty: DefaultDepartment(role)
  std::optional<std::string> district;             // required for Role::kDistrict
  std::optional<std::string> carrier_credit_code;  // required for Role::kCarrier (GB 32100)
};

struct UserInfo {
  Principal principal;
  bool disabled = false;
  bool must_change_password = false;
  int64_t created_at_ms = 0;
};

struct LoginOutcome {
  enum class Status : uint8_t {
    kOk,
    kBadCredentials,  // unknown user or wrong password (indistinguishable on purpose)
    kThrottled,       // too many failures; see throttled_until_ms
    kDisabled,        // right password, account disabled
  };
  Status status = Status::kBadCredentials;
  std::string token;  // kOk: the session token, returned this once
  std::optional<Principal> principal;
  int64_t session_expires_at_ms = 0;  // kOk: the absolute expiry
  int64_t throttled_until_ms = 0;     // kThrottled: when a new attempt is allowed
  bool must_change_password = false;  // kOk: the session may only change the password
};

// A live session: who, and whether it may do anything but change its password.
struct Session {
  Principal principal;
  bool must_change_password = false;
};

struct PasswordChangeOutcome {
  enum class Status : uint8_t { kOk, kWrongPassword, kThrottled };
  Status status = Status::kWrongPassword;
  int64_t throttled_until_ms = 0;
};

struct StoredUser;  // an account with its password hash (users.cc)

class UserStore {
 public:
  static constexpr const char* kComponent = "auth";
  // Applies the auth migrations and initialises libsodium. `database` must outlive the store.
  static Result<std::unique_ptr<UserStore>> Open(store::Database& database,
                                                 UserStoreOptions options = {});

  // kBadValue with a Chinese-first detail for invalid input, kConflict for a taken username.
  Result<Principal> CreateUser(const NewUser& user, int64_t now_ms);
  // Replaces the password and ends the user's sessions. kNotFound for an unknown user.
  // `must_change`: a one-time password, to be changed at the next sign-in.
  Result<void> SetPassword(std::string_view username, std::string_view password, int64_t now_ms,
                           bool must_change = false);
  // An administrator's reset: a new generated one-time password (returned this once), to be
  // changed at the next sign-in; the user's sessions end.
  Result<std::string> ResetPassword(std::string_view username, int64_t now_ms);
  // The user's own change: `old_password` checked (and throttled like a sign-in from
  // `client_address`), the new one checked by CheckPassword (kBadValue) and different from the
  // old; clears must-change and ends the user's other sessions (`keep_token`'s stays).
  Result<PasswordChangeOutcome> ChangePassword(std::string_view username,
                                               std::string_view old_password,
                                               std::string_view new_password,
                                               std::string_view keep_token,
                                               std::string_view client_address, int64_t now_ms);
  // Disables the account and ends its sessions (enabling undoes only the former).
  Result<void> SetDisabled(std::string_view username, bool disabled);
  Result<void> DisableUser(std::string_view username) { return SetDisabled(username, true); }
  Result<std::vector<UserInfo>> ListUsers();
  Result<std::optional<UserInfo>> FindUser(std::string_view username);

  // Checks the password and, on success, starts a session. Errors are storage failures only.
  Result<LoginOutcome> Login(std::string_view username, std::string_view password,
                             std::string_view client_address, int64_t now_ms);
  // The live session of `token`; nullopt for an unknown, expired or revoked token or a disabled
  // user. Extends the idle timeout (written at most once a minute per session).
  Result<std::optional<Session>> AuthenticateSession(std::string_view token, int64_t now_ms);
  // The principal of a live session that may act: as AuthenticateSession, and nullopt too while
  // the password must be changed (callers that do not look at must-change are safe).
  Result<std::optional<Principal>> Authenticate(std::string_view token, int64_t now_ms);
  Result<void> Logout(std::string_view token);
  // Deletes expired sessions; returns how many.
  Result<int64_t> PurgeExpiredSessions(int64_t now_ms);

  const UserStoreOptions& options() const { return options_; }
  // How many passwords have been checked against a hash (sign-ins, unknown users included, and
  // password changes): what the throttle bounds.
  uint64_t password_verifications() const { return verifications_.load(); }
  // Live counters in all maps (tests: bounded however many keys are tried).
  size_t counter_keys() {
    std::lock_guard lock(throttle_mutex_);
    return address_attempts_.size() + account_address_attempts_.size() + account_attempts_.size();
  }
  // The bounded record of failed sign-ins for the audit log.
  FailedSignInAudit& failed_sign_in_audit() { return failed_sign_in_audit_; }

 private:
  UserStore(store::Database& database, UserStoreOptions options)
      : database_(database), options_(options), failed_sign_in_audit_(options.failure_audit) {}
  Result<std::string> HashPassword(std::string_view password) const;
  bool VerifyPassword(const std::string& hash, std::string_view password) const;
  Result<std::optional<StoredUser>> FindStoredUser(std::string_view username);
  Result<void> StorePassword(std::string_view username, std::string_view hash, int64_t now_ms,
                             bool must_change, std::optional<std::string_view> keep_token);

  // Attempts in the window, oldest first; an attempt is counted before it is checked and taken
  // back when it succeeds.
  struct AttemptCounter {
    std::deque<int64_t> attempts;
    int64_t last_slowed_attempt_ms = 0;
  };
  struct Reservation {
    std::string account_key;
    std::string address_key;
    int64_t at_ms = 0;
  };
  // Counts an attempt on `account_key` from `address_key`, or returns when the next one is
  // allowed. Under throttle_mutex_.
  std::optional<int64_t> ReserveAttempt(const Reservation& attempt);
  // The attempt succeeded: it does not count, nor do the failures of this account from there.
  void ReleaseAttempt(const Reservation& attempt);
  void PruneCounters(int64_t now_ms);

  store::Database& database_;
  UserStoreOptions options_;
  std::mutex database_mutex_;
  std::mutex throttle_mutex_;
  std::map<std::string, AttemptCounter> address_attempts_;
  std::map<std::string, AttemptCounter> account_address_attempts_;
  std::map<std::string, AttemptCounter> account_attempts_;
  int64_t next_prune_ms_ = 0;  // PruneCounters sweeps at most once a second
  // Addresses each account has signed in from (the newest few), exempt from its slowdown.
  std::map<std::string, std::deque<std::string>> known_addresses_;
  mutable std::atomic<uint64_t> verifications_{0};
  FailedSignInAudit failed_sign_in_audit_;
  std::once_flag dummy_hash_once_;
  std::string dummy_hash_;  // verified against for unknown users, so timing does not tell
};

// The User object of the HTTP API: username, display_name, role, role_name, department,
// district (or null), carrier_credit_code (or null), permissions.
nlohmann::ordered_json PrincipalToJson(const Principal& principal);

// Validation used by CreateUser and SetPassword, exposed for the CLI and tests. A password has
// at least kMinPasswordCharacters characters, is not on the common-password list (nor such a
// password with digits or symbols around it), not a sequence or a repetition, and does not
// contain the username.
inline constexpr size_t kMinPasswordCharacters = 12;
Result<void> CheckUsername(std::string_view username);
Result<void> CheckPassword(std::string_view password, std::string_view username);
// A random one-time password that passes CheckPassword: 4 groups of 4 from an alphabet without
// look-alike characters, e.g. "k7Qm-x3Rt-P9wz-2hNe" (about 90 bits).
std::string GenerateOneTimePassword();

// The session token in a Cookie header ("a=1; baotong_session=TOKEN; b=2"), or nullopt.
std::optional<std::string> SessionTokenFromCookie(std::string_view cookie_header);
// The token in "Authorization: Bearer TOKEN" (the header's value), or nullopt.
std::optional<std::string> SessionTokenFromAuthorization(std::string_view authorization_header);
inline constexpr std::string_view kSessionCookieName = "baotong_session";

}  // namespace baotong::api
