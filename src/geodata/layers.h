// The city's geography as layers, whatever file they came from: what each layer holds, which
// attributes give its code and name, and the checks every feature passes before a layer
// changes (the same for an imported file and a shape drawn in the dashboard).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "geodata/vector_file.h"

namespace baotong::geodata {

enum class LayerKind : uint8_t {
  kBoundary,     // 市界: the city's outline (the rule engine's "in the city")
  kDistricts,    // 区县
  kTowns,        // 乡镇（街道）
  kCommunities,  // 村（社区）
  kSites,        // 指定场所: loading and unloading points, logistics parks, service areas
  kCheckpoints,  // 卡口
  kRoutes,       // 货运通行路线: published freight routes with their corridor
  kRestricted,   // 管控区域
};
inline constexpr std::array<LayerKind, 8> kAllLayerKinds = {
    LayerKind::kBoundary, LayerKind::kDistricts,   LayerKind::kTowns,  LayerKind::kCommunities,
    LayerKind::kSites,    LayerKind::kCheckpoints, LayerKind::kRoutes, LayerKind::kRestricted};

// "boundary", "districts", "towns", "communities", "sites", "checkpoints", "routes",
// "restricted".
std::string_view LayerKindId(LayerKind kind);
// 市界, 区县, 乡镇（街道）, 村（社区）, 指定场所, 卡口, 货运通行路线, 管控区域.
std::string_view LayerKindName(LayerKind kind);
std::optional<LayerKind> ParseLayerKind(std::string_view id);
// The `layer` property of the layer's features on the map: "boundary", "district", "town",
// "community", "site", "checkpoint", "route", "restricted".
std::string_view FeatureLayerId(LayerKind kind);
// Administrative layers are replaced whole by an import; sites, checkpoints, routes and
// restricted zones are merged by code (a file of three new checkpoints keeps the others).
bool ReplacesWholeLayer(LayerKind kind);

// The attributes that hold a feature's code and name; unset: found among the usual names
// (code, CODE, adcode, XZQDM, 代码, 编码 ...; name, NAME, XZQMC, 名称 ...).
struct FieldMapping {
  std::optional<std::string> code;
  std::optional<std::string> name;
};

struct FeatureError {
  int64_t feature = 0;  // 1-based number in the file; 0: the layer as a whole
  std::string message;  // Chinese, with the English after it
};

// A layer ready to be stored: every feature normalised to
//   {"type":"Feature","properties":{"layer","code","name", ...},"geometry":{...}}
// where the kind adds: districts/towns/communities "parent" (the code of the unit above, from
// the official code's prefix); sites "site_kind" and "district"; checkpoints "direction"
// ("in"/"out"); routes "corridor_m" (10-5000, default 500) and "hazardous" (bool); restricted
// "speed_limit_kmh" when given.
struct LayerDraft {
  LayerKind kind = LayerKind::kBoundary;
  nlohmann::ordered_json collection;  // GeoJSON FeatureCollection of the valid features
  std::vector<FeatureError> errors;   // the invalid ones; the layer changes only when empty
  bool unreadable = false;            // the file itself could not be read (errors[0] says why)
  std::optional<std::array<double, 4>> bbox;  // [west, south, east, north]
  std::string code_field, name_field;         // the attributes used ("" when none)
  size_t features_read = 0;
};

LayerDraft DraftLayer(LayerKind kind, const VectorFile& file, const FieldMapping& mapping);
// The draft of a file that could not be read: no features, the reason as error 0.
LayerDraft UnreadableLayer(LayerKind kind, std::string reason);

// One feature as drawn or edited in the dashboard (properties as in LayerDraft, WGS-84
// geometry), checked by the same rules; the error message is Chinese with English after it.
GeoResult<nlohmann::ordered_json> NormaliseFeature(LayerKind kind, const nlohmann::json& feature);

}  // namespace baotong::geodata
