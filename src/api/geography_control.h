// What the geography routes need from the application: the city's layers read from files or
// drawn on the map, checked, applied to the stores that use them (the rule engine's zones, the
// checkpoints, the published routes, the registry's sites) and kept as versions
// (app/geography.h implements it).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "geodata/layers.h"
#include "geodata/vector_file.h"

namespace baotong::api {

struct GeographyUpload {
  geodata::LayerKind kind = geodata::LayerKind::kBoundary;
  std::string_view bytes;
  geodata::ReadOptions read;  // file name, crs, datum, encoding, layer
  geodata::FieldMapping fields;
};

// One version of a layer: who changed it, when, and how.
struct LayerVersion {
  geodata::LayerKind kind = geodata::LayerKind::kBoundary;
  int64_t version = 0;
  int64_t features = 0;
  std::string change;  // "import 区县.zip", "put R1", "delete Z3"
  std::string changed_by;
  int64_t changed_at_ms = 0;
};

struct GeographyChange {
  geodata::LayerDraft draft;  // the checked features; nothing changed when it has errors
  int64_t version = 0;        // the new version; 0 when nothing changed
  // Keys of checkpoints the change created (shown once; the cameras need them).
  std::map<std::string, std::string> checkpoint_keys;
};

class GeographyControl {
 public:
  virtual ~GeographyControl() = default;
  // Reads and checks a file; changes nothing.
  virtual Result<geodata::LayerDraft> Preview(const GeographyUpload& upload) = 0;
  // Reads, checks and, when every feature passes, applies a file as the layer's next version:
  // administrative layers are replaced, the others merged by code.
  virtual Result<GeographyChange> Import(const GeographyUpload& upload, std::string_view by,
                                         int64_t now_ms) = 0;
  // One feature drawn or edited on the map (GeoJSON Feature in WGS-84).
  virtual Result<GeographyChange> PutFeature(geodata::LayerKind kind, const nlohmann::json& feature,
                                             std::string_view by, int64_t now_ms) = 0;
  // Removes a restricted zone (the other layers' features are referenced by passes, passages
  // and sites' history, and stay). kNotFound: no such feature; kUnsupported: another layer.
  virtual Result<GeographyChange> DeleteFeature(geodata::LayerKind kind, std::string_view code,
                                                std::string_view by, int64_t now_ms) = 0;
  // The layer as the stores hold it now (a FeatureCollection).
  virtual Result<nlohmann::ordered_json> Layer(geodata::LayerKind kind) = 0;
  // The newest version of every layer that has one.
  virtual Result<std::vector<LayerVersion>> Layers() = 0;
  // A layer's versions, newest first.
  virtual Result<std::vector<LayerVersion>> History(geodata::LayerKind kind) = 0;
};

}  // namespace baotong::api
