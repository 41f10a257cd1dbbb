// Issue 13 items 5, 6, 10 (passes) and 11 over HTTP: health findings rendered per role, carriers
// naming only their own fleet, audited reads of unmasked pass details, and arrivals and the
// in-city list scoped to what each role may see.
#include <gtest/gtest.h>

#include "api_fixture.h"

namespace baotong::api {
namespace {

namespace http = boost::beast::http;
namespace asio = boost::asio;
namespace beast = boost::beast;
using testing::ApiFixture;
using testing::Json;
using testing::kOtherCarrier;
using testing::kTiedongCarrier;

constexpr const char* kTiedongDriver = "210302198507150011";  // 张伟, of kTiedongCarrier
constexpr const char* kOtherDriver = "11010519491231002X";    // 李娜, of kOtherCarrier
constexpr const char* kNobody = "210302199001010016";         // valid, in no registry

class PassPrivacyTest : public ApiFixture {
 protected:
  Json Application(const std::string& plate, const std::string& carrier,
                   const std::vector<std::string>& drivers) {
    const int64_t now = NowMs();
    return Json{
        {"kind", "trip"},
        {"carrier_credit_code", carrier},
        {"plate", plate},
        {"plate_color", 2},
        {"driver_id_numbers", drivers},
        {"cargo",
         {{"category", "生活物资"}, {"name", "大米"}, {"weight_kg", 12000}, {"dangerous", false}}},
        {"origin", "沈阳市于洪区"},
        {"destination_site_codes", {"ZD001"}},
        {"waypoints", {{41.10, 122.88}, {41.09, 123.02}}},
        {"entry_from_ms", now - 3'600'000},
        {"entry_until_ms", now + 10 * 3'600'000},
        {"planned_exit_ms", now + 20 * 3'600'000}};
  }
  Json TiedongApplication() {
    return Application("辽C12345", std::string(kTiedongCarrier), {kTiedongDriver});
  }
  Json OtherApplication() {
    return Application("辽C67890", std::string(kOtherCarrier), {kOtherDriver});
  }

  // The other carrier's vehicle, driver and permit made good, so its passes are approved.
  void CompleteTheOtherCarrier() {
    std::vector<registry::Carrier> carriers(1);
    carriers[0].credit_code = std::string(kOtherCarrier);
    carriers[0].name = "海城市测试运输有限公司";
    carriers[0].district = "海城市";
    carriers[0].business_permit_valid_until = "2030-01-01";
    ASSERT_TRUE(registry_->Upsert(std::span<const registry::Carrier>(carriers), 2));
    std::vector<registry::Vehicle> vehicles(1);
    vehicles[0].plate = "辽C67890";
    vehicles[0].carrier_credit_code = std::string(kOtherCarrier);
    vehicles[0].transport_cert_valid_until = "2030-01-01";
    vehicles[0].insurance_valid_until = "2030-01-01";
    ASSERT_TRUE(registry_->Upsert(std::span<const registry::Vehicle>(vehicles), 2));
    std::vector<registry::Driver> drivers(1);
    drivers[0].id_number = kOtherDriver;
    drivers[0].name = "李娜";
    drivers[0].phone = "13812345678";
    drivers[0].licence_class = "A2";
    drivers[0].licence_valid_until = "2031-02-03";
    drivers[0].qualification_category = "道路货物运输驾驶员";
    drivers[0].qualification_valid_until = "2031-02-03";
    drivers[0].carrier_credit_code = std::string(kOtherCarrier);
    ASSERT_TRUE(registry_->Upsert(std::span<const registry::Driver>(drivers), 2));
  }

  int64_t ApprovedPass(const Json& application) {
    auto applied = Send(http::verb::post, "/api/passes", application.dump(), Role::kTransport);
    EXPECT_EQ(applied.result(), http::status::created) << applied.body();
    Json pass = Body(applied);
    EXPECT_EQ(pass["status"], "approved") << pass.dump();
    return pass.value("id", int64_t{0});
  }

  testing::HttpResponse CameraRead(const std::string& checkpoint, const std::string& plate) {
    asio::io_context context;
    beast::tcp_stream stream(context);
    stream.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    http::request<http::string_body> request{http::verb::post,
                                             "/api/checkpoints/" + checkpoint + "/plate-reads", 11};
    request.set(http::field::host, "127.0.0.1");
    request.set("X-Api-Key", camera_keys_.at(checkpoint));
    request.set(http::field::content_type, "application/json");
    request.body() = Json{{"plate", plate}, {"plate_color", 2}}.dump();
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    testing::HttpResponse response;
    http::read(stream, buffer, response);
    return response;
  }

  void ReportFrom(const std::string& terminal, int32_t lat_e6, int32_t lon_e6) {
    model::Position position;
    position.terminal = terminal;
    position.device_time_ms = NowMs() - 1'000;
    position.lat_e6 = lat_e6;
    position.lon_e6 = lon_e6;
    ASSERT_TRUE(store_.Append(std::span(&position, 1)));
  }

  int64_t AuditCount(const std::string& action, const std::string& target = "") {
    AuditFilter filter;
    filter.action = action;
    auto listed = audit_->List(0, 1000, filter);
    EXPECT_TRUE(listed);
    if (!listed)
      return -1;
    if (target.empty())
      return listed->total;
    int64_t count = 0;
    for (const auto& record : listed->items)
      count += record.entry.target == target ? 1 : 0;
    return count;
  }

  static std::vector<std::string> Plates(const Json& items) {
    std::vector<std::string> plates;
    for (const auto& item : items)
      plates.push_back(item.value("plate", ""));
    std::sort(plates.begin(), plates.end());
    return plates;
  }
};

// Item 5: a driver's positive result decides the pass, but only 卫健委 may read results; the
// roles that read passes see one message that says the health record does not qualify.
TEST_F(PassPrivacyTest, HealthFindingsSayOnlyThatTheRecordDoesNotQualify) {
  std::vector<registry::HealthRecord> health = {
      {kTiedongDriver, "核酸检测", NowMs() - 3'600'000, "张伟", "阳性", std::nullopt, 0}};
  ASSERT_TRUE(registry_->Upsert(std::span<registry::HealthRecord>(health), 1));
  // The fixture's store does not require health records; this one, on the same database, does.
  auto checking = pass::PassStore::Open(dir_ / "registry.db", pass::PassRules{},
                                        pass::SigningKey::Generate(), NowMs());
  ASSERT_TRUE(checking);
  auto parsed = pass::ParseApplicationRequest(TiedongApplication(), 20260101);
  ASSERT_TRUE(parsed);
  parsed->applicant = "transport_user";
  parsed->applicant_role = "transport";
  auto created = (*checking)->Create(std::move(*parsed), NowMs());
  ASSERT_TRUE(created) << created.error().Message();
  ASSERT_EQ(created->status, pass::PassStatus::kRejected);
  const std::string id = std::to_string(created->id);

  // Stored as found: the code and the full message, for the health department.
  auto stored = passes_->Get(created->id);
  ASSERT_TRUE(stored && *stored);
  ASSERT_EQ((*stored)->checks.size(), 1u);
  EXPECT_EQ((*stored)->checks[0].code, "health.positive");
  EXPECT_NE((*stored)->checks[0].message.find("阳性"), std::string::npos);

  for (Role role :
       {Role::kAdmin, Role::kTransport, Role::kPolice, Role::kCheckpoint, Role::kCarrier}) {
    auto read = Get("/api/passes/" + id, role);
    ASSERT_EQ(read.result(), http::status::ok) << RoleId(role) << read.body();
    Json pass = Body(read);
    ASSERT_EQ(pass["checks"].size(), 1u) << pass.dump();
    EXPECT_EQ(pass["checks"][0]["code"], "health.not_qualified") << RoleId(role);
    EXPECT_EQ(pass["checks"][0]["outcome"], "reject");
    EXPECT_EQ(pass["checks"][0]["message"],
              "驾驶员张伟的健康记录不符合要求 (the driver's health record does not qualify)");
    for (const char* word : {"阳性", "positive", "核酸"})
      EXPECT_EQ(read.body().find(word), std::string::npos) << RoleId(role) << ": " << word;
    auto listed = Get("/api/passes", role);
    ASSERT_EQ(listed.result(), http::status::ok);
    EXPECT_EQ(listed.body().find("阳性"), std::string::npos) << RoleId(role);
    EXPECT_NE(listed.body().find("health.not_qualified"), std::string::npos) << RoleId(role);
  }
  // 卫健委 reads results but not passes.
  EXPECT_EQ(Get("/api/passes/" + id, Role::kHealth).result(), http::status::forbidden);
}

// Item 6: a carrier names only its own drivers and vehicle. Another company's and a stranger's
// are refused with the very same answer, which names nobody.
TEST_F(PassPrivacyTest, ACarrierIsRefusedOtherCompaniesDriversAsIfTheyDidNotExist) {
  CompleteTheOtherCarrier();
  const std::string tiedong(kTiedongCarrier);
  auto other_driver =
      Send(http::verb::post, "/api/passes",
           Application("辽C12345", tiedong, {kTiedongDriver, kOtherDriver}).dump(), Role::kCarrier);
  auto no_driver =
      Send(http::verb::post, "/api/passes",
           Application("辽C12345", tiedong, {kTiedongDriver, kNobody}).dump(), Role::kCarrier);
  EXPECT_EQ(other_driver.result(), http::status::unprocessable_entity) << other_driver.body();
  EXPECT_EQ(ErrorCode(other_driver), "not_in_fleet");
  EXPECT_EQ(other_driver.result(), no_driver.result());
  EXPECT_EQ(other_driver.body(), no_driver.body());
  for (const char* word : {"李娜", "2031", "阳性", kOtherDriver})
    EXPECT_EQ(other_driver.body().find(word), std::string::npos) << word;

  // The same for a vehicle: another company's, or none.
  auto other_vehicle =
      Send(http::verb::post, "/api/passes",
           Application("辽C67890", tiedong, {kTiedongDriver}).dump(), Role::kCarrier);
  auto no_vehicle = Send(http::verb::post, "/api/passes",
                         Application("辽C99999", tiedong, {kTiedongDriver}).dump(), Role::kCarrier);
  EXPECT_EQ(other_vehicle.result(), http::status::unprocessable_entity) << other_vehicle.body();
  EXPECT_EQ(other_vehicle.body(), no_vehicle.body());
  EXPECT_EQ(other_vehicle.body().find(kOtherCarrier), std::string::npos);

  // Nothing was stored; its own fleet still goes through.
  EXPECT_EQ(Body(Get("/api/passes"))["total"], 0);
  auto own = Send(http::verb::post, "/api/passes", TiedongApplication().dump(), Role::kCarrier);
  ASSERT_EQ(own.result(), http::status::created) << own.body();
  EXPECT_EQ(Body(own)["status"], "approved");

  // 交通运输局 applying for a carrier: another company's driver is refused by the checks, and
  // the finding says nothing about him beyond the name staff may read anyway.
  auto staff = Send(http::verb::post, "/api/passes",
                    Application("辽C12345", tiedong, {kOtherDriver}).dump(), Role::kTransport);
  ASSERT_EQ(staff.result(), http::status::created) << staff.body();
  Json pass = Body(staff);
  EXPECT_EQ(pass["status"], "rejected");
  ASSERT_EQ(pass["checks"].size(), 1u) << pass.dump();
  EXPECT_EQ(pass["checks"][0]["code"], "driver.carrier_mismatch");
  EXPECT_EQ(staff.body().find("2031"), std::string::npos);
}

// Item 10 (passes): a pass shown with unmasked ID numbers is an audited read of personal data;
// a masked one is not.
TEST_F(PassPrivacyTest, ReadingUnmaskedPassDetailsIsAudited) {
  const int64_t id = ApprovedPass(TiedongApplication());
  const std::string target = "passes/" + std::to_string(id);
  EXPECT_EQ(AuditCount("pass.read"), 0);

  auto police = Get("/api/passes/" + std::to_string(id), Role::kPolice);
  ASSERT_EQ(police.result(), http::status::ok);
  EXPECT_EQ(Body(police)["driver_id_numbers"][0], kTiedongDriver);
  EXPECT_EQ(AuditCount("pass.read", target), 1);

  auto checkpoint = Get("/api/passes/" + std::to_string(id), Role::kCheckpoint);
  ASSERT_EQ(checkpoint.result(), http::status::ok);
  EXPECT_NE(Body(checkpoint)["driver_id_numbers"][0].get<std::string>().find('*'),
            std::string::npos);
  EXPECT_EQ(AuditCount("pass.read"), 1);  // masked: nothing to record

  // A listing with unmasked numbers is one entry naming the passes shown.
  ASSERT_EQ(Get("/api/passes", Role::kTransport).result(), http::status::ok);
  EXPECT_EQ(AuditCount("pass.read"), 2);
  ASSERT_EQ(Get("/api/passes", Role::kCheckpoint).result(), http::status::ok);
  EXPECT_EQ(AuditCount("pass.read"), 2);
  // The carrier reading its own driver's number unmasked is recorded too.
  ASSERT_EQ(Get("/api/passes/" + std::to_string(id), Role::kCarrier).result(), http::status::ok);
  EXPECT_EQ(AuditCount("pass.read", target), 2);
}

// Item 11: a site's expected arrivals show a carrier its own passes only, and positions only to
// roles that read positions, scoped to the terminals they may follow.
TEST_F(PassPrivacyTest, ArrivalsShowOwnPassesAndOnlyPermittedPositions) {
  CompleteTheOtherCarrier();
  ApprovedPass(TiedongApplication());
  ApprovedPass(OtherApplication());
  ReportFrom("013900000001", 41'090'200, 123'020'100);  // 辽C12345, on site
  ReportFrom("013900000002", 41'090'300, 123'020'200);  // 辽C67890, on site

  Json all = Body(Get("/api/sites/ZD001/arrivals"));
  EXPECT_EQ(Plates(all["items"]), (std::vector<std::string>{"辽C12345", "辽C67890"}));
  EXPECT_EQ(all["counts"]["on_site"], 2) << all.dump();
  for (const auto& item : all["items"])
    EXPECT_TRUE(item.contains("last_position")) << item.dump();

  // The carrier: its own pass only, nothing of the other company's truck or driver.
  auto carrier = Get("/api/sites/ZD001/arrivals", Role::kCarrier);
  ASSERT_EQ(carrier.result(), http::status::ok) << carrier.body();
  EXPECT_EQ(Plates(Body(carrier)["items"]), std::vector<std::string>{"辽C12345"});
  EXPECT_EQ(Body(carrier)["counts"]["expected"], 1);
  for (std::string_view word :
       {std::string_view("辽C67890"), std::string_view("李娜"), kOtherCarrier})
    EXPECT_EQ(carrier.body().find(word), std::string::npos) << word;

  // The checkpoint operator (no positions.read): the arrivals, no positions, no on-site.
  auto checkpoint = Get("/api/sites/ZD001/arrivals", Role::kCheckpoint);
  ASSERT_EQ(checkpoint.result(), http::status::ok) << checkpoint.body();
  Json seen = Body(checkpoint);
  EXPECT_EQ(seen["items"].size(), 2u);
  for (const auto& item : seen["items"]) {
    EXPECT_FALSE(item.contains("last_position")) << item.dump();
    EXPECT_TRUE(item["on_site"].is_null()) << item.dump();
  }
  EXPECT_EQ(seen["counts"]["on_site"], 0);
  EXPECT_EQ(seen["counts"]["unlocated"], 2);

  // The site's district follows its own district's terminals only.
  Json district = Body(Get("/api/sites/ZD001/arrivals", Role::kDistrict));
  ASSERT_EQ(district["items"].size(), 2u) << district.dump();
  for (const auto& item : district["items"]) {
    const bool own = item["plate"] == "辽C12345";
    EXPECT_EQ(item.contains("last_position"), own) << item.dump();
    EXPECT_EQ(item["on_site"].is_null(), !own) << item.dump();
  }

  // A district sees arrivals at its own district's sites only.
  std::vector<registry::Site> sites(1);
  sites[0].code = "HC001";
  sites[0].name = "海城市西柳卸货点";
  sites[0].kind = registry::SiteKind::kUnloading;
  sites[0].district = "海城市";
  sites[0].geometry = R"({"type":"Point","coordinates":[122.72,40.88]})";
  ASSERT_TRUE(registry_->Upsert(std::span<const registry::Site>(sites), 2));
  EXPECT_EQ(Get("/api/sites/HC001/arrivals", Role::kDistrict).result(), http::status::not_found);
  EXPECT_EQ(Get("/api/sites/HC001/arrivals").result(), http::status::ok);
}

// Item 11: a district's in-city list holds its own district's vehicles only.
TEST_F(PassPrivacyTest, ADistrictSeesOnlyItsOwnVehiclesInTheCity) {
  CompleteTheOtherCarrier();
  ApprovedPass(TiedongApplication());
  ApprovedPass(OtherApplication());
  ASSERT_EQ(Body(CameraRead("KK-IN", "辽C12345"))["decision"], "release");
  ASSERT_EQ(Body(CameraRead("KK-IN", "辽C67890"))["decision"], "release");

  Json all = Body(Get("/api/in-city"));
  EXPECT_EQ(all["total"], 2) << all.dump();
  EXPECT_EQ(Plates(all["items"]), (std::vector<std::string>{"辽C12345", "辽C67890"}));
  for (Role role : {Role::kTransport, Role::kPolice, Role::kCheckpoint})
    EXPECT_EQ(Body(Get("/api/in-city", role))["total"], 2) << RoleId(role);

  auto district = Get("/api/in-city", Role::kDistrict);
  ASSERT_EQ(district.result(), http::status::ok) << district.body();
  EXPECT_EQ(Body(district)["total"], 1) << district.body();
  EXPECT_EQ(Plates(Body(district)["items"]), std::vector<std::string>{"辽C12345"});
  // Paging counts the district's vehicles, not the city's.
  EXPECT_EQ(Body(Get("/api/in-city?offset=1", Role::kDistrict))["items"].size(), 0u);
}

}  // namespace
}  // namespace baotong::api
