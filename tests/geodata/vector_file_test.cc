#include "geodata/vector_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/gbk.h"
#include "geodata/geodata_test_files.h"

namespace baotong::geodata {
namespace {

using testing::ProjectedPointWkt;
using testing::ShapefileZip;
using testing::TestFeature;

class VectorFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baotong-geodata-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static ReadOptions Named(std::string file_name) {
    ReadOptions options;
    options.file_name = std::move(file_name);
    return options;
  }
  static std::string Gbk(std::string_view utf8) {
    std::vector<uint8_t> bytes;
    EXPECT_TRUE(AppendUtf8AsGbk(utf8, bytes));
    return std::string(bytes.begin(), bytes.end());
  }

  std::filesystem::path dir_;
};

constexpr const char* kSquare =
    "POLYGON ((122.95 41.10, 123.05 41.10, 123.05 41.15, 122.95 41.15, 122.95 41.10))";

TEST_F(VectorFileTest, ShapefileWithGbkAttributesAndNoCpgIsDecoded) {
  const std::string zip =
      ShapefileZip(dir_, {{"210302", Gbk("铁东区"), kSquare}}, 4490, "", wkbPolygon);
  auto file = ReadVectorFile(zip, Named("铁东区.zip"));
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->driver, "ESRI Shapefile");
  EXPECT_EQ(file->source_crs, "EPSG:4490");
  ASSERT_EQ(file->features.size(), 1u);
  EXPECT_EQ(file->features[0].attributes["NAME"], "铁东区");
  EXPECT_EQ(file->features[0].attributes["CODE"], "210302");
  EXPECT_EQ(file->features[0].geometry["type"], "Polygon");
  EXPECT_NEAR(file->features[0].geometry["coordinates"][0][0][0].get<double>(), 122.95, 1e-6);
  EXPECT_TRUE(file->features[0].geometry_problem.empty());
}

TEST_F(VectorFileTest, ShapefileWithCpgIsReadInItsDeclaredEncoding) {
  const std::string zip =
      ShapefileZip(dir_, {{"210303", "铁西区", kSquare}}, 4326, "CP936", wkbPolygon);
  auto file = ReadVectorFile(zip, Named("districts.zip"));
  ASSERT_TRUE(file) << file.error().message;
  ASSERT_EQ(file->features.size(), 1u);
  EXPECT_EQ(file->features[0].attributes["NAME"], "铁西区");
}

TEST_F(VectorFileTest, ProjectedCgcs2000IsTransformedToWgs84) {
  // CGCS2000 / 3-degree Gauss-Kruger zone 41 (central meridian 123°E), Anshan's zone.
  const std::string wkt = ProjectedPointWkt(122.9946, 41.1106, 4529);
  const std::string zip = ShapefileZip(dir_, {{"K1", "千山收费站", wkt}}, 4529, "UTF-8", wkbPoint);
  auto file = ReadVectorFile(zip, Named("checkpoints.zip"));
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->source_crs, "EPSG:4529");
  ASSERT_EQ(file->features.size(), 1u);
  const auto& point = file->features[0].geometry["coordinates"];
  EXPECT_NEAR(point[0].get<double>(), 122.9946, 1e-6);
  EXPECT_NEAR(point[1].get<double>(), 41.1106, 1e-6);
}

TEST_F(VectorFileTest, Gcj02GeoJsonIsShiftedBackToWgs84) {
  const geo::LatLon wgs{41.1106, 122.9946};
  const geo::LatLon gcj = geo::WgsToGcj(wgs);
  const std::string geojson =
      R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"S1",)"
      R"("name":"物流园"},"geometry":{"type":"Point","coordinates":[)" +
      std::to_string(gcj.lon) + "," + std::to_string(gcj.lat) + "]}}]}";
  ReadOptions options = Named("sites.geojson");
  options.datum = geo::Datum::kGcj02;
  auto file = ReadVectorFile(geojson, options);
  ASSERT_TRUE(file) << file.error().message;
  const auto& point = file->features[0].geometry["coordinates"];
  EXPECT_NEAR(point[0].get<double>(), wgs.lon, 2e-6);  // std::to_string keeps 6 decimals
  EXPECT_NEAR(point[1].get<double>(), wgs.lat, 2e-6);
  EXPECT_EQ(file->features[0].attributes["name"], "物流园");
}

TEST_F(VectorFileTest, CsvWithWktOrLongitudeLatitudeColumns) {
  auto wkt = ReadVectorFile("code,name,wkt\nR1,鞍海路,\"LINESTRING (122.9 41.1, 123.0 41.12)\"\n",
                            Named("routes.csv"));
  ASSERT_TRUE(wkt) << wkt.error().message;
  ASSERT_EQ(wkt->features.size(), 1u);
  EXPECT_EQ(wkt->features[0].geometry["type"], "LineString");
  EXPECT_EQ(wkt->features[0].attributes["name"], "鞍海路");

  // Saved by Excel on Chinese Windows: GBK, Chinese column names.
  const std::string gbk_csv = Gbk("编号,名称,经度,纬度,方向\nK1,腾鳌收费站,122.85,40.95,进城\n");
  auto points = ReadVectorFile(gbk_csv, Named("checkpoints.csv"));
  ASSERT_TRUE(points) << points.error().message;
  ASSERT_EQ(points->features.size(), 1u);
  EXPECT_EQ(points->features[0].attributes["名称"], "腾鳌收费站");
  EXPECT_EQ(points->features[0].attributes["方向"], "进城");
  EXPECT_NEAR(points->features[0].geometry["coordinates"][0].get<double>(), 122.85, 1e-9);
}

TEST_F(VectorFileTest, CsvNamingACoordinateColumnTwiceIsReadNotACrash) {
  // GDAL 3.6 crashed on this header when told to drop the coordinate columns.
  auto file = ReadVectorFile("code,name,lon,lon,lat\nK1,a,122.9,123.0,41.1\n", Named("k.csv"));
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->features.size(), 1u);
}

TEST_F(VectorFileTest, KmlAndKmz) {
  const std::string kml = R"(<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>禁行区</name>
<ExtendedData><Data name="code"><value>Z1</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>122.95,41.10 123.05,41.10 123.05,41.15 122.95,41.10</coordinates></LinearRing></outerBoundaryIs></Polygon>
</Placemark></Document></kml>)";
  auto plain = ReadVectorFile(kml, Named("zones.kml"));
  ASSERT_TRUE(plain) << plain.error().message;
  ASSERT_EQ(plain->features.size(), 1u);
  EXPECT_EQ(plain->features[0].attributes["Name"], "禁行区");
  EXPECT_EQ(plain->features[0].attributes["code"], "Z1");
  EXPECT_EQ(plain->features[0].geometry["type"], "Polygon");

  const std::string kmz = testing::Zip(dir_, {{"doc.kml", kml}});
  auto zipped = ReadVectorFile(kmz, Named("zones.kmz"));
  ASSERT_TRUE(zipped) << zipped.error().message;
  ASSERT_EQ(zipped->features.size(), 1u);
  EXPECT_EQ(zipped->features[0].attributes["Name"], "禁行区");
}

TEST_F(VectorFileTest, GeoPackage) {
  GDALAllRegister();
  const auto path = dir_ / "sites.gpkg";
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
  GDALDataset* dataset = driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  OGRSpatialReference srs;
  srs.importFromEPSG(4490);
  OGRLayer* layer = dataset->CreateLayer("sites", &srs, wkbPoint, nullptr);
  OGRFieldDefn name("名称", OFTString);
  layer->CreateField(&name);
  OGRFeature feature(layer->GetLayerDefn());
  feature.SetField(0, "西柳市场");
  OGRPoint point(122.72, 40.85);
  feature.SetGeometry(&point);
  ASSERT_EQ(layer->CreateFeature(&feature), OGRERR_NONE);
  GDALClose(dataset);
  auto file = ReadVectorFile(testing::ReadBytes(path), Named("sites.gpkg"));
  ASSERT_TRUE(file) << file.error().message;
  ASSERT_EQ(file->features.size(), 1u);
  EXPECT_EQ(file->features[0].attributes["名称"], "西柳市场");
  EXPECT_NEAR(file->features[0].geometry["coordinates"][0].get<double>(), 122.72, 1e-6);
}

TEST_F(VectorFileTest, SelfIntersectingPolygonIsReportedNotRejected) {
  const std::string geojson =
      R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":)"
      R"({"type":"Polygon","coordinates":[[[122,41],[123,42],[123,41],[122,42],[122,41]]]}}]})";
  auto file = ReadVectorFile(geojson, Named("bowtie.geojson"));
  ASSERT_TRUE(file) << file.error().message;
  ASSERT_EQ(file->features.size(), 1u);
  EXPECT_FALSE(file->features[0].geometry_problem.empty());
}

TEST_F(VectorFileTest, HostileOrUnsupportedInputIsAnError) {
  EXPECT_FALSE(ReadVectorFile("", Named("a.geojson")));
  EXPECT_FALSE(ReadVectorFile("not json at all {{{", Named("a.geojson")));
  EXPECT_FALSE(ReadVectorFile("PK\x03\x04garbage", Named("a.zip")));
  EXPECT_FALSE(ReadVectorFile("<VRTDataset/>", Named("a.vrt")));
  auto shp = ReadVectorFile("xxxx", Named("a.shp"));
  ASSERT_FALSE(shp);
  EXPECT_NE(shp.error().message.find(".zip"), std::string::npos);
  ReadOptions bad_crs = Named("a.geojson");
  bad_crs.source_crs = "/etc/passwd";
  EXPECT_FALSE(ReadVectorFile(R"({"type":"FeatureCollection","features":[]})", bad_crs));
}

TEST_F(VectorFileTest, SpreadsheetKeepsDigitsAndSkipsBlankRows) {
  const std::string book = testing::Workbook(
      dir_, {"车牌号", "身份证号"},
      {{"辽C12345", "210302199001011234"}, {"", ""}, {"辽C54321", "010302199001011234"}});
  auto table = ReadSpreadsheet(book);
  ASSERT_TRUE(table) << table.error().message;
  ASSERT_EQ(table->header, (std::vector<std::string>{"车牌号", "身份证号"}));
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_EQ(table->rows[1][1], "010302199001011234");
  EXPECT_EQ(table->row_numbers[0], 2);
  EXPECT_EQ(table->row_numbers[1], 4);
  EXPECT_FALSE(ReadSpreadsheet("a,b\n1,2\n"));
  EXPECT_FALSE(ReadSpreadsheet("PK\x03\x04broken"));
}

}  // namespace
}  // namespace baotong::geodata
