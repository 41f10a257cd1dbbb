#include "app/admin_command.h"

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/audit_log.h"
#include "api/users.h"
#include "common/clock.h"
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
  auto password = ReadPassword(password_in, err);
  if (!password)
    return 1;
  user.password = std::move(*password);

  auto stores = OpenStores(options.data_dir, err);
  if (!stores)
    return 1;
  auto created = stores->users->CreateUser(user, NowMs());
  std::fill(user.password.begin(), user.password.end(), '\0');
  if (!created)
    return Report(created.error(), err);
  if (!Audit(*stores->audit, "user.create", "users/" + created->username,
             Json{{"role", api::RoleId(created->role)}, {"department", created->department}}, err))
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
    json["created_at_ms"] = user.created_at_ms;
    out << json.dump() << '\n';
  }
  return 0;
}

int RunUserPasswd(const std::string& data_dir, const std::string& username,
                  std::istream& password_in, std::ostream& out, std::ostream& err) {
  auto password = ReadPassword(password_in, err);
  if (!password)
    return 1;
  auto stores = OpenStores(data_dir, err);
  if (!stores)
    return 1;
  auto ok = stores->users->SetPassword(username, *password, NowMs());
  std::fill(password->begin(), password->end(), '\0');
  if (!ok)
    return Report(ok.error(), err);
  if (!Audit(*stores->audit, "user.password_set", "users/" + username, Json::object(), err))
    return 1;
  out << Json{{"ok", true}, {"username", username}}.dump() << '\n';
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

int RunAuditVerify(const std::string& data_dir, std::ostream& out, std::ostream& err) {
  auto stores = OpenStores(data_dir, err);
  if (!stores)
    return 1;
  auto report = stores->audit->Verify();
  if (!report)
    return Report(report.error(), err);
  Json json{{"ok", report->ok}, {"entries", report->entries}};
  if (report->ok) {
    json["head_hash"] = report->head_hash;
  } else {
    json["first_bad_id"] = report->first_bad_id ? Json(*report->first_bad_id) : Json(nullptr);
    json["reason"] = report->reason;
  }
  out << json.dump() << '\n';
  return report->ok ? 0 : 1;
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
  add->callback([&exit_code, add_options] {
    exit_code = RunUserAdd(*add_options, std::cin, std::cout, std::cerr);
  });

  auto* list = user->add_subcommand("list", "List accounts, one JSON object per line");
  list->add_option("--data-dir", *data_dir, "Directory of the embedded database");
  list->callback(
      [&exit_code, data_dir] { exit_code = RunUserList(*data_dir, std::cout, std::cerr); });

  auto* passwd = user->add_subcommand("passwd", "Set a password (from stdin); ends its sessions");
  passwd->add_option("--username", *username, "Account")->required();
  passwd->add_option("--data-dir", *data_dir, "Directory of the embedded database");
  passwd->callback([&exit_code, data_dir, username] {
    exit_code = RunUserPasswd(*data_dir, *username, std::cin, std::cout, std::cerr);
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
  verify->callback(
      [&exit_code, data_dir] { exit_code = RunAuditVerify(*data_dir, std::cout, std::cerr); });
}

}  // namespace baotong::app
