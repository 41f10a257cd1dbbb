// The `baotong` executable: one binary, one subcommand per role.
#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <iostream>

#include "app/admin_command.h"
#include "app/checkpoint_command.h"
#include "app/demo_command.h"
#include "app/import_command.h"
#include "app/jt808_command.h"
#include "app/serve.h"
#include "app/terminal_command.h"
#include "sim/demo_fleet.h"
#include "sim/demo_gates.h"
#include "sim/simulator.h"

namespace {

std::atomic<bool> g_sim_stop{false};

// `--demo-fleet DATA_DIR`: the demo city's trucks drive through its checkpoints, whose cameras
// read their plates over the platform's HTTP API (sim/demo_fleet.h).
struct DemoFleetArguments {
  std::string data_dir;
  std::string http = "127.0.0.1:8080";
  baotong::sim::DemoFleetOptions fleet;
};

std::optional<std::pair<std::string, uint16_t>> HostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size() ||
      text.find_first_not_of("0123456789", colon + 1) != std::string::npos)
    return std::nullopt;
  const unsigned long port = std::stoul(text.substr(colon + 1));
  if (port > 65535)
    return std::nullopt;
  return std::pair{text.substr(0, colon), static_cast<uint16_t>(port)};
}

baotong::Result<std::unique_ptr<baotong::sim::DemoFleet>> LoadDemoFleet(
    const DemoFleetArguments& arguments) {
  const std::filesystem::path file = std::filesystem::path(arguments.data_dir) / "demo-fleet.json";
  std::ifstream in(file);
  const auto json = nlohmann::ordered_json::parse(in, nullptr, false);
  if (!in || json.is_discarded())
    return baotong::Fail(baotong::ErrorCode::kNotFound,
                         "cannot read " + file.string() + " (load the demo first: baotong demo)");
  auto plan = baotong::sim::DemoFleetPlanFromJson(json);
  if (!plan)
    return tl::unexpected(plan.error());
  return baotong::sim::DemoFleet::Make(std::move(*plan), arguments.fleet);
}

int RunSim(baotong::sim::SimOptions options, const std::string& server,
           const std::string& source_addresses, const std::string& version, bool json,
           const DemoFleetArguments& demo) {
  size_t colon = server.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "baotong sim: --server must be HOST:PORT\n";
    return 2;
  }
  options.server_host = server.substr(0, colon);
  options.server_port = static_cast<uint16_t>(std::stoul(server.substr(colon + 1)));
  if (version == "2019") {
    options.version = baotong::jt808::Version::k2019;
  } else if (version == "2011") {
    options.version = baotong::jt808::Version::k2011;
  } else if (version != "2013") {
    std::cerr << "baotong sim: --protocol must be 2011, 2013 or 2019\n";
    return 2;
  }
  if (!source_addresses.empty()) {
    auto expanded = baotong::sim::ExpandAddresses(source_addresses);
    if (!expanded) {
      std::cerr << "baotong sim: bad --source-addresses: " << expanded.error().Message() << '\n';
      return 2;
    }
    options.source_addresses = std::move(*expanded);
  }
  std::unique_ptr<baotong::sim::DemoFleet> fleet;
  std::unique_ptr<baotong::sim::GateCameras> cameras;
  if (!demo.data_dir.empty()) {
    const auto http = HostPort(demo.http);
    if (!http) {
      std::cerr << "baotong sim: --http must be HOST:PORT\n";
      return 2;
    }
    auto loaded = LoadDemoFleet(demo);
    if (!loaded) {
      std::cerr << "baotong sim: " << loaded.error().Message() << '\n';
      return 1;
    }
    fleet = std::move(*loaded);
    baotong::sim::GateCameraOptions camera_options;
    camera_options.host = http->first;
    camera_options.port = http->second;
    camera_options.keys_dir = std::filesystem::path(demo.data_dir) / "checkpoint-keys";
    auto started = baotong::sim::GateCameras::Start(*fleet, camera_options);
    if (!started) {
      std::cerr << "baotong sim: " << started.error().Message() << '\n';
      return 1;
    }
    cameras = std::move(*started);
    options.report_at = [driven = fleet.get()](
                            size_t index,
                            double t_s) -> std::optional<baotong::jt808::LocationReport> {
      if (index >= driven->size())
        return std::nullopt;
      return driven->ReportAt(index, t_s);
    };
  }
  std::signal(SIGINT, [](int) { g_sim_stop = true; });
  std::signal(SIGTERM, [](int) { g_sim_stop = true; });
  std::signal(SIGPIPE, SIG_IGN);
  auto stats = baotong::sim::RunSimulation(options, &g_sim_stop);
  if (!stats) {
    std::cerr << "baotong sim: " << stats.error().Message() << '\n';
    return 1;
  }
  auto report = baotong::sim::ToJson(*stats);
  if (fleet) {
    const auto counts = fleet->Counts();
    report["demo_fleet"] = {{"released", counts.released},
                            {"turned_back", counts.turned_back},
                            {"exits", counts.exits},
                            {"in_city", counts.in_city},
                            {"camera_reads", cameras->reads()},
                            {"camera_failures", cameras->failures()}};
  }
  std::cout << (json ? report.dump() : report.dump(2)) << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Baotong (保通): city freight supervision and data sharing platform"};
  app.require_subcommand(1);
  int exit_code = 0;

  // serve
  auto* serve = app.add_subcommand("serve", "Run the platform: JT/T 808 gateway, store, HTTP API");
  baotong::app::ServeOverrides overrides;
  std::string config_file;
  std::string data_dir;
  uint16_t jt808_port = 0;
  uint16_t http_port = 0;
  serve->add_option("--config", config_file, "TOML configuration (see config/baotong.toml)");
  serve->add_option("--data-dir", data_dir, "Directory of the embedded database");
  serve->add_option("--jt808-port", jt808_port, "TCP port for terminals (default 7808)");
  serve->add_option("--http-port", http_port, "HTTP port (default 8080)");
  std::string web_root;
  serve->add_option("--web-root", web_root, "Directory of the built dashboard (web/dist)");
  serve->add_flag("--auto-register", overrides.auto_register,
                  "Register unknown terminals instead of refusing them");
  serve->callback([&] {
    if (!config_file.empty())
      overrides.config_file = config_file;
    if (!data_dir.empty())
      overrides.data_dir = data_dir;
    if (serve->count("--jt808-port"))
      overrides.jt808_port = jt808_port;
    if (serve->count("--http-port"))
      overrides.http_port = http_port;
    if (!web_root.empty())
      overrides.web_root = web_root;
    exit_code = baotong::app::RunServe(overrides);
  });

  // sim
  auto* sim = app.add_subcommand("sim", "Drive virtual JT/T 808 terminals against a server");
  baotong::sim::SimOptions sim_options;
  std::string server = "127.0.0.1:7808";
  std::string source_addresses;
  std::string protocol = "2013";
  std::string scenario;
  std::string acked_out;
  bool json = false;
  sim->add_option("--server", server, "HOST:PORT of the gateway");
  sim->add_option("--terminals", sim_options.terminals, "Number of virtual terminals");
  sim->add_option("--seconds", sim_options.seconds, "How long to report positions");
  sim->add_option("--rate", sim_options.rate,
                  "Positions per second per terminal (0: as fast as acknowledgements allow)");
  sim->add_option("--window", sim_options.window, "Unacknowledged positions per terminal");
  sim->add_option("--protocol", protocol, "2011, 2013 or 2019");
  sim->add_option("--source-addresses", source_addresses,
                  "Local addresses to connect from, e.g. 127.0.0.2-127.0.0.9");
  sim->add_option("--phone-prefix", sim_options.phone_prefix, "Prefix of the terminal phones");
  sim->add_option("--scenario", scenario, "Scenario file (docs/scenario.md)");
  sim->add_option("--acked-out", acked_out, "Write acknowledged positions to this file");
  std::string auth_codes;
  sim->add_option("--auth-codes", auth_codes,
                  "Keep the terminals' auth codes in this file across runs (mode 0600)");
  sim->add_option("--threads", sim_options.threads, "I/O threads");
  sim->add_option("--connect-rate", sim_options.connect_rate, "New connections per second");
  sim->add_flag("--json", json, "Print the statistics as one JSON line");
  DemoFleetArguments demo_fleet;
  sim->add_option(
      "--demo-fleet", demo_fleet.data_dir,
      "Drive the demo city's trucks through its checkpoints (DATA_DIR of baotong demo)");
  sim->add_option("--http", demo_fleet.http,
                  "HOST:PORT of the platform's HTTP API, for the checkpoint cameras");
  sim->add_option("--first-approach-m", demo_fleet.fleet.first_approach_max_m,
                  "Demo fleet: the first approach starts 200 m up to this far before the gate");
  sim->callback([&] {
    if (!scenario.empty())
      sim_options.scenario = scenario;
    if (!acked_out.empty())
      sim_options.acked_out = acked_out;
    if (!auth_codes.empty())
      sim_options.auth_codes = auth_codes;
    exit_code = RunSim(sim_options, server, source_addresses, protocol, json, demo_fleet);
  });

  // store-check
  auto* check = app.add_subcommand(
      "store-check", "Check that acknowledged positions (from sim --acked-out) are stored");
  std::string check_dir = "data";
  std::string acked_file;
  check->add_option("--data-dir", check_dir, "Directory of the embedded database");
  check->add_option("--acked", acked_file, "File written by sim --acked-out")->required();
  check->callback([&] { exit_code = baotong::app::RunStoreCheck(check_dir, acked_file); });

  // jt808 decode
  auto* jt808 = app.add_subcommand("jt808", "JT/T 808 protocol tools");
  jt808->require_subcommand(1);
  auto* decode = jt808->add_subcommand(
      "decode", "Decode captured JT/T 808 frames (hex) and print one JSON object per frame");
  std::vector<std::string> frames;
  bool skip_checksum = false;
  decode->add_option("HEX", frames, "Frame bytes in hex, with or without the 0x7e flags")
      ->required();
  decode->add_flag("--no-verify-checksum", skip_checksum,
                   "Decode frames whose check code is wrong (e.g. anonymised captures)");
  decode->callback([&] {
    baotong::app::Jt808DecodeOptions options;
    options.verify_checksum = !skip_checksum;
    exit_code = baotong::app::RunJt808Decode(frames, options, std::cout);
  });

  // demo, import, user, audit
  baotong::app::AddDemoCommand(app, exit_code);
  baotong::app::AddImportCommand(app, exit_code);
  baotong::app::AddAdminCommands(app, exit_code);
  baotong::app::AddCheckpointCommands(app, exit_code);
  baotong::app::AddTerminalCommands(app, exit_code);

  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
