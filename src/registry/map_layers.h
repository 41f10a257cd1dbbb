// The city's vector layers for the map (boundary, districts; later checkpoints, routes,
// zones): GeoJSON FeatureCollections stored by layer name, so the map works with no tiles.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "common/error.h"
#include "store/sqlite/database.h"

namespace baotong::registry {

Result<void> MigrateMapLayers(store::Database& database);

// Replaces layer `name` with `collection` (a GeoJSON FeatureCollection).
Result<void> PutMapLayer(store::Database& database, std::string_view name,
                         const nlohmann::ordered_json& collection);

// Layer `name` as stored; nullopt when there is none.
Result<std::optional<nlohmann::ordered_json>> GetMapLayer(store::Database& database,
                                                          std::string_view name);

// Every stored layer's features in one FeatureCollection, layers in name order.
Result<nlohmann::ordered_json> MapLayerFeatures(store::Database& database);

}  // namespace baotong::registry
