#include "app/geo_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/checkpoint_command.h"
#include "app/geography.h"
#include "common/clock.h"

namespace baotong::app {

int RunGeoCommand(const GeoCommandOptions& options, std::ostream& out, std::ostream& err) {
  auto kind = geodata::ParseLayerKind(options.kind);
  if (!kind) {
    err << "baotong geo: 未知的图层 (unknown layer) \"" << options.kind
        << "\"; boundary, districts, towns, communities, sites, checkpoints, routes or "
           "restricted\n";
    return 2;
  }
  auto datum = geo::ParseDatum(options.datum);
  if (!datum) {
    err << "baotong geo: --datum 只能是 wgs84、gcj02 或 bd09\n";
    return 2;
  }
  std::ifstream file(options.file, std::ios::binary);
  if (!file) {
    err << "baotong geo: 无法读取文件 (cannot read) " << options.file << '\n';
    return 2;
  }
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const std::filesystem::path data_dir = options.data_dir;
  auto services = OpenCheckpointServices(data_dir);
  if (!services) {
    err << "baotong geo: " << services.error().Message() << '\n';
    return 1;
  }
  auto geography =
      Geography::Open({data_dir / "registry.db", *services->passes, *services->checkpoints, {}});
  if (!geography) {
    err << "baotong geo: " << geography.error().Message() << '\n';
    return 1;
  }
  api::GeographyUpload upload;
  upload.kind = *kind;
  upload.bytes = bytes;
  upload.read.file_name = std::filesystem::path(options.file).filename().string();
  upload.read.source_crs = options.crs;
  upload.read.datum = *datum;
  upload.read.encoding = options.encoding;
  upload.read.layer = options.layer;
  upload.fields.code = options.code_field;
  upload.fields.name = options.name_field;

  nlohmann::ordered_json summary;
  auto describe = [&](const geodata::LayerDraft& draft) {
    nlohmann::ordered_json errors = nlohmann::ordered_json::array();
    for (const auto& error : draft.errors)
      errors.push_back({{"feature", error.feature}, {"message", error.message}});
    summary = {{"kind", geodata::LayerKindId(draft.kind)},
               {"features_read", draft.features_read},
               {"features_valid", draft.collection["features"].size()},
               {"code_field", draft.code_field},
               {"name_field", draft.name_field},
               {"errors", std::move(errors)}};
  };
  if (!options.apply) {
    auto draft = (*geography)->Preview(upload);
    if (!draft) {
      err << "baotong geo: " << draft.error().Message() << '\n';
      return 1;
    }
    describe(*draft);
    out << summary.dump() << std::endl;
    return draft->errors.empty() ? 0 : 1;
  }
  const int64_t now_ms = NowMs();
  auto change = (*geography)->Import(upload, "cli", now_ms);
  if (!change) {
    err << "baotong geo: " << change.error().Message() << '\n';
    return 1;
  }
  describe(change->draft);
  summary["version"] = change->version;
  if (!change->draft.errors.empty()) {
    out << summary.dump() << std::endl;
    return 1;
  }
  for (const auto& [id, key] : change->checkpoint_keys) {
    const auto key_file = data_dir / "checkpoint-keys" / (id + ".key");
    if (auto ok = WriteSecretFile(key_file, key); !ok) {
      err << "baotong geo: " << ok.error().Message() << '\n';
      return 1;
    }
    summary["checkpoint_key_files"].push_back(key_file.string());
  }
  api::AuditEntry entry;
  entry.at_ms = now_ms;
  entry.actor = "cli";
  entry.action = "geo.import";
  entry.target = std::string(geodata::LayerKindId(*kind)) + ":" + upload.read.file_name;
  entry.detail = nlohmann::ordered_json{{"kind", geodata::LayerKindId(*kind)},
                                        {"version", change->version},
                                        {"features", change->draft.collection["features"].size()}}
                     .dump();
  if (auto ok = services->audit->Append(entry); !ok) {
    err << "baotong geo: the change is applied but could not be audited: " << ok.error().Message()
        << '\n';
    return 1;
  }
  out << summary.dump() << std::endl;
  return 0;
}

void AddGeoCommand(CLI::App& app, int& exit_code) {
  auto* geo = app.add_subcommand(
      "geo",
      "The city's geography from files: Shapefile (.zip), KML/KMZ, GeoJSON, GeoPackage, "
      "CSV (地理数据导入)");
  geo->require_subcommand(1);
  for (const bool apply : {true, false}) {
    auto options = std::make_shared<GeoCommandOptions>();
    options->apply = apply;
    auto* command = geo->add_subcommand(
        apply ? "import" : "preview",
        apply ? "Check a file and apply it as the layer's next version"
              : "Check a file and print what an import would do (changes nothing)");
    command
        ->add_option("kind", options->kind,
                     "boundary | districts | towns | communities | sites | checkpoints | routes | "
                     "restricted")
        ->required();
    command->add_option("file", options->file, "the file (a Shapefile zipped with its .dbf etc.)")
        ->required();
    command->add_option("--data-dir", options->data_dir, "Directory of registry.db (default data)");
    command->add_option("--crs", options->crs,
                        "The file's coordinate system when it declares none, e.g. EPSG:4490");
    command->add_option("--datum", options->datum,
                        "wgs84 (default; also CGCS2000), gcj02 (Amap/Tencent) or bd09 (Baidu)");
    command->add_option("--encoding", options->encoding,
                        "Attribute encoding when the file declares none (GBK, UTF-8)");
    command->add_option("--layer", options->layer, "Only this layer of the file");
    command->add_option("--code-field", options->code_field, "The attribute holding the code");
    command->add_option("--name-field", options->name_field, "The attribute holding the name");
    command->callback(
        [options, &exit_code] { exit_code = RunGeoCommand(*options, std::cout, std::cerr); });
  }
}

}  // namespace baotong::app
