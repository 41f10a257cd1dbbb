#include "app/terminal_command.h"

#include <nlohmann/json.hpp>

#include "api/audit_log.h"
#include "app/checkpoint_command.h"
#include "app/provisioning.h"
#include "common/clock.h"
#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"

namespace baotong::app {

namespace {

constexpr const char* kName = "baotong terminal reprovision: ";

// One phone: its audit entry (and code file) before the change, then one JSON line on `out`.
// false when refused; an unknown phone with --skip-unknown is reported and not refused.
bool ReprovisionOne(const ReprovisionOptions& options, const std::string& phone,
                    store::SqliteStore& terminals, api::AuditLog& audit, std::ostream& out,
                    std::ostream& err) {
  const ReprovisionMode mode = options.await_registration ? ReprovisionMode::kAwaitRegistration
                                                          : ReprovisionMode::kIssueCode;
  std::optional<uint8_t> color;
  if (options.plate_color)
    color = static_cast<uint8_t>(*options.plate_color);
  // Everything that must not be missing afterwards happens before the change, inside the
  // store's transaction: the code file (the old code must not be revoked with the new one lost)
  // and the audit entry (no change without its record). Either failing changes nothing.
  nlohmann::ordered_json detail;
  std::string refused;  // why before_change refused (Error holds only static text)
  bool code_written = false;
  auto before_change = [&](const Reprovisioned& change) -> Result<void> {
    detail = nlohmann::ordered_json{
        {"mode", options.await_registration ? "await_registration" : "new_code"},
        {"old_code_revoked", change.had_code},
        {"plate", change.record.plate},
        {"plate_color", change.record.plate_color},
        {"reason", options.reason}};
    // The code goes to a file only its owner can read; it is never printed or audited.
    if (options.code_out) {
      if (auto written = WriteSecretFile(*options.code_out, change.record.auth_code); !written) {
        refused = "无法写入 (cannot write) " + *options.code_out;
        return Fail(ErrorCode::kStorage, "code file");
      }
      code_written = true;
    }
    api::AuditEntry entry;
    entry.at_ms = NowMs();
    entry.actor = options.user;
    entry.department = options.department;
    entry.action = "terminal.reprovision";
    entry.target = "terminals/" + phone;
    entry.detail = detail.dump();
    if (auto appended = audit.Append(entry); !appended) {
      refused = "无法写入审计日志 (cannot write the audit log): " + appended.error().Message();
      return Fail(ErrorCode::kStorage, "audit log");
    }
    return {};
  };
  auto done = ReprovisionTerminal(terminals, phone, mode, options.plate, color, before_change);
  if (!done) {
    if (code_written)
      std::filesystem::remove(*options.code_out);  // a code that never becomes valid
    if (options.skip_unknown && done.error().code == ErrorCode::kNotFound) {
      out << nlohmann::ordered_json{{"terminal", phone}, {"skipped", "unknown"}}.dump() << '\n';
      return true;
    }
    err << kName << phone << ": " << (refused.empty() ? done.error().Message() : refused)
        << "; 终端未作任何更改 (the terminal was not changed)\n";
    return false;
  }
  nlohmann::ordered_json report{{"terminal", phone}};
  for (auto& [key, value] : detail.items())
    report[key] = value;
  if (options.code_out)
    report["code_file"] = *options.code_out;
  out << report.dump() << '\n';
  return true;
}

}  // namespace

int RunTerminalReprovision(const ReprovisionOptions& options, std::ostream& out,
                           std::ostream& err) {
  if (options.phones.empty() || options.reason.empty()) {
    err << kName << "需要 --phone 和 --reason (--phone and --reason are required)\n";
    return 2;
  }
  if (options.code_out.has_value() == options.await_registration) {
    err << kName
        << "--code-out 与 --await-registration 二选一 (give exactly one of --code-out and "
           "--await-registration)\n";
    return 2;
  }
  if (options.plate_color && (*options.plate_color < 0 || *options.plate_color > 255)) {
    err << kName << "--plate-color 应为 0-255 (must be 0-255)\n";
    return 2;
  }
  if (options.phones.size() > 1 && (options.code_out || options.plate || options.plate_color)) {
    err << kName
        << "--code-out 与 --plate 只能用于一个终端 (--code-out and --plate take one --phone)\n";
    return 2;
  }
  const std::filesystem::path data_dir(options.data_dir);
  auto terminals = store::SqliteStore::Open(data_dir);
  if (!terminals) {
    err << kName
        << "无法打开终端库 (cannot open the terminal store): " << terminals.error().Message()
        << '\n';
    return 1;
  }
  auto database = store::Database::Open(data_dir / "registry.db");
  if (!database) {
    err << kName << database.error().Message() << '\n';
    return 1;
  }
  auto audit = api::AuditLog::Open(**database);
  if (!audit) {
    err << kName << audit.error().Message() << '\n';
    return 1;
  }
  // Every phone is tried (one store open for all); any refusal makes the run fail.
  bool all_done = true;
  for (const std::string& phone : options.phones)
    all_done = ReprovisionOne(options, phone, **terminals, **audit, out, err) && all_done;
  return all_done ? 0 : 1;
}

void AddTerminalCommands(CLI::App& app, int& exit_code) {
  auto* terminal = app.add_subcommand("terminal", "JT/T 808 terminals (终端) known to the gateway");
  terminal->require_subcommand(1);
  auto* reprovision = terminal->add_subcommand(
      "reprovision", "Replace a terminal's auth code; the old one stops working at once (audited)");
  auto options = std::make_shared<ReprovisionOptions>();
  reprovision->add_option("--data-dir", options->data_dir, "Directory of the embedded database");
  reprovision
      ->add_option("--phone", options->phones,
                   "The terminal's phone number (digits); repeat it for several terminals")
      ->required();
  reprovision->add_flag("--skip-unknown", options->skip_unknown,
                        "Report phones the gateway does not know instead of failing on them");
  reprovision->add_option("--code-out", options->code_out,
                          "Write the new code to this file (mode 0600) for the installer");
  reprovision->add_flag("--await-registration", options->await_registration,
                        "Revoke the code; the phone's next 0x0100 receives a new one");
  reprovision->add_option("--plate", options->plate, "Bind the terminal to this plate too");
  reprovision->add_option("--plate-color", options->plate_color, "JT/T 808 plate colour");
  reprovision->add_option("--user", options->user, "Who does this (for the audit log)");
  reprovision->add_option("--department", options->department, "Their department");
  reprovision->add_option("--reason", options->reason, "Why (for the audit log)")->required();
  reprovision->callback([options, &exit_code] {
    exit_code = RunTerminalReprovision(*options, std::cout, std::cerr);
  });
}

}  // namespace baotong::app
