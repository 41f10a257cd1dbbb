// `baotong checkpoint add|list|rotate-key`: configures the city's checkpoints. A camera's API
// key is shown once, by writing it to a file only its owner can read (never printed).
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "api/audit_log.h"
#include "app/pass_directory.h"
#include "checkpoint/checkpoint_service.h"
#include "checkpoint/registry_vehicles.h"
#include "common/error.h"
#include "pass/pass_store.h"
#include "store/sqlite/database.h"

namespace baotong::app {

void AddCheckpointCommands(CLI::App& app, int& exit_code);

// The services a checkpoint tool needs, opened as `baotong serve` opens them (members in
// dependency order, so they close in reverse).
struct CheckpointServices {
  std::unique_ptr<store::Database> database;
  std::unique_ptr<api::AuditLog> audit;
  std::unique_ptr<pass::PassStore> passes;
  std::unique_ptr<PassStoreDirectory> directory;
  std::unique_ptr<checkpoint::RegistryVehicles> vehicles;
  std::unique_ptr<checkpoint::CheckpointService> checkpoints;
};
Result<CheckpointServices> OpenCheckpointServices(const std::filesystem::path& data_dir);

// Writes `key` to `file` with mode 0600 (replacing it), creating its directory.
Result<void> WriteSecretFile(const std::filesystem::path& file, const std::string& key);

}  // namespace baotong::app
