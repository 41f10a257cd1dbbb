// Geodata files for the tests, written with GDAL itself into a temporary directory and read
// back as the bytes a department would upload.
#pragma once

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace baotong::geodata::testing {

inline std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// A zip of `files` (name in the zip, bytes), through GDAL's zip writer.
inline std::string Zip(const std::filesystem::path& dir,
                       const std::vector<std::pair<std::string, std::string>>& files) {
  const std::filesystem::path zip = dir / "upload.zip";
  std::filesystem::remove(zip);
  void* handle = CPLCreateZip(zip.c_str(), nullptr);
  for (const auto& [name, bytes] : files) {
    CPLCreateFileInZip(handle, name.c_str(), nullptr);
    CPLWriteFileInZip(handle, bytes.data(), static_cast<int>(bytes.size()));
    CPLCloseFileInZip(handle);
  }
  CPLCloseZip(handle);
  return ReadBytes(zip);
}

struct TestFeature {
  std::string code;
  std::string name;  // written as given: UTF-8, or GBK bytes for a raw Shapefile
  std::string wkt;
};

// A Shapefile of polygons/points in `epsg`, fields CODE and NAME. `encoding` is the layer
// creation option: "CP936" writes a .cpg and recodes the UTF-8 names; "" writes the names'
// bytes as they are, with no .cpg.
inline std::string ShapefileZip(const std::filesystem::path& dir,
                                const std::vector<TestFeature>& features, int epsg,
                                const std::string& encoding, OGRwkbGeometryType type) {
  GDALAllRegister();
  const std::filesystem::path folder = dir / "shape";
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("ESRI Shapefile");
  GDALDataset* dataset =
      driver->Create((folder / "layer.shp").c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  OGRSpatialReference srs;
  srs.importFromEPSG(epsg);
  const std::string encoding_option = "ENCODING=" + encoding;
  const char* options[] = {encoding_option.c_str(), nullptr};
  OGRLayer* layer = dataset->CreateLayer("layer", &srs, type, const_cast<char**>(options));
  OGRFieldDefn code("CODE", OFTString);
  layer->CreateField(&code);
  OGRFieldDefn name("NAME", OFTString);
  layer->CreateField(&name);
  for (const auto& test : features) {
    OGRFeature feature(layer->GetLayerDefn());
    feature.SetField("CODE", test.code.c_str());
    feature.SetField("NAME", test.name.c_str());
    OGRGeometry* geometry = nullptr;
    OGRGeometryFactory::createFromWkt(test.wkt.c_str(), &srs, &geometry);
    feature.SetGeometryDirectly(geometry);
    EXPECT_EQ(layer->CreateFeature(&feature), OGRERR_NONE);
  }
  GDALClose(dataset);
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    files.emplace_back(entry.path().filename().string(), ReadBytes(entry.path()));
  return Zip(dir, files);
}

// A point (lon, lat in WGS-84) projected into `epsg`, as WKT.
inline std::string ProjectedPointWkt(double lon, double lat, int epsg) {
  OGRSpatialReference wgs84;
  wgs84.SetWellKnownGeogCS("WGS84");
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference target;
  target.importFromEPSG(epsg);
  target.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRCoordinateTransformation* transform = OGRCreateCoordinateTransformation(&wgs84, &target);
  double x = lon, y = lat;
  transform->Transform(1, &x, &y);
  OGRCoordinateTransformation::DestroyCT(transform);
  std::ostringstream wkt;
  wkt.precision(12);
  wkt << "POINT (" << x << " " << y << ")";
  return wkt.str();
}

// A one-sheet .xlsx written by GDAL's XLSX driver: the header, then the rows, all text.
inline std::string Workbook(const std::filesystem::path& dir,
                            const std::vector<std::string>& header,
                            const std::vector<std::vector<std::string>>& rows) {
  GDALAllRegister();
  const std::filesystem::path path = dir / "book.xlsx";
  std::filesystem::remove(path);
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("XLSX");
  GDALDataset* dataset = driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  OGRLayer* sheet = dataset->CreateLayer("Sheet1", nullptr, wkbNone, nullptr);
  for (const auto& column : header) {
    OGRFieldDefn field(column.c_str(), OFTString);
    sheet->CreateField(&field);
  }
  for (const auto& row : rows) {
    OGRFeature feature(sheet->GetLayerDefn());
    for (size_t i = 0; i < row.size(); ++i)
      feature.SetField(static_cast<int>(i), row[i].c_str());
    EXPECT_EQ(sheet->CreateFeature(&feature), OGRERR_NONE);
  }
  GDALClose(dataset);
  return ReadBytes(path);
}

}  // namespace baotong::geodata::testing
