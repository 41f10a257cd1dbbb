#include "api/users.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <set>

#include "api/common_passwords.h"
#include "registry/validation.h"

namespace baotong::api {

struct StoredUser {
  UserInfo info;
  std::string password_hash;
};

namespace {

constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE users(
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  department TEXT NOT NULL,
  district TEXT,
  carrier_credit_code TEXT,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  password_changed_at_ms INTEGER NOT NULL
);
CREATE TABLE sessions(
  token_sha256 TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  client_address TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
)sql",
    // A one-time password (run.sh's first accounts, an administrator's reset) must be replaced
    // before the account may do anything else.
    R"sql(
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
)sql",
};

constexpr std::string_view kUserColumns =
    "u.id, u.username, u.display_name, u.role, u.department, u.district, u.carrier_credit_code, "
    "u.disabled, u.created_at_ms, u.password_hash, u.must_change_password";
constexpr int64_t kLastSeenWriteIntervalMs = 60 * 1000;
constexpr size_t kTokenBytes = 32;
constexpr size_t kMaxPasswordBytes = 1024;
constexpr size_t kPruneAbove = 10000;
// The counter every new key shares while a map is full (no address or account is named "*").
constexpr const char* kSharedCounterKey = "*";
// Longer usernames cannot exist (CheckUsername); they are refused before any lookup.
constexpr size_t kMaxUsernameBytes = 32;
constexpr size_t kKnownAddressesPerAccount = 8;

template <typename T>
tl::unexpected<Error> Forward(const Result<T>& result) {
  return tl::unexpected(result.error());
}

// Reads the columns of kUserColumns starting at `first`.
std::optional<StoredUser> ReadUser(const store::Statement& row, int first = 0) {
  auto role = ParseRole(row.Text(first + 3));
  if (!role)
    return std::nullopt;
  StoredUser user;
  Principal& principal = user.info.principal;
  principal.user_id = row.Int(first);
  principal.username = row.Text(first + 1);
  principal.display_name = row.Text(first + 2);
  principal.role = *role;
  principal.department = row.Text(first + 4);
  principal.district = row.OptionalText(first + 5);
  principal.carrier_credit_code = row.OptionalText(first + 6);
  user.info.disabled = row.Int(first + 7) != 0;
  user.info.created_at_ms = row.Int(first + 8);
  user.password_hash = row.Text(first + 9);
  user.info.must_change_password = row.Int(first + 10) != 0;
  return user;
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data(), crypto_hash_sha256_BYTES * 2);
}

std::string NewToken() {
  std::array<unsigned char, kTokenBytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string text(sodium_base64_ENCODED_LEN(kTokenBytes, kVariant), '\0');
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), kVariant);
  text.resize(std::char_traits<char>::length(text.c_str()));
  sodium_memzero(bytes.data(), bytes.size());
  return text;
}

bool LooksLikeToken(std::string_view token) {
  if (token.size() < 16 || token.size() > 256)
    return false;
  return std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

size_t CodePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string AsciiLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return lower;
}

bool IsAsciiLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// On the list, or a listed word with digits and symbols around it ("monkey2024!",
// "!!iloveyou123"): that is how people stretch a common password to a length rule.
bool IsCommonOrPadded(const std::string& lower) {
  if (IsCommonPassword(lower))
    return true;
  size_t begin = 0;
  size_t end = lower.size();
  while (begin < end && !IsAsciiLetter(lower[begin]) &&
         static_cast<unsigned char>(lower[begin]) < 0x80)
    ++begin;
  while (end > begin && !IsAsciiLetter(lower[end - 1]) &&
         static_cast<unsigned char>(lower[end - 1]) < 0x80)
    --end;
  if (begin == 0 && end == lower.size())
    return false;
  const std::string_view core = std::string_view(lower).substr(begin, end - begin);
  return core.size() >= 4 && IsCommonPassword(core);
}

bool IsSequence(std::string_view text) {
  if (text.size() < 2)
    return true;
  int step = text[1] - text[0];
  if (step != 1 && step != -1)
    return false;
  for (size_t i = 2; i < text.size(); ++i)
    if (text[i] - text[i - 1] != step)
      return false;
  return true;
}

}  // namespace

nlohmann::ordered_json PrincipalToJson(const Principal& principal) {
  nlohmann::ordered_json json;
  json["username"] = principal.username;
  json["display_name"] = principal.display_name;
  json["role"] = RoleId(principal.role);
  json["role_name"] = RoleName(principal.role);
  json["department"] = principal.department;
  json["district"] = principal.district ? nlohmann::ordered_json(*principal.district) : nullptr;
  json["carrier_credit_code"] = principal.carrier_credit_code
                                    ? nlohmann::ordered_json(*principal.carrier_credit_code)
                                    : nullptr;
  json["permissions"] = PermissionIds(principal.role);
  return json;
}

Result<void> CheckUsername(std::string_view username) {
  const bool valid =
      username.size() >= 3 && username.size() <= 32 &&
      std::all_of(username.begin(), username.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
      });
  if (!valid)
    return Fail(ErrorCode::kBadValue,
                "用户名须为 3-32 位小写字母、数字或 _ . - (username: 3-32 characters of a-z, "
                "0-9, _ . -)");
  return {};
}

Result<void> CheckPassword(std::string_view password, std::string_view username) {
  if (password.size() > kMaxPasswordBytes)
    return Fail(ErrorCode::kBadValue, "密码过长 (password: at most 1024 bytes)");
  if (CodePoints(password) < kMinPasswordCharacters)
    return Fail(ErrorCode::kBadValue, "密码至少 12 个字符 (password: at least 12 characters)");
  const std::string lower = AsciiLower(password);
  if (IsCommonOrPadded(lower))
    return Fail(ErrorCode::kBadValue,
                "密码过于常见，请换一个 (password is on the list of common passwords)");
  const std::set<char> distinct(password.begin(), password.end());
  const bool weak = distinct.size() < 4 || IsSequence(lower) ||
                    (username.size() >= 3 && lower.find(AsciiLower(username)) != std::string::npos);
  if (weak)
    return Fail(ErrorCode::kBadValue,
                "密码过于简单：不能是常见密码、连续或重复字符，也不能包含用户名 (password too "
                "weak: common, sequential or repeated characters, or contains the username)");
  return {};
}

std::string GenerateOneTimePassword() {
  // Callers such as `baotong user add` may run before any UserStore opened libsodium;
  // sodium_init is cheap and safe to repeat.
  if (sodium_init() < 0)
    std::abort();
  // No look-alikes (0 O o 1 l I): it is read from a file or a screen and typed once.
  constexpr std::string_view kAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  while (true) {
    std::string password;
    for (int group = 0; group < 4; ++group) {
      if (group > 0)
        password.push_back('-');
      for (int i = 0; i < 4; ++i)
        password.push_back(kAlphabet[randombytes_uniform(static_cast<uint32_t>(kAlphabet.size()))]);
    }
    if (CheckPassword(password, ""))
      return password;
  }
}

std::optional<std::string> SessionTokenFromCookie(std::string_view cookie_header) {
  while (!cookie_header.empty()) {
    const size_t end = cookie_header.find(';');
    std::string_view pair = Trim(cookie_header.substr(0, end));
    cookie_header =
        end == std::string_view::npos ? std::string_view() : cookie_header.substr(end + 1);
    const size_t equals = pair.find('=');
    if (equals == std::string_view::npos || Trim(pair.substr(0, equals)) != kSessionCookieName)
      continue;
    std::string_view value = Trim(pair.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (LooksLikeToken(value))
      return std::string(value);
  }
  return std::nullopt;
}

std::optional<std::string> SessionTokenFromAuthorization(std::string_view authorization_header) {
  std::string_view value = Trim(authorization_header);
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() || AsciiLower(value.substr(0, kScheme.size())) != kScheme ||
      (value[kScheme.size()] != ' ' && value[kScheme.size()] != '\t'))
    return std::nullopt;
  value = Trim(value.substr(kScheme.size()));
  if (!LooksLikeToken(value))
    return std::nullopt;
  return std::string(value);
}

Result<std::unique_ptr<UserStore>> UserStore::Open(store::Database& database,
                                                   UserStoreOptions options) {
  if (sodium_init() < 0)
    return Fail(ErrorCode::kUnsupported, "libsodium could not be initialised");
  if (options.pwhash_opslimit == 0)
    options.pwhash_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  if (options.pwhash_memlimit == 0)
    options.pwhash_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (auto ok = database.Migrate(kComponent, kMigrations); !ok)
    return Forward(ok);
  return std::unique_ptr<UserStore>(new UserStore(database, options));
}

Result<std::string> UserStore::HashPassword(std::string_view password) const {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), options_.pwhash_opslimit,
                            options_.pwhash_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Fail(ErrorCode::kResourceLimit, "password hashing ran out of memory");
  return std::string(out.data());
}

bool UserStore::VerifyPassword(const std::string& hash, std::string_view password) const {
  verifications_.fetch_add(1);
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Result<Principal> UserStore::CreateUser(const NewUser& user, int64_t now_ms) {
  if (auto ok = CheckUsername(user.username); !ok)
    return Forward(ok);
  if (auto ok = CheckPassword(user.password, user.username); !ok)
    return Forward(ok);
  Principal principal;
  principal.username = user.username;
  principal.display_name = std::string(Trim(user.display_name));
  if (principal.display_name.empty())
    principal.display_name = user.username;
  if (principal.display_name.size() > 200)
    return Fail(ErrorCode::kBadValue, "姓名过长 (display name: at most 200 bytes)");
  principal.role = user.role;

  const bool has_district = user.district && !Trim(*user.district).empty();
  const bool has_carrier = user.carrier_credit_code && !Trim(*user.carrier_credit_code).empty();
  if (user.role == Role::kDistrict) {
    if (!has_district)
      return Fail(ErrorCode::kBadValue, "区县政府账号须指定所属区县 (district: required)");
    principal.district = std::string(Trim(*user.district));
  } else if (has_district) {
    return Fail(ErrorCode::kBadValue,
                "只有区县政府账号可指定区县 (district: only for the district role)");
  }
  if (user.role == Role::kCarrier) {
    if (!has_carrier)
      return Fail(ErrorCode::kBadValue,
                  "运输企业账号须指定统一社会信用代码 (carrier credit code: required)");
    auto code = registry::NormaliseCreditCode(Trim(*user.carrier_credit_code));
    if (!code)
      return Fail(ErrorCode::kBadValue,
                  "统一社会信用代码无效 (carrier credit code: invalid, see GB 32100)");
    principal.carrier_credit_code = std::move(*code);
  } else if (has_carrier) {
    return Fail(ErrorCode::kBadValue,
                "只有运输企业账号可指定信用代码 (carrier credit code: only for the carrier role)");
  }
  principal.department = std::string(Trim(user.department));
  if (principal.department.empty()) {
    if (principal.district)
      principal.department = *principal.district + "人民政府";
    else if (principal.carrier_credit_code)
      principal.department = "运输企业 " + *principal.carrier_credit_code;
    else
      principal.department = std::string(DefaultDepartment(user.role));
  }

  auto hash = HashPassword(user.password);
  if (!hash)
    return Forward(hash);

  std::lock_guard lock(database_mutex_);
  auto insert = database_.Prepare(
      "INSERT INTO users(username, display_name, password_hash, role, department, district, "
      "carrier_credit_code, created_at_ms, password_changed_at_ms, must_change_password) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(username) DO NOTHING RETURNING id");
  if (!insert)
    return Forward(insert);
  insert->Bind(1, std::string_view(principal.username))
      .Bind(2, std::string_view(principal.display_name))
      .Bind(3, std::string_view(*hash))
      .Bind(4, RoleId(principal.role))
      .Bind(5, std::string_view(principal.department))
      .Bind(6, principal.district)
      .Bind(7, principal.carrier_credit_code)
      .Bind(8, now_ms)
      .Bind(9, now_ms)
      .Bind(10, int64_t{user.must_change_password ? 1 : 0});
  auto row = insert->Step();
  if (!row)
    return Forward(row);
  if (!*row)
    return Fail(ErrorCode::kConflict, "用户名已存在 (username already taken)");
  principal.user_id = insert->Int(0);
  // Let the statement finish so that the insert is complete before returning.
  if (auto done = insert->Step(); !done)
    return Forward(done);
  return principal;
}

Result<void> UserStore::SetPassword(std::string_view username, std::string_view password,
                                    int64_t now_ms, bool must_change) {
  if (auto ok = CheckPassword(password, username); !ok)
    return ok;
  auto hash = HashPassword(password);
  if (!hash)
    return Forward(hash);
  return StorePassword(username, *hash, now_ms, must_change, std::nullopt);
}

Result<std::string> UserStore::ResetPassword(std::string_view username, int64_t now_ms) {
  std::string password = GenerateOneTimePassword();
  if (auto ok = SetPassword(username, password, now_ms, /*must_change=*/true); !ok)
    return Forward(ok);
  return password;
}

Result<PasswordChangeOutcome> UserStore::ChangePassword(
    std::string_view username, std::string_view old_password, std::string_view new_password,
    std::string_view keep_token, std::string_view client_address, int64_t now_ms) {
  if (auto ok = CheckPassword(new_password, username); !ok)
    return Forward(ok);
  if (old_password == new_password)
    return Fail(ErrorCode::kBadValue, "新密码不能与原密码相同 (the new password must differ)");
  PasswordChangeOutcome outcome;
  // The old password is guessed like a sign-in: same budget, same counters.
  const Reservation attempt{std::string(username.substr(0, kMaxUsernameBytes)),
                            SignInAddressKey(client_address), now_ms};
  {
    std::lock_guard lock(throttle_mutex_);
    if (auto until = ReserveAttempt(attempt)) {
      outcome.status = PasswordChangeOutcome::Status::kThrottled;
      outcome.throttled_until_ms = *until;
      return outcome;
    }
  }
  auto user = FindStoredUser(username);
  if (!user)
    return Forward(user);
  if (!*user || old_password.size() > kMaxPasswordBytes ||
      !VerifyPassword((*user)->password_hash, old_password)) {
    outcome.status = PasswordChangeOutcome::Status::kWrongPassword;
    return outcome;
  }
  {
    std::lock_guard lock(throttle_mutex_);
    ReleaseAttempt(attempt);
  }
  auto hash = HashPassword(new_password);
  if (!hash)
    return Forward(hash);
  if (auto ok = StorePassword(username, *hash, now_ms, /*must_change=*/false, keep_token); !ok)
    return Forward(ok);
  outcome.status = PasswordChangeOutcome::Status::kOk;
  return outcome;
}

Result<std::optional<StoredUser>> UserStore::FindStoredUser(std::string_view username) {
  std::lock_guard lock(database_mutex_);
  auto select = database_.Prepare("SELECT " + std::string(kUserColumns) +
                                  " FROM users u WHERE u.username = ?");
  if (!select)
    return Forward(select);
  select->Bind(1, username);
  auto row = select->Step();
  if (!row)
    return Forward(row);
  if (!*row)
    return std::optional<StoredUser>();
  return ReadUser(*select);
}

Result<void> UserStore::StorePassword(std::string_view username, std::string_view hash,
                                      int64_t now_ms, bool must_change,
                                      std::optional<std::string_view> keep_token) {
  std::lock_guard lock(database_mutex_);
  auto transaction = store::Transaction::Begin(database_);
  if (!transaction)
    return Forward(transaction);
  auto update = database_.Prepare(
      "UPDATE users SET password_hash = ?, password_changed_at_ms = ?, must_change_password = ? "
      "WHERE username = ? RETURNING id");
  if (!update)
    return Forward(update);
  update->Bind(1, hash).Bind(2, now_ms).Bind(3, int64_t{must_change ? 1 : 0}).Bind(4, username);
  auto row = update->Step();
  if (!row)
    return Forward(row);
  if (!*row)
    return Fail(ErrorCode::kNotFound, "用户不存在 (no such user)");
  const int64_t user_id = update->Int(0);
  if (auto done = update->Step(); !done)
    return Forward(done);
  // Whoever knew the old password may hold a session: all end, but the one that changed it.
  auto end_sessions =
      database_.Prepare("DELETE FROM sessions WHERE user_id = ? AND token_sha256 != ?");
  if (!end_sessions)
    return Forward(end_sessions);
  const std::string kept = keep_token ? Sha256Hex(*keep_token) : std::string();
  if (auto ok = end_sessions->Bind(1, user_id).Bind(2, std::string_view(kept)).Run(); !ok)
    return ok;
  return transaction->Commit();
}

Result<void> UserStore::SetDisabled(std::string_view username, bool disabled) {
  std::lock_guard lock(database_mutex_);
  auto transaction = store::Transaction::Begin(database_);
  if (!transaction)
    return Forward(transaction);
  auto update = database_.Prepare("UPDATE users SET disabled = ? WHERE username = ? RETURNING id");
  if (!update)
    return Forward(update);
  update->Bind(1, int64_t{disabled ? 1 : 0}).Bind(2, username);
  auto row = update->Step();
  if (!row)
    return Forward(row);
  if (!*row)
    return Fail(ErrorCode::kNotFound, "用户不存在 (no such user)");
  const int64_t user_id = update->Int(0);
  if (auto done = update->Step(); !done)
    return Forward(done);
  if (disabled) {
    auto end_sessions = database_.Prepare("DELETE FROM sessions WHERE user_id = ?");
    if (!end_sessions)
      return Forward(end_sessions);
    if (auto ok = end_sessions->Bind(1, user_id).Run(); !ok)
      return ok;
  }
  return transaction->Commit();
}

Result<std::vector<UserInfo>> UserStore::ListUsers() {
  std::lock_guard lock(database_mutex_);
  auto select = database_.Prepare("SELECT " + std::string(kUserColumns) +
                                  " FROM users u ORDER BY u.username");
  if (!select)
    return Forward(select);
  std::vector<UserInfo> users;
  while (true) {
    auto row = select->Step();
    if (!row)
      return Forward(row);
    if (!*row)
      break;
    if (auto user = ReadUser(*select))
      users.push_back(std::move(user->info));
  }
  return users;
}

Result<std::optional<UserInfo>> UserStore::FindUser(std::string_view username) {
  auto user = FindStoredUser(username);
  if (!user)
    return Forward(user);
  if (!*user)
    return std::optional<UserInfo>();
  return std::optional<UserInfo>(std::move((*user)->info));
}

namespace {

// Drops attempts that have left the window.
void Expire(std::deque<int64_t>& attempts, int64_t now_ms, int64_t window_ms) {
  while (!attempts.empty() && attempts.front() <= now_ms - window_ms)
    attempts.pop_front();
}

// Removes one attempt made at `at_ms` (any one: they are alike).
void TakeBack(std::deque<int64_t>& attempts, int64_t at_ms) {
  auto it = std::find(attempts.rbegin(), attempts.rend(), at_ms);
  if (it != attempts.rend())
    attempts.erase(std::next(it).base());
}

}  // namespace

std::optional<int64_t> UserStore::ReserveAttempt(const Reservation& attempt) {
  const int64_t now = attempt.at_ms;
  const int64_t window = options_.failure_window_ms;
  PruneCounters(now);
  // When the oldest attempt that keeps a full budget full leaves the window.
  const auto full_until = [&](std::deque<int64_t>& attempts, int limit) -> std::optional<int64_t> {
    Expire(attempts, now, window);
    if (limit <= 0 || static_cast<int>(attempts.size()) < limit)
      return std::nullopt;
    return attempts[attempts.size() - static_cast<size_t>(limit)] + window;
  };
  // Still full after a sweep: new keys share one counter ("*") instead of growing the maps.
  const auto counter = [](std::map<std::string, AttemptCounter>& counters,
                          const std::string& key) -> AttemptCounter& {
    if (counters.size() >= kPruneAbove && !counters.contains(key))
      return counters[kSharedCounterKey];
    return counters[key];
  };
  AttemptCounter& address = counter(address_attempts_, attempt.address_key);
  AttemptCounter& pair =
      counter(account_address_attempts_, attempt.account_key + '\n' + attempt.address_key);
  AttemptCounter& account = counter(account_attempts_, attempt.account_key);
  std::optional<int64_t> until;
  if (auto full = full_until(address.attempts, options_.max_failures_per_address))
    until = full;
  if (auto full = full_until(pair.attempts, options_.max_failures_per_account_address))
    until = std::max(until.value_or(0), *full);
  if (until)
    return until;
  // Many failures on the account from everywhere: slow strangers down, never the owner.
  if (full_until(account.attempts, options_.max_failures_per_account)) {
    const auto known = known_addresses_.find(attempt.account_key);
    const bool owner_address =
        known != known_addresses_.end() && std::find(known->second.begin(), known->second.end(),
                                                     attempt.address_key) != known->second.end();
    if (!owner_address) {
      if (now < account.last_slowed_attempt_ms + options_.account_slowdown_ms)
        return account.last_slowed_attempt_ms + options_.account_slowdown_ms;
      account.last_slowed_attempt_ms = now;
    }
  }
  address.attempts.push_back(now);
  pair.attempts.push_back(now);
  account.attempts.push_back(now);
  return std::nullopt;
}

void UserStore::ReleaseAttempt(const Reservation& attempt) {
  if (auto it = address_attempts_.find(attempt.address_key); it != address_attempts_.end())
    TakeBack(it->second.attempts, attempt.at_ms);
  if (auto it = account_attempts_.find(attempt.account_key); it != account_attempts_.end())
    TakeBack(it->second.attempts, attempt.at_ms);
  // Failures of this account from this address before a success do not count any more.
  account_address_attempts_.erase(attempt.account_key + '\n' + attempt.address_key);
  auto& known = known_addresses_[attempt.account_key];
  std::erase(known, attempt.address_key);
  known.push_back(attempt.address_key);
  if (known.size() > kKnownAddressesPerAccount)
    known.pop_front();
}

void UserStore::PruneCounters(int64_t now_ms) {
  // A sweep walks every counter under the lock: at most once a second, however many sign-ins.
  if (now_ms < next_prune_ms_)
    return;
  next_prune_ms_ = now_ms + 1000;
  for (auto* counters : {&address_attempts_, &account_address_attempts_, &account_attempts_}) {
    if (counters->size() <= kPruneAbove)
      continue;
    for (auto it = counters->begin(); it != counters->end();) {
      Expire(it->second.attempts, now_ms, options_.failure_window_ms);
      const bool idle = it->second.attempts.empty() &&
                        it->second.last_slowed_attempt_ms <= now_ms - options_.account_slowdown_ms;
      it = idle ? counters->erase(it) : std::next(it);
    }
  }
}

Result<LoginOutcome> UserStore::Login(std::string_view username, std::string_view password,
                                      std::string_view client_address, int64_t now_ms) {
  // Bounded keys: a hostile client cannot make the counters hold long strings.
  // The address counts by SignInAddressKey: a whole IPv6 /64 is one address.
  const Reservation attempt{std::string(username.substr(0, kMaxUsernameBytes + 1)),
                            SignInAddressKey(client_address), now_ms};
  LoginOutcome outcome;
  {
    // Counted before the password is checked, under one lock: parallel attempts cannot
    // overrun the budget.
    std::lock_guard lock(throttle_mutex_);
    if (auto until = ReserveAttempt(attempt)) {
      outcome.status = LoginOutcome::Status::kThrottled;
      outcome.throttled_until_ms = *until;
      return outcome;
    }
  }

  // A username that cannot exist, or a password no account can have, fails without a lookup
  // (the rules are public, so the quicker answer tells nothing).
  std::optional<StoredUser> user;
  const bool plausible = password.size() <= kMaxPasswordBytes && CheckUsername(username);
  if (plausible) {
    auto found = FindStoredUser(username);
    if (!found)
      return Forward(found);
    user = std::move(*found);
  }

  bool verified = false;
  if (user) {
    verified = VerifyPassword(user->password_hash, password);
  } else if (plausible) {
    // Spend the same time as for a real account, so that response times do not tell which
    // usernames exist.
    std::call_once(dummy_hash_once_, [this] {
      dummy_hash_ = HashPassword("baotong-no-such-user").value_or(std::string());
    });
    if (!dummy_hash_.empty())
      VerifyPassword(dummy_hash_, password);
  }

  if (!verified) {
    outcome.status = LoginOutcome::Status::kBadCredentials;
    return outcome;
  }
  {
    std::lock_guard lock(throttle_mutex_);
    ReleaseAttempt(attempt);
  }
  if (user->info.disabled) {
    outcome.status = LoginOutcome::Status::kDisabled;
    return outcome;
  }

  std::string token = NewToken();
  const int64_t expires_at = now_ms + options_.session_absolute_ms;
  {
    std::lock_guard lock(database_mutex_);
    auto insert = database_.Prepare(
        "INSERT INTO sessions(token_sha256, user_id, client_address, created_at_ms, "
        "last_seen_ms, expires_at_ms) VALUES(?, ?, ?, ?, ?, ?)");
    if (!insert)
      return Forward(insert);
    insert->Bind(1, std::string_view(Sha256Hex(token)))
        .Bind(2, user->info.principal.user_id)
        .Bind(3, client_address.substr(0, 64))
        .Bind(4, now_ms)
        .Bind(5, now_ms)
        .Bind(6, expires_at);
    if (auto ok = insert->Run(); !ok)
      return Forward(ok);
  }
  outcome.status = LoginOutcome::Status::kOk;
  outcome.token = std::move(token);
  outcome.principal = std::move(user->info.principal);
  outcome.session_expires_at_ms = expires_at;
  outcome.must_change_password = user->info.must_change_password;
  return outcome;
}

Result<std::optional<Session>> UserStore::AuthenticateSession(std::string_view token,
                                                              int64_t now_ms) {
  if (!LooksLikeToken(token))
    return std::optional<Session>();
  const std::string token_hash = Sha256Hex(token);
  std::lock_guard lock(database_mutex_);
  auto select =
      database_.Prepare("SELECT s.created_at_ms, s.last_seen_ms, " + std::string(kUserColumns) +
                        " FROM sessions s JOIN users u ON u.id = s.user_id"
                        " WHERE s.token_sha256 = ?");
  if (!select)
    return Forward(select);
  select->Bind(1, std::string_view(token_hash));
  auto row = select->Step();
  if (!row)
    return Forward(row);
  if (!*row)
    return std::optional<Session>();
  const int64_t created_at = select->Int(0);
  const int64_t last_seen = select->Int(1);
  auto user = ReadUser(*select, 2);
  select->Reset();

  const bool expired = now_ms - last_seen >= options_.session_idle_ms ||
                       now_ms - created_at >= options_.session_absolute_ms;
  if (!user || user->info.disabled || expired) {
    auto remove = database_.Prepare("DELETE FROM sessions WHERE token_sha256 = ?");
    if (!remove)
      return Forward(remove);
    if (auto ok = remove->Bind(1, std::string_view(token_hash)).Run(); !ok)
      return Forward(ok);
    return std::optional<Session>();
  }
  if (now_ms - last_seen >= kLastSeenWriteIntervalMs) {
    auto touch = database_.Prepare("UPDATE sessions SET last_seen_ms = ? WHERE token_sha256 = ?");
    if (!touch)
      return Forward(touch);
    if (auto ok = touch->Bind(1, now_ms).Bind(2, std::string_view(token_hash)).Run(); !ok)
      return Forward(ok);
  }
  return std::optional<Session>(
      Session{std::move(user->info.principal), user->info.must_change_password});
}

Result<std::optional<Principal>> UserStore::Authenticate(std::string_view token, int64_t now_ms) {
  auto session = AuthenticateSession(token, now_ms);
  if (!session)
    return Forward(session);
  if (!*session || (*session)->must_change_password)
    return std::optional<Principal>();
  return std::optional<Principal>(std::move((*session)->principal));
}

Result<void> UserStore::Logout(std::string_view token) {
  if (!LooksLikeToken(token))
    return {};
  std::lock_guard lock(database_mutex_);
  auto remove = database_.Prepare("DELETE FROM sessions WHERE token_sha256 = ?");
  if (!remove)
    return Forward(remove);
  return remove->Bind(1, std::string_view(Sha256Hex(token))).Run();
}

Result<int64_t> UserStore::PurgeExpiredSessions(int64_t now_ms) {
  std::lock_guard lock(database_mutex_);
  auto remove = database_.Prepare(
      "DELETE FROM sessions WHERE expires_at_ms <= ? OR last_seen_ms <= ? RETURNING 1");
  if (!remove)
    return Forward(remove);
  remove->Bind(1, now_ms).Bind(2, now_ms - options_.session_idle_ms);
  int64_t removed = 0;
  while (true) {
    auto row = remove->Step();
    if (!row)
      return Forward(row);
    if (!*row)
      break;
    ++removed;
  }
  return removed;
}

}  // namespace baotong::api
