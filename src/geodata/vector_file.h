// Geodata and workbooks as departments hand them over, read through GDAL/OGR: Shapefile (zipped
// with its .dbf/.shx/.prj/.cpg), KML and KMZ, GeoJSON, GeoPackage, CSV with a WKT column or
// longitude/latitude columns, and .xlsx workbooks (the registry's imports).
//
// Input is hostile: it is read from memory (/vsimem/), only through the drivers its extension
// names (no VRT, no network, no other files), and every problem is an error, never a crash.
// Coordinates come out in WGS-84 (EPSG:4326, longitude first): declared systems are
// transformed by PROJ, CGCS2000 (EPSG:4490) is used as is (centimetres apart), and data
// digitised on GCJ-02 / BD-09 web maps are shifted back when the caller says so (they carry no
// declaration of their own).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "geo/china_datums.h"

namespace baotong::geodata {

// Why a file or a feature was refused: a Chinese message with the English after it, built
// from the input (a file name, a code), so it owns its text (baotong::Error holds literals).
struct GeoError {
  std::string message;
};
template <typename T>
using GeoResult = tl::expected<T, GeoError>;
inline tl::unexpected<GeoError> Refuse(std::string message) {
  return tl::unexpected<GeoError>(GeoError{std::move(message)});
}

struct ReadOptions {
  // Decides the format by its extension: .zip (a zipped Shapefile or other files), .shz,
  // .kml, .kmz, .geojson/.json, .gpkg, .csv.
  std::string file_name;
  // Overrides the file's own coordinate system ("EPSG:4529"), for files without a .prj.
  std::optional<std::string> source_crs;
  // The web map the coordinates were digitised on (after any declared transformation).
  geo::Datum datum = geo::Datum::kWgs84;
  // Attribute encoding when the file does not declare one (a Shapefile without .cpg); by
  // default text that is not UTF-8 is read as GBK (GB18030), what Chinese desktop GIS writes.
  std::optional<std::string> encoding;
  std::optional<std::string> layer;  // one layer by name; default: all of them
};

struct VectorFeature {
  std::string layer;
  int64_t number = 0;                 // 1-based across the file, as errors name it
  nlohmann::ordered_json attributes;  // field name -> string, number or null
  nlohmann::ordered_json geometry;    // GeoJSON in WGS-84, 2D; null when the feature has none
  std::string geometry_problem;       // why OGR finds the geometry invalid; "" when valid
};

struct VectorFile {
  std::string driver;      // "ESRI Shapefile", "GeoJSON", ...
  std::string source_crs;  // as declared ("EPSG:4490"), "" when none
  std::vector<VectorFeature> features;
};

inline constexpr size_t kMaxFeatures = 200'000;

// Refuses a file that cannot be read: unknown extension, no driver recognises it, an unknown
// coordinate system, more than kMaxFeatures features.
GeoResult<VectorFile> ReadVectorFile(std::string_view bytes, const ReadOptions& options);

// The first sheet of an .xlsx workbook as text cells: the first row is the header, empty rows
// are skipped; `row_numbers` are the sheet's own (the header is row 1). Every cell is read as
// text, so that ID numbers and codes keep their digits and leading zeros.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> row_numbers;
};
GeoResult<Table> ReadSpreadsheet(std::string_view bytes);

// A ZIP container (.xlsx, .zip, .kmz) by its magic number.
bool LooksLikeZip(std::string_view bytes);

}  // namespace baotong::geodata
