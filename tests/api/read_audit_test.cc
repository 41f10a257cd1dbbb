// Reads of who was where are in the audit log: tracks with their stated purpose, live positions
// and a vehicle's live state once per user and window (issue 13, item 10).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/repeated_reads.h"
#include "api_fixture.h"

namespace baotong::api {
namespace {

using testing::ApiFixture;
using testing::HttpResponse;
using testing::Json;
namespace http = testing::http;

class ReadAuditTest : public ApiFixture {
 protected:
  std::vector<AuditRecord> Entries(const std::string& action) {
    AuditFilter filter;
    filter.action = action;
    auto page = audit_->List(0, 100, filter);
    EXPECT_TRUE(page);
    return page ? page->items : std::vector<AuditRecord>{};
  }

  void Report(std::string terminal, int64_t at_ms) {
    std::vector<model::Position> positions(1);
    positions[0].terminal = std::move(terminal);
    positions[0].device_time_ms = at_ms;
    positions[0].receive_time_ms = at_ms;
    positions[0].lat_e6 = 41'108'500;
    positions[0].lon_e6 = 122'994'300;
    ASSERT_TRUE(store_.Append(positions));
  }
};

TEST_F(ReadAuditTest, ATrackNeedsAPurposeAndIsAuditedWithIt) {
  const int64_t now = NowMs();
  Report("013900000001", now - 60'000);
  const std::string window = "?terminal=013900000001&from=" + std::to_string(now - 3'600'000) +
                             "&to=" + std::to_string(now);
  for (const char* route : {"/api/track", "/api/track/movement"}) {
    auto refused = Get(route + window);
    EXPECT_EQ(refused.result(), http::status::bad_request) << route;
    auto too_short = Get(route + window + "&purpose=ab");
    EXPECT_EQ(too_short.result(), http::status::bad_request) << route;
  }
  EXPECT_TRUE(Entries("track.read").empty());

  // 事由 in UTF-8, percent-encoded as a browser sends it: "疫情协查".
  const std::string purpose = "&purpose=%E7%96%AB%E6%83%85%E5%8D%8F%E6%9F%A5";
  auto track = Get("/api/track" + window + purpose);
  ASSERT_EQ(track.result(), http::status::ok) << track.body();
  auto reads = Entries("track.read");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].entry.target, "terminals/013900000001");
  const Json detail = Json::parse(reads[0].entry.detail);
  EXPECT_EQ(detail["purpose"], "疫情协查");
  EXPECT_EQ(detail["positions"], 1);

  auto movement = Get("/api/track/movement" + window + purpose);
  ASSERT_EQ(movement.result(), http::status::ok) << movement.body();
  ASSERT_EQ(Entries("track.movement").size(), 1u);
  // Every track read is its own entry: each states its own purpose.
  ASSERT_EQ(Get("/api/track" + window + purpose).result(), http::status::ok);
  EXPECT_EQ(Entries("track.read").size(), 2u);
}

TEST_F(ReadAuditTest, LivePositionsAreAuditedOncePerUserAndWindow) {
  Report("013900000001", NowMs());
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(Get("/api/positions/latest").result(), http::status::ok);
  auto reads = Entries("positions.latest");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].entry.actor, "admin_user");
  EXPECT_EQ(Json::parse(reads[0].entry.detail)["repeats_within_s"], 600);
  // Another user's reads are their own entry.
  ASSERT_EQ(Get("/api/positions/latest", Role::kCarrier).result(), http::status::ok);
  EXPECT_EQ(Entries("positions.latest").size(), 2u);
}

TEST_F(ReadAuditTest, AVehiclesLiveStateIsAudited) {
  std::vector<model::Position> positions(1);
  positions[0].terminal = "013900000001";
  positions[0].device_time_ms = NowMs();
  positions[0].receive_time_ms = NowMs();
  positions[0].lat_e6 = 41'108'500;
  positions[0].lon_e6 = 122'994'300;
  monitoring_->OnPosition(positions);
  HttpResponse response;
  for (int i = 0; i < 100; ++i) {
    response = Get("/api/monitor/vehicles/013900000001");
    if (response.result() == http::status::ok)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  ASSERT_EQ(Get("/api/monitor/vehicles/013900000001").result(), http::status::ok);
  auto reads = Entries("monitor.vehicle");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].entry.target, "terminals/013900000001");
  // The list of every vehicle's live state is where they all are: recorded too, once.
  ASSERT_EQ(Get("/api/monitor/vehicles").result(), http::status::ok);
  ASSERT_EQ(Get("/api/monitor/vehicles").result(), http::status::ok);
  EXPECT_EQ(Entries("monitor.vehicles").size(), 1u);
}

TEST_F(ReadAuditTest, AnAlarmsTrackIsAudited) {
  std::vector<monitor::AlarmSignal> signals(1);
  signals[0].kind = monitor::AlarmKind::kOffRoute;
  signals[0].terminal = "013900000001";
  signals[0].plate = "辽C12345";
  signals[0].plate_color = 2;
  signals[0].at_ms = NowMs();
  signals[0].lat = 41.1;
  signals[0].lon = 122.99;
  signals[0].district = "铁东区";
  monitoring_->alarms().OnSignals(signals);
  monitoring_->alarms().Flush();
  const Json listed = Body(Get("/api/alarms?limit=1"));
  ASSERT_EQ(listed["items"].size(), 1u) << listed.dump();
  const std::string target = "alarms/" + std::to_string(listed["items"][0]["id"].get<int64_t>());
  ASSERT_EQ(Get("/api/" + target).result(), http::status::ok);
  auto reads = Entries("alarm.read");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].entry.target, target);
}

// No entry, no data: when the audit log refuses a write, reads of who was where answer 503 and
// carry nothing.
TEST_F(ReadAuditTest, WhenTheAuditLogRefusesNothingLeaves) {
  const int64_t now = NowMs();
  Report("013900000001", now - 60'000);
  ASSERT_TRUE(
      database_->Exec("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                      "BEGIN SELECT RAISE(ABORT, 'refused'); END"));
  const std::string window = "?terminal=013900000001&from=" + std::to_string(now - 3'600'000) +
                             "&to=" + std::to_string(now) + "&purpose=test%20purpose";
  for (const std::string& target :
       {"/api/track" + window, "/api/track/movement" + window, std::string("/api/positions/latest"),
        std::string("/api/monitor/vehicles")}) {
    auto response = Get(target);
    EXPECT_EQ(response.result(), http::status::service_unavailable) << target;
    EXPECT_EQ(ErrorCode(response), "audit_unavailable") << target;
    EXPECT_EQ(response.body().find("41.1085"), std::string::npos) << target;
  }
}

TEST_F(ReadAuditTest, TheAuditLogNamesPeopleByTheirMaskedNumbersOnly) {
  // An unmasked read of a driver, and a 协查-style purpose that quotes an ID number and a phone.
  ASSERT_EQ(Get("/api/registry/drivers/210302198507150011").result(), http::status::ok);
  const int64_t now = NowMs();
  const std::string window = "?terminal=013900000001&from=" + std::to_string(now - 3'600'000) +
                             "&to=" + std::to_string(now) +
                             "&purpose=%E5%8F%B8%E6%9C%BA210302198507150011%2013912345678";
  ASSERT_EQ(Get("/api/track" + window).result(), http::status::ok);
  AuditFilter filter;
  auto page = audit_->List(0, 100, filter);
  ASSERT_TRUE(page);
  bool found_driver = false;
  bool found_track_read = false;
  for (const auto& record : page->items) {
    const std::string text = record.entry.target + record.entry.detail;
    EXPECT_EQ(text.find("210302198507150011"), std::string::npos) << text;
    EXPECT_EQ(text.find("13912345678"), std::string::npos) << text;
    found_driver |= record.entry.target.find("210302********0011") != std::string::npos;
    if (record.entry.action == "track.read") {
      found_track_read = true;
      EXPECT_EQ(Json::parse(record.entry.detail)["purpose"], "司机210302********0011 139****5678");
      // Numbers stay numbers: only strings are masked.
      EXPECT_TRUE(Json::parse(record.entry.detail)["from_ms"].is_number_integer());
    }
  }
  EXPECT_TRUE(found_driver);
  EXPECT_TRUE(found_track_read);
}

TEST(RepeatedReadsTest, AWindowOpensPerUserActionAndTargetAndAgainAfterItEnds) {
  RepeatedReads reads;
  const int64_t start = 1'000'000;
  // Opens a window and records its first read, as Call::AuditRepeatedRead does.
  auto recorded = [&](std::string_view user, std::string_view action, std::string_view target,
                      int64_t now_ms) {
    if (!reads.OpensWindow(user, action, target, now_ms))
      return false;
    reads.Confirm(user, action, target);
    return true;
  };
  EXPECT_TRUE(recorded("li", "positions.latest", "positions/latest", start));
  EXPECT_FALSE(recorded("li", "positions.latest", "positions/latest", start + 1));
  EXPECT_TRUE(recorded("wang", "positions.latest", "positions/latest", start + 1));
  EXPECT_TRUE(recorded("li", "monitor.vehicle", "terminals/1", start + 1));
  EXPECT_TRUE(recorded("li", "monitor.vehicle", "terminals/2", start + 1));
  EXPECT_FALSE(
      recorded("li", "positions.latest", "positions/latest", start + RepeatedReads::kWindowMs - 1));
  EXPECT_TRUE(
      recorded("li", "positions.latest", "positions/latest", start + RepeatedReads::kWindowMs));
  // A write that failed is forgotten, so the next read tries again.
  reads.Forget("li", "positions.latest", "positions/latest");
  EXPECT_TRUE(
      recorded("li", "positions.latest", "positions/latest", start + RepeatedReads::kWindowMs + 1));
  // A clock that steps back does not silence the log.
  EXPECT_TRUE(recorded("li", "positions.latest", "positions/latest", start - 5));
}

TEST(RepeatedReadsTest, AReadDuringTheFirstReadsAuditWriteIsRecordedToo) {
  RepeatedReads reads;
  const int64_t start = 1'000'000;
  // The first read opened the window; its audit write has not finished (it may still fail).
  ASSERT_TRUE(reads.OpensWindow("li", "monitor.vehicle", "terminals/1", start));
  // A second read meanwhile is not served unrecorded on the strength of that write.
  EXPECT_TRUE(reads.OpensWindow("li", "monitor.vehicle", "terminals/1", start + 1));
  reads.Confirm("li", "monitor.vehicle", "terminals/1");
  EXPECT_FALSE(reads.OpensWindow("li", "monitor.vehicle", "terminals/1", start + 2));
}

}  // namespace
}  // namespace baotong::api
