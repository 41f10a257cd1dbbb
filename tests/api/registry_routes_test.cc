// Registry routes end to end: masking by role, audit of personal-data reads, scoping, Excel
// exports, imports with their rejected-rows report, map layers.
#include <gtest/gtest.h>

#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using testing::ApiFixture;
using testing::Json;
using testing::kTiedongCarrier;

class RegistryRoutesTest : public ApiFixture {
 protected:
  int64_t AuditCount(const std::string& action) {
    AuditFilter filter;
    filter.action = action;
    auto page = audit_->List(0, 1, filter);
    EXPECT_TRUE(page);
    return page ? page->total : -1;
  }
  Json Driver(const Json& page, const std::string& name) {
    for (const auto& item : page["items"]) {
      if (item["name"] == name)
        return item;
    }
    return Json();
  }
};

TEST_F(RegistryRoutesTest, AdminSeesPersonalDataAndTheReadIsAudited) {
  auto response = Get("/api/registry/drivers");
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  Json page = Body(response);
  EXPECT_EQ(page["total"], 2);
  Json zhang = Driver(page, "张伟");
  EXPECT_EQ(zhang["id_number"], "210302198507150011");
  EXPECT_EQ(zhang["phone"], "13912345678");
  EXPECT_EQ(zhang["masked"], Json::array());
  EXPECT_EQ(zhang["key"], "210302198507150011");
  EXPECT_EQ(AuditCount("registry.read"), 1);
}

TEST_F(RegistryRoutesTest, ADistrictSeesItsOwnDistrictMaskedAndItsLinksStillWork) {
  auto response = Get("/api/registry/drivers", Role::kDistrict);
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  Json page = Body(response);
  ASSERT_EQ(page["total"], 1) << page.dump();  // 李娜 works for a carrier in 海城市
  Json zhang = page["items"][0];
  EXPECT_EQ(zhang["id_number"], "210302********0011");
  EXPECT_EQ(zhang["phone"], "139****5678");
  EXPECT_NE(zhang["key"].get<std::string>().find("s."), std::string::npos);
  EXPECT_EQ(zhang["key"].get<std::string>().find("210302198507150011"), std::string::npos);
  // Nothing personal was shown, so nothing was audited.
  EXPECT_EQ(AuditCount("registry.read"), 0);

  // The sealed key opens the record, masked alike.
  auto detail = Get("/api/registry/drivers/" + zhang["key"].get<std::string>(), Role::kDistrict);
  ASSERT_EQ(detail.result(), http::status::ok) << detail.body();
  EXPECT_EQ(Body(detail)["id_number"], "210302********0011");
  EXPECT_TRUE(Body(detail).contains("credential"));
  // A record of another district is not there for it, by key either.
  EXPECT_EQ(Get("/api/registry/drivers/11010519491231002X", Role::kDistrict).result(),
            http::status::not_found);
  EXPECT_EQ(Get("/api/registry/drivers/s.forged", Role::kDistrict).result(),
            http::status::bad_request);
}

TEST_F(RegistryRoutesTest, ACarrierSeesOnlyItsOwnFleet) {
  Json vehicles = Body(Get("/api/registry/vehicles", Role::kCarrier));
  ASSERT_EQ(vehicles["total"], 1) << vehicles.dump();
  EXPECT_EQ(vehicles["items"][0]["carrier_credit_code"], kTiedongCarrier);
  EXPECT_EQ(
      Get("/api/registry/vehicles/" + std::string("%E8%BE%BDC67890-2"), Role::kCarrier).result(),
      http::status::not_found);
  auto own = Get("/api/registry/vehicles/%E8%BE%BDC12345-2", Role::kCarrier);
  ASSERT_EQ(own.result(), http::status::ok) << own.body();
  EXPECT_EQ(Body(own)["credential"]["status"], "valid");
}

TEST_F(RegistryRoutesTest, ListingsFilterAndRefuseBadFilters) {
  Json found = Body(Get("/api/registry/vehicles?q=67890"));
  ASSERT_EQ(found["total"], 1);
  EXPECT_EQ(found["items"][0]["plate"], "辽C67890");
  Json missing = Body(Get("/api/registry/vehicles?status=missing"));
  ASSERT_EQ(missing["total"], 1);  // 辽C67890 has no certificate dates at all
  EXPECT_EQ(Get("/api/registry/vehicles?status=sometimes").result(), http::status::bad_request);
  EXPECT_EQ(Get("/api/registry/carriers?status=valid").result(), http::status::bad_request);
  EXPECT_EQ(Get("/api/registry/vehicles?limit=100000").result(), http::status::bad_request);
  EXPECT_EQ(Get("/api/registry/lorries").result(), http::status::not_found);
}

TEST_F(RegistryRoutesTest, ExportsAnExcelWorkbookAndAuditsIt) {
  auto response = Get("/api/registry/vehicles/export.xlsx");
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  EXPECT_EQ(std::string(response[http::field::content_type]),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  ASSERT_GT(response.body().size(), 1000u);
  EXPECT_EQ(response.body().substr(0, 2), "PK");  // a zip container
  EXPECT_EQ(AuditCount("registry.export"), 1);
}

TEST_F(RegistryRoutesTest, AnImportReportsItsBadRowsAndRecordsWhoImported) {
  const std::string csv =
      "车牌号码,车牌颜色,车辆类型,统一社会信用代码,道路运输证号,道路运输证有效期至,"
      "交强险到期日期\r\n"
      "辽C24680,黄色,重型货车," +
      std::string(kTiedongCarrier) +
      ",辽交运001,2030-01-01,2030-01-01\r\n"
      "辽C12,黄色,重型货车," +
      std::string(kTiedongCarrier) + ",辽交运002,2030-01-01,2030-01-01\r\n";
  auto started = Send(http::verb::post, "/api/imports?kind=vehicles&file_name=fleet.csv", csv,
                      Role::kTransport);
  ASSERT_EQ(started.result(), http::status::accepted) << started.body();
  const int64_t id = Body(started)["id"];
  imports_->WaitIdle();
  auto status = Get("/api/imports/" + std::to_string(id), Role::kTransport);
  ASSERT_EQ(status.result(), http::status::ok) << status.body();
  Json result = Body(status);
  EXPECT_EQ(result["status"], "done");
  EXPECT_EQ(result["inserted"], 1);
  EXPECT_EQ(result["rejected"], 1);
  EXPECT_EQ(result["user"], "transport_user");
  ASSERT_EQ(result["rejections"].size(), 1u);
  EXPECT_EQ(result["rejections"][0]["row"], 3);
  EXPECT_EQ(result["rejections"][0]["column"], "车牌号码");

  auto report = Get("/api/imports/" + std::to_string(id) + "/rejections.csv", Role::kTransport);
  ASSERT_EQ(report.result(), http::status::ok);
  EXPECT_NE(report.body().find("行号,列,原因"), std::string::npos);
  EXPECT_NE(report.body().find("车牌号码"), std::string::npos);
  EXPECT_EQ(AuditCount("registry.import"), 1);
  // The imported vehicle is in the registry.
  EXPECT_EQ(Body(Get("/api/registry/vehicles?q=24680"))["total"], 1);
  // Another role without imports.read does not see someone else's import.
  if (!Allows(Role::kCheckpoint, Permission::kImportsRead)) {
    EXPECT_EQ(Get("/api/imports/" + std::to_string(id), Role::kCheckpoint).result(),
              http::status::forbidden);
  }
}

TEST_F(RegistryRoutesTest, ImportsRefuseEmptyOrUnknownInput) {
  EXPECT_EQ(Send(http::verb::post, "/api/imports?kind=vehicles", "").result(),
            http::status::bad_request);
  EXPECT_EQ(Send(http::verb::post, "/api/imports?kind=lorries", "a,b\r\n").result(),
            http::status::bad_request);
  EXPECT_EQ(Send(http::verb::post, "/api/imports?kind=vehicles&format=xls", "a").result(),
            http::status::bad_request);
  EXPECT_EQ(Get("/api/imports/999").result(), http::status::not_found);
  auto template_csv = Get("/api/import-templates/vehicles.csv");
  ASSERT_EQ(template_csv.result(), http::status::ok);
  EXPECT_NE(template_csv.body().find("车牌号码"), std::string::npos);
}

TEST_F(RegistryRoutesTest, MapLayersCarryTheCityAndTheSites) {
  Json boundary{
      {"type", "FeatureCollection"},
      {"features", Json::array({Json{
                       {"type", "Feature"},
                       {"properties", Json{{"layer", "boundary"}}},
                       {"geometry", Json{{"type", "Point"}, {"coordinates", {122.99, 41.1}}}}}})}};
  ASSERT_TRUE(registry::PutMapLayer(*database_, "boundary", nlohmann::ordered_json(boundary)));
  std::vector<registry::Site> sites(1);
  sites[0].code = "ZD777";
  sites[0].name = "鞍山西物流园区";
  sites[0].kind = registry::SiteKind::kLogisticsPark;
  sites[0].district = "铁西区";
  sites[0].geometry = R"({"type":"Point","coordinates":[122.92,41.14]})";
  ASSERT_TRUE(registry_->Upsert(std::span<const registry::Site>(sites), 1));
  Json layers = Body(Get("/api/map/layers"));
  ASSERT_EQ(layers["features"].size(), 3u) << layers.dump();  // with the fixture's site
  EXPECT_EQ(layers["features"][0]["properties"]["layer"], "boundary");
  EXPECT_EQ(layers["features"][1]["properties"]["layer"], "site");
  EXPECT_EQ(layers["features"][2]["properties"]["layer"], "site");
  // Roles without positions.read see the city under their own maps (卫健委's 协查, 卡口).
  for (Role role : {Role::kHealth, Role::kCheckpoint}) {
    auto response = Get("/api/map/layers", role);
    ASSERT_EQ(response.result(), http::status::ok) << response.body();
    EXPECT_EQ(Body(response)["features"][0]["properties"]["layer"], "boundary");
  }
}

}  // namespace
}  // namespace baotong::api
