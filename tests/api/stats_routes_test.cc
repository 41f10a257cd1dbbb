// The statistics routes over real HTTP: who may read and import, parameter checks, the freight
// figures of a real gate passage, the .xlsx export and the indicator import (both audited).
#include <gtest/gtest.h>

#include <algorithm>

#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using testing::ApiFixture;
using testing::HttpResponse;
using testing::Json;

class StatsRoutesTest : public ApiFixture {
 protected:
  HttpResponse PostCsv(const std::string& csv, Role as = Role::kAdmin) {
    return Send(http::verb::post, "/api/indicators/import", csv, as);
  }
};

TEST_F(StatsRoutesTest, ReadingNeedsStatsReadAndImportingIsForAdmins) {
  EXPECT_EQ(Get("/api/stats/freight", Role::kCarrier).result(), http::status::forbidden);
  EXPECT_EQ(Get("/api/stats/overview", Role::kCarrier).result(), http::status::forbidden);
  EXPECT_EQ(Get("/api/indicators", Role::kCarrier).result(), http::status::forbidden);
  EXPECT_EQ(Get("/api/stats/freight.xlsx", Role::kCarrier).result(), http::status::forbidden);
  EXPECT_EQ(Get("/api/stats/freight", std::nullopt).result(), http::status::unauthorized);
  EXPECT_EQ(Get("/api/stats/freight", Role::kPolice).result(), http::status::ok);
  EXPECT_EQ(Get("/api/stats/overview", Role::kDistrict).result(), http::status::ok);
  auto refused = PostCsv("指标,期间,数值\n用电量,2026-01,1\n", Role::kPolice);
  EXPECT_EQ(refused.result(), http::status::forbidden);
  EXPECT_EQ(ErrorCode(refused), "forbidden");
  EXPECT_EQ(PostCsv("指标,期间,数值\n用电量,2026-01,1\n").result(), http::status::ok);
}

TEST_F(StatsRoutesTest, BadParametersAreRefusedInChinese) {
  for (const char* target :
       {"/api/stats/freight?from=2026-13-01", "/api/stats/freight?by=month",
        "/api/stats/freight?from=2025-01-01&to=2026-06-01", "/api/stats/freight?class=bicycle",
        "/api/stats/freight?from=2026-11-02&to=2026-11-01", "/api/stats/freight.xlsx?by=year",
        "/api/indicators/correlation", "/api/indicators/correlation?indicator=x&series=speed",
        "/api/indicators/correlation?indicator=x&max_lag=20"}) {
    auto response = Get(target);
    EXPECT_EQ(response.result(), http::status::bad_request) << target;
    const std::string message = Body(response)["error"].value("message", "");
    EXPECT_FALSE(message.empty()) << target;
    const bool chinese = std::any_of(message.begin(), message.end(),
                                     [](char c) { return static_cast<unsigned char>(c) > 0x7F; });
    EXPECT_TRUE(chinese) << target << ": " << message;
  }
  EXPECT_EQ(Get("/api/indicators/correlation?indicator=%E6%97%A0").result(),
            http::status::not_found);
  EXPECT_EQ(PostCsv("").result(), http::status::bad_request);
  EXPECT_EQ(PostCsv("\xFF\xFF\xFF\xFF").result(), http::status::bad_request);
}

TEST_F(StatsRoutesTest, AGatePassageShowsInTheFiguresAndTheOverview) {
  // An exit without an entry is still an exit.
  auto passage =
      checkpoints_->Decide(checkpoint::PlateRead{"KK-OUT", "辽C12345", 2, NowMs(), std::nullopt});
  ASSERT_TRUE(passage) << passage.error().Message();
  auto freight = Get("/api/stats/freight?by=day");
  ASSERT_EQ(freight.result(), http::status::ok) << freight.body();
  Json body = Body(freight);
  ASSERT_EQ(body["periods"].size(), 30u);
  EXPECT_EQ(body["by"], "day");
  EXPECT_EQ(body["series"].size(), 6u);
  EXPECT_EQ(body["series"][1]["id"], "exits");
  EXPECT_EQ(body["series"][1]["name"], "出城车次");
  EXPECT_EQ(body["series"][1]["values"][29], 1);
  EXPECT_EQ(body["series"][0]["values"][29], 0);
  ASSERT_EQ(body["by_checkpoint"].size(), 2u);
  EXPECT_EQ(body["by_checkpoint"][1]["checkpoint_id"], "KK-OUT");
  EXPECT_EQ(body["by_checkpoint"][1]["exits"][29], 1);
  EXPECT_EQ(body["dwell"]["count"], 0);
  EXPECT_EQ(body["dwell"]["median_h"], nullptr);
  EXPECT_EQ(body["filters"]["classes"][0]["id"], "tour_bus");
  for (const char* key : {"tonnage_by_cargo", "od_flows", "alarms_by_kind"})
    EXPECT_TRUE(body[key].is_array()) << key;

  auto overview = Body(Get("/api/stats/overview"));
  EXPECT_EQ(overview["exited_today"], 1);
  EXPECT_EQ(overview["in_city_now"], 0);
  EXPECT_EQ(overview["open_alarms"].size(), 4u);
  EXPECT_EQ(overview["hourly"]["hours"].size(), overview["hourly"]["exits"].size());
  EXPECT_EQ(overview["hourly"]["exits"].back(), 1);
}

TEST_F(StatsRoutesTest, TheWorkbookIsServedAsAnAttachmentAndAudited) {
  auto response = Get("/api/stats/freight.xlsx?from=2026-11-01&to=2026-11-07&by=week");
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  EXPECT_EQ(response[http::field::content_type],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_NE(response[http::field::content_disposition].find("attachment"), std::string::npos);
  EXPECT_NE(response[http::field::content_disposition].find("freight-2026-11-01-2026-11-07"),
            std::string::npos);
  EXPECT_EQ(response.body().substr(0, 2), "PK");  // a zip container
  EXPECT_NE(Get("/api/audit?limit=100").body().find("stats.export"), std::string::npos);
}

TEST_F(StatsRoutesTest, IndicatorsAreImportedListedAndCorrelated) {
  auto imported = PostCsv("指标,期间,数值,单位\n用电量,2026-01,10,亿千瓦时\n用电量,2026-02,x\n");
  ASSERT_EQ(imported.result(), http::status::ok) << imported.body();
  Json body = Body(imported);
  EXPECT_EQ(body["imported"], 1);
  EXPECT_EQ(body["replaced"], 0);
  ASSERT_EQ(body["rejected"].size(), 1u);
  EXPECT_EQ(body["rejected"][0]["row"], 3);
  EXPECT_NE(Get("/api/audit?limit=100").body().find("indicators.import"), std::string::npos);

  auto listed = Body(Get("/api/indicators"));
  ASSERT_EQ(listed["indicators"].size(), 1u);
  EXPECT_EQ(listed["indicators"][0]["name"], "用电量");
  EXPECT_EQ(listed["indicators"][0]["unit"], "亿千瓦时");
  EXPECT_EQ(listed["indicators"][0]["periods"], Json::array({"2026-01"}));
  EXPECT_EQ(listed["indicators"][0]["values"], Json::array({10.0}));

  auto correlation = Get("/api/indicators/correlation?indicator=%E7%94%A8%E7%94%B5%E9%87%8F");
  ASSERT_EQ(correlation.result(), http::status::ok) << correlation.body();
  Json result = Body(correlation);
  EXPECT_EQ(result["series"], "entries");
  EXPECT_EQ(result["periods"], Json::array({"2026-01"}));
  EXPECT_EQ(result["lags"].size(), 7u);
  EXPECT_EQ(result["best"], nullptr);
  EXPECT_FALSE(result["reading"].get<std::string>().empty());
}

}  // namespace
}  // namespace baotong::api
