// The monitoring routes over real HTTP: the alarm centre's listing and workflow (audited), district
// scoping, the live feed over a WebSocket, zones and rule settings with their validation.
#include <gtest/gtest.h>

#include <boost/beast/websocket.hpp>

#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using testing::ApiFixture;
using testing::HttpResponse;
using testing::Json;

class MonitoringRoutesTest : public ApiFixture {
 protected:
  // A signal as the rule engine sends it, for the seeded vehicle of `district`.
  monitor::AlarmSignal Signal(std::string district, monitor::AlarmKind kind) {
    monitor::AlarmSignal signal;
    signal.kind = kind;
    signal.terminal = district == "铁东区" ? "013900000001" : "013900000002";
    signal.plate = district == "铁东区" ? "辽C12345" : "辽C67890";
    signal.plate_color = 2;
    signal.at_ms = NowMs();
    signal.lat = 41.1;
    signal.lon = 122.99;
    signal.detail = "测试";
    signal.district = std::move(district);
    return signal;
  }

  int64_t Raise(std::string district, monitor::AlarmKind kind) {
    std::vector<monitor::AlarmSignal> signals = {Signal(std::move(district), kind)};
    monitoring_->alarms().OnSignals(signals);
    monitoring_->alarms().Flush();
    auto page = Body(Get("/api/alarms?limit=1"));
    return page["items"][0]["id"].get<int64_t>();
  }

  HttpResponse Post(const std::string& target, const Json& body, Role as = Role::kAdmin) {
    return Send(http::verb::post, target, body.dump(), as);
  }
};

TEST_F(MonitoringRoutesTest, AnAlarmIsHandledToClosureAndEveryStepIsAudited) {
  const int64_t id = Raise("铁东区", monitor::AlarmKind::kOffRoute);
  const std::string base = "/api/alarms/" + std::to_string(id);
  auto listed = Body(Get("/api/alarms?status=open"));
  ASSERT_EQ(listed["total"], 1);
  EXPECT_EQ(listed["items"][0]["kind"], "off_route");
  EXPECT_EQ(listed["items"][0]["status"], "raised");
  EXPECT_EQ(listed["counts"].size(), 4u);

  // Dispatching before acknowledging is refused; a dispatch needs someone to send it to.
  EXPECT_EQ(Post(base + "/dispatch", {{"to", "交通运输局"}}).result(), http::status::conflict);
  ASSERT_EQ(Post(base + "/acknowledge", {{"note", "已确认"}}).result(), http::status::ok);
  EXPECT_EQ(Post(base + "/dispatch", {{"note", "无对象"}}).result(), http::status::bad_request);
  ASSERT_EQ(Post(base + "/dispatch", {{"to", "交通运输局"}, {"note", "请核实"}}).result(),
            http::status::ok);
  EXPECT_EQ(Post(base + "/handle", {{"note", "无结果"}}).result(), http::status::bad_request);
  ASSERT_EQ(Post(base + "/handle", {{"outcome", "已纠正"}, {"note", "已返回路线"}}).result(),
            http::status::ok);
  auto closed = Post(base + "/close", {{"note", "闭环"}});
  ASSERT_EQ(closed.result(), http::status::ok) << closed.body();
  EXPECT_EQ(Body(closed)["alarm"]["status"], "closed");
  EXPECT_EQ(Post(base + "/acknowledge", {{"note", "再次"}}).result(), http::status::conflict);

  auto detail = Body(Get(base));
  EXPECT_EQ(detail["alarm"]["dispatched_to"], "交通运输局");
  std::vector<std::string> steps;
  for (const auto& step : detail["steps"])
    steps.push_back(step["step"]);
  for (const char* expected : {"acknowledged", "dispatched", "handled", "closed"})
    EXPECT_NE(std::find(steps.begin(), steps.end(), expected), steps.end()) << expected;
  EXPECT_TRUE(detail["track"].is_array());

  auto audit = Get("/api/audit?limit=100").body();
  for (const char* action : {"alarm.acknowledge", "alarm.dispatch", "alarm.handle", "alarm.close"})
    EXPECT_NE(audit.find(action), std::string::npos) << action;
  EXPECT_EQ(Body(Get("/api/alarms?status=closed"))["total"], 1);
}

TEST_F(MonitoringRoutesTest, ADistrictSeesOnlyItsOwnAlarms) {
  const int64_t own = Raise("铁东区", monitor::AlarmKind::kStopOutsideSite);
  const int64_t other = Raise("海城市", monitor::AlarmKind::kStopOutsideSite);
  auto listed = Body(Get("/api/alarms", Role::kDistrict));
  ASSERT_EQ(listed["total"], 1);
  EXPECT_EQ(listed["items"][0]["id"], own);
  EXPECT_EQ(listed["counts"]["3"].get<int64_t>() + listed["counts"]["2"].get<int64_t>() +
                listed["counts"]["1"].get<int64_t>() + listed["counts"]["4"].get<int64_t>(),
            1);
  EXPECT_EQ(Get("/api/alarms/" + std::to_string(other), Role::kDistrict).result(),
            http::status::not_found);
  EXPECT_EQ(Post("/api/alarms/" + std::to_string(other) + "/acknowledge", {{"note", "x"}},
                 Role::kDistrict)
                .result(),
            http::status::not_found);
  EXPECT_EQ(Get("/api/alarms", Role::kCheckpoint).result(), http::status::forbidden);
}

TEST_F(MonitoringRoutesTest, BulkStepsReportEachAlarmAndAuditEachChange) {
  const int64_t own = Raise("铁东区", monitor::AlarmKind::kStopOutsideSite);
  const int64_t second = Raise("铁东区", monitor::AlarmKind::kDoorOpen);
  const int64_t other = Raise("海城市", monitor::AlarmKind::kStopOutsideSite);
  // A district acknowledges three with one comment: its own two change; the other district's
  // is reported as not found, as the single route answers, and is left as it was.
  auto bulk = Post("/api/alarms/bulk",
                   {{"action", "acknowledge"}, {"ids", {own, second, other}}, {"note", "批量确认"}},
                   Role::kDistrict);
  ASSERT_EQ(bulk.result(), http::status::ok) << bulk.body();
  Json answer = Body(bulk);
  EXPECT_EQ(answer["succeeded"], 2);
  EXPECT_EQ(answer["failed"], 1);
  ASSERT_EQ(answer["results"].size(), 3u);
  EXPECT_TRUE(answer["results"][0]["ok"]);
  EXPECT_EQ(answer["results"][0]["alarm"]["status"], "acknowledged");
  EXPECT_FALSE(answer["results"][2]["ok"]);
  EXPECT_EQ(answer["results"][2]["status"], 404);
  EXPECT_EQ(answer["results"][2]["error"]["code"], "not_found");
  EXPECT_EQ(Body(Get("/api/alarms/" + std::to_string(other)))["alarm"]["status"], "raised");
  // Each change is in the audit log as a single step's is.
  AuditFilter filter;
  filter.action = "alarm.acknowledge";
  auto audited = audit_->List(0, 10, filter);
  ASSERT_TRUE(audited);
  EXPECT_EQ(audited->total, 2);
  // A dispatch needs its "to", per alarm as on the single route.
  auto missing_to =
      Post("/api/alarms/bulk", {{"action", "dispatch"}, {"ids", {own}}}, Role::kDistrict);
  EXPECT_EQ(Body(missing_to)["results"][0]["status"], 400);
  auto dispatched = Post("/api/alarms/bulk",
                         {{"action", "dispatch"},
                          {"ids", {own, second}},
                          {"to", "铁东区交警大队"},
                          {"note", "请处置"}},
                         Role::kDistrict);
  EXPECT_EQ(Body(dispatched)["succeeded"], 2) << dispatched.body();
  // Malformed requests and roles that may not handle alarms are refused whole.
  EXPECT_EQ(Post("/api/alarms/bulk", {{"action", "delete"}, {"ids", {own}}}).result(),
            http::status::bad_request);
  EXPECT_EQ(Post("/api/alarms/bulk", {{"action", "close"}, {"ids", Json::array()}}).result(),
            http::status::bad_request);
  EXPECT_EQ(
      Post("/api/alarms/bulk", {{"action", "close"}, {"ids", {own}}}, Role::kCheckpoint).result(),
      http::status::forbidden);
}

TEST_F(MonitoringRoutesTest, TheExportHoldsWhatTheCallerMaySee) {
  Raise("铁东区", monitor::AlarmKind::kStopOutsideSite);
  Raise("海城市", monitor::AlarmKind::kStopOutsideSite);
  auto all = Get("/api/alarms/export.csv");
  ASSERT_EQ(all.result(), http::status::ok) << all.body();
  EXPECT_NE(all.body().find("辽C12345"), std::string::npos);
  EXPECT_NE(all.body().find("辽C67890"), std::string::npos);
  auto district = Get("/api/alarms/export.csv", Role::kDistrict);
  ASSERT_EQ(district.result(), http::status::ok);
  EXPECT_NE(district.body().find("辽C12345"), std::string::npos);
  EXPECT_EQ(district.body().find("辽C67890"), std::string::npos);
  EXPECT_EQ(Get("/api/alarms/export.csv?status=bogus").result(), http::status::bad_request);
  EXPECT_EQ(Get("/api/alarms/export.csv", Role::kCheckpoint).result(), http::status::forbidden);
  AuditFilter filter;
  filter.action = "alarm.export";
  auto audited = audit_->List(0, 10, filter);
  ASSERT_TRUE(audited);
  EXPECT_EQ(audited->total, 2);
}

class LiveFeed {
 public:
  explicit LiveFeed(uint16_t port) : socket_(context_) {
    boost::asio::ip::tcp::resolver resolver(context_);
    boost::beast::get_lowest_layer(socket_).connect(
        {boost::asio::ip::make_address("127.0.0.1"), port});
    boost::beast::get_lowest_layer(socket_).expires_after(std::chrono::seconds(10));
  }
  // Performs the handshake with the session token; true when the feed is open.
  bool Open(const std::string& token) {
    boost::beast::error_code ec;
    socket_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      req.set(http::field::authorization, "Bearer " + token);
    }));
    socket_.handshake("127.0.0.1", "/api/alarms/live", ec);
    return !ec;
  }
  Json Read() {
    boost::beast::flat_buffer buffer;
    socket_.read(buffer);
    return Json::parse(boost::beast::buffers_to_string(buffer.data()));
  }

 private:
  boost::asio::io_context context_;
  websocket::stream<boost::beast::tcp_stream> socket_;
};

TEST_F(MonitoringRoutesTest, TheLiveFeedPushesAlarmsToThoseWhoMaySeeThem) {
  const std::map<http::field, std::string> upgrade = {
      {http::field::upgrade, "websocket"},
      {http::field::connection, "Upgrade"},
      {http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ=="},
      {http::field::sec_websocket_version, "13"}};
  EXPECT_EQ(Send(http::verb::get, "/api/alarms/live", "", std::nullopt, upgrade).result(),
            http::status::unauthorized);
  EXPECT_EQ(Send(http::verb::get, "/api/alarms/live", "", Role::kCheckpoint, upgrade).result(),
            http::status::forbidden);

  LiveFeed admin(server_->port());
  ASSERT_TRUE(admin.Open(tokens_[Role::kAdmin]));
  EXPECT_EQ(admin.Read()["type"], "hello");
  LiveFeed district(server_->port());
  ASSERT_TRUE(district.Open(tokens_[Role::kDistrict]));
  EXPECT_EQ(district.Read()["type"], "hello");

  // The other district's alarm reaches the admin only; the district's own reaches both.
  Raise("海城市", monitor::AlarmKind::kNoPermit);
  Raise("铁东区", monitor::AlarmKind::kDoorOpen);
  auto first = admin.Read();
  EXPECT_EQ(first["type"], "alarm");
  EXPECT_EQ(first["alarm"]["plate"], "辽C67890");
  EXPECT_EQ(admin.Read()["alarm"]["kind"], "door_open");
  auto own = district.Read();
  EXPECT_EQ(own["alarm"]["plate"], "辽C12345");
  EXPECT_EQ(own["alarm"]["kind"], "door_open");
}

TEST_F(MonitoringRoutesTest, ZonesAreDrawnValidatedAndListedWithTheDerivedOnes) {
  Json zone{{"code", "HR-1"},
            {"name", "高风险区域"},
            {"kind", "restricted"},
            {"geometry", {{"type", "Point"}, {"coordinates", {122.99, 41.11}}}},
            {"radius_m", 800},
            {"windows", Json::array({{{"start", "22:00"}, {"end", "06:00"}}})},
            {"vehicle_classes", {"hazardous"}}};
  auto created = Post("/api/monitor/zones", zone);
  ASSERT_EQ(created.result(), http::status::created) << created.body();
  EXPECT_EQ(Post("/api/monitor/zones", zone).result(), http::status::conflict);
  EXPECT_EQ(Post("/api/monitor/zones", zone, Role::kPolice).result(), http::status::forbidden);

  Json bad = zone;
  bad["code"] = "HR-2";
  bad["radius_m"] = 1;
  auto refused = Post("/api/monitor/zones", bad);
  ASSERT_EQ(refused.result(), http::status::bad_request);
  EXPECT_EQ(Body(refused)["error"]["code"], "invalid");
  EXPECT_NE(Body(refused)["error"]["field"].get<std::string>().find("radius"), std::string::npos);
  bad["radius_m"] = 500;
  bad["code"] = "site:ZD001";
  EXPECT_NE(Post("/api/monitor/zones", bad).result(), http::status::created);

  auto listed = Body(Get("/api/monitor/zones", Role::kPolice));
  std::map<std::string, std::string> sources;
  for (const auto& item : listed["zones"])
    sources[item["code"]] = item["source"];
  EXPECT_EQ(sources["HR-1"], "user");
  EXPECT_EQ(sources["site:ZD001"], "site");

  zone["radius_m"] = 1200;
  auto updated = Send(http::verb::put, "/api/monitor/zones/HR-1", zone.dump());
  ASSERT_EQ(updated.result(), http::status::ok) << updated.body();
  EXPECT_EQ(Body(updated)["zone"]["radius_m"], 1200);
  EXPECT_EQ(Send(http::verb::put, "/api/monitor/zones/NOPE", zone.dump()).result(),
            http::status::bad_request);  // the body names another code
  EXPECT_EQ(Send(http::verb::delete_, "/api/monitor/zones/HR-1").result(), http::status::ok);
  EXPECT_EQ(Send(http::verb::delete_, "/api/monitor/zones/HR-1").result(), http::status::not_found);
}

TEST_F(MonitoringRoutesTest, RuleSettingsAreValidatedByField) {
  auto settings = Body(Get("/api/monitor/rules"))["settings"];
  ASSERT_TRUE(settings.is_object());
  Json bad = settings;
  bad["off_route_for_s"] = -5;
  auto refused = Send(http::verb::put, "/api/monitor/rules", Json{{"settings", bad}}.dump());
  ASSERT_EQ(refused.result(), http::status::bad_request) << refused.body();
  EXPECT_NE(Body(refused)["error"]["field"].get<std::string>().find("off_route_for_s"),
            std::string::npos);
  settings["off_route_for_s"] = 300;
  auto saved = Send(http::verb::put, "/api/monitor/rules", Json{{"settings", settings}}.dump());
  ASSERT_EQ(saved.result(), http::status::ok) << saved.body();
  EXPECT_EQ(Body(Get("/api/monitor/rules"))["settings"]["off_route_for_s"], 300);
  EXPECT_EQ(Send(http::verb::put, "/api/monitor/rules", Json{{"settings", settings}}.dump(),
                 Role::kDistrict)
                .result(),
            http::status::forbidden);
}

}  // namespace
}  // namespace baotong::api
