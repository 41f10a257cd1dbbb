// The HTTP API over real TCP on 127.0.0.1: sign-in, sessions, positions, commands, static files.
#include "api/routes.h"

#include <gtest/gtest.h>

#include "api/openapi_document.h"
#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using testing::ApiFixture;
using testing::Json;
using testing::kPassword;

class ApiTest : public ApiFixture {};

TEST_F(ApiTest, MetricsAreInPrometheusFormat) {
  // Served by the metrics listener ([metrics] listen), not on the API's port.
  EXPECT_EQ(Get("/metrics", std::nullopt).result(), http::status::not_found);
  auto response = MakeMetricsHandler(metrics_)(Request{http::verb::get, "/metrics", 11}, "");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_NE(response.body().find("# TYPE baotong_sessions gauge"), std::string::npos);
  EXPECT_NE(response.body().find("baotong_ack_latency_ms_bucket{le=\"+Inf\"}"), std::string::npos);
  EXPECT_NE(response.body().find("process_resident_memory_bytes"), std::string::npos);
}

TEST_F(ApiTest, SignInSetsAnHttpOnlyCookieThatAuthenticates) {
  auto login =
      Send(http::verb::post, "/api/auth/login",
           Json{{"username", "transport_user"}, {"password", kPassword}}.dump(), std::nullopt);
  ASSERT_EQ(login.result(), http::status::ok) << login.body();
  const std::string cookie(login[http::field::set_cookie]);
  EXPECT_NE(cookie.find("baotong_session="), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  Json body = Body(login);
  EXPECT_EQ(body["user"]["role"], "transport");
  EXPECT_EQ(body["user"]["role_name"], "交通运输局");
  const std::string token = body["token"];

  auto me = Send(http::verb::get, "/api/auth/me", "", std::nullopt,
                 {{http::field::cookie, "theme=dark; baotong_session=" + token}});
  ASSERT_EQ(me.result(), http::status::ok) << me.body();
  EXPECT_EQ(Body(me)["username"], "transport_user");

  auto logout = Send(http::verb::post, "/api/auth/logout", "", std::nullopt,
                     {{http::field::authorization, "Bearer " + token}});
  EXPECT_EQ(logout.result(), http::status::ok);
  auto after = Send(http::verb::get, "/api/auth/me", "", std::nullopt,
                    {{http::field::authorization, "Bearer " + token}});
  EXPECT_EQ(after.result(), http::status::unauthorized);
  EXPECT_EQ(ErrorCode(after), "unauthenticated");
}

TEST_F(ApiTest, WrongPasswordsAreRefusedThenThrottledAndAudited) {
  const std::string wrong = Json{{"username", "police_user"}, {"password", "not the one"}}.dump();
  for (int i = 0; i < 5; ++i) {
    auto refused = Send(http::verb::post, "/api/auth/login", wrong, std::nullopt);
    EXPECT_EQ(refused.result(), http::status::unauthorized);
    EXPECT_EQ(ErrorCode(refused), "bad_credentials");
    EXPECT_NE(Body(refused)["error"]["message"].get<std::string>().find("用户名或密码错误"),
              std::string::npos);
  }
  // Even the right password waits now.
  auto throttled =
      Send(http::verb::post, "/api/auth/login",
           Json{{"username", "police_user"}, {"password", kPassword}}.dump(), std::nullopt);
  EXPECT_EQ(throttled.result(), http::status::too_many_requests);
  EXPECT_EQ(ErrorCode(throttled), "throttled");
  EXPECT_FALSE(std::string(throttled[http::field::retry_after]).empty());
  AuditFilter filter;
  filter.action = "auth.login_failed";
  auto failures = audit_->List(0, 100, filter);
  ASSERT_TRUE(failures);
  // The first is written whole; the 5 after it are counted into a summary (api/signin_audit.h).
  EXPECT_EQ(failures->total, 1);
}

TEST_F(ApiTest, EveryApiRouteButThePublicOnesNeedsASession) {
  for (const char* target :
       {"/api/positions/latest", "/api/track?terminal=1&from=1&to=2", "/api/registry/drivers",
        "/api/registry/vehicles/export.xlsx", "/api/imports", "/api/map/layers", "/api/audit",
        "/api/auth/me", "/api/terminals/connected", "/api/commands/1"}) {
    auto response = Get(target, std::nullopt);
    EXPECT_EQ(response.result(), http::status::unauthorized) << target;
    EXPECT_EQ(ErrorCode(response), "unauthenticated") << target;
  }
  auto forged = Send(http::verb::get, "/api/auth/me", "", std::nullopt,
                     {{http::field::authorization, "Bearer not-a-token"}});
  EXPECT_EQ(forged.result(), http::status::unauthorized);
  EXPECT_EQ(Get("/api/ui-config", std::nullopt).result(), http::status::ok);
  EXPECT_EQ(Get("/healthz", std::nullopt).result(), http::status::ok);
}

TEST_F(ApiTest, TheOpenApiDocumentDescribesTheRoutes) {
  auto response = Get("/api/openapi.json", std::nullopt);
  ASSERT_EQ(response.result(), http::status::ok);
  Json document = Body(response);
  ASSERT_TRUE(document.is_object());
  EXPECT_EQ(document["openapi"], "3.0.3");
  for (const char* path :
       {"/api/auth/login", "/api/auth/me", "/api/registry/{kind}", "/api/registry/{kind}/{key}",
        "/api/registry/{kind}/export.xlsx", "/api/imports", "/api/imports/{id}",
        "/api/imports/{id}/rejections.csv", "/api/import-templates/{kind}.csv", "/api/map/layers",
        "/api/positions/latest", "/api/track", "/api/terminals/{phone}/commands", "/api/audit"}) {
    EXPECT_TRUE(document["paths"].contains(path)) << path;
  }
}

TEST_F(ApiTest, TrackReturnsStoredPositionsInRange) {
  std::vector<model::Position> positions(3);
  for (int i = 0; i < 3; ++i) {
    positions[i].terminal = "013912345678";
    positions[i].serial = static_cast<uint16_t>(i);
    positions[i].device_time_ms = 1'650'415'800'000 + i * 60'000;
    positions[i].lat_e6 = 41'108'500;
    positions[i].lon_e6 = 122'994'300;
    positions[i].speed_dkmh = 625;
  }
  ASSERT_TRUE(store_.Append(positions));
  auto response =
      Get("/api/track?terminal=013912345678&from=1650415800000&to=1650415920000"
          "&purpose=test%20purpose");
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  Json body = Body(response);
  EXPECT_EQ(body["count"], 2);
  EXPECT_EQ(body["positions"][0]["device_time"], "2022-04-20T08:50:00+08:00");
  EXPECT_DOUBLE_EQ(body["positions"][1]["speed_kmh"].get<double>(), 62.5);
  EXPECT_DOUBLE_EQ(body["positions"][1]["lat"].get<double>(), 41.1085);
}

TEST_F(ApiTest, BadTrackRequestsAreExplained) {
  for (const char* target :
       {"/api/track?terminal=0139&from=5&purpose=test%20purpose",
        "/api/track?terminal=abc&from=1&to=2&purpose=test%20purpose",
        "/api/track?terminal=0139&from=2&to=1&purpose=test%20purpose",
        "/api/track?terminal=0139&from=0&to=99999999999&purpose=test%20purpose",
        "/api/track?terminal=0139&from=1&to=2&limit=0&purpose=test%20purpose"}) {
    auto response = Get(target);
    EXPECT_EQ(response.result(), http::status::bad_request) << target;
    EXPECT_EQ(ErrorCode(response), "bad_request") << target;
  }
}

TEST_F(ApiTest, LatestPositionsCarryThePlateAndAreScopedForCarriers) {
  std::vector<model::Position> positions(2);
  positions[0].terminal = "013900000001";
  positions[1].terminal = "013900000002";
  for (auto& position : positions) {
    position.device_time_ms = 1'650'415'800'000;
    position.lat_e6 = 41'108'500;
    position.lon_e6 = 122'994'300;
  }
  ASSERT_TRUE(store_.Append(positions));
  Json all = Body(Get("/api/positions/latest?offset=0&limit=10"));
  ASSERT_EQ(all["total"], 2);
  EXPECT_EQ(all["items"][0]["plate"], "辽C12345");
  // The carrier account follows its own fleet only.
  Json own = Body(Get("/api/positions/latest", Role::kCarrier));
  ASSERT_EQ(own["total"], 1) << own.dump();
  EXPECT_EQ(own["items"][0]["terminal"], "013900000001");
  EXPECT_EQ(
      Get("/api/track?terminal=013900000002&from=1&to=2&purpose=test%20purpose", Role::kCarrier)
          .result(),
      http::status::forbidden);
  EXPECT_EQ(Get("/api/positions/latest?limit=0").result(), http::status::bad_request);
}

TEST_F(ApiTest, CommandsNeedAConnectedTerminalAndAValidBody) {
  auto offline = Send(http::verb::post, "/api/terminals/013912345678/commands",
                      R"({"type":"text","text":"请尽快返回"})");
  EXPECT_EQ(offline.result(), http::status::conflict);
  EXPECT_EQ(ErrorCode(offline), "terminal_offline");
  EXPECT_EQ(
      Send(http::verb::post, "/api/terminals/013912345678/commands", R"({"type":"x"})").result(),
      http::status::bad_request);
  EXPECT_EQ(Send(http::verb::post, "/api/terminals/013912345678/commands", "not json").result(),
            http::status::bad_request);
  EXPECT_EQ(Get("/api/commands/12345").result(), http::status::not_found);
}

TEST_F(ApiTest, TextCommandReachesAConnectedTerminalAndItsAnswerIsRecorded) {
  // A terminal provisioned by the registry, with its auth code, authenticates directly.
  store::TerminalRecord record;
  record.terminal = "013912345678";
  record.auth_code = "CODE1234";
  ASSERT_TRUE(store_.Upsert(record));
  gateway::testing::TestTerminal terminal(gateway_->port(), "013912345678");
  terminal.Send(jt808::Auth{"CODE1234", {}, {}});
  ASSERT_TRUE(terminal.Receive());

  auto sent = Send(http::verb::post, "/api/terminals/013912345678/commands",
                   R"({"type":"text","text":"您已偏离备案路线，请尽快返回"})");
  ASSERT_EQ(sent.result(), http::status::accepted) << sent.body();
  uint64_t id = Body(sent)["id"];
  auto text = terminal.Receive();
  ASSERT_TRUE(text);
  EXPECT_EQ(std::get<jt808::TextMessage>(text->message).text, "您已偏离备案路线，请尽快返回");
  jt808::TerminalGeneralReply reply;
  reply.reply_serial = text->header.serial;
  reply.reply_msg_id = jt808::msg_id::kTextMessage;
  terminal.Send(reply);

  std::string status;
  for (int i = 0; i < 200 && status != "delivered"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    status = Body(Get("/api/commands/" + std::to_string(id)))["status"];
  }
  EXPECT_EQ(status, "delivered");
  auto connected = Body(Get("/api/terminals/connected"));
  EXPECT_EQ(connected["terminals"], Json::array({"013912345678"}));
  AuditFilter filter;
  filter.action = "command.send";
  auto sent_log = audit_->List(0, 10, filter);
  ASSERT_TRUE(sent_log);
  EXPECT_EQ(sent_log->total, 1);
}

TEST_F(ApiTest, ServesTheDashboardButNothingOutsideItsRoot) {
  auto index = Get("/", std::nullopt);
  ASSERT_EQ(index.result(), http::status::ok);
  EXPECT_NE(index.body().find("保通"), std::string::npos);
  EXPECT_EQ(std::string(index[http::field::content_type]), "text/html; charset=utf-8");
  auto asset = Get("/assets/app-1234.js", std::nullopt);
  EXPECT_EQ(asset.result(), http::status::ok);
  EXPECT_NE(std::string(asset[http::field::cache_control]).find("immutable"), std::string::npos);
  for (const char* target :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt", "/nope.html", "/%zz"}) {
    EXPECT_EQ(Get(target, std::nullopt).result(), http::status::not_found) << target;
  }
}

TEST_F(ApiTest, UnknownRoutesAre404) {
  EXPECT_EQ(Get("/api/nope").result(), http::status::not_found);
  EXPECT_EQ(ErrorCode(Get("/api/nope")), "not_found");
  EXPECT_EQ(Send(http::verb::post, "/metrics").result(), http::status::not_found);
}

}  // namespace
}  // namespace baotong::api
