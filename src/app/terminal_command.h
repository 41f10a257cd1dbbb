// `baotong terminal reprovision`: staff replace a JT/T 808 terminal's auth code (a new device
// on the same phone number, a lost or leaked code). The old code stops working at once; the
// change is written to the audit log. A second 0x0100 from a registered phone never does this
// (the gateway answers "terminal already registered"), so this is the way to replace one.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace baotong::app {

struct ReprovisionOptions {
  std::string data_dir = "data";
  // One or more terminals (--phone repeated): one store open, one audit entry per phone.
  std::vector<std::string> phones;
  bool skip_unknown = false;  // an unknown phone is reported, not a failure (the demo fleet)
  // Exactly one: write a new code to this file (mode 0600) for the installer to set on the
  // device, or revoke the code and let the phone's next 0x0100 receive a new one.
  std::optional<std::string> code_out;
  bool await_registration = false;
  std::optional<std::string> plate;  // rebind to another vehicle at the same time
  std::optional<int> plate_color;
  std::string user = "cli";
  std::string department = "大数据局";
  std::string reason;  // why (recorded in the audit log); required
};

// Prints one JSON line per phone (never the code) and returns 0; 1 when any phone was refused
// or failed (the others are still done), 2 on bad usage (nothing done).
int RunTerminalReprovision(const ReprovisionOptions& options, std::ostream& out, std::ostream& err);

// Adds the `terminal` subcommand; its callbacks set exit_code.
void AddTerminalCommands(CLI::App& app, int& exit_code);

}  // namespace baotong::app
