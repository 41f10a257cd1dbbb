// `baotong import KIND FILE`: load a department's spreadsheet (CSV, UTF-8 or GBK) or JSON
// export into the registry from the command line, as the dashboard's import page does.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace baotong::app {

// The user an import runs as when no account is named: the operator of the machine.
inline constexpr std::string_view kOperatorUser = "cli";

struct ImportCommandOptions {
  std::string kind;  // carriers | vehicles | drivers | terminals | health_records | sites
  std::string file;
  std::string data_dir = "data";
  // An account: the import is limited to what its role may import and to its scope (a carrier
  // its own company's records). kOperatorUser without such an account: everything.
  std::string user = std::string(kOperatorUser);
  std::string department = "大数据局";        // recorded only when `user` is not an account
  std::optional<std::string> format;          // csv | json; detected when absent
  std::optional<std::string> rejections_out;  // write every rejection here as CSV
  bool progress = true;                       // the \r progress line on `err`
};

// Runs one import and records it in the import log. Prints one JSON summary line on `out`
// ({"id", "kind", "file_name", "status", counts..., "rejections" (first 100), "warnings"}).
// Returns 0 when the import ran (even if rows were rejected), 1 when it failed, 2 on bad usage.
int RunImportCommand(const ImportCommandOptions& options, std::ostream& out, std::ostream& err);

// Adds the `import` subcommand and the geography's `geo` (app/geo_command.h); their callbacks
// set exit_code.
void AddImportCommand(CLI::App& app, int& exit_code);

}  // namespace baotong::app
