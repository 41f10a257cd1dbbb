// The city's geography as versioned layers (api::GeographyControl): files read by
// src/geodata, checked feature by feature, applied to the stores that use each layer and kept
// as a version with who changed it and when (the caller writes the audit entry: the API route
// with the user and address, `baotong geo import` as "cli").
//
//   boundary, districts, towns, communities  -> map layers (the boundary is the engine's city)
//   sites        -> the registry's sites (district found from the districts layer if absent)
//   checkpoints  -> the checkpoint service (new ones get a camera key; moved ones keep theirs)
//   routes       -> the published routes, with their corridor and dangerous-goods flag
//   restricted   -> staff zones of the rule engine
//
// Every store is told at once (the rule engine rebuilds its zones through `refresh`), so a new
// version takes effect without a restart. The stores live on connections of their own, so a
// change is applied store by store after every feature has passed its checks; a store failing
// half-way leaves the layers it reached changed and no new version (the error says so).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

#include "api/geography_control.h"
#include "checkpoint/checkpoint_service.h"
#include "pass/pass_store.h"
#include "store/sqlite/database.h"

namespace baotong::app {

class Geography final : public api::GeographyControl {
 public:
  struct Stores {
    std::filesystem::path database_file;  // registry.db
    pass::PassStore& passes;
    checkpoint::CheckpointService& checkpoints;
    std::function<Result<void>()> refresh;  // rebuild the engine's zones; null: no engine
  };
  static Result<std::unique_ptr<Geography>> Open(Stores stores);

  Result<geodata::LayerDraft> Preview(const api::GeographyUpload& upload) override;
  Result<api::GeographyChange> Import(const api::GeographyUpload& upload, std::string_view by,
                                      int64_t now_ms) override;
  Result<api::GeographyChange> PutFeature(geodata::LayerKind kind, const nlohmann::json& feature,
                                          std::string_view by, int64_t now_ms) override;
  Result<api::GeographyChange> DeleteFeature(geodata::LayerKind kind, std::string_view code,
                                             std::string_view by, int64_t now_ms) override;
  Result<nlohmann::ordered_json> Layer(geodata::LayerKind kind) override;
  Result<std::vector<api::LayerVersion>> Layers() override;
  Result<std::vector<api::LayerVersion>> History(geodata::LayerKind kind) override;

 private:
  Geography(Stores stores, std::unique_ptr<store::Database> database);
  // The checks that need the stores: site kinds and districts, zones the engine accepts.
  void CheckAgainstStores(geodata::LayerDraft& draft);
  // Applies the draft's features (merged into or replacing the layer), records the version.
  Result<api::GeographyChange> Apply(geodata::LayerDraft draft, std::string change,
                                     std::string_view by, int64_t now_ms);
  Result<nlohmann::ordered_json> CurrentLayer(geodata::LayerKind kind);
  // Writes `collection` as the layer's next version; returns its number.
  Result<int64_t> RecordVersion(geodata::LayerKind kind, const nlohmann::ordered_json& collection,
                                std::string change, std::string_view by, int64_t now_ms);

  Stores stores_;
  std::unique_ptr<store::Database> database_;
  std::mutex mutex_;  // one change at a time
};

}  // namespace baotong::app
