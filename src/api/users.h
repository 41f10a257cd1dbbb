// Platform accounts, password sign-in, sessions and sign-in throttling (component "auth" of
// data_dir/registry.db).
//
// Passwords are stored only as argon2id hashes (libsodium crypto_pwhash_str_alg); session
// tokens are 32 random bytes, handed out once as base64url and stored only as their SHA-256.
// Throttling counters live in memory: a restart clears them, which is acceptable because a
// restart is rare and slow compared with the 15-minute window.
//
// Thread-safe: every method may be called from several threads. Database work is serialised
// by a mutex of the store; password hashing runs outside it so sign-ins do not queue.
// Times are epoch milliseconds passed in by the caller, so that tests control the clock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/roles.h"
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
  int max_failures_per_username = 5;
  int max_failures_per_address = 20;
  int64_t failure_window_ms = 15LL * 60 * 1000;
  int64_t lockout_ms = 15LL * 60 * 1000;
};

struct NewUser {
  std::string username;  // 3-32 characters of a-z 0-9 _ . -
  std::string display_name;
  std::string password;  // at least 10 characters, not an obvious one
  Role role = Role::kCheckpoint;
  std::string department;                          // empty: DefaultDepartment(role)
  std::optional<std::string> district;             // required for Role::kDistrict
  std::optional<std::string> carrier_credit_code;  // required for Role::kCarrier (GB 32100)
};

struct UserInfo {
  Principal principal;
  bool disabled = false;
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
};

class UserStore {
 public:
  static constexpr const char* kComponent = "auth";
  // Applies the auth migrations and initialises libsodium. `database` must outlive the store.
  static Result<std::unique_ptr<UserStore>> Open(store::Database& database,
                                                 UserStoreOptions options = {});

  // kBadValue with a Chinese-first detail for invalid input, kConflict for a taken username.
  Result<Principal> CreateUser(const NewUser& user, int64_t now_ms);
  // Replaces the password and ends the user's sessions. kNotFound for an unknown user.
  Result<void> SetPassword(std::string_view username, std::string_view password, int64_t now_ms);
  // Disables the account and ends its sessions (enabling undoes only the former).
  Result<void> SetDisabled(std::string_view username, bool disabled);
  Result<void> DisableUser(std::string_view username) { return SetDisabled(username, true); }
  Result<std::vector<UserInfo>> ListUsers();
  Result<std::optional<UserInfo>> FindUser(std::string_view username);

  // Checks the password and, on success, starts a session. Errors are storage failures only.
  Result<LoginOutcome> Login(std::string_view username, std::string_view password,
                             std::string_view client_address, int64_t now_ms);
  // The principal of a live session; nullopt for an unknown, expired or revoked token or a
  // disabled user. Extends the idle timeout (written at most once a minute per session).
  Result<std::optional<Principal>> Authenticate(std::string_view token, int64_t now_ms);
  Result<void> Logout(std::string_view token);
  // Deletes expired sessions; returns how many.
  Result<int64_t> PurgeExpiredSessions(int64_t now_ms);

  const UserStoreOptions& options() const { return options_; }

 private:
  UserStore(store::Database& database, UserStoreOptions options)
      : database_(database), options_(options) {}
  Result<std::string> HashPassword(std::string_view password) const;
  bool VerifyPassword(const std::string& hash, std::string_view password) const;
  // Returns the lock expiry when `key` is locked at `now_ms`.
  struct FailureCounter {
    std::vector<int64_t> failures;  // times within the window, oldest first
    int64_t locked_until_ms = 0;
  };
  std::optional<int64_t> LockedUntil(const std::map<std::string, FailureCounter>& counters,
                                     const std::string& key, int64_t now_ms) const;
  void RecordFailure(std::map<std::string, FailureCounter>& counters, const std::string& key,
                     int limit, int64_t now_ms);
  void PruneCounters(int64_t now_ms);

  store::Database& database_;
  UserStoreOptions options_;
  std::mutex database_mutex_;
  std::mutex throttle_mutex_;
  std::map<std::string, FailureCounter> username_failures_;
  std::map<std::string, FailureCounter> address_failures_;
  std::once_flag dummy_hash_once_;
  std::string dummy_hash_;  // verified against for unknown users, so timing does not tell
};

// The User object of the HTTP API: username, display_name, role, role_name, department,
// district (or null), carrier_credit_code (or null), permissions.
nlohmann::ordered_json PrincipalToJson(const Principal& principal);

// Validation used by CreateUser and SetPassword, exposed for the CLI and tests.
Result<void> CheckUsername(std::string_view username);
Result<void> CheckPassword(std::string_view password, std::string_view username);

// The session token in a Cookie header ("a=1; baotong_session=TOKEN; b=2"), or nullopt.
std::optional<std::string> SessionTokenFromCookie(std::string_view cookie_header);
// The token in "Authorization: Bearer TOKEN" (the header's value), or nullopt.
std::optional<std::string> SessionTokenFromAuthorization(std::string_view authorization_header);
inline constexpr std::string_view kSessionCookieName = "baotong_session";

}  // namespace baotong::api
