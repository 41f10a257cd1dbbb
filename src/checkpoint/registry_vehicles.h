// VehicleDirectory over the shared registry (registry::RegistryStore) on its own connection.
#pragma once

#include <filesystem>
#include <memory>

#include "checkpoint/directory.h"
#include "registry/registry_store.h"
#include "store/sqlite/database.h"

namespace baotong::checkpoint {

class RegistryVehicles final : public VehicleDirectory {
 public:
  // Opens its own connection on data_dir/registry.db; the registry's tables must exist
  // (RegistryStore::Migrate has run).
  static Result<std::unique_ptr<RegistryVehicles>> Open(const std::filesystem::path& file);

  Result<bool> IsRegistered(std::string_view plate) const override;

 private:
  explicit RegistryVehicles(std::unique_ptr<store::Database> database)
      : database_(std::move(database)),
        registry_(std::make_unique<registry::RegistryStore>(*database_)) {}
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<registry::RegistryStore> registry_;
};

}  // namespace baotong::checkpoint
