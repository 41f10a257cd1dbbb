#include "app/geography.h"

#include <set>

#include "app/monitoring.h"
#include "geo/geometry.h"
#include "registry/map_layers.h"
#include "registry/registry_store.h"

namespace baotong::app {
namespace {

using Json = nlohmann::ordered_json;
using geodata::LayerKind;

constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE geo_layer_versions(
  kind TEXT NOT NULL,
  version INTEGER NOT NULL,
  collection TEXT NOT NULL,
  change TEXT NOT NULL,
  features INTEGER NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at_ms INTEGER NOT NULL,
  PRIMARY KEY(kind, version)) WITHOUT ROWID;
)sql",
};

Json EmptyCollection() {
  return Json{{"type", "FeatureCollection"}, {"features", Json::array()}};
}

Json PointFeature(Json properties, double lat, double lon) {
  return Json{{"type", "Feature"},
              {"properties", std::move(properties)},
              {"geometry", {{"type", "Point"}, {"coordinates", {lon, lat}}}}};
}

// The first position of a geometry, as a stand-in for where a site is.
std::optional<geo::LatLon> FirstPosition(const Json& geometry) {
  const Json* at = &geometry["coordinates"];
  while (at->is_array() && !at->empty() && (*at)[0].is_array())
    at = &(*at)[0];
  if (!at->is_array() || at->size() < 2)
    return std::nullopt;
  return geo::LatLon{(*at)[1].get<double>(), (*at)[0].get<double>()};
}

monitor::Zone RestrictedZone(const Json& feature) {
  monitor::Zone zone;
  const Json& properties = feature["properties"];
  zone.code = properties["code"].get<std::string>();
  zone.name = properties["name"].get<std::string>();
  zone.kind = monitor::ZoneKind::kRestricted;
  if (properties.contains("speed_limit_kmh"))
    zone.speed_limit_kmh = properties["speed_limit_kmh"].get<double>();
  return zone;
}

std::string FeatureCode(const Json& feature) {
  return feature["properties"].value("code", "");
}

}  // namespace

Geography::Geography(Stores stores, std::unique_ptr<store::Database> database)
    : stores_(std::move(stores)), database_(std::move(database)) {}

Result<std::unique_ptr<Geography>> Geography::Open(Stores stores) {
  auto database = store::Database::Open(stores.database_file);
  if (!database)
    return tl::unexpected(database.error());
  if (auto ok = registry::RegistryStore::Migrate(**database); !ok)
    return tl::unexpected(ok.error());
  if (auto ok = registry::MigrateMapLayers(**database); !ok)
    return tl::unexpected(ok.error());
  if (auto ok = MigrateMonitorTables(**database); !ok)
    return tl::unexpected(ok.error());
  if (auto ok = (*database)->Migrate("geography", kMigrations); !ok)
    return tl::unexpected(ok.error());
  return std::unique_ptr<Geography>(new Geography(std::move(stores), std::move(*database)));
}

void Geography::CheckAgainstStores(geodata::LayerDraft& draft) {
  Json& features = draft.collection["features"];
  if (draft.kind == LayerKind::kSites) {
    // A site's district is named in the file or found from the districts layer.
    std::vector<std::pair<std::string, std::vector<geo::Shape>>> districts;
    if (auto layer = registry::GetMapLayer(*database_, "districts"); layer && *layer) {
      for (const auto& district : (**layer)["features"]) {
        auto shapes = geo::ShapesFromGeoJson(district["geometry"].dump(), 0);
        if (shapes)
          districts.emplace_back(district["properties"].value("name", ""), std::move(*shapes));
      }
    }
    Json kept = Json::array();
    int64_t number = 0;
    for (auto& feature : features) {
      ++number;
      Json& properties = feature["properties"];
      const std::string kind_text = properties.value("site_kind", "");
      auto site_kind = registry::ParseSiteKind(kind_text);
      if (!site_kind) {
        draft.errors.push_back({number,
                                "场所类型应为装货点、卸货点、服务区或物流园区 (site_kind: loading, "
                                "unloading, service_area or logistics_park)"});
        continue;
      }
      properties["site_kind"] = std::string(registry::SiteKindId(*site_kind));
      if (properties.value("district", "").empty()) {
        auto where = FirstPosition(feature["geometry"]);
        for (const auto& [name, shapes] : districts) {
          for (const auto& shape : shapes) {
            if (where && geo::Contains(shape, *where))
              properties["district"] = name;
          }
        }
        if (properties.value("district", "").empty()) {
          draft.errors.push_back(
              {number,
               "场所不在已导入的区县范围内，请填写所属区县 (no district contains the "
               "site: name it)"});
          continue;
        }
      }
      kept.push_back(std::move(feature));
    }
    features = std::move(kept);
  }
  if (draft.kind == LayerKind::kRestricted) {
    Json kept = Json::array();
    int64_t number = 0;
    for (auto& feature : features) {
      ++number;
      Json zone = monitor::ZoneJson(RestrictedZone(feature));
      zone["geometry"] = feature["geometry"];
      if (auto parsed = monitor::ParseZone(zone); !parsed) {
        draft.errors.push_back({number, parsed.error().message});
        continue;
      }
      kept.push_back(std::move(feature));
    }
    features = std::move(kept);
  }
}

Result<geodata::LayerDraft> Geography::Preview(const api::GeographyUpload& upload) {
  auto file = geodata::ReadVectorFile(upload.bytes, upload.read);
  if (!file)
    return geodata::UnreadableLayer(upload.kind, std::move(file.error().message));
  geodata::LayerDraft draft = geodata::DraftLayer(upload.kind, *file, upload.fields);
  CheckAgainstStores(draft);
  return draft;
}

Result<api::GeographyChange> Geography::Import(const api::GeographyUpload& upload,
                                               std::string_view by, int64_t now_ms) {
  auto draft = Preview(upload);
  if (!draft)
    return tl::unexpected(draft.error());
  return Apply(std::move(*draft), "import " + upload.read.file_name, by, now_ms);
}

Result<api::GeographyChange> Geography::PutFeature(LayerKind kind, const nlohmann::json& feature,
                                                   std::string_view by, int64_t now_ms) {
  geodata::LayerDraft draft;
  draft.kind = kind;
  draft.collection = EmptyCollection();
  draft.features_read = 1;
  auto normalised = geodata::NormaliseFeature(kind, feature);
  if (!normalised) {
    draft.errors.push_back({1, std::move(normalised.error().message)});
  } else {
    draft.collection["features"].push_back(std::move(*normalised));
    CheckAgainstStores(draft);
  }
  if (!draft.errors.empty() || geodata::ReplacesWholeLayer(kind)) {
    if (draft.errors.empty())
      draft.errors.push_back({0,
                              "行政区划图层只能整体导入 (administrative layers are imported "
                              "whole)"});
    return api::GeographyChange{std::move(draft), 0, {}};
  }
  const std::string code = FeatureCode(draft.collection["features"][0]);
  return Apply(std::move(draft), "put " + code, by, now_ms);
}

Result<api::GeographyChange> Geography::DeleteFeature(LayerKind kind, std::string_view code,
                                                      std::string_view by, int64_t now_ms) {
  if (kind != LayerKind::kRestricted)
    return Fail(ErrorCode::kUnsupported,
                "只有管控区域可以删除 (only restricted zones are deleted)");
  std::lock_guard lock(mutex_);
  auto current = CurrentLayer(kind);
  if (!current)
    return tl::unexpected(current.error());
  Json remaining = Json::array();
  bool found = false;
  for (auto& feature : (*current)["features"]) {
    if (FeatureCode(feature) == code)
      found = true;
    else
      remaining.push_back(std::move(feature));
  }
  if (!found)
    return Fail(ErrorCode::kNotFound, "没有该区域 (no such zone)");
  auto statement = database_->Prepare("DELETE FROM monitor_zones WHERE code = ?");
  if (!statement)
    return tl::unexpected(statement.error());
  if (auto ok = statement->Bind(1, code).Run(); !ok)
    return tl::unexpected(ok.error());
  api::GeographyChange change;
  change.draft.kind = kind;
  change.draft.collection = EmptyCollection();
  Json collection = EmptyCollection();
  collection["features"] = std::move(remaining);
  auto version = RecordVersion(kind, collection, "delete " + std::string(code), by, now_ms);
  if (!version)
    return tl::unexpected(version.error());
  change.version = *version;
  if (stores_.refresh) {
    if (auto ok = stores_.refresh(); !ok)
      return tl::unexpected(ok.error());
  }
  return change;
}

Result<nlohmann::ordered_json> Geography::Layer(LayerKind kind) {
  std::lock_guard lock(mutex_);
  return CurrentLayer(kind);
}

// The layer as its store holds it: administrative layers from the map layers, the others from
// the store they feed (which may hold features added before layers had versions).
Result<Json> Geography::CurrentLayer(LayerKind kind) {
  Json collection = EmptyCollection();
  Json& features = collection["features"];
  switch (kind) {
    case LayerKind::kBoundary:
    case LayerKind::kDistricts:
    case LayerKind::kTowns:
    case LayerKind::kCommunities: {
      auto layer = registry::GetMapLayer(*database_, geodata::LayerKindId(kind));
      if (!layer)
        return tl::unexpected(layer.error());
      return layer->value_or(collection);
    }
    case LayerKind::kSites: {
      registry::RegistryStore registry(*database_);
      auto sites = registry.SiteFeatures();
      if (!sites)
        return tl::unexpected(sites.error());
      for (const auto& site : *sites) {
        const Json& properties = site["properties"];
        features.push_back(Json{{"type", "Feature"},
                                {"properties",
                                 {{"layer", "site"},
                                  {"code", properties.value("code", "")},
                                  {"name", properties.value("name", "")},
                                  {"site_kind", properties.value("kind", "")},
                                  {"district", properties.value("district", "")}}},
                                {"geometry", site["geometry"]}});
      }
      return collection;
    }
    case LayerKind::kCheckpoints:
      for (const auto& checkpoint : stores_.checkpoints.Checkpoints()) {
        features.push_back(PointFeature(
            {{"layer", "checkpoint"},
             {"code", checkpoint.id},
             {"name", checkpoint.name},
             {"direction", checkpoint.direction == checkpoint::Direction::kIn ? "in" : "out"}},
            checkpoint.lat, checkpoint.lon));
      }
      return collection;
    case LayerKind::kRoutes: {
      auto routes = stores_.passes.Routes();
      if (!routes)
        return tl::unexpected(routes.error());
      for (const auto& route : *routes) {
        features.push_back(Json{{"type", "Feature"},
                                {"properties",
                                 {{"layer", "route"},
                                  {"code", route.id},
                                  {"name", route.name},
                                  {"corridor_m", route.corridor_m},
                                  {"hazardous", route.allows_hazardous}}},
                                {"geometry", Json::parse(route.geometry, nullptr, false)}});
      }
      return collection;
    }
    case LayerKind::kRestricted: {
      auto zones = UserZones(*database_);
      if (!zones)
        return tl::unexpected(zones.error());
      for (const auto& zone : *zones) {
        Json zone_json = monitor::ZoneJson(zone);
        if (!std::holds_alternative<geo::Polygon>(zone.shape))
          continue;  // circles drawn in the zone editor stay there
        Json properties{{"layer", "restricted"}, {"code", zone.code}, {"name", zone.name}};
        if (zone.speed_limit_kmh)
          properties["speed_limit_kmh"] = *zone.speed_limit_kmh;
        features.push_back(Json{{"type", "Feature"},
                                {"properties", std::move(properties)},
                                {"geometry", zone_json["geometry"]}});
      }
      return collection;
    }
  }
  return collection;
}

Result<api::GeographyChange> Geography::Apply(geodata::LayerDraft draft, std::string change,
                                              std::string_view by, int64_t now_ms) {
  api::GeographyChange result;
  if (!draft.errors.empty()) {
    result.draft = std::move(draft);
    return result;
  }
  std::lock_guard lock(mutex_);
  const LayerKind kind = draft.kind;
  const Json& features = draft.collection["features"];
  switch (kind) {
    case LayerKind::kBoundary:
    case LayerKind::kDistricts:
    case LayerKind::kTowns:
    case LayerKind::kCommunities:
      if (auto ok = registry::PutMapLayer(*database_, geodata::LayerKindId(kind), draft.collection);
          !ok)
        return tl::unexpected(ok.error());
      break;
    case LayerKind::kSites: {
      std::vector<registry::Site> sites;
      for (const auto& feature : features) {
        const Json& properties = feature["properties"];
        registry::Site site;
        site.code = properties["code"].get<std::string>();
        site.name = properties["name"].get<std::string>();
        site.kind = registry::ParseSiteKind(properties["site_kind"].get<std::string>())
                        .value_or(registry::SiteKind::kLogisticsPark);
        site.district = properties["district"].get<std::string>();
        site.geometry = feature["geometry"].dump();
        sites.push_back(std::move(site));
      }
      registry::RegistryStore registry(*database_);
      if (auto ok = registry.Upsert(std::span<const registry::Site>(sites), now_ms); !ok)
        return tl::unexpected(ok.error());
      break;
    }
    case LayerKind::kCheckpoints:
      for (const auto& feature : features) {
        const Json& properties = feature["properties"];
        checkpoint::Checkpoint checkpoint;
        checkpoint.id = properties["code"].get<std::string>();
        checkpoint.name = properties["name"].get<std::string>();
        checkpoint.lon = feature["geometry"]["coordinates"][0].get<double>();
        checkpoint.lat = feature["geometry"]["coordinates"][1].get<double>();
        checkpoint.direction = properties["direction"] == "in" ? checkpoint::Direction::kIn
                                                               : checkpoint::Direction::kOut;
        if (stores_.checkpoints.FindCheckpoint(checkpoint.id)) {
          if (auto ok = stores_.checkpoints.UpdateCheckpoint(checkpoint); !ok)
            return tl::unexpected(ok.error());
        } else {
          auto key = stores_.checkpoints.AddCheckpoint(checkpoint);
          if (!key)
            return tl::unexpected(key.error());
          result.checkpoint_keys[checkpoint.id] = std::move(*key);
        }
      }
      break;
    case LayerKind::kRoutes: {
      std::vector<pass::PublishedRoute> routes;
      for (const auto& feature : features) {
        const Json& properties = feature["properties"];
        routes.push_back(pass::PublishedRoute{
            properties["code"].get<std::string>(), properties["name"].get<std::string>(),
            feature["geometry"].dump(), properties["hazardous"].get<bool>(),
            properties["corridor_m"].get<double>()});
      }
      if (auto ok = stores_.passes.UpsertRoutes(routes, now_ms); !ok)
        return tl::unexpected(ok.error());
      break;
    }
    case LayerKind::kRestricted:
      for (const auto& feature : features) {
        Json zone = monitor::ZoneJson(RestrictedZone(feature));
        zone["geometry"] = feature["geometry"];
        auto parsed = monitor::ParseZone(zone);
        if (!parsed)
          return Fail(ErrorCode::kBadValue, "a checked restricted zone was refused by the engine");
        if (auto ok = UpsertUserZone(*database_, *parsed, by, now_ms); !ok)
          return tl::unexpected(ok.error());
      }
      break;
  }
  // The checkpoints' map layer follows the checkpoint service.
  auto layer = CurrentLayer(kind);
  if (!layer)
    return tl::unexpected(layer.error());
  if (kind == LayerKind::kCheckpoints) {
    if (auto ok = registry::PutMapLayer(*database_, "checkpoints", *layer); !ok)
      return tl::unexpected(ok.error());
  }
  auto version = RecordVersion(kind, *layer, std::move(change), by, now_ms);
  if (!version)
    return tl::unexpected(version.error());
  result.version = *version;
  result.draft = std::move(draft);
  if (stores_.refresh) {
    if (auto ok = stores_.refresh(); !ok)
      return tl::unexpected(ok.error());
  }
  return result;
}

Result<int64_t> Geography::RecordVersion(LayerKind kind, const Json& collection, std::string change,
                                         std::string_view by, int64_t now_ms) {
  auto version = database_->Prepare(
      "INSERT INTO geo_layer_versions(kind, version, collection, change, features, changed_by, "
      "changed_at_ms) SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ?, ?, ?, ? "
      "FROM geo_layer_versions WHERE kind = ? RETURNING version");
  if (!version)
    return tl::unexpected(version.error());
  version->Bind(1, geodata::LayerKindId(kind))
      .Bind(2, collection.dump())
      .Bind(3, change)
      .Bind(4, static_cast<int64_t>(collection["features"].size()))
      .Bind(5, by)
      .Bind(6, now_ms)
      .Bind(7, geodata::LayerKindId(kind));
  auto row = version->Step();
  if (!row)
    return tl::unexpected(row.error());
  return version->Int(0);
}

Result<std::vector<api::LayerVersion>> Geography::Layers() {
  std::vector<api::LayerVersion> versions;
  for (LayerKind kind : geodata::kAllLayerKinds) {
    auto history = History(kind);
    if (!history)
      return tl::unexpected(history.error());
    if (!history->empty())
      versions.push_back(history->front());
  }
  return versions;
}

Result<std::vector<api::LayerVersion>> Geography::History(LayerKind kind) {
  std::lock_guard lock(mutex_);
  auto statement = database_->Prepare(
      "SELECT version, features, change, changed_by, changed_at_ms FROM geo_layer_versions "
      "WHERE kind = ? ORDER BY version DESC LIMIT 200");
  if (!statement)
    return tl::unexpected(statement.error());
  statement->Bind(1, geodata::LayerKindId(kind));
  std::vector<api::LayerVersion> versions;
  auto read = statement->ForEachRow([&](const store::Statement& row) -> Result<void> {
    versions.push_back({kind, row.Int(0), row.Int(1), row.Text(2), row.Text(3), row.Int(4)});
    return {};
  });
  if (!read)
    return tl::unexpected(read.error());
  return versions;
}

}  // namespace baotong::app
