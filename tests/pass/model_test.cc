#include "pass/model.h"

#include <gtest/gtest.h>

#include "registry/registry_fixture.h"

namespace baotong::pass {
namespace {

using nlohmann::json;
using registry::testing::CreditCode;
using registry::testing::IdNumber;

constexpr int kToday = 20261126;

json TripRequest() {
  return json{{"kind", "trip"},
              {"plate", "辽c·12345"},
              {"plate_color", 2},
              {"carrier_credit_code", CreditCode(1)},
              {"driver_id_numbers", {IdNumber(1)}},
              {"cargo",
               {{"category", "危险货物"},
                {"name", " 汽油 "},
                {"weight_kg", 20000},
                {"dangerous", true},
                {"un_number", "1203"},
                {"hazard_class", "3"}}},
              {"origin", "沈阳"},
              {"destination_site_codes", {"S1", "S1", "S2"}},
              {"route_id", "R1"},
              {"entry_from_ms", 1000},
              {"entry_until_ms", 2000},
              {"planned_exit_ms", 3000},
              {"status", "approved"},  // server-set: ignored
              {"id", 99}};
}

TEST(PassModelTest, ARequestIsNormalised) {
  auto pass = ParseApplicationRequest(TripRequest(), kToday);
  ASSERT_TRUE(pass) << pass.error().message;
  EXPECT_EQ(pass->plate, "辽C12345");
  EXPECT_EQ(pass->plate_color, PlateColor::kYellow);
  EXPECT_EQ(pass->cargo->name, "汽油");
  EXPECT_EQ(pass->cargo->un_number, "UN1203");
  EXPECT_EQ(pass->destination_site_codes, (std::vector<std::string>{"S1", "S2"}));
  EXPECT_EQ(pass->status, PassStatus::kPendingReview);
  EXPECT_EQ(pass->id, 0);
}

TEST(PassModelTest, RequestErrorsSayWhatIsWrong) {
  struct Case {
    const char* field;
    json value;  // null: remove the field
    const char* code;
  };
  for (const Case& item : std::vector<Case>{
           {"kind", "once", "kind"},
           {"plate", "ABC", "plate"},
           {"plate_color", 7, "plate_color"},
           {"plate_color", nullptr, "plate_color"},
           {"driver_id_numbers", json::array(), "driver_id_numbers"},
           {"driver_id_numbers", {IdNumber(1), IdNumber(1)}, "driver_id_numbers"},
           {"driver_id_numbers",
            {IdNumber(1), IdNumber(2), IdNumber(3), IdNumber(4)},
            "driver_id_numbers"},
           {"cargo", nullptr, "cargo"},
           {"origin", nullptr, "origin"},
           {"destination_site_codes", json::array(), "destination_site_codes"},
           {"route_id", nullptr, "route"},
           {"entry_until_ms", nullptr, "entry_window"},
           {"planned_exit_ms", nullptr, "planned_exit_ms"},
       }) {
    json body = TripRequest();
    if (item.value.is_null())
      body.erase(item.field);
    else
      body[item.field] = item.value;
    auto pass = ParseApplicationRequest(body, kToday);
    ASSERT_FALSE(pass) << item.field << " " << item.value;
    EXPECT_EQ(pass.error().code.rfind(item.code, 0), 0u)
        << item.field << " gave " << pass.error().code;
    EXPECT_GE(static_cast<unsigned char>(pass.error().message[0]), 0x80);
  }
  json both = TripRequest();
  both["waypoints"] = {{41.1, 122.9}, {41.2, 123.0}};
  EXPECT_FALSE(ParseApplicationRequest(both, kToday));
  json out_of_range = TripRequest();
  out_of_range.erase("route_id");
  out_of_range["waypoints"] = {{123.0, 41.1}, {41.2, 123.0}};  // lon, lat swapped
  EXPECT_FALSE(ParseApplicationRequest(out_of_range, kToday));
  EXPECT_FALSE(ParseApplicationRequest(json::array(), kToday));
}

TEST(PassModelTest, AStandingRegistrationNeedsNoCargoOrRoute) {
  json body = TripRequest();
  body["kind"] = "standing";
  body.erase("cargo");
  body.erase("route_id");
  body.erase("origin");
  body.erase("planned_exit_ms");
  auto pass = ParseApplicationRequest(body, kToday);
  ASSERT_TRUE(pass) << pass.error().message;
  EXPECT_EQ(pass->kind, PassKind::kStanding);
  EXPECT_FALSE(pass->cargo);
  EXPECT_EQ(pass->planned_exit_ms, pass->entry_until_ms);
}

TEST(PassModelTest, JsonRoundTripsEveryField) {
  PassApplication pass = *ParseApplicationRequest(TripRequest(), kToday);
  pass.id = 5;
  pass.driver_names = {"张三"};
  pass.applicant = "carrier1";
  pass.applicant_role = "carrier";
  pass.created_at_ms = 900;
  pass.status = PassStatus::kRevoked;
  pass.checks = {Check{"health.missing", Outcome::kReview, "驾驶员张三无健康记录", 0},
                 Check{"window.too_long", Outcome::kReject, "通行时段过长", std::nullopt}};
  pass.review = Review{"staff", 950, "同意"};
  pass.revocation = Revocation{"staff", 990, "车辆事故"};
  pass.token = "BT1.x.y";
  pass.valid_from_ms = 1000;
  pass.valid_until_ms = 2000;
  auto shown = ApplicationJson(pass, 0);
  EXPECT_EQ(shown["status"], "revoked");
  EXPECT_EQ(shown["status_name"], "已撤销");
  auto back = ApplicationFromJson(nlohmann::json::parse(shown.dump()));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, pass);

  pass.route_id.reset();
  pass.waypoints = {{41.1, 122.9}, {41.2, 123.0}};
  pass.cargo.reset();
  EXPECT_EQ(*ApplicationFromJson(nlohmann::json::parse(ApplicationJson(pass, 0).dump())), pass);
}

TEST(PassModelTest, ExpiryIsDerivedFromNow) {
  PassApplication pass;
  pass.status = PassStatus::kApproved;
  pass.valid_from_ms = 1000;
  pass.valid_until_ms = 2000;
  EXPECT_FALSE(IsExpired(pass, 2000));
  EXPECT_TRUE(IsExpired(pass, 2001));
  EXPECT_EQ(StatusName(pass, 2001), "已过期");
  EXPECT_EQ(ApplicationJson(pass, 2001)["expired"], true);
  EXPECT_EQ(ApplicationJson(pass, 2001)["status"], "approved");
  EXPECT_TRUE(Covers(pass, 1000));
  EXPECT_TRUE(Covers(pass, 2000));
  EXPECT_FALSE(Covers(pass, 999));
}

TEST(PassModelTest, RoutesAreCheckedAndShownAsGeoJson) {
  json route = {
      {"id", "R1"},
      {"name", "鞍山绕城货运通道"},
      {"allows_hazardous", true},
      {"geometry", {{"type", "LineString"}, {"coordinates", {{122.9, 41.1}, {123.0, 41.2}}}}}};
  auto parsed = ParseRoute(route);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->allows_hazardous);
  auto collection = RoutesFeatureCollection({*parsed});
  EXPECT_EQ(collection["type"], "FeatureCollection");
  ASSERT_EQ(collection["features"].size(), 1u);
  const auto& feature = collection["features"][0];
  EXPECT_EQ(feature["geometry"]["type"], "LineString");
  EXPECT_EQ(feature["properties"]["id"], "R1");
  EXPECT_EQ(feature["properties"]["name"], "鞍山绕城货运通道");
  EXPECT_EQ(feature["properties"]["allows_hazardous"], true);

  json one_point = route;
  one_point["geometry"]["coordinates"] = {{122.9, 41.1}};
  EXPECT_FALSE(ParseRoute(one_point));
  json polygon = route;
  polygon["geometry"]["type"] = "Polygon";
  EXPECT_FALSE(ParseRoute(polygon));
  json no_name = route;
  no_name.erase("name");
  EXPECT_FALSE(ParseRoute(no_name));
}

TEST(PassModelTest, ChinaMinuteIsUtcPlusEight) {
  EXPECT_EQ(ChinaMinute(0), "1970-01-01 08:00");
  EXPECT_EQ(ChinaMinute(16 * 3600 * 1000 - 1), "1970-01-01 23:59");
}

}  // namespace
}  // namespace baotong::pass
