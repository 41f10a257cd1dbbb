// The HTTP API over real TCP on 127.0.0.1.
#include "api/routes.h"

#include <gtest/gtest.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "gateway/test_support.h"

namespace baotong::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using Json = nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway::GatewayOptions options;
    options.listen_address = "127.0.0.1";
    options.port = 0;
    gateway_ = std::make_unique<gateway::Gateway>(options, store_, store_, metrics_);
    ASSERT_TRUE(gateway_->Start());
    HttpOptions http_options;
    http_options.listen_address = "127.0.0.1";
    http_options.port = 0;
    server_ = std::make_unique<HttpServer>(
        http_options, MakeApiHandler(ApiServices{track_, *gateway_, metrics_}));
    ASSERT_TRUE(server_->Start());
  }

  http::response<http::string_body> Get(const std::string& target,
                                        http::verb verb = http::verb::get,
                                        const std::string& body = "") {
    asio::io_context context;
    beast::tcp_stream stream(context);
    stream.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    http::request<http::string_body> request{verb, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
      request.prepare_payload();
    }
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    return response;
  }

  gateway::testing::MemoryStore store_;
  gateway::Metrics metrics_;
  track::TrackService track_{store_};
  std::unique_ptr<gateway::Gateway> gateway_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ApiTest, MetricsAreInPrometheusFormat) {
  auto response = Get("/metrics");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_NE(response.body().find("# TYPE baotong_sessions gauge"), std::string::npos);
  EXPECT_NE(response.body().find("baotong_ack_latency_ms_bucket{le=\"+Inf\"}"), std::string::npos);
  EXPECT_NE(response.body().find("process_resident_memory_bytes"), std::string::npos);
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
  auto response = Get("/api/track?terminal=013912345678&from=1650415800000&to=1650415920000");
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  Json body = Json::parse(response.body());
  EXPECT_EQ(body["count"], 2);
  EXPECT_EQ(body["positions"][0]["device_time"], "2022-04-20T08:50:00+08:00");
  EXPECT_DOUBLE_EQ(body["positions"][1]["speed_kmh"].get<double>(), 62.5);
  EXPECT_DOUBLE_EQ(body["positions"][1]["lat"].get<double>(), 41.1085);
}

TEST_F(ApiTest, BadTrackRequestsAreExplained) {
  for (const char* target :
       {"/api/track?terminal=0139&from=5", "/api/track?terminal=abc&from=1&to=2",
        "/api/track?terminal=0139&from=2&to=1", "/api/track?terminal=0139&from=0&to=99999999999",
        "/api/track?terminal=0139&from=1&to=2&limit=0"}) {
    auto response = Get(target);
    EXPECT_EQ(response.result(), http::status::bad_request) << target;
    EXPECT_TRUE(Json::parse(response.body()).contains("error")) << target;
  }
}

TEST_F(ApiTest, LatestIsPaginated) {
  auto response = Get("/api/positions/latest?offset=0&limit=10");
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(Json::parse(response.body())["total"], 0);
  EXPECT_EQ(Get("/api/positions/latest?limit=0").result(), http::status::bad_request);
}

TEST_F(ApiTest, CommandsNeedAConnectedTerminalAndAValidBody) {
  EXPECT_EQ(Get("/api/terminals/013912345678/commands", http::verb::post,
                R"({"type":"text","text":"请尽快返回"})")
                .result(),
            http::status::conflict);
  EXPECT_EQ(
      Get("/api/terminals/013912345678/commands", http::verb::post, R"({"type":"x"})").result(),
      http::status::bad_request);
  EXPECT_EQ(Get("/api/terminals/013912345678/commands", http::verb::post, "not json").result(),
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

  auto sent = Get("/api/terminals/013912345678/commands", http::verb::post,
                  R"({"type":"text","text":"您已偏离备案路线，请尽快返回"})");
  ASSERT_EQ(sent.result(), http::status::accepted) << sent.body();
  uint64_t id = Json::parse(sent.body())["id"];
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
    status = Json::parse(Get("/api/commands/" + std::to_string(id)).body())["status"];
  }
  EXPECT_EQ(status, "delivered");
  auto connected = Json::parse(Get("/api/terminals/connected").body());
  EXPECT_EQ(connected["terminals"], Json::array({"013912345678"}));
}

TEST_F(ApiTest, UnknownRoutesAre404) {
  EXPECT_EQ(Get("/nope").result(), http::status::not_found);
  EXPECT_EQ(Get("/metrics", http::verb::post).result(), http::status::not_found);
}

}  // namespace
}  // namespace baotong::api
