// `baotong geo import|preview KIND FILE`: load a layer of the city's geography (boundary,
// districts, towns, communities, sites, checkpoints, routes, restricted zones) from a file, as
// the dashboard's geography page does. A running server picks the rule engine's zones up at its
// next refresh; its checkpoints are changed through the dashboard or the API.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>

namespace baotong::app {

struct GeoCommandOptions {
  bool apply = true;  // import; false: preview (changes nothing)
  std::string kind;
  std::string file;
  std::string data_dir = "data";
  std::optional<std::string> crs;  // "EPSG:4529" when the file declares none
  std::string datum = "wgs84";     // gcj02 / bd09: digitised on Amap/Tencent or Baidu maps
  std::optional<std::string> encoding;
  std::optional<std::string> layer;
  std::optional<std::string> code_field;
  std::optional<std::string> name_field;
};

// Prints one JSON line ({kind, version, features_read, features_valid, errors, ...}); new
// checkpoints' camera keys go to DATA_DIR/checkpoint-keys/<id>.key (mode 0600). Returns 0 when
// the layer changed (or the preview found no error), 1 when features were refused or a store
// failed, 2 on bad usage.
int RunGeoCommand(const GeoCommandOptions& options, std::ostream& out, std::ostream& err);

// Adds the `geo` subcommand with `import` and `preview`.
void AddGeoCommand(CLI::App& app, int& exit_code);

}  // namespace baotong::app
