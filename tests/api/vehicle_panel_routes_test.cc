// The live map's vehicle panel (issue 14): GET /api/monitor/vehicles/{terminal} names the company
// and its drivers' phones only as the caller's role may see them, and a read that shows a phone
// unmasked is in the audit log.
#include <gtest/gtest.h>

#include <thread>

#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
using testing::ApiFixture;
using testing::HttpResponse;
using testing::Json;

constexpr const char* kTiedongDriver = "210302198507150011";  // 张伟, 13912345678

class VehiclePanelTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    const int64_t now = NowMs();
    const Json application{
        {"kind", "trip"},
        {"carrier_credit_code", std::string(testing::kTiedongCarrier)},
        {"plate", "辽C12345"},
        {"plate_color", 2},
        {"driver_id_numbers", {kTiedongDriver}},
        {"cargo",
         {{"category", "生活物资"}, {"name", "大米"}, {"weight_kg", 12000}, {"dangerous", false}}},
        {"origin", "沈阳市于洪区"},
        {"destination_site_codes", {"ZD001"}},
        {"waypoints", {{41.10, 122.88}, {41.09, 123.02}}},
        {"entry_from_ms", now - 3'600'000},
        {"entry_until_ms", now + 10 * 3'600'000},
        {"planned_exit_ms", now + 20 * 3'600'000}};
    auto applied = Send(http::verb::post, "/api/passes", application.dump(), Role::kTransport);
    ASSERT_EQ(applied.result(), http::status::created) << applied.body();
    ASSERT_EQ(Body(applied)["status"], "approved") << applied.body();

    std::vector<model::Position> positions(1);
    positions[0].terminal = "013900000001";
    positions[0].device_time_ms = now;
    positions[0].receive_time_ms = now;
    positions[0].lat_e6 = 41'108'500;
    positions[0].lon_e6 = 122'994'300;
    monitoring_->OnPosition(positions);
  }

  Json Panel(Role as) {
    HttpResponse response;
    for (int i = 0; i < 100; ++i) {
      response = Get("/api/monitor/vehicles/013900000001", as);
      if (response.result() == http::status::ok)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(response.result(), http::status::ok) << response.body();
    return Body(response);
  }

  size_t PhoneReads() {
    AuditFilter filter;
    filter.action = "registry.read";
    auto page = audit_->List(0, 100, filter);
    EXPECT_TRUE(page);
    size_t count = 0;
    for (const auto& record : page ? page->items : std::vector<AuditRecord>{})
      count += record.entry.target == "terminals/013900000001/drivers" ? 1 : 0;
    return count;
  }
};

TEST_F(VehiclePanelTest, NamesTheCompanyAndTheDriversPhoneUnmaskedOnlyWhereTheRoleMay) {
  Json admin = Panel(Role::kAdmin);
  EXPECT_EQ(admin["carrier"]["name"], "鞍山市测试物流有限公司");
  EXPECT_EQ(admin["carrier"]["credit_code"], std::string(testing::kTiedongCarrier));
  ASSERT_EQ(admin["drivers"].size(), 1u) << admin.dump();
  EXPECT_EQ(admin["drivers"][0]["name"], "张伟");
  EXPECT_EQ(admin["drivers"][0]["phone"], "13912345678");
  // The phone left unmasked: recorded before it left.
  EXPECT_EQ(PhoneReads(), 1u);

  // A district sees the phone masked, and that read is no reveal.
  Json district = Panel(Role::kDistrict);
  EXPECT_EQ(district["carrier"]["name"], "鞍山市测试物流有限公司");
  ASSERT_EQ(district["drivers"].size(), 1u);
  EXPECT_EQ(district["drivers"][0]["phone"], "139****5678");
  EXPECT_EQ(PhoneReads(), 1u);

  // 卫健委 reads drivers but not vehicles or carriers: the phone (recorded), no company.
  Json health = Panel(Role::kHealth);
  EXPECT_TRUE(health["carrier"].is_null()) << health.dump();
  EXPECT_EQ(health["drivers"][0]["phone"], "13912345678");
  EXPECT_EQ(PhoneReads(), 2u);
}

}  // namespace
}  // namespace baotong::api
