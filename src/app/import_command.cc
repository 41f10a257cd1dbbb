#include "app/import_command.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/audit_log.h"
#include "api/import_jobs.h"
#include "api/users.h"
#include "app/geo_command.h"
#include "app/provisioning.h"
#include "common/clock.h"
#include "registry/importer.h"
#include "registry/registry_store.h"
#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"

namespace baotong::app {
namespace {}  // namespace

int RunImportCommand(const ImportCommandOptions& options, std::ostream& out, std::ostream& err) {
  using namespace registry;
  auto kind = ParseKind(options.kind);
  if (!kind) {
    err << "baotong import: 未知的数据类型 (unknown kind) \"" << options.kind
        << "\"; carriers, vehicles, drivers, terminals, health_records or sites\n";
    return 2;
  }
  std::optional<ImportFormat> format;
  if (options.format) {
    format = ParseImportFormat(*options.format);
    if (!format) {
      err << "baotong import: --format 只能是 csv、json 或 xlsx (csv, json or xlsx)\n";
      return 2;
    }
  }
  std::ifstream file(options.file, std::ios::binary);
  if (!file) {
    err << "baotong import: 无法读取文件 (cannot read) " << options.file << '\n';
    return 2;
  }
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());

  auto database = store::Database::Open(std::filesystem::path(options.data_dir) / "registry.db");
  if (!database) {
    err << "baotong import: 无法打开数据库 (cannot open the database): "
        << database.error().Message() << '\n';
    return 1;
  }
  if (auto migrated = RegistryStore::Migrate(**database); !migrated) {
    err << "baotong import: " << migrated.error().Message() << ": " << (*database)->LastMessage()
        << '\n';
    return 1;
  }
  // The import acts as the named account, within what its role may import and its scope
  // (docs/roles.md), as it would through the API. Without such an account, the default user
  // "cli" is the machine's operator, who holds the database file: the whole registry.
  ImportOptions import_options;
  std::string department = options.department;
  {
    auto users = api::UserStore::Open(**database);
    if (!users) {
      err << "baotong import: " << users.error().Message() << '\n';
      return 1;
    }
    auto account = (*users)->FindUser(options.user);
    if (!account) {
      err << "baotong import: " << account.error().Message() << '\n';
      return 1;
    }
    if (*account) {
      if ((*account)->disabled) {
        err << "baotong import: 账号已停用 (the account is disabled): " << options.user << '\n';
        return 2;
      }
      import_options.scope = api::ImportScopeFor((*account)->principal);
      department = (*account)->principal.department;
    } else if (options.user != kOperatorUser) {
      err << "baotong import: 没有该账号 (no such account): " << options.user
          << "; 不指定 --user 则以平台运维身份导入 (omit --user to import as the operator)\n";
      return 2;
    }
  }
  if (!import_options.scope.AllowsKind(*kind)) {
    err << "baotong import: 账号 " << options.user << " 无权导入 " << KindChineseName(*kind)
        << " (this account may not import " << KindName(*kind) << ")\n";
    return 2;
  }

  RegistryStore store(**database);
  ImportLog log(**database);
  const std::string file_name = std::filesystem::path(options.file).filename().string();
  auto id = log.Start(*kind, file_name, options.user, department, NowMs());
  if (!id) {
    err << "baotong import: " << id.error().Message() << '\n';
    return 1;
  }
  auto audit = api::AuditLog::Open(**database);
  if (!audit) {
    err << "baotong import: " << audit.error().Message() << '\n';
    return 1;
  }

  import_options.format = format;
  // Imported terminals may connect at once, as with an import through the API.
  std::unique_ptr<store::SqliteStore> positions;
  if (*kind == Kind::kTerminals) {
    auto opened = store::SqliteStore::Open(options.data_dir);
    if (!opened) {
      err << "baotong import: 无法打开终端库 (cannot open the terminal store): "
          << opened.error().Message() << '\n';
      return 1;
    }
    positions = std::move(*opened);
    import_options.on_terminals =
        [&positions](std::span<const Terminal> terminals) -> Result<void> {
      auto written = ProvisionTerminals(*positions, terminals);
      if (!written)
        return tl::unexpected(written.error());
      return {};
    };
  }
  const std::string kind_name(KindName(*kind));
  if (options.progress) {
    import_options.on_progress = [&err, &kind_name](int64_t done, int64_t total) {
      int64_t percent = total > 0 ? done * 100 / total : 100;
      err << "\r导入 " << kind_name << ": " << done << '/' << total << " (" << percent << "%)"
          << std::flush;
    };
  }
  auto result = Import(store, *kind, bytes, import_options);
  if (options.progress)
    err << '\n';
  {
    nlohmann::ordered_json detail{{"import_id", *id}, {"file_name", file_name}};
    if (result) {
      detail["rows"] = result->rows_total;
      detail["inserted"] = result->inserted;
      detail["updated"] = result->updated;
      detail["unchanged"] = result->unchanged;
      detail["rejected"] = result->rejected;
    } else {
      detail["error"] = result.error().message;
    }
    api::AuditEntry entry;
    entry.at_ms = NowMs();
    entry.actor = options.user;
    entry.department = department;
    entry.action = "registry.import";
    entry.target = kind_name;
    entry.detail = detail.dump();
    if (auto appended = (*audit)->Append(entry); !appended) {
      err << "baotong import: 无法写入审计日志 (cannot write the audit log): "
          << appended.error().Message() << '\n';
      return 1;
    }
  }
  if (!result) {
    (void)log.Fail(*id, result.error().message, NowMs());
    nlohmann::ordered_json failure{{"id", *id},
                                   {"kind", kind_name},
                                   {"file_name", file_name},
                                   {"status", "failed"},
                                   {"error", result.error().message}};
    out << failure.dump() << std::endl;
    err << "baotong import: " << result.error().message << '\n';
    return 1;
  }
  if (auto finished = log.Finish(*id, *result, NowMs()); !finished) {
    err << "baotong import: 导入已完成，但记录导入日志失败 (the import log could not be "
           "written): "
        << (*database)->LastMessage() << '\n';
  }
  if (options.rejections_out) {
    auto csv = log.RejectionsCsv(*id);
    std::ofstream rejections(*options.rejections_out, std::ios::binary | std::ios::trunc);
    if (!csv || !*csv || !(rejections << **csv)) {
      err << "baotong import: 无法写入 (cannot write) " << *options.rejections_out << '\n';
      return 1;
    }
  }
  auto record = log.Get(*id);
  nlohmann::ordered_json summary;
  if (record && *record) {
    summary = ImportRecordJson(**record, true);
  } else {
    summary = ImportResultJson(*result);
    summary["id"] = *id;
    summary["status"] = "done";
  }
  out << summary.dump() << std::endl;
  return 0;
}

void AddImportCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ImportCommandOptions>();
  auto* command = app.add_subcommand(
      "import", "Import registry records from a CSV (UTF-8 or GBK) or JSON file (导入登记数据)");
  command
      ->add_option("kind", options->kind,
                   "carriers | vehicles | drivers | terminals | health_records | sites")
      ->required();
  command->add_option("file", options->file, "CSV or JSON file (see docs/registry.md)")->required();
  command->add_option("--data-dir", options->data_dir, "Directory of registry.db (default data)");
  command->add_option("--user", options->user,
                      "Import as this account, within its role and scope (default cli: the "
                      "operator, every kind)");
  command->add_option("--department", options->department,
                      "Recorded as the importing department when --user is not an account "
                      "(default 大数据局)");
  command->add_option("--format", options->format, "csv, json or xlsx (default: detected)");
  command->add_option("--rejections-out", options->rejections_out,
                      "Write every rejected row to this CSV (行号,列,原因)");
  command->add_flag("!--no-progress", options->progress, "No progress line on stderr");
  command->callback(
      [options, &exit_code] { exit_code = RunImportCommand(*options, std::cout, std::cerr); });
  // The city's layers are imported beside the registry's records.
  AddGeoCommand(app, exit_code);
}

}  // namespace baotong::app
