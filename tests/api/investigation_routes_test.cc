// The 协查 routes over real HTTP: an area query answers who was there with carrier, district and
// entry facts; it is refused without a purpose, audited with it, scoped for districts, exported
// as a workbook; the vehicle query finds another vehicle stopped beside it.
#include <gtest/gtest.h>

#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using testing::ApiFixture;
using testing::HttpResponse;
using testing::Json;

constexpr const char* kTiedongTerminal = "013900000001";
constexpr const char* kHaichengTerminal = "013900000002";

class InvestigationRoutesTest : public ApiFixture {
 protected:
  HttpResponse Post(const std::string& target, const Json& body, Role as = Role::kAdmin) {
    return Send(http::verb::post, target, body.dump(), as);
  }

  // Both seeded vehicles park side by side at (41.10, 122.99) for 20 minutes, an hour ago.
  void ParkBothVehicles() {
    start_ = NowMs() - 3'600'000;
    std::vector<model::Position> positions;
    for (int i = 0; i <= 40; ++i) {
      for (const char* terminal : {kTiedongTerminal, kHaichengTerminal}) {
        model::Position p;
        p.terminal = terminal;
        p.serial = static_cast<uint16_t>(i);
        p.device_time_ms = start_ + i * 30'000;
        p.receive_time_ms = p.device_time_ms;
        p.lat_e6 = 41'100'000 + (terminal == kTiedongTerminal ? 0 : 300);  // 33 m apart
        p.lon_e6 = 122'990'000;
        positions.push_back(p);
      }
    }
    ASSERT_TRUE(store_.Append(positions));
  }

  Json AreaBody(std::string purpose = "疫情协查：确诊病例活动轨迹") {
    return Json{{"area", {{"type", "circle"}, {"lat", 41.1}, {"lon", 122.99}, {"radius_m", 500}}},
                {"from_ms", start_},
                {"to_ms", start_ + 3'600'000},
                {"purpose", std::move(purpose)}};
  }

  int64_t start_ = 0;
};

TEST_F(InvestigationRoutesTest, AnAreaQueryListsWhoWasThereAndIsAuditedWithItsPurpose) {
  ParkBothVehicles();
  const auto response = Post("/api/investigations/area", AreaBody());
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  const Json body = Body(response);
  ASSERT_EQ(body["count"], 2);
  const Json& first = body["vehicles"][0]["terminal"] == kTiedongTerminal ? body["vehicles"][0]
                                                                          : body["vehicles"][1];
  EXPECT_EQ(first["plate"], "辽C12345");
  EXPECT_EQ(first["district"], "铁东区");
  EXPECT_EQ(first["carrier"]["name"], "鞍山市测试物流有限公司");
  EXPECT_EQ(first["first_ms"], start_);
  EXPECT_EQ(first["last_ms"], start_ + 40 * 30'000);
  EXPECT_EQ(first["reports"], 41);
  EXPECT_EQ(first["between_reports"], false);

  const std::string audit = Get("/api/audit?limit=20").body();
  EXPECT_NE(audit.find("investigations.area"), std::string::npos);
  EXPECT_NE(audit.find("确诊病例活动轨迹"), std::string::npos);
}

TEST_F(InvestigationRoutesTest, RefusesWithoutPurposeOrWithABadAreaOrWindow) {
  ParkBothVehicles();
  EXPECT_EQ(Post("/api/investigations/area", AreaBody("查")).result(), http::status::bad_request);
  Json no_area = AreaBody();
  no_area["area"] = {{"type", "circle"}, {"lat", 41.1}, {"lon", 122.99}, {"radius_m", 90'000}};
  EXPECT_EQ(Post("/api/investigations/area", no_area).result(), http::status::bad_request);
  Json triangle_short = AreaBody();
  triangle_short["area"] = {{"type", "polygon"}, {"points", {{41.1, 122.9}, {41.2, 122.9}}}};
  EXPECT_EQ(Post("/api/investigations/area", triangle_short).result(), http::status::bad_request);
  Json reversed = AreaBody();
  reversed["to_ms"] = start_ - 1;
  EXPECT_EQ(Post("/api/investigations/area", reversed).result(), http::status::bad_request);
  Json overflowing = AreaBody();
  overflowing["from_ms"] = -9'000'000'000'000'000'000;
  overflowing["to_ms"] = 9'000'000'000'000'000'000;
  EXPECT_EQ(Post("/api/investigations/area", overflowing).result(), http::status::bad_request);
  Json province = AreaBody();
  province["area"] = {{"type", "polygon"},
                      {"points", {{40.0, 121.0}, {42.0, 121.0}, {42.0, 124.0}, {40.0, 124.0}}}};
  EXPECT_EQ(Post("/api/investigations/area", province).result(), http::status::bad_request);
  EXPECT_EQ(Send(http::verb::get, "/api/investigations/area", "", Role::kAdmin).result(),
            http::status::method_not_allowed);
  Json vehicle{{"plate", "辽C12345"},
               {"from_ms", start_},
               {"to_ms", start_ + 3'600'000},
               {"radius_m", "200"},
               {"purpose", "疫情协查：密接车辆排查"}};
  EXPECT_EQ(Post("/api/investigations/vehicle", vehicle).result(), http::status::bad_request);
  vehicle["radius_m"] = 200;
  vehicle["margin_ms"] = 1e300;
  EXPECT_EQ(Post("/api/investigations/vehicle", vehicle).result(), http::status::bad_request);
}

TEST_F(InvestigationRoutesTest, OnlyInvestigatingRolesMayAskAndDistrictsSeeTheirOwn) {
  ParkBothVehicles();
  EXPECT_EQ(Post("/api/investigations/area", AreaBody(), Role::kCarrier).result(),
            http::status::forbidden);
  EXPECT_EQ(Post("/api/investigations/area", AreaBody(), Role::kCheckpoint).result(),
            http::status::forbidden);
  const auto district = Post("/api/investigations/area", AreaBody(), Role::kDistrict);
  ASSERT_EQ(district.result(), http::status::ok);
  const Json body = Body(district);
  ASSERT_EQ(body["count"], 1);
  EXPECT_EQ(body["vehicles"][0]["terminal"], kTiedongTerminal);
  EXPECT_EQ(Post("/api/investigations/area", AreaBody(), Role::kHealth).result(), http::status::ok);
}

TEST_F(InvestigationRoutesTest, TheAnswerExportsAsAWorkbook) {
  ParkBothVehicles();
  const auto response = Post("/api/investigations/area/export", AreaBody());
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body().substr(0, 2), "PK");
  EXPECT_NE(response[http::field::content_disposition].find(".xlsx"), std::string::npos);
  EXPECT_NE(Get("/api/audit?limit=20").body().find("investigations.area.export"),
            std::string::npos);
}

TEST_F(InvestigationRoutesTest, AVehicleQueryFindsTheVehicleStoppedBesideIt) {
  ParkBothVehicles();
  Json body{{"plate", "辽C12345"},         {"from_ms", start_ - 600'000},
            {"to_ms", start_ + 3'600'000}, {"radius_m", 100},
            {"margin_ms", 600'000},        {"purpose", "疫情协查：密接车辆排查"}};
  const auto response = Post("/api/investigations/vehicle", body);
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  const Json answer = Body(response);
  EXPECT_EQ(answer["vehicle"]["terminal"], kTiedongTerminal);
  ASSERT_EQ(answer["stops"].size(), 1u);
  ASSERT_EQ(answer["stops"][0]["contacts"].size(), 1u);
  EXPECT_EQ(answer["stops"][0]["contacts"][0]["plate"], "辽C67890");
  EXPECT_NEAR(answer["stops"][0]["contacts"][0]["distance_m"].get<double>(), 33, 2);
  // 33 m apart is too far for a 20 m radius.
  body["radius_m"] = 20;
  EXPECT_TRUE(Body(Post("/api/investigations/vehicle", body))["stops"][0]["contacts"].empty());
  body["plate"] = "辽C99999";
  EXPECT_EQ(Post("/api/investigations/vehicle", body).result(), http::status::not_found);
}

TEST_F(InvestigationRoutesTest, ATrackIsServedForTheWindow) {
  ParkBothVehicles();
  const auto response = Post("/api/investigations/track", {{"terminal", kTiedongTerminal},
                                                           {"from_ms", start_},
                                                           {"to_ms", start_ + 300'000},
                                                           {"purpose", "疫情协查：轨迹核查"}});
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  EXPECT_EQ(Body(response)["positions"].size(), 11u);
}

TEST_F(InvestigationRoutesTest, TripsAndStopsOfAVehicleAreDerivedFromItsTrack) {
  ParkBothVehicles();
  const std::string target = std::string("/api/track/movement?terminal=") + kTiedongTerminal +
                             "&from=" + std::to_string(start_) +
                             "&to=" + std::to_string(start_ + 3'600'000) +
                             "&purpose=test%20purpose";
  const auto response = Get(target);
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  const Json body = Body(response);
  EXPECT_EQ(body["positions"], 41);
  ASSERT_EQ(body["stops"].size(), 1u);
  EXPECT_EQ(body["stops"][0]["start_ms"], start_);
  EXPECT_EQ(body["stops"][0]["end_ms"], start_ + 40 * 30'000);
  EXPECT_TRUE(body["trips"].empty());
  EXPECT_EQ(Get(target, Role::kHealth).result(), http::status::forbidden);
  EXPECT_EQ(Get("/api/track/movement?terminal=1&from=2&to=1&purpose=test%20purpose").result(),
            http::status::bad_request);
}

}  // namespace
}  // namespace baotong::api
