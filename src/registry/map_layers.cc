#include "registry/map_layers.h"

namespace baotong::registry {

Result<void> MigrateMapLayers(store::Database& database) {
  static constexpr const char* kMigrations[] = {
      "CREATE TABLE map_layers(name TEXT PRIMARY KEY, geojson TEXT NOT NULL,"
      " updated_at_ms INTEGER NOT NULL)",
  };
  return database.Migrate("map_layers", kMigrations);
}

Result<void> PutMapLayer(store::Database& database, std::string_view name,
                         const nlohmann::ordered_json& collection) {
  if (!collection.is_object() || collection.value("type", "") != "FeatureCollection" ||
      !collection.contains("features") || !collection["features"].is_array())
    return Fail(ErrorCode::kBadValue, "a map layer must be a GeoJSON FeatureCollection");
  auto statement = database.Prepare(
      "INSERT INTO map_layers(name, geojson, updated_at_ms) VALUES(?, ?, "
      "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) "
      "ON CONFLICT(name) DO UPDATE SET geojson = excluded.geojson, "
      "updated_at_ms = excluded.updated_at_ms");
  if (!statement)
    return tl::unexpected(statement.error());
  return statement->Bind(1, name).Bind(2, collection.dump()).Run();
}

Result<std::optional<nlohmann::ordered_json>> GetMapLayer(store::Database& database,
                                                          std::string_view name) {
  auto statement = database.Prepare("SELECT geojson FROM map_layers WHERE name = ?");
  if (!statement)
    return tl::unexpected(statement.error());
  statement->Bind(1, name);
  auto row = statement->Step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::nullopt;
  auto layer = nlohmann::ordered_json::parse(statement->Text(0), nullptr, false);
  if (layer.is_discarded())
    return Fail(ErrorCode::kStorage, "a stored map layer is not valid GeoJSON");
  return std::optional<nlohmann::ordered_json>(std::move(layer));
}

Result<nlohmann::ordered_json> MapLayerFeatures(store::Database& database) {
  auto statement = database.Prepare("SELECT geojson FROM map_layers ORDER BY name");
  if (!statement)
    return tl::unexpected(statement.error());
  nlohmann::ordered_json features = nlohmann::ordered_json::array();
  auto read = statement->ForEachRow([&](const store::Statement& row) -> Result<void> {
    auto layer = nlohmann::ordered_json::parse(row.Text(0), nullptr, false);
    if (layer.is_discarded() || !layer.contains("features"))
      return Fail(ErrorCode::kStorage, "a stored map layer is not valid GeoJSON");
    for (auto& feature : layer["features"])
      features.push_back(std::move(feature));
    return {};
  });
  if (!read)
    return tl::unexpected(read.error());
  return nlohmann::ordered_json{{"type", "FeatureCollection"}, {"features", std::move(features)}};
}

}  // namespace baotong::registry
