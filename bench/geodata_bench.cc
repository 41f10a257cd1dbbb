// A plain timed program: a city's 村（社区） layer as a department hands it over — N polygons of
// V vertices in a zipped Shapefile with GBK names and no .cpg (the seed counts 1,173 村屯（社区）
// for Anshan) — read through GDAL and checked (geodata::ReadVectorFile + DraftLayer), then
// imported as a layer version into a fresh data directory (app::Geography::Import). Prints one
// JSON line with the medians of RUNS runs.
//
//   build/bench/geodata_bench [FEATURES] [VERTICES] [RUNS]      (default 1173 64 5)
#include <cpl_conv.h>
#include <gdal.h>
#include <ogrsf_frmts.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app/checkpoint_command.h"
#include "app/geography.h"
#include "common/gbk.h"
#include "geodata/layers.h"
#include "geodata/vector_file.h"

namespace {

using baotong::geodata::LayerKind;

std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string Gbk(const std::string& utf8) {
  std::vector<uint8_t> bytes;
  (void)baotong::AppendUtf8AsGbk(utf8, bytes);
  return std::string(bytes.begin(), bytes.end());
}

// N communities on a grid over Anshan, each a V-gon of about 1 km, as a zipped Shapefile.
std::string CommunitiesZip(const std::filesystem::path& dir, int features, int vertices) {
  GDALAllRegister();
  const auto folder = dir / "shape";
  std::filesystem::create_directories(folder);
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("ESRI Shapefile");
  GDALDataset* dataset =
      driver->Create((folder / "communities.shp").c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  OGRSpatialReference srs;
  srs.importFromEPSG(4490);
  const char* options[] = {"ENCODING=", nullptr};
  OGRLayer* layer =
      dataset->CreateLayer("communities", &srs, wkbPolygon, const_cast<char**>(options));
  OGRFieldDefn code("XZQDM", OFTString);
  (void)layer->CreateField(&code);
  OGRFieldDefn name("XZQMC", OFTString);
  (void)layer->CreateField(&name);
  const int side = static_cast<int>(std::ceil(std::sqrt(features)));
  for (int i = 0; i < features; ++i) {
    const double lon = 122.5 + 0.012 * (i % side), lat = 40.6 + 0.01 * (i / side);
    OGRLinearRing ring;
    for (int v = 0; v <= vertices; ++v) {
      const double angle = 2 * M_PI * (v % vertices) / vertices;
      ring.addPoint(lon + 0.005 * std::cos(angle), lat + 0.004 * std::sin(angle));
    }
    OGRPolygon polygon;
    polygon.addRing(&ring);
    OGRFeature feature(layer->GetLayerDefn());
    char code_text[24];
    std::snprintf(code_text, sizeof code_text, "210302%06d", i + 1);
    feature.SetField("XZQDM", code_text);
    feature.SetField("XZQMC", Gbk("第" + std::to_string(i + 1) + "社区居民委员会").c_str());
    feature.SetGeometry(&polygon);
    if (layer->CreateFeature(&feature) != OGRERR_NONE)
      std::exit(1);
  }
  GDALClose(dataset);
  const auto zip = dir / "communities.zip";
  void* handle = CPLCreateZip(zip.c_str(), nullptr);
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string bytes = ReadBytes(entry.path());
    CPLCreateFileInZip(handle, entry.path().filename().c_str(), nullptr);
    CPLWriteFileInZip(handle, bytes.data(), static_cast<int>(bytes.size()));
    CPLCloseFileInZip(handle);
  }
  CPLCloseZip(handle);
  return ReadBytes(zip);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int features = argc > 1 ? std::atoi(argv[1]) : 1173;
  const int vertices = argc > 2 ? std::atoi(argv[2]) : 64;
  const int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("baotong-geodata-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string zip = CommunitiesZip(dir, features, vertices);
  baotong::geodata::ReadOptions options;
  options.file_name = "communities.zip";

  std::vector<double> read_ms, import_ms;
  size_t valid = 0;
  for (int run = 0; run < runs; ++run) {
    auto start = std::chrono::steady_clock::now();
    auto file = baotong::geodata::ReadVectorFile(zip, options);
    if (!file) {
      std::cerr << file.error().message << '\n';
      return 1;
    }
    auto draft = baotong::geodata::DraftLayer(LayerKind::kCommunities, *file, {});
    read_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    valid = draft.collection["features"].size();
    if (!draft.errors.empty()) {
      std::cerr << draft.errors[0].message << '\n';
      return 1;
    }

    const auto data_dir = dir / ("data-" + std::to_string(run));
    auto services = baotong::app::OpenCheckpointServices(data_dir);
    if (!services)
      return 1;
    auto geography = baotong::app::Geography::Open(
        {data_dir / "registry.db", *services->passes, *services->checkpoints, {}});
    if (!geography)
      return 1;
    baotong::api::GeographyUpload upload;
    upload.kind = LayerKind::kCommunities;
    upload.bytes = zip;
    upload.read = options;
    start = std::chrono::steady_clock::now();
    auto change = (*geography)->Import(upload, "bench", 0);
    import_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    if (!change || change->version != 1)
      return 1;
  }
  std::filesystem::remove_all(dir);
  nlohmann::ordered_json result{{"features", features},
                                {"vertices", vertices},
                                {"file_bytes", zip.size()},
                                {"valid", valid},
                                {"runs", runs},
                                {"read_and_check_ms_median", Median(read_ms)},
                                {"import_ms_median", Median(import_ms)},
                                {"features_per_s_import", features / (Median(import_ms) / 1000)}};
  std::cout << result.dump() << std::endl;
  return 0;
}
