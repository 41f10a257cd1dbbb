// `baotong user ...` and `baotong audit verify`: account administration and the audit check
// from the command line. This is how the first administrator is created:
//   printf '%s\n' "$PASSWORD" | baotong user add --username admin --role admin
// Passwords are read from standard input (one line), never from arguments, so that they do not
// show in the process list or the shell history. Passwords follow api::CheckPassword (at least
// 12 characters, not a common one). Instead of reading one, `user add` and `user reset` can
// generate a one-time password into a new 0600 file (--one-time-password-file): the account
// must change it at its first sign-in.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace baotong::app {

// Adds the `user` and `audit` subcommands; their callbacks set exit_code.
void AddAdminCommands(CLI::App& app, int& exit_code);

struct UserAddOptions {
  std::string data_dir = "data";
  std::string username;
  std::string role;
  std::string display_name;
  std::string department;
  std::optional<std::string> district;
  std::optional<std::string> carrier_credit_code;
  // Generate a one-time password into this new file (mode 0600) instead of reading stdin.
  std::optional<std::string> one_time_password_file;
  bool must_change = false;  // a password read from stdin must be changed at first sign-in
};

// Each returns the exit code: 0 done, 1 refused or failed (the reason on `err`), 2 bad usage.
// Output on `out` is JSON, one object per line.
int RunUserAdd(const UserAddOptions& options, std::istream& password_in, std::ostream& out,
               std::ostream& err);
int RunUserList(const std::string& data_dir, std::ostream& out, std::ostream& err);
int RunUserPasswd(const std::string& data_dir, const std::string& username,
                  std::istream& password_in, std::ostream& out, std::ostream& err,
                  bool must_change = false);
// A generated one-time password, to be changed at the next sign-in; the user's sessions end.
// Written to `one_time_password_file` (a new 0600 file) when given, else printed on `out` as
// {"username":...,"one_time_password":...}.
int RunUserReset(const std::string& data_dir, const std::string& username,
                 const std::optional<std::string>& one_time_password_file, std::ostream& out,
                 std::ostream& err);
// Writes `secret` and a newline to a new file only its owner can read (fails if it exists).
bool WriteSecretFile(const std::string& path, std::string_view secret, std::ostream& err);
int RunUserDisable(const std::string& data_dir, const std::string& username, std::ostream& out,
                   std::ostream& err);
// A chain head kept elsewhere (issue 13): the JSON line `baotong audit head` prints, in a
// file, or its two values given directly.
struct AuditAnchorOptions {
  std::optional<std::string> file;
  std::optional<std::string> head_hash;
  std::optional<int64_t> entries;
};

// Prints {"ok":true,"entries":N,"head_hash":"...","keyed_from_id":K} and returns 0, or
// {"ok":false,"entries":N,"first_bad_id":ID,"reason":"..."} and returns 1. With an anchor, the
// chain must also still hold the anchor's hash at the anchor's position.
int RunAuditVerify(const std::string& data_dir, std::ostream& out, std::ostream& err,
                   const AuditAnchorOptions& anchor = {});
// Verifies the chain, then prints its head {"entries":N,"head_hash":"..."} (one line, the
// anchor format) for a department to keep elsewhere.
int RunAuditHead(const std::string& data_dir, std::ostream& out, std::ostream& err);
// `baotong keys rotate`: a new field key (aes-256-gcm or sm4-gcm) seals every personal field
// and pass body again in one transaction; the old keys are then dropped from the key file.
// Run it with the server stopped (a running server holds the old keys only).
int RunKeysRotate(const std::string& data_dir, const std::string& algorithm, std::ostream& out,
                  std::ostream& err);

}  // namespace baotong::app
