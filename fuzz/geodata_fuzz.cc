// libFuzzer target for geodata files as departments upload them (geodata::ReadVectorFile and
// DraftLayer, issue 14): the first byte picks the file type, the rest is the file. Oracle: no
// crash, no sanitizer report, and every feature a draft accepts has a code, a name and a geometry
// whose positions lie in China (the checks the stores rely on).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "geo/china_datums.h"
#include "geodata/layers.h"
#include "geodata/vector_file.h"

namespace {

constexpr const char* kNames[] = {"f.geojson", "f.kml", "f.csv", "f.zip", "f.kmz", "f.gpkg"};
constexpr baotong::geodata::LayerKind kKinds[] = {
    baotong::geodata::LayerKind::kDistricts, baotong::geodata::LayerKind::kCheckpoints,
    baotong::geodata::LayerKind::kRoutes, baotong::geodata::LayerKind::kSites};

void CheckPositions(const nlohmann::ordered_json& coordinates) {
  if (!coordinates.is_array() || coordinates.empty())
    return;
  if (coordinates[0].is_number()) {
    if (baotong::geo::OutOfChina({coordinates[1].get<double>(), coordinates[0].get<double>()}))
      std::abort();
    return;
  }
  for (const auto& child : coordinates)
    CheckPositions(child);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 64 * 1024)
    return 0;
  baotong::geodata::ReadOptions options;
  options.file_name = kNames[data[0] % std::size(kNames)];
  options.datum = (data[0] & 0x80) ? baotong::geo::Datum::kGcj02 : baotong::geo::Datum::kWgs84;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  auto file = baotong::geodata::ReadVectorFile(bytes, options);
  if (!file)
    return 0;
  const auto kind = kKinds[(data[0] >> 3) % std::size(kKinds)];
  auto draft = baotong::geodata::DraftLayer(kind, *file, {});
  for (const auto& feature : draft.collection["features"]) {
    const auto& properties = feature["properties"];
    if (properties.value("code", "").empty() || properties.value("name", "").empty())
      std::abort();
    CheckPositions(feature["geometry"]["coordinates"]);
  }
  return 0;
}
