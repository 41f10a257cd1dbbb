#include "geodata/vector_file.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>
#include <mutex>
#include <regex>

#include "common/gbk.h"

namespace baotong::geodata {
namespace {

using Json = nlohmann::ordered_json;

void RegisterDrivers() {
  static std::once_flag registered;
  std::call_once(registered, [] { GDALAllRegister(); });
}

// GDAL reports problems through a global handler that prints to stderr: within a read they are
// kept quiet and the last one is read into the error the caller gets.
class QuietErrors {
 public:
  QuietErrors() {
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
  }
  ~QuietErrors() { CPLPopErrorHandler(); }
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;
  static std::string Last() {
    const char* message = CPLGetLastErrorMsg();
    return message ? std::string(message) : std::string();
  }
};

// The upload as a file of GDAL's in-memory file system, for the life of the object. GDAL reads
// the caller's bytes in place.
class MemoryFile {
 public:
  MemoryFile(std::string_view bytes, std::string_view extension) {
    static std::atomic<uint64_t> counter{0};
    path_ = "/vsimem/baotong-" + std::to_string(getpid()) + "-" + std::to_string(++counter) +
            std::string(extension);
    VSILFILE* file = VSIFileFromMemBuffer(
        path_.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(bytes.data())),
        static_cast<vsi_l_offset>(bytes.size()), /*bTakeOwnership=*/FALSE);
    if (file)
      VSIFCloseL(file);
  }
  ~MemoryFile() { VSIUnlink(path_.c_str()); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct DatasetCloser {
  void operator()(GDALDataset* dataset) const { GDALClose(dataset); }
};
using Dataset = std::unique_ptr<GDALDataset, DatasetCloser>;

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string Extension(std::string_view file_name) {
  const size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos)
    return "";
  return Lower(file_name.substr(dot));
}

// A C array of C strings for GDAL, alive with the object.
class StringList {
 public:
  StringList& Add(std::string value) {
    values_.push_back(std::move(value));
    return *this;
  }
  char** get() {
    pointers_.clear();
    for (auto& value : values_)
      pointers_.push_back(value.data());
    pointers_.push_back(nullptr);
    return pointers_.data();
  }
  bool empty() const { return values_.empty(); }

 private:
  std::vector<std::string> values_;
  std::vector<char*> pointers_;
};

// What to open and how, from the file name.
struct OpenPlan {
  std::string path_suffix;           // the memory file's extension
  bool zipped = false;               // open through /vsizip/
  std::vector<std::string> drivers;  // the only drivers allowed to read it
  bool csv = false;
};

GeoResult<OpenPlan> PlanFor(std::string_view file_name) {
  const std::string extension = Extension(file_name);
  OpenPlan plan;
  plan.path_suffix = extension;
  if (extension == ".zip" || extension == ".shz") {
    plan.path_suffix = ".zip";
    plan.zipped = true;
    plan.drivers = {"ESRI Shapefile", "GeoJSON", "KML", "LIBKML", "GPKG", "CSV"};
  } else if (extension == ".kml") {
    plan.drivers = {"LIBKML", "KML"};
  } else if (extension == ".kmz") {
    plan.drivers = {"LIBKML"};
  } else if (extension == ".geojson" || extension == ".json") {
    plan.drivers = {"GeoJSON"};
  } else if (extension == ".gpkg") {
    plan.drivers = {"GPKG"};
  } else if (extension == ".csv") {
    plan.drivers = {"CSV"};
    plan.csv = true;
  } else if (extension == ".shp" || extension == ".dbf" || extension == ".shx") {
    return Refuse(
        "Shapefile 请连同 .shp、.shx、.dbf、.prj（及 .cpg）文件一起压缩为 .zip 上传 "
        "(zip the Shapefile with its .shx, .dbf, .prj and .cpg)");
  } else {
    return Refuse(
        "不支持的文件类型，请上传 .zip（Shapefile）、.kml、.kmz、.geojson、.gpkg 或 .csv "
        "(unsupported file type)");
  }
  return plan;
}

// Text of a file that declared no encoding: UTF-8 when it is, else GBK (GB18030).
std::string DecodeText(const char* raw, bool detect) {
  std::string text = raw ? raw : "";
  if (!detect || CPLIsUTF8(text.c_str(), -1))
    return text;
  auto decoded = GbkToUtf8(ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  return decoded ? *decoded : std::string("\xEF\xBF\xBD");  // U+FFFD: unreadable
}

// The names GDAL's CSV driver may take for coordinate columns, in UTF-8 and in GBK (a CSV
// saved by Excel on Chinese Windows).
std::string PossibleNames(std::vector<std::string> names) {
  std::string list;
  const size_t utf8_names = names.size();
  for (size_t i = 0; i < utf8_names; ++i) {
    std::vector<uint8_t> gbk;
    if (AppendUtf8AsGbk(names[i], gbk) && std::string(gbk.begin(), gbk.end()) != names[i])
      names.emplace_back(gbk.begin(), gbk.end());
  }
  for (const auto& name : names) {
    if (!list.empty())
      list += ',';
    list += name;
  }
  return list;
}

GeoResult<Dataset> Open(const std::string& path, const OpenPlan& plan,
                        std::optional<std::string> shapefile_encoding) {
  StringList drivers;
  for (const auto& driver : plan.drivers)
    drivers.Add(driver);
  StringList open_options;
  if (shapefile_encoding)
    open_options.Add("ENCODING=" + *shapefile_encoding);
  if (plan.csv) {
    open_options.Add("GEOM_POSSIBLE_NAMES=" +
                     PossibleNames({"wkt", "WKT", "geometry", "Geometry", "geom", "几何"}));
    open_options.Add("X_POSSIBLE_NAMES=" + PossibleNames({"lon", "lng", "longitude", "Longitude",
                                                          "LON", "LNG", "x", "X", "经度"}));
    open_options.Add("Y_POSSIBLE_NAMES=" +
                     PossibleNames({"lat", "latitude", "Latitude", "LAT", "y", "Y", "纬度"}));
    // Kept as attributes: with KEEP_GEOM_COLUMNS=NO, GDAL 3.6's CSV driver dereferences null on
    // a header naming a coordinate column twice (found by fuzz/geodata_fuzz).
    open_options.Add("KEEP_GEOM_COLUMNS=YES");
    open_options.Add("AUTODETECT_TYPE=NO");
  }
  const std::string open_path = plan.zipped ? "/vsizip/" + path : path;
  GDALDataset* dataset = GDALDataset::Open(
      open_path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, drivers.get(),
      open_options.empty() ? nullptr : open_options.get(), nullptr);
  if (!dataset) {
    return Refuse(
        "无法读取该文件：格式不符或文件已损坏 (cannot read the file: " + QuietErrors::Last() + ")");
  }
  return Dataset(dataset);
}

// Whether a Shapefile layer declared its encoding (.cpg or the .dbf's language driver id).
bool DeclaresEncoding(OGRLayer& layer) {
  return layer.GetMetadataItem("ENCODING_FROM_CPG", "SHAPEFILE") != nullptr ||
         layer.GetMetadataItem("ENCODING_FROM_LDID", "SHAPEFILE") != nullptr;
}

void ShiftCoordinates(Json& coordinates, geo::Datum datum) {
  if (!coordinates.is_array() || coordinates.empty())
    return;
  if (coordinates[0].is_number()) {
    if (coordinates.size() < 2 || !coordinates[1].is_number())
      return;
    const geo::LatLon wgs =
        geo::ToWgs(datum, {coordinates[1].get<double>(), coordinates[0].get<double>()});
    coordinates[0] = wgs.lon;
    coordinates[1] = wgs.lat;
    return;
  }
  for (auto& child : coordinates)
    ShiftCoordinates(child, datum);
}

void ShiftGeometry(Json& geometry, geo::Datum datum) {
  if (geometry.contains("coordinates"))
    ShiftCoordinates(geometry["coordinates"], datum);
  if (geometry.contains("geometries")) {
    for (auto& child : geometry["geometries"])
      ShiftGeometry(child, datum);
  }
}

GeoResult<std::unique_ptr<OGRSpatialReference>> SourceOverride(const ReadOptions& options) {
  if (!options.source_crs)
    return nullptr;
  // Only EPSG codes: GDAL's user input parser would also read files and URLs.
  static const std::regex kEpsg(R"((?:EPSG|epsg):(\d{4,6}))");
  std::smatch match;
  const std::string text = *options.source_crs;
  if (!std::regex_match(text, match, kEpsg))
    return Refuse("坐标系应写作 EPSG:代码，例如 EPSG:4490 (crs must be EPSG:n)");
  auto srs = std::make_unique<OGRSpatialReference>();
  if (srs->importFromEPSG(std::stoi(match[1].str())) != OGRERR_NONE)
    return Refuse("未知的坐标系 " + text + " (unknown crs)");
  return srs;
}

std::string CrsLabel(const OGRSpatialReference& srs) {
  const char* authority = srs.GetAuthorityName(nullptr);
  const char* code = srs.GetAuthorityCode(nullptr);
  if (authority && code)
    return std::string(authority) + ":" + code;
  const char* name = srs.GetName();
  return name ? name : "";
}

}  // namespace

bool LooksLikeZip(std::string_view bytes) {
  return bytes.size() >= 4 && bytes.substr(0, 4) == std::string_view("PK\x03\x04", 4);
}

GeoResult<VectorFile> ReadVectorFile(std::string_view bytes, const ReadOptions& options) {
  if (bytes.empty())
    return Refuse("文件为空 (the file is empty)");
  auto plan = PlanFor(options.file_name);
  if (!plan)
    return tl::unexpected(plan.error());
  auto override_srs = SourceOverride(options);
  if (!override_srs)
    return tl::unexpected(override_srs.error());
  RegisterDrivers();
  QuietErrors quiet;
  MemoryFile file(bytes, plan->path_suffix);

  // A Shapefile that declares no encoding is read as raw bytes and decoded here, since GDAL
  // would take it for Latin-1; so is every CSV (GDAL passes its bytes through).
  bool detect_encoding = plan->csv;
  auto dataset = Open(file.path(), *plan, options.encoding);
  if (!dataset)
    return tl::unexpected(dataset.error());
  if (!options.encoding && EQUAL((*dataset)->GetDriverName(), "ESRI Shapefile")) {
    bool declared = true;
    for (auto* layer : (*dataset)->GetLayers())
      declared = declared && DeclaresEncoding(*layer);
    if (!declared) {
      dataset->reset();
      dataset = Open(file.path(), *plan, std::string());
      if (!dataset)
        return tl::unexpected(dataset.error());
      detect_encoding = true;
    }
  }

  VectorFile result;
  result.driver = (*dataset)->GetDriverName();
  OGRSpatialReference wgs84;
  wgs84.SetWellKnownGeogCS("WGS84");
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const char* precision[] = {"COORDINATE_PRECISION=7", nullptr};  // about a centimetre
  bool found_layer = false;
  for (auto* layer : (*dataset)->GetLayers()) {
    const std::string layer_name = DecodeText(layer->GetName(), detect_encoding);
    if (options.layer && *options.layer != layer_name)
      continue;
    found_layer = true;
    const OGRSpatialReference* declared = layer->GetSpatialRef();
    std::unique_ptr<OGRSpatialReference> source;
    if (*override_srs)
      source.reset((*override_srs)->Clone());
    else if (declared)
      source.reset(declared->Clone());
    std::unique_ptr<OGRCoordinateTransformation> to_wgs84;
    if (source) {
      source->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
      if (result.source_crs.empty())
        result.source_crs = CrsLabel(*source);
      if (!source->IsSame(&wgs84)) {
        to_wgs84.reset(OGRCreateCoordinateTransformation(source.get(), &wgs84));
        if (!to_wgs84) {
          return Refuse("无法将坐标系 " + CrsLabel(*source) +
                        " 转换为 WGS-84 (cannot transform the crs)");
        }
      }
    }
    OGRFeatureDefn* definition = layer->GetLayerDefn();
    std::vector<std::string> field_names;
    for (int i = 0; i < definition->GetFieldCount(); ++i)
      field_names.push_back(DecodeText(definition->GetFieldDefn(i)->GetNameRef(), detect_encoding));
    layer->ResetReading();
    for (auto& feature : *layer) {
      if (result.features.size() >= kMaxFeatures) {
        return Refuse("要素过多（上限 " + std::to_string(kMaxFeatures) + "） (too many features)");
      }
      VectorFeature out;
      out.layer = layer_name;
      out.number = static_cast<int64_t>(result.features.size()) + 1;
      out.attributes = Json::object();
      for (int i = 0; i < definition->GetFieldCount(); ++i) {
        Json value;
        if (feature->IsFieldSetAndNotNull(i)) {
          switch (definition->GetFieldDefn(i)->GetType()) {
            case OFTInteger:
            case OFTInteger64:
              value = static_cast<int64_t>(feature->GetFieldAsInteger64(i));
              break;
            case OFTReal:
              value = feature->GetFieldAsDouble(i);
              break;
            default:
              value = DecodeText(feature->GetFieldAsString(i), detect_encoding);
          }
        }
        out.attributes[field_names[static_cast<size_t>(i)]] = std::move(value);
      }
      OGRGeometry* geometry = feature->GetGeometryRef();
      if (geometry) {
        std::unique_ptr<OGRGeometry> linear;
        if (geometry->hasCurveGeometry()) {
          linear.reset(geometry->getLinearGeometry());
          geometry = linear.get();
        }
        if (geometry && to_wgs84 && geometry->transform(to_wgs84.get()) != OGRERR_NONE) {
          out.geometry_problem = "坐标转换失败 (the coordinates could not be transformed)";
          geometry = nullptr;
        }
        if (geometry) {
          geometry->flattenTo2D();
          CPLErrorReset();
          if (!geometry->IsEmpty() && !geometry->IsValid()) {
            const std::string why = QuietErrors::Last();
            out.geometry_problem = "几何图形无效（自相交或环未闭合）" +
                                   (why.empty() ? std::string() : " (" + why + ")");
          }
          char* text =
              OGR_G_ExportToJsonEx(OGRGeometry::ToHandle(geometry), const_cast<char**>(precision));
          if (text) {
            out.geometry = Json::parse(text, nullptr, /*allow_exceptions=*/false);
            CPLFree(text);
            if (out.geometry.is_discarded())
              out.geometry = nullptr;
            else if (options.datum != geo::Datum::kWgs84)
              ShiftGeometry(out.geometry, options.datum);
          }
        }
      }
      result.features.push_back(std::move(out));
    }
  }
  if (options.layer && !found_layer)
    return Refuse("文件中没有图层 " + *options.layer + " (no such layer)");
  return result;
}

GeoResult<Table> ReadSpreadsheet(std::string_view bytes) {
  if (!LooksLikeZip(bytes))
    return Refuse("不是有效的 .xlsx 工作簿 (not an .xlsx workbook)");
  RegisterDrivers();
  QuietErrors quiet;
  MemoryFile file(bytes, ".xlsx");
  StringList drivers;
  drivers.Add("XLSX");
  // Every cell as text, so that ID numbers and codes keep their digits; the first row is the
  // header. GDAL 3.6's XLSX driver takes these as thread-local configuration (not as open
  // options), read when the sheet is first parsed, so they stay set until the end.
  struct SheetSettings {
    SheetSettings() {
      CPLSetThreadLocalConfigOption("OGR_XLSX_HEADERS", "FORCE");
      CPLSetThreadLocalConfigOption("OGR_XLSX_FIELD_TYPES", "STRING");
    }
    ~SheetSettings() {
      CPLSetThreadLocalConfigOption("OGR_XLSX_HEADERS", nullptr);
      CPLSetThreadLocalConfigOption("OGR_XLSX_FIELD_TYPES", nullptr);
    }
  } settings;
  Dataset dataset(GDALDataset::Open(file.path().c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                    drivers.get(), nullptr, nullptr));
  if (!dataset || dataset->GetLayerCount() == 0) {
    return Refuse("无法读取该工作簿 (cannot read the workbook: " + QuietErrors::Last() + ")");
  }
  OGRLayer* sheet = dataset->GetLayer(0);
  OGRFeatureDefn* definition = sheet->GetLayerDefn();
  Table table;
  for (int i = 0; i < definition->GetFieldCount(); ++i)
    table.header.emplace_back(definition->GetFieldDefn(i)->GetNameRef());
  sheet->ResetReading();
  for (auto& feature : *sheet) {
    std::vector<std::string> cells;
    bool blank = true;
    for (int i = 0; i < definition->GetFieldCount(); ++i) {
      cells.emplace_back(feature->IsFieldSetAndNotNull(i) ? feature->GetFieldAsString(i) : "");
      blank = blank && cells.back().find_first_not_of(" \t") == std::string::npos;
    }
    if (blank)
      continue;
    table.rows.push_back(std::move(cells));
    // The driver's feature ids are the sheet's row numbers.
    table.row_numbers.push_back(static_cast<int64_t>(feature->GetFID()));
  }
  return table;
}

}  // namespace baotong::geodata
