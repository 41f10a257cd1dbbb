// The entry-pass loop over HTTP: a carrier applies, the checks approve, a camera at an entry
// checkpoint releases the truck, one at an exit records its exit; an unregistered truck is
// turned back; staff review and revoke; operators scan and override.
#include <gtest/gtest.h>

#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using testing::ApiFixture;
using testing::Json;
using testing::kTiedongCarrier;
namespace asio = boost::asio;
namespace beast = boost::beast;

class PassCheckpointTest : public ApiFixture {
 protected:
  Json Application(const std::string& plate = "辽C12345") {
    const int64_t now = NowMs();
    return Json{
        {"kind", "trip"},
        {"carrier_credit_code", std::string(kTiedongCarrier)},
        {"plate", plate},
        {"plate_color", 2},
        {"driver_id_numbers", {"210302198507150011"}},
        {"cargo",
         {{"category", "生活物资"}, {"name", "大米"}, {"weight_kg", 12000}, {"dangerous", false}}},
        {"origin", "沈阳市于洪区"},
        {"destination_site_codes", {"ZD001"}},
        {"waypoints", {{41.10, 122.88}, {41.09, 123.02}}},
        {"entry_from_ms", now - 3'600'000},
        {"entry_until_ms", now + 10 * 3'600'000},
        {"planned_exit_ms", now + 20 * 3'600'000}};
  }
  testing::HttpResponse CameraRead(const std::string& checkpoint, const std::string& plate,
                                   const std::string& key) {
    asio::io_context context;
    beast::tcp_stream stream(context);
    stream.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    http::request<http::string_body> request{http::verb::post,
                                             "/api/checkpoints/" + checkpoint + "/plate-reads", 11};
    request.set(http::field::host, "127.0.0.1");
    request.set("X-Api-Key", key);
    request.set(http::field::content_type, "application/json");
    request.body() = Json{{"plate", plate}, {"plate_color", 2}}.dump();
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    testing::HttpResponse response;
    http::read(stream, buffer, response);
    return response;
  }
};

TEST_F(PassCheckpointTest, TheWholeLoop) {
  // A carrier applies for its own truck; every check passes, so it is approved at once.
  auto applied = Send(http::verb::post, "/api/passes", Application().dump(), Role::kCarrier);
  ASSERT_EQ(applied.result(), http::status::created) << applied.body();
  Json pass = Body(applied);
  EXPECT_EQ(pass["status"], "approved") << pass.dump();
  EXPECT_EQ(pass["carrier_credit_code"], kTiedongCarrier);
  const int64_t id = pass["id"];
  ASSERT_TRUE(pass["token"].is_string());

  // Its QR code, as SVG and PNG.
  auto svg = Get("/api/passes/" + std::to_string(id) + "/qr.svg", Role::kCarrier);
  ASSERT_EQ(svg.result(), http::status::ok);
  EXPECT_NE(svg.body().find("<svg"), std::string::npos);
  auto png = Get("/api/passes/" + std::to_string(id) + "/qr.png", Role::kCarrier);
  ASSERT_EQ(png.result(), http::status::ok);
  EXPECT_EQ(png.body().substr(1, 3), "PNG");

  // The entry camera releases it, and the display says so.
  auto entry = CameraRead("KK-IN", "辽C12345", camera_keys_["KK-IN"]);
  ASSERT_EQ(entry.result(), http::status::ok) << entry.body();
  Json decision = Body(entry);
  EXPECT_EQ(decision["decision"], "release") << decision.dump();
  EXPECT_EQ(decision["pass_id"], id);
  EXPECT_NE(decision["display_text"].get<std::string>().find("辽C12345"), std::string::npos);
  Json in_city = Body(Get("/api/in-city"));
  ASSERT_EQ(in_city["total"], 1) << in_city.dump();
  EXPECT_EQ(in_city["items"][0]["plate"], "辽C12345");

  // The destination site expects it, on its way...
  Json arrivals = Body(Get("/api/sites/ZD001/arrivals"));
  ASSERT_EQ(arrivals["items"].size(), 1u) << arrivals.dump();
  EXPECT_EQ(arrivals["items"][0]["plate"], "辽C12345");
  EXPECT_EQ(arrivals["counts"]["on_the_way"], 1);
  EXPECT_EQ(arrivals["counts"]["on_site"], 0);
  // ... and on site once its terminal (013900000001) reports from inside the site.
  model::Position there;
  there.terminal = "013900000001";
  there.device_time_ms = NowMs() - 1'000;
  there.lat_e6 = 41'090'200;  // ~25 m from the site's point
  there.lon_e6 = 123'020'100;
  ASSERT_TRUE(store_.Append(std::span(&there, 1)));
  arrivals = Body(Get("/api/sites/ZD001/arrivals"));
  EXPECT_EQ(arrivals["counts"]["on_site"], 1) << arrivals.dump();
  EXPECT_EQ(arrivals["items"][0]["on_site"], true);

  // The exit camera records the exit.
  auto exit = CameraRead("KK-OUT", "辽C12345", camera_keys_["KK-OUT"]);
  ASSERT_EQ(exit.result(), http::status::ok) << exit.body();
  EXPECT_EQ(Body(exit)["decision"], "release");
  EXPECT_EQ(Body(Get("/api/in-city"))["total"], 0);

  // An unregistered truck is turned back.
  auto stranger = CameraRead("KK-IN", "辽C99999", camera_keys_["KK-IN"]);
  ASSERT_EQ(stranger.result(), http::status::ok);
  EXPECT_EQ(Body(stranger)["decision"], "turn_back");

  // The operator's console sees all three passages.
  Json feed = Body(Get("/api/checkpoints/KK-IN/passages?after=0", Role::kCheckpoint));
  EXPECT_EQ(feed["items"].size(), 2u) << feed.dump();
}

TEST_F(PassCheckpointTest, CamerasNeedTheirOwnCheckpointsKey) {
  EXPECT_EQ(CameraRead("KK-IN", "辽C12345", "wrong").result(), http::status::unauthorized);
  EXPECT_EQ(CameraRead("KK-IN", "辽C12345", camera_keys_["KK-OUT"]).result(),
            http::status::unauthorized);
  EXPECT_EQ(CameraRead("KK-NONE", "辽C12345", camera_keys_["KK-IN"]).result(),
            http::status::unauthorized);
}

TEST_F(PassCheckpointTest, RevokedPassesTurnBackAndCarriersSeeOnlyTheirOwn) {
  Json pass = Body(Send(http::verb::post, "/api/passes", Application().dump(), Role::kTransport));
  ASSERT_EQ(pass["status"], "approved") << pass.dump();
  const std::string id = std::to_string(pass["id"].get<int64_t>());
  // A carrier may not review; a reason is required to revoke.
  EXPECT_EQ(
      Send(http::verb::post, "/api/passes/" + id + "/revoke", R"({"reason":"x"})", Role::kCarrier)
          .result(),
      http::status::forbidden);
  EXPECT_EQ(Send(http::verb::post, "/api/passes/" + id + "/revoke", "{}").result(),
            http::status::bad_request);
  auto revoked = Send(http::verb::post, "/api/passes/" + id + "/revoke",
                      R"({"reason":"货物与申报不符"})", Role::kTransport);
  ASSERT_EQ(revoked.result(), http::status::ok) << revoked.body();
  EXPECT_EQ(Body(revoked)["status"], "revoked");
  auto entry = CameraRead("KK-IN", "辽C12345", camera_keys_["KK-IN"]);
  EXPECT_EQ(Body(entry)["decision"], "turn_back") << entry.body();
  EXPECT_EQ(Body(entry)["reason_code"], "pass.revoked");
  // Revoking twice conflicts.
  EXPECT_EQ(Send(http::verb::post, "/api/passes/" + id + "/revoke", R"({"reason":"再次"})",
                 Role::kTransport)
                .result(),
            http::status::conflict);
  // A carrier applying for another company's truck is refused before any check...
  auto other =
      Send(http::verb::post, "/api/passes", Application("辽C67890").dump(), Role::kCarrier);
  EXPECT_EQ(other.result(), http::status::unprocessable_entity) << other.body();
  EXPECT_EQ(ErrorCode(other), "not_in_fleet");
  // ... and one naming another company altogether by the route.
  Json foreign = Application();
  foreign["carrier_credit_code"] = std::string(testing::kOtherCarrier);
  EXPECT_EQ(Send(http::verb::post, "/api/passes", foreign.dump(), Role::kCarrier).result(),
            http::status::forbidden);
  // The checkpoint operator sees passes with the drivers' ID numbers masked.
  Json listed = Body(Get("/api/passes", Role::kCheckpoint));
  ASSERT_GE(listed["total"].get<int>(), 1);
  EXPECT_NE(listed["items"][0]["driver_id_numbers"][0].get<std::string>().find('*'),
            std::string::npos)
      << listed["items"][0].dump();
}

TEST_F(PassCheckpointTest, StaffLeavingTheCarrierBlankGetTheVehiclesCarrier) {
  // Staff applying on a carrier's behalf leave the carrier blank or omit it: it is the carrier
  // the vehicle is registered to, as the form says ("留空则按车辆登记的企业").
  Json blank = Application("辽C67890");
  blank["carrier_credit_code"] = "  ";
  auto applied = Send(http::verb::post, "/api/passes", blank.dump(), Role::kTransport);
  ASSERT_EQ(applied.result(), http::status::created) << applied.body();
  EXPECT_EQ(Body(applied)["carrier_credit_code"], testing::kOtherCarrier);
  // Its findings carry their names in words beside the codes (the review queue shows those).
  const Json applied_body = Body(applied);  // the loop below must not outlive its JSON
  ASSERT_FALSE(applied_body["checks"].empty()) << applied.body();
  for (const auto& check : applied_body["checks"])
    EXPECT_FALSE(check["name"].get<std::string>().empty()) << check.dump();
  Json omitted = Application();
  omitted.erase("carrier_credit_code");
  applied = Send(http::verb::post, "/api/passes", omitted.dump(), Role::kTransport);
  ASSERT_EQ(applied.result(), http::status::created) << applied.body();
  EXPECT_EQ(Body(applied)["carrier_credit_code"], kTiedongCarrier);
  // A vehicle the registry does not know: the refusal says to fill the carrier in.
  Json unknown = Application("辽C99999");
  unknown["carrier_credit_code"] = "";
  auto refused = Send(http::verb::post, "/api/passes", unknown.dump(), Role::kTransport);
  EXPECT_EQ(refused.result(), http::status::bad_request) << refused.body();
  EXPECT_EQ(ErrorCode(refused), "carrier_credit_code");
}

TEST_F(PassCheckpointTest, BatchApprovalDecidesEachAsTheSingleRouteDoesAndReportsEach) {
  // Two applications waiting for review (the other company's vehicle and driver have
  // credentials without dates), one rejected by its checks (dangerous cargo without its UN
  // number), one approved at once.
  std::vector<int64_t> pending;
  for (int i = 0; i < 2; ++i) {
    Json blank = Application("辽C67890");
    blank["carrier_credit_code"] = "";
    blank["driver_id_numbers"] = {"11010519491231002X"};
    Json made = Body(Send(http::verb::post, "/api/passes", blank.dump(), Role::kTransport));
    ASSERT_EQ(made["status"], "pending_review") << made.dump();
    pending.push_back(made["id"]);
  }
  Json dangerous = Application();
  dangerous["cargo"]["dangerous"] = true;
  Json rejected = Body(Send(http::verb::post, "/api/passes", dangerous.dump(), Role::kTransport));
  ASSERT_EQ(rejected["status"], "rejected") << rejected.dump();
  Json approved = Body(Send(http::verb::post, "/api/passes", Application().dump(), Role::kCarrier));
  ASSERT_EQ(approved["status"], "approved") << approved.dump();
  const int64_t rejected_id = rejected["id"];
  const int64_t approved_id = approved["id"];

  // A carrier may not review, in a batch or one by one.
  EXPECT_EQ(Send(http::verb::post, "/api/passes/bulk-approve", Json{{"ids", {pending[0]}}}.dump(),
                 Role::kCarrier)
                .result(),
            http::status::forbidden);
  // Malformed batches are refused whole.
  EXPECT_EQ(Send(http::verb::post, "/api/passes/bulk-approve", R"({"ids":[]})").result(),
            http::status::bad_request);
  EXPECT_EQ(Send(http::verb::post, "/api/passes/bulk-approve", R"({"ids":["1"]})").result(),
            http::status::bad_request);
  Json too_many = Json::array();
  for (int i = 0; i < 201; ++i)
    too_many.push_back(i + 1);
  EXPECT_EQ(
      Send(http::verb::post, "/api/passes/bulk-approve", Json{{"ids", too_many}}.dump()).result(),
      http::status::bad_request);

  // The mixed batch: the two pending are approved with the one note; the rejected, the already
  // approved and an unknown id are left as they are and reported with the single route's answer.
  auto batch = Send(http::verb::post, "/api/passes/bulk-approve",
                    Json{{"ids", {pending[0], rejected_id, pending[1], approved_id, 999999}},
                         {"note", "批量审核通过"}}
                        .dump(),
                    Role::kTransport);
  ASSERT_EQ(batch.result(), http::status::ok) << batch.body();
  Json answer = Body(batch);
  EXPECT_EQ(answer["succeeded"], 2) << answer.dump();
  EXPECT_EQ(answer["failed"], 3);
  ASSERT_EQ(answer["results"].size(), 5u);
  const auto& results = answer["results"];
  EXPECT_EQ(results[0]["id"], pending[0]);
  EXPECT_TRUE(results[0]["ok"]);
  EXPECT_EQ(results[0]["status"], 200);
  EXPECT_EQ(results[0]["pass"]["status"], "approved");
  EXPECT_EQ(results[0]["pass"]["review"]["comment"], "批量审核通过");
  EXPECT_FALSE(results[1]["ok"]);
  EXPECT_EQ(results[1]["status"], 409);
  EXPECT_EQ(results[1]["error"]["code"], "conflict");
  EXPECT_TRUE(results[2]["ok"]);
  EXPECT_FALSE(results[3]["ok"]);
  EXPECT_EQ(results[3]["status"], 409);
  EXPECT_FALSE(results[4]["ok"]);
  EXPECT_EQ(results[4]["status"], 404);
  EXPECT_EQ(Body(Get("/api/passes/" + std::to_string(rejected_id)))["status"], "rejected");
  EXPECT_EQ(Body(Get("/api/passes/" + std::to_string(pending[1])))["status"], "approved");
  // Each approval is in the audit log as a single one's is, and only those.
  AuditFilter filter;
  filter.action = "pass.approve";
  auto audited = audit_->List(0, 10, filter);
  ASSERT_TRUE(audited);
  EXPECT_EQ(audited->total, 2);
  // The rows link to the drivers' records: with the key sealed for a role that sees ID numbers
  // masked.
  Json masked = Body(Get("/api/passes/" + std::to_string(pending[0]), Role::kCheckpoint));
  ASSERT_EQ(masked["driver_keys"].size(), 1u) << masked.dump();
  EXPECT_TRUE(masked["driver_keys"][0].get<std::string>().starts_with("s.")) << masked.dump();
  EXPECT_EQ(Body(Get("/api/passes/" + std::to_string(pending[0])))["driver_keys"][0],
            "11010519491231002X");
}

TEST_F(PassCheckpointTest, OperatorsScanTokensAndOverrideWithAnAuditedReason) {
  Json pass = Body(Send(http::verb::post, "/api/passes", Application().dump(), Role::kTransport));
  ASSERT_EQ(pass["status"], "approved") << pass.dump();
  auto scanned = Send(http::verb::post, "/api/checkpoints/KK-IN/scans",
                      Json{{"token", pass["token"]}}.dump(), Role::kCheckpoint);
  ASSERT_EQ(scanned.result(), http::status::ok) << scanned.body();
  EXPECT_EQ(Body(scanned)["decision"], "release");
  std::string tampered = pass["token"];
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  auto bad = Send(http::verb::post, "/api/checkpoints/KK-IN/scans",
                  Json{{"token", tampered}}.dump(), Role::kCheckpoint);
  EXPECT_EQ(Body(bad)["decision"], "turn_back") << bad.body();

  const int64_t passage = Body(bad)["passage_id"];
  auto overridden =
      Send(http::verb::post, "/api/passages/" + std::to_string(passage) + "/override",
           R"({"decision":"manual_check","reason":"二维码污损，人工核验"})", Role::kCheckpoint);
  ASSERT_EQ(overridden.result(), http::status::ok) << overridden.body();
  AuditFilter filter;
  filter.action = "checkpoint.override";
  auto audited = audit_->List(0, 10, filter);
  ASSERT_TRUE(audited);
  EXPECT_EQ(audited->total, 1);
  // Only operators scan.
  EXPECT_EQ(Send(http::verb::post, "/api/checkpoints/KK-IN/scans",
                 Json{{"token", pass["token"]}}.dump(), Role::kCarrier)
                .result(),
            http::status::forbidden);
}

}  // namespace
}  // namespace baotong::api
