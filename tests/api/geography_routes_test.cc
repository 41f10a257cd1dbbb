// /api/geo: staff who configure zones load a layer from a file (preview, then import), the
// change is audited, the checkpoints and the engine have it at once, and the import's large
// body is read only for a role that may change the geography.
#include <gtest/gtest.h>

#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using testing::ApiFixture;
using testing::Json;

class GeographyRoutesTest : public ApiFixture {};

constexpr const char* kCheckpoints =
    "code,name,lon,lat,direction\n"
    "GK1,鞍千路入城卡口,123.02,41.06,进城\n";

TEST_F(GeographyRoutesTest, PreviewThenImportAppliesAtOnceAndIsAudited) {
  auto preview = Send(http::verb::post, "/api/geo/preview?kind=checkpoints&file_name=k.csv",
                      kCheckpoints, Role::kTransport);
  ASSERT_EQ(preview.result(), http::status::ok) << preview.body();
  Json body = Body(preview);
  EXPECT_EQ(body["features_valid"], 1);
  EXPECT_EQ(body["collection"]["features"][0]["properties"]["direction"], "in");
  EXPECT_FALSE(checkpoints_->FindCheckpoint("GK1"));

  auto imported = Send(http::verb::post, "/api/geo/import?kind=checkpoints&file_name=k.csv",
                       kCheckpoints, Role::kTransport);
  ASSERT_EQ(imported.result(), http::status::ok) << imported.body();
  body = Body(imported);
  EXPECT_EQ(body["version"], 1);
  ASSERT_TRUE(body["checkpoint_keys"].contains("GK1"));
  // The camera at the new gate works with its key, without a restart.
  EXPECT_TRUE(checkpoints_->VerifyApiKey("GK1", body["checkpoint_keys"]["GK1"].get<std::string>()));
  auto versions = Get("/api/geo/layers/checkpoints/versions", Role::kHealth);
  ASSERT_EQ(versions.result(), http::status::ok);
  EXPECT_EQ(Body(versions)["versions"][0]["changed_by"], "transport_user");
  auto audit = Get("/api/audit?action=geo.import");
  ASSERT_EQ(audit.result(), http::status::ok);
  EXPECT_NE(audit.body().find("checkpoints:k.csv"), std::string::npos);
}

TEST_F(GeographyRoutesTest, BadFeaturesAre422WithTheirNumbersAndChangeNothing) {
  auto response = Send(http::verb::post, "/api/geo/import?kind=routes&file_name=r.geojson",
                       R"({"type":"FeatureCollection","features":[{"type":"Feature",)"
                       R"("properties":{"code":"R1","name":"x"},"geometry":{"type":"Point",)"
                       R"("coordinates":[123,41]}}]})",
                       Role::kAdmin);
  ASSERT_EQ(response.result(), http::status::unprocessable_entity) << response.body();
  Json body = Body(response);
  ASSERT_EQ(body["errors"].size(), 1u);
  EXPECT_EQ(body["errors"][0]["feature"], 1);
  auto layers = Get("/api/geo/layers");
  EXPECT_TRUE(Body(layers)["layers"].empty());
}

TEST_F(GeographyRoutesTest, OthersMayNotChangeTheGeography) {
  for (Role role : {Role::kHealth, Role::kCheckpoint, Role::kCarrier, Role::kPolice}) {
    auto response = Send(http::verb::post, "/api/geo/import?kind=checkpoints&file_name=k.csv",
                         kCheckpoints, role);
    EXPECT_EQ(response.result(), http::status::forbidden) << RoleId(role);
  }
  EXPECT_FALSE(checkpoints_->FindCheckpoint("GK1"));
  // The sites layer is registry data: a role without sites.read gets 403, as on the map.
  for (Role role : AllRoles()) {
    auto sites = Get("/api/geo/layers/sites", role);
    EXPECT_EQ(sites.result(),
              Allows(role, Permission::kReadSites) ? http::status::ok : http::status::forbidden)
        << RoleId(role);
  }
  auto unknown = Send(http::verb::post, "/api/geo/import?kind=rivers&file_name=k.csv", kCheckpoints,
                      Role::kAdmin);
  EXPECT_EQ(unknown.result(), http::status::bad_request);
}

}  // namespace
}  // namespace baotong::api
