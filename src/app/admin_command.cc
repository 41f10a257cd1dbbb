#include "app/admin_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/audit_log.h"
#include "api/users.h"
#include "common/clock.h"
#include "common/field_cipher.h"
#include "common/secret_file.h"
#include "pass/pass_store.h"
#include "registry/registry_store.h"
#include "store/sqlite/database.h"

namespace baotong::app {
namespace {

using Json = nlohmann::ordered_json;

struct Stores {
  std::unique_ptr<store::Database> database;
  std::unique_ptr<api::UserStore> users;
  std::unique_ptr<api::AuditLog> audit;
};

std::optional<Stores> OpenStores(const std::string& data_dir, std::ostream& err) {
  Stores stores;
  auto database = store::Database::Open(std::filesystem::path(data_dir) / "registry.db");
  if (!database) {
    err << "无法打开数据库 (cannot open the database): " << database.error().Message() << '\n';
    return std::nullopt;
  }
  stores.database = std::move(*database);
  auto users = api::UserStore::Open(*stores.database);
  if (!users) {
    err << users.error().Message() << ": " << stores.database->LastMessage() << '\n';
    return std::nullopt;
  }
  stores.users = std::move(*users);
  auto audit = api::AuditLog::Open(*stores.database);
  if (!audit) {
    err << audit.error().Message() << ": " << stores.database->LastMessage() << '\n';
    return std::nullopt;
  }
  stores.audit = std::move(*audit);
  return stores;
}

// One line from `in`, without the line end. Echo is off when it is a terminal.
std::optional<std::string> ReadPassword(std::istream& in, std::ostream& err) {
  const bool terminal = &in == &std::cin && ::isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (terminal) {
    err << "密码 (password): " << std::flush;
    if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  }
  std::string line;
  const bool read = static_cast<bool>(std::getline(in, line));
  if (terminal) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    err << '\n';
  }
  if (!read) {
    err << "未从标准输入读到密码 (no password on standard input)\n";
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

// The CLI acts as "cli" in the audit log: whoever runs it has the database file anyway.
bool Audit(api::AuditLog& audit, std::string action, std::string target, Json detail,
           std::ostream& err) {
  api::AuditEntry entry;
  entry.at_ms = NowMs();
  entry.actor = "cli";
  entry.action = std::move(action);
  entry.target = std::move(target);
  entry.detail = detail.dump();
  if (auto ok = audit.Append(entry); !ok) {
    err << "审计日志写入失败 (audit log append failed): " << ok.error().Message() << '\n';
    return false;
  }
  return true;
}

int Report(const Error& error, std::ostream& err) {
  err << error.detail << '\n';
  return 1;
}

}  // namespace

bool WriteSecretFile(const std::string& path, std::string_view secret, std::ostream& err) {
  const std::filesystem::path file(path);
  std::error_code ignored;
  if (file.has_parent_path() && !std::filesystem::exists(file.parent_path())) {
    std::filesystem::create_directories(file.parent_path(), ignored);
    ::chmod(file.parent_path().c_str(), 0700);
  }
  auto created = crypto::CreateSecretFile(file, [&] { return std::string(secret) + '\n'; });
  if (!created) {
    err << "密码文件写入失败 (cannot write the password file): " << path << '\n';
    return false;
  }
  if (!*created) {
    err << "无法新建密码文件 (cannot create the password file, it must not exist yet): " << path
        << '\n';
    return false;
  }
  return true;
}

int RunUserAdd(const UserAddOptions& options, std::istream& password_in, std::ostream& out,
               std::ostream& err) {
  auto role = api::ParseRole(options.role);
  if (!role) {
    err << "未知角色 (unknown role) '" << options.role
        << "': admin, transport, police, health, district, checkpoint, carrier\n";
    return 2;
  }
  api::NewUser user;
  user.username = options.username;
  user.display_name = options.display_name;
  user.role = *role;
  user.department = options.department;
  user.district = options.district;
  user.carrier_credit_code = options.carrier_credit_code;
  // Validate what can be validated before asking for the password.
  if (auto ok = api::CheckUsername(user.username); !ok)
    return Report(ok.error(), err);
  if (options.one_time_password_file) {
    user.password = api::GenerateOneTimePassword();
    user.must_change_password = true;
  } else {
    auto password = ReadPassword(password_in, err);
    if (!password)
      return 1;
    user.password = std::move(*password);
    user.must_change_password = options.must_change;
  }

  auto stores = OpenStores(options.data_dir, err);
  if (!stores)
    return 1;
  // The file first: an account whose one-time password was lost would need a reset.
  if (options.one_time_password_file) {
    if (auto taken = stores->users->FindUser(user.username); taken && *taken) {
      err << "用户名已存在 (username already taken)\n";
      return 1;
    }
    if (!WriteSecretFile(*options.one_time_password_file, user.password, err))
      return 1;
  }
  auto created = stores->users->CreateUser(user, NowMs());
  std::fill(user.password.begin(), user.password.end(), '\0');
  if (!created) {
    if (options.one_time_password_file)
      ::unlink(options.one_time_password_file->c_str());
    return Report(created.error(), err);
  }
  if (!Audit(*stores->audit, "user.create", "users/" + created->username,
             Json{{"role", api::RoleId(created->role)},
                  {"department", created->department},
                  {"must_change_password", user.must_change_password}},
             err))
    return 1;
  out << api::PrincipalToJson(*created).dump() << '\n';
  return 0;
}

int RunUserList(const std::string& data_dir, std::ostream& out, std::ostream& err) {
  auto stores = OpenStores(data_dir, err);
  if (!stores)
    return 1;
  auto users = stores->users->ListUsers();
  if (!users)
    return Report(users.error(), err);
  for (const api::UserInfo& user : *users) {
    Json json = api::PrincipalToJson(user.principal);
    json.erase("permissions");
    json["disabled"] = user.disabled;
    json["must_change_password"] = user.must_change_password;
    json["created_at_ms"] = user.created_at_ms;
    out << json.dump() << '\n';
  }
  return 0;
}

int RunUserPasswd(const std::string& data_dir, const std::string& username,
                  std::istream& password_in, std::ostream& out, std::ostream& err,
                  bool must_change) {
  auto password = ReadPassword(password_in, err);
  if (!password)
    return 1;
  auto stores = OpenStores(data_dir, err);
  if (!stores)
    return 1;
  auto ok = stores->users->SetPassword(username, *password, NowMs(), must_change);
  std::fill(password->begin(), password->end(), '\0');
  if (!ok)
    return Report(ok.error(), err);
  if (!Audit(*stores->audit, "user.password_set", "users/" + username,
             Json{{"must_change_password", must_change}}, err))
    return 1;
  out << Json{{"ok", true}, {"username", username}}.dump() << '\n';
  return 0;
}

int RunUserReset(const std::string& data_dir, const std::string& username,
                 const std::optional<std::string>& one_time_password_file, std::ostream& out,
                 std::ostream& err) {
  auto stores = OpenStores(data_dir, err);
  if (!stores)
    return 1;
  auto found = stores->users->FindUser(username);
  if (!found)
    return Report(found.error(), err);
  if (!*found) {
    err << "用户不存在 (no such user)\n";
    return 1;
  }
  std::string password = api::GenerateOneTimePassword();
  if (one_time_password_file && !WriteSecretFile(*one_time_password_file, password, err))
    return 1;
  auto ok = stores->users->SetPassword(username, password, NowMs(), /*must_change=*/true);
  if (!ok) {
    if (one_time_password_file)
      ::unlink(one_time_password_file->c_str());
    return Report(ok.error(), err);
  }
  if (!Audit(*stores->audit, "user.password_reset", "users/" + username,
             Json{{"must_change_password", true}}, err))
    return 1;
  Json result{{"ok", true}, {"username", username}, {"must_change_password", true}};
  if (!one_time_password_file)
    result["one_time_password"] = password;
  std::fill(password.begin(), password.end(), '\0');
  out << result.dump() << '\n';
  return 0;
}

int RunUserDisable(const std::string& data_dir, const std::string& username, std::ostream& out,
                   std::ostream& err) {
  auto stores = OpenStores(data_dir, err);
  if (!stores)
    return 1;
  if (auto ok = stores->users->DisableUser(username); !ok)
    return Report(ok.error(), err);
  if (!Audit(*stores->audit, "user.disable", "users/" + username, Json::object(), err))
    return 1;
  out << Json{{"ok", true}, {"username", username}, {"disabled", true}}.dump() << '\n';
  return 0;
}

namespace {

// The anchor to check, from a file written by `audit head` or from the two options.
std::optional<std::optional<api::AuditAnchor>> ReadAnchor(const AuditAnchorOptions& options,
                                                          std::ostream& err) {
  if (!options.file && !options.head_hash && !options.entries)
    return std::optional<api::AuditAnchor>();
  api::AuditAnchor anchor;
  if (options.file) {
    if (options.head_hash || options.entries) {
      err << "--anchor 与 --anchor-hash/--anchor-entries 只能选一种 (give a file or the values)\n";
      return std::nullopt;
    }
    std::ifstream in(*options.file);
    std::string line;
    if (!in || !std::getline(in, line)) {
      err << "无法读取链头文件 (cannot read the anchor file)\n";
      return std::nullopt;
    }
    Json json = Json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.contains("entries") || !json["entries"].is_number_integer() ||
        !json.contains("head_hash") || !json["head_hash"].is_string()) {
      err << "链头文件应为 audit head 的输出 (the anchor file is not what `audit head` prints)\n";
      return std::nullopt;
    }
    anchor.entries = json["entries"].get<int64_t>();
    anchor.head_hash = json["head_hash"].get<std::string>();
  } else {
    if (!options.head_hash || !options.entries) {
      err << "--anchor-hash 与 --anchor-entries 须同时给出 (give both)\n";
      return std::nullopt;
    }
    anchor.entries = *options.entries;
    anchor.head_hash = *options.head_hash;
  }
  if (anchor.entries < 0 || anchor.head_hash.size() != 64) {
    err << "链头无效 (an anchor is a count of entries and a 64-character hash)\n";
    return std::nullopt;
  }
  return std::optional<api::AuditAnchor>(anchor);
}

}  // namespace

int RunAuditVerify(const std::string& data_dir, std::ostream& out, std::ostream& err,
                   const AuditAnchorOptions& anchor_options) {
  auto anchor = ReadAnchor(anchor_options, err);
  if (!anchor)
    return 2;
  auto stores = OpenStores(data_dir, err);
  if (!stores)
    return 1;
  auto report = stores->audit->Verify(*anchor);
  if (!report)
    return Report(report.error(), err);
  Json json{{"ok", report->ok}, {"entries", report->entries}};
  if (report->ok) {
    json["head_hash"] = report->head_hash;
    json["keyed_from_id"] = report->keyed_from_id;
    if (*anchor)
      json["anchor_entries"] = (*anchor)->entries;
  } else {
    json["first_bad_id"] = report->first_bad_id ? Json(*report->first_bad_id) : Json(nullptr);
    json["reason"] = report->reason;
  }
  out << json.dump() << '\n';
  return report->ok ? 0 : 1;
}

int RunAuditHead(const std::string& data_dir, std::ostream& out, std::ostream& err) {
  auto stores = OpenStores(data_dir, err);
  if (!stores)
    return 1;
  auto report = stores->audit->Verify();
  if (!report)
    return Report(report.error(), err);
  if (!report->ok) {
    err << "审计链校验未通过，不输出链头 (the chain does not verify: " << report->reason << ")\n";
    return 1;
  }
  out << Json{{"entries", report->entries}, {"head_hash", report->head_hash}}.dump() << '\n';
  return 0;
}

int RunKeysRotate(const std::string& data_dir, const std::string& algorithm, std::ostream& out,
                  std::ostream& err) {
  auto stores = OpenStores(data_dir, err);
  if (!stores)
    return 1;
  store::Database& database = *stores->database;
  // Seals a database still in plain text first (what opening the registry and the passes does).
  if (auto migrated = pass::PassStore::Migrate(database); !migrated)
    return Report(migrated.error(), err);
  const auto key_file = std::filesystem::path(data_dir) / crypto::FieldCipher::kFileName;
  // A running server holds the keys shared and would go on sealing under the one retired here.
  auto in_use = crypto::FieldKeysLock::Take(key_file, crypto::FieldKeysLock::Mode::kExclusive);
  if (!in_use) {
    if (in_use.error().code == ErrorCode::kConflict) {
      err << "平台正在运行，不能轮换密钥：请先停止 baotong serve (the platform is running: stop "
             "baotong serve, then rotate)\n";
      return 1;
    }
    return Report(in_use.error(), err);
  }
  auto cipher = crypto::FieldCipher::AddKey(key_file, algorithm);
  if (!cipher)
    return Report(cipher.error(), err);
  int64_t registry_values = 0;
  int64_t pass_bodies = 0;
  {
    auto transaction = store::Transaction::Begin(database);
    if (!transaction)
      return Report(transaction.error(), err);
    auto resealed = registry::RegistryStore::Reseal(database, **cipher);
    if (!resealed)
      return Report(resealed.error(), err);
    registry_values = *resealed;
    auto bodies = pass::PassStore::Reseal(database, **cipher);
    if (!bodies)
      return Report(bodies.error(), err);
    pass_bodies = *bodies;
    if (auto committed = transaction->Commit(); !committed)
      return Report(committed.error(), err);
  }
  // Only now, with nothing left under them, the old keys go.
  if (auto retired = crypto::FieldCipher::RetireOldKeys(key_file); !retired)
    return Report(retired.error(), err);
  Json detail{{"key_id", (*cipher)->current_key_id()},
              {"algorithm", (*cipher)->current_algorithm()},
              {"registry_values", registry_values},
              {"pass_bodies", pass_bodies}};
  if (!Audit(*stores->audit, "keys.rotate", "keys/registry-fields", detail, err))
    return 1;
  detail["ok"] = true;
  out << detail.dump() << '\n';
  return 0;
}

void AddAdminCommands(CLI::App& app, int& exit_code) {
  // Option values live as long as the App: the callbacks run after parsing.
  auto add_options = std::make_shared<UserAddOptions>();
  auto data_dir = std::make_shared<std::string>("data");
  auto username = std::make_shared<std::string>();

  auto* user = app.add_subcommand("user", "Platform accounts (password from standard input)");
  user->require_subcommand(1);

  auto* add = user->add_subcommand("add", "Create an account; reads the password from stdin");
  add->add_option("--username", add_options->username, "3-32 of a-z 0-9 _ . -")->required();
  add->add_option("--role", add_options->role,
                  "admin, transport, police, health, district, checkpoint or carrier")
      ->required();
  add->add_option("--display-name", add_options->display_name, "Name shown in the app");
  add->add_option("--department", add_options->department,
                  "Department (default: the role's, e.g. 鞍山市公安局)");
  add->add_option("--district", add_options->district, "District (role district)");
  add->add_option("--carrier", add_options->carrier_credit_code,
                  "Company credit code, 统一社会信用代码 (role carrier)");
  add->add_option("--data-dir", add_options->data_dir, "Directory of the embedded database");
  add->add_option("--one-time-password-file", add_options->one_time_password_file,
                  "Generate a one-time password into this new 0600 file (no stdin); it must be "
                  "changed at the first sign-in");
  add->add_flag("--must-change", add_options->must_change,
                "The password from stdin must be changed at the first sign-in");
  add->callback([&exit_code, add_options] {
    exit_code = RunUserAdd(*add_options, std::cin, std::cout, std::cerr);
  });

  auto* list = user->add_subcommand("list", "List accounts, one JSON object per line");
  list->add_option("--data-dir", *data_dir, "Directory of the embedded database");
  list->callback(
      [&exit_code, data_dir] { exit_code = RunUserList(*data_dir, std::cout, std::cerr); });

  auto must_change = std::make_shared<bool>(false);
  auto* passwd = user->add_subcommand("passwd", "Set a password (from stdin); ends its sessions");
  passwd->add_option("--username", *username, "Account")->required();
  passwd->add_option("--data-dir", *data_dir, "Directory of the embedded database");
  passwd->add_flag("--must-change", *must_change, "To be changed at the next sign-in");
  passwd->callback([&exit_code, data_dir, username, must_change] {
    exit_code = RunUserPasswd(*data_dir, *username, std::cin, std::cout, std::cerr, *must_change);
  });

  auto reset_file = std::make_shared<std::optional<std::string>>();
  auto* reset = user->add_subcommand(
      "reset", "Generate a one-time password (must be changed at the next sign-in); ends sessions");
  reset->add_option("--username", *username, "Account")->required();
  reset->add_option("--data-dir", *data_dir, "Directory of the embedded database");
  reset->add_option("--one-time-password-file", *reset_file,
                    "Write it to this new 0600 file instead of printing it");
  reset->callback([&exit_code, data_dir, username, reset_file] {
    exit_code = RunUserReset(*data_dir, *username, *reset_file, std::cout, std::cerr);
  });

  auto* disable = user->add_subcommand("disable", "Disable an account and end its sessions");
  disable->add_option("--username", *username, "Account")->required();
  disable->add_option("--data-dir", *data_dir, "Directory of the embedded database");
  disable->callback([&exit_code, data_dir, username] {
    exit_code = RunUserDisable(*data_dir, *username, std::cout, std::cerr);
  });

  auto* audit = app.add_subcommand("audit", "The audit log");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand("verify", "Check the audit log's hash chain");
  verify->add_option("--data-dir", *data_dir, "Directory of the embedded database");
  auto anchor = std::make_shared<AuditAnchorOptions>();
  verify->add_option("--anchor", anchor->file,
                     "A head printed by `baotong audit head` earlier and kept elsewhere");
  verify->add_option("--anchor-hash", anchor->head_hash, "The head hash of an anchor");
  verify->add_option("--anchor-entries", anchor->entries, "The entry count of an anchor");
  verify->callback([&exit_code, data_dir, anchor] {
    exit_code = RunAuditVerify(*data_dir, std::cout, std::cerr, *anchor);
  });
  auto* head = audit->add_subcommand(
      "head", "Verify the chain and print its head {entries, head_hash} to keep elsewhere");
  head->add_option("--data-dir", *data_dir, "Directory of the embedded database");
  head->callback(
      [&exit_code, data_dir] { exit_code = RunAuditHead(*data_dir, std::cout, std::cerr); });

  auto* keys = app.add_subcommand("keys", "Keys of the personal fields at rest");
  keys->require_subcommand(1);
  auto* rotate = keys->add_subcommand(
      "rotate", "Seal every personal field under a new key (stop the server first)");
  auto algorithm = std::make_shared<std::string>("aes-256-gcm");
  rotate->add_option("--data-dir", *data_dir, "Directory of the embedded database");
  rotate->add_option("--algorithm", *algorithm, "aes-256-gcm (default) or sm4-gcm");
  rotate->callback([&exit_code, data_dir, algorithm] {
    exit_code = RunKeysRotate(*data_dir, *algorithm, std::cout, std::cerr);
  });
}

}  // namespace baotong::app
