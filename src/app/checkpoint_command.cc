#include "app/checkpoint_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "api/audit_log.h"
#include "app/pass_directory.h"
#include "checkpoint/checkpoint_json.h"
#include "checkpoint/checkpoint_service.h"
#include "checkpoint/registry_vehicles.h"
#include "common/clock.h"
#include "pass/pass_store.h"

namespace baotong::app {
namespace {

struct CheckpointArguments {
  std::string data_dir = "data";
  checkpoint::Checkpoint checkpoint;
  std::string direction = "in";
  std::string key_out;
};

int RunAdd(CheckpointArguments arguments) {
  auto direction = checkpoint::ParseDirection(arguments.direction);
  if (!direction) {
    std::cerr << "baotong checkpoint add: --direction 应为 in 或 out\n";
    return 2;
  }
  if (arguments.key_out.empty()) {
    std::cerr << "baotong checkpoint add: --key-out FILE is required (the camera key is written "
                 "there, never printed)\n";
    return 2;
  }
  arguments.checkpoint.direction = *direction;
  auto services = OpenCheckpointServices(arguments.data_dir);
  if (!services) {
    std::cerr << "baotong checkpoint add: " << services.error().Message() << '\n';
    return 1;
  }
  auto key = services->checkpoints->AddCheckpoint(arguments.checkpoint);
  if (!key) {
    std::cerr << "baotong checkpoint add: " << key.error().Message() << '\n';
    return key.error().code == ErrorCode::kBadValue || key.error().code == ErrorCode::kConflict ? 2
                                                                                                : 1;
  }
  if (auto written = WriteSecretFile(arguments.key_out, *key); !written) {
    std::cerr << "baotong checkpoint add: cannot write " << arguments.key_out << '\n';
    return 1;
  }
  api::AuditEntry entry;
  entry.at_ms = NowMs();
  entry.actor = "cli";
  entry.action = "checkpoint.add";
  entry.target = "checkpoints/" + arguments.checkpoint.id;
  entry.detail = checkpoint::CheckpointJson(arguments.checkpoint).dump();
  if (auto appended = services->audit->Append(entry); !appended) {
    std::cerr << "baotong checkpoint add: cannot write the audit log\n";
    return 1;
  }
  std::cout << checkpoint::CheckpointJson(arguments.checkpoint).dump() << std::endl;
  return 0;
}

int RunList(const std::string& data_dir) {
  auto services = OpenCheckpointServices(data_dir);
  if (!services) {
    std::cerr << "baotong checkpoint list: " << services.error().Message() << '\n';
    return 1;
  }
  for (const auto& checkpoint : services->checkpoints->Checkpoints())
    std::cout << checkpoint::CheckpointJson(checkpoint).dump() << '\n';
  return 0;
}

int RunRotate(const std::string& data_dir, const std::string& id, const std::string& key_out) {
  auto services = OpenCheckpointServices(data_dir);
  if (!services) {
    std::cerr << "baotong checkpoint rotate-key: " << services.error().Message() << '\n';
    return 1;
  }
  auto key = services->checkpoints->RotateApiKey(id);
  if (!key) {
    std::cerr << "baotong checkpoint rotate-key: " << key.error().Message() << '\n';
    return 1;
  }
  if (auto written = WriteSecretFile(key_out, *key); !written) {
    std::cerr << "baotong checkpoint rotate-key: cannot write " << key_out << '\n';
    return 1;
  }
  api::AuditEntry entry;
  entry.at_ms = NowMs();
  entry.actor = "cli";
  entry.action = "checkpoint.rotate_key";
  entry.target = "checkpoints/" + id;
  if (auto appended = services->audit->Append(entry); !appended) {
    std::cerr << "baotong checkpoint rotate-key: cannot write the audit log\n";
    return 1;
  }
  return 0;
}

}  // namespace

Result<CheckpointServices> OpenCheckpointServices(const std::filesystem::path& data_dir) {
  const auto file = data_dir / "registry.db";
  CheckpointServices services;
  auto database = store::Database::Open(file);
  if (!database)
    return tl::unexpected(database.error());
  services.database = std::move(*database);
  if (auto ok = registry::RegistryStore::Migrate(*services.database); !ok)
    return tl::unexpected(ok.error());
  auto audit = api::AuditLog::Open(*services.database);
  if (!audit)
    return tl::unexpected(audit.error());
  services.audit = std::move(*audit);
  auto key = pass::SigningKey::LoadOrCreate(data_dir / "pass-signing.key");
  if (!key)
    return tl::unexpected(key.error());
  auto passes = pass::PassStore::Open(file, pass::PassRules{}, std::move(*key), NowMs());
  if (!passes)
    return tl::unexpected(passes.error());
  services.passes = std::move(*passes);
  services.directory = std::make_unique<PassStoreDirectory>(*services.passes);
  auto vehicles = checkpoint::RegistryVehicles::Open(file);
  if (!vehicles)
    return tl::unexpected(vehicles.error());
  services.vehicles = std::move(*vehicles);
  auto checkpoints =
      checkpoint::CheckpointService::Open(file, *services.directory, *services.vehicles);
  if (!checkpoints)
    return tl::unexpected(checkpoints.error());
  services.checkpoints = std::move(*checkpoints);
  return services;
}

Result<void> WriteSecretFile(const std::filesystem::path& file, const std::string& key) {
  std::error_code ec;
  if (file.has_parent_path())
    std::filesystem::create_directories(file.parent_path(), ec);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return Fail(ErrorCode::kStorage, "cannot create the key file");
  ::fchmod(fd, 0600);  // an existing file keeps its mode otherwise
  const std::string text = key + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok)
    return Fail(ErrorCode::kStorage, "cannot write the key file");
  return {};
}

void AddCheckpointCommands(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("checkpoint", "City checkpoints (卡口) and their cameras");
  command->require_subcommand(1);
  auto arguments = std::make_shared<CheckpointArguments>();
  auto* add = command->add_subcommand("add", "Add a checkpoint; its camera key goes to --key-out");
  add->add_option("--data-dir", arguments->data_dir, "Directory of the embedded database");
  add->add_option("--id", arguments->checkpoint.id, "e.g. KK-SH-01")->required();
  add->add_option("--name", arguments->checkpoint.name, "e.g. 沈海高速鞍山西入城卡口")->required();
  add->add_option("--lat", arguments->checkpoint.lat, "WGS-84 latitude")->required();
  add->add_option("--lon", arguments->checkpoint.lon, "WGS-84 longitude")->required();
  add->add_option("--direction", arguments->direction, "in (into the city) or out");
  add->add_option("--key-out", arguments->key_out, "File for the camera's API key (mode 0600)");
  add->callback([arguments, &exit_code] { exit_code = RunAdd(*arguments); });

  auto* list = command->add_subcommand("list", "List the checkpoints, one JSON object per line");
  list->add_option("--data-dir", arguments->data_dir, "Directory of the embedded database");
  list->callback([arguments, &exit_code] { exit_code = RunList(arguments->data_dir); });

  auto* rotate = command->add_subcommand("rotate-key", "Give a checkpoint's camera a new key");
  rotate->add_option("--data-dir", arguments->data_dir, "Directory of the embedded database");
  rotate->add_option("--id", arguments->checkpoint.id, "Checkpoint id")->required();
  rotate->add_option("--key-out", arguments->key_out, "File for the new key (mode 0600)")
      ->required();
  rotate->callback([arguments, &exit_code] {
    exit_code = RunRotate(arguments->data_dir, arguments->checkpoint.id, arguments->key_out);
  });
}

}  // namespace baotong::app
