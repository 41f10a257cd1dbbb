#include "pass/pass_store.h"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "registry/credentials.h"
#include "registry/registry_fixture.h"

namespace baotong::pass {
namespace {

using registry::testing::CreditCode;
using registry::testing::IdNumber;

constexpr int64_t kHour = 3600 * 1000;
const int64_t kNow = registry::ChinaMidnightMs("2026-11-26") + 8 * kHour;

class PassStoreTest : public registry::testing::RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    std::vector<registry::Carrier> carriers = {
        {CreditCode(1), "鞍山运输", "铁东区", std::nullopt, "许可1", "2030-01-01", std::nullopt},
        {CreditCode(2), "海城物流", "海城市", std::nullopt, "许可2", "2030-01-01", std::nullopt}};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Carrier>(carriers), 1));
    std::vector<registry::Vehicle> vehicles;
    for (const char* plate : {"辽C12345", "辽C22222", "辽C33333"}) {
      registry::Vehicle vehicle;
      vehicle.plate = plate;
      vehicle.plate_color = PlateColor::kYellow;
      vehicle.vehicle_class = registry::VehicleClass::kHeavyTruck;
      vehicle.carrier_credit_code = CreditCode(1);
      vehicle.transport_cert_valid_until = "2030-01-01";
      vehicle.insurance_valid_until = "2030-01-01";
      vehicles.push_back(vehicle);
    }
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Vehicle>(vehicles), 1));
    registry::Driver driver;
    driver.id_number = IdNumber(1);
    driver.name = "张三";
    driver.licence_class = "A2";
    driver.licence_valid_until = "2030-01-01";
    driver.qualification_category = "道路货物运输驾驶员";
    driver.qualification_valid_until = "2030-01-01";
    driver.carrier_credit_code = CreditCode(1);
    std::vector<registry::Driver> drivers = {driver};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Driver>(drivers), 1));
    std::vector<registry::HealthRecord> health = {
        {IdNumber(1), "核酸检测", kNow - 30 * kHour, "张三", "阳性", std::nullopt, 0},
        {IdNumber(1), "核酸检测", kNow - 2 * kHour, "张三", "阴性", std::nullopt, 0},
        {IdNumber(1), "抗原检测", kNow - 1 * kHour, "张三", "阳性", std::nullopt, 0}};
    ASSERT_TRUE(store_->Upsert(std::span<registry::HealthRecord>(health), 1));
    std::vector<registry::Site> sites = {{"S1", "鞍山农产品批发市场",
                                          registry::SiteKind::kUnloading, "铁东区",
                                          R"({"type":"Point","coordinates":[122.99,41.11]})"}};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Site>(sites), 1));
    OpenPasses();
    std::vector<PublishedRoute> routes = {
        {"R1", "鞍山绕城货运通道",
         R"({"type":"LineString","coordinates":[[122.9,41.1],[123,41.2]]})", false}};
    ASSERT_TRUE(passes_->UpsertRoutes(routes, kNow));
  }
  void TearDown() override {
    passes_.reset();
    RegistryTest::TearDown();
  }

  void OpenPasses(PassRules rules = {}, int64_t now = kNow) {
    passes_.reset();
    auto key = SigningKey::LoadOrCreate(dir_ / "pass-signing.key");
    ASSERT_TRUE(key);
    auto opened = PassStore::Open(dir_ / "registry.db", std::move(rules), std::move(*key), now);
    ASSERT_TRUE(opened) << opened.error().Message();
    passes_ = std::move(*opened);
  }

  static PassApplication Trip(std::string plate = "辽C12345") {
    PassApplication application;
    application.plate = std::move(plate);
    application.plate_color = PlateColor::kYellow;
    application.carrier_credit_code = CreditCode(1);
    application.driver_id_numbers = {IdNumber(1)};
    application.cargo = Cargo{"生活物资", "蔬菜", 8000, false, std::nullopt, std::nullopt};
    application.origin = "沈阳";
    application.destination_site_codes = {"S1"};
    application.route_id = "R1";
    application.entry_from_ms = kNow + kHour;
    application.entry_until_ms = kNow + 5 * kHour;
    application.planned_exit_ms = kNow + 10 * kHour;
    application.applicant = "carrier1";
    application.applicant_role = "carrier";
    return application;
  }

  PassApplication Create(PassApplication application) {
    auto created = passes_->Create(std::move(application), kNow);
    EXPECT_TRUE(created) << created.error().Message();
    return created ? *created : PassApplication{};
  }

  std::unique_ptr<PassStore> passes_;
};

TEST_F(PassStoreTest, AGoodApplicationIsApprovedSignedAndInForce) {
  PassApplication pass = Create(Trip());
  EXPECT_GT(pass.id, 0);
  EXPECT_EQ(pass.status, PassStatus::kApproved) << ApplicationJson(pass, kNow).dump();
  EXPECT_TRUE(pass.checks.empty());
  EXPECT_EQ(pass.driver_names, std::vector<std::string>{"张三"});
  ASSERT_TRUE(pass.token);
  auto payload = VerifyToken(*pass.token, passes_->signing_key().public_key(), kNow + 2 * kHour);
  ASSERT_TRUE(payload);
  EXPECT_EQ(payload->id, pass.id);
  EXPECT_EQ(payload->plate, "辽C12345");
  EXPECT_EQ(payload->until, pass.entry_until_ms);

  auto stored = passes_->Get(pass.id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ(**stored, pass);
  auto lookup = passes_->Lookup("辽C12345", PlateColor::kYellow, kNow + 2 * kHour);
  EXPECT_EQ(lookup.state, PassState::kInForce);
  ASSERT_TRUE(lookup.pass);
  EXPECT_EQ(lookup.pass->id, pass.id);
  EXPECT_FALSE(lookup.color_mismatch);
  EXPECT_EQ(passes_->FindIndexed(pass.id)->id, pass.id);
}

TEST_F(PassStoreTest, TheNewestHealthRecordOfAConfiguredKindCounts) {
  // The newest 核酸检测 is negative; an older one and a newer 抗原检测 are positive.
  auto facts = passes_->GatherFacts(Trip(), kNow);
  ASSERT_TRUE(facts);
  ASSERT_TRUE(facts->drivers[0].newest_health);
  EXPECT_EQ(facts->drivers[0].newest_health->result, "阴性");
  PassRules rules;
  rules.health_kinds = {"抗原检测"};
  OpenPasses(rules);
  PassApplication pass = Create(Trip());
  EXPECT_EQ(pass.status, PassStatus::kRejected);
  ASSERT_EQ(pass.checks.size(), 1u);
  EXPECT_EQ(pass.checks[0].code, "health.positive");
}

TEST_F(PassStoreTest, RegistryFactsDriveTheChecks) {
  PassApplication unknown = Trip("辽C99999");
  unknown.destination_site_codes = {"S1", "NOPE"};
  unknown.route_id = "R9";
  PassApplication pass = Create(unknown);
  EXPECT_EQ(pass.status, PassStatus::kRejected);
  std::vector<std::string> codes;
  for (const auto& check : pass.checks)
    codes.push_back(check.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"vehicle.unknown", "site.unknown", "route.unknown"}));
  EXPECT_EQ(passes_->Lookup("辽C99999", PlateColor::kYellow, kNow + 2 * kHour).state,
            PassState::kNone);
  EXPECT_FALSE(passes_->FindIndexed(pass.id));

  PassApplication other_carrier = Trip();
  other_carrier.carrier_credit_code = CreditCode(2);
  EXPECT_EQ(Create(other_carrier).checks[0].code, "carrier.mismatch");
}

TEST_F(PassStoreTest, ReviewApproveRejectRevoke) {
  PassRules rules;
  rules.auto_approve = false;
  OpenPasses(rules);
  PassApplication first = Create(Trip());
  ASSERT_EQ(first.status, PassStatus::kPendingReview);
  EXPECT_FALSE(first.token);
  EXPECT_EQ(passes_->Lookup("辽C12345", PlateColor::kYellow, kNow + 2 * kHour).state,
            PassState::kNone);

  auto approved = passes_->Approve(first.id, "staff1", "同意", kNow + 1);
  ASSERT_TRUE(approved) << approved.error().Message();
  EXPECT_EQ(approved->status, PassStatus::kApproved);
  EXPECT_EQ(approved->review, (Review{"staff1", kNow + 1, "同意"}));
  ASSERT_TRUE(approved->token);
  EXPECT_EQ(passes_->Lookup("辽C12345", PlateColor::kYellow, kNow + 2 * kHour).state,
            PassState::kInForce);
  auto again = passes_->Approve(first.id, "staff1", "", kNow + 2);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(passes_->Reject(first.id, "staff1", "", kNow + 2).error().code, ErrorCode::kConflict);

  auto revoked = passes_->Revoke(first.id, "staff2", "车辆发生事故", kNow + 3);
  ASSERT_TRUE(revoked) << revoked.error().Message();
  EXPECT_EQ(revoked->status, PassStatus::kRevoked);
  EXPECT_EQ(revoked->revocation, (Revocation{"staff2", kNow + 3, "车辆发生事故"}));
  auto lookup = passes_->Lookup("辽C12345", PlateColor::kYellow, kNow + 2 * kHour);
  EXPECT_EQ(lookup.state, PassState::kRevoked);
  EXPECT_EQ(passes_->FindIndexed(first.id)->status, PassStatus::kRevoked);
  EXPECT_EQ(passes_->Revoke(first.id, "staff2", "", kNow).error().code, ErrorCode::kConflict);

  PassApplication second = Create(Trip("辽C22222"));
  auto rejected = passes_->Reject(second.id, "staff1", "材料不全", kNow + 4);
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, PassStatus::kRejected);
  EXPECT_EQ(passes_->Revoke(second.id, "staff2", "", kNow).error().code, ErrorCode::kConflict);
  EXPECT_EQ(passes_->Approve(999999, "x", "", kNow).error().code, ErrorCode::kNotFound);
}

TEST_F(PassStoreTest, LookupTellsExpiredNotYetValidAndColourMismatch) {
  PassApplication pass = Create(Trip());
  ASSERT_EQ(pass.status, PassStatus::kApproved);
  EXPECT_EQ(passes_->Lookup("辽C12345", PlateColor::kYellow, pass.entry_from_ms - 1).state,
            PassState::kNotYetValid);
  EXPECT_EQ(passes_->Lookup("辽C12345", PlateColor::kYellow, pass.entry_from_ms).state,
            PassState::kInForce);
  EXPECT_EQ(passes_->Lookup("辽C12345", PlateColor::kYellow, pass.entry_until_ms).state,
            PassState::kInForce);
  auto expired = passes_->Lookup("辽C12345", PlateColor::kYellow, pass.entry_until_ms + 1);
  EXPECT_EQ(expired.state, PassState::kExpired);
  EXPECT_EQ(expired.pass->id, pass.id);
  auto blue = passes_->Lookup("辽C12345", PlateColor::kBlue, kNow + 2 * kHour);
  EXPECT_EQ(blue.state, PassState::kInForce);
  EXPECT_TRUE(blue.color_mismatch);
  EXPECT_EQ(passes_->Lookup("辽C54321", PlateColor::kYellow, kNow).state, PassState::kNone);
}

TEST_F(PassStoreTest, ATripPassWinsOverAStandingRegistration) {
  PassApplication standing = Trip();
  standing.kind = PassKind::kStanding;
  standing.cargo.reset();
  standing.route_id.reset();
  standing.entry_from_ms = kNow;
  standing.entry_until_ms = kNow + 30 * 24 * kHour;
  standing.planned_exit_ms = standing.entry_until_ms;
  // The standing registration's health reference is now: the negative test of 2 h ago counts.
  PassApplication registered = Create(standing);
  ASSERT_EQ(registered.status, PassStatus::kApproved) << ApplicationJson(registered, kNow).dump();
  EXPECT_EQ(passes_->Lookup("辽C12345", PlateColor::kYellow, kNow).pass->kind, PassKind::kStanding);
  PassApplication trip = Create(Trip());
  ASSERT_EQ(trip.status, PassStatus::kApproved);
  EXPECT_EQ(passes_->Lookup("辽C12345", PlateColor::kYellow, kNow + 2 * kHour).pass->id, trip.id);
  // Revoking the trip leaves the standing registration in force.
  ASSERT_TRUE(passes_->Revoke(trip.id, "staff", "改期", kNow));
  auto lookup = passes_->Lookup("辽C12345", PlateColor::kYellow, kNow + 2 * kHour);
  EXPECT_EQ(lookup.state, PassState::kInForce);
  EXPECT_EQ(lookup.pass->id, registered.id);
}

TEST_F(PassStoreTest, TheIndexIsRebuiltAtOpen) {
  PassApplication kept = Create(Trip());
  PassApplication revoked = Create(Trip("辽C22222"));
  ASSERT_TRUE(passes_->Revoke(revoked.id, "staff", "撤销", kNow));
  OpenPasses();
  EXPECT_EQ(passes_->Lookup("辽C12345", PlateColor::kYellow, kNow + 2 * kHour).pass->id, kept.id);
  EXPECT_EQ(passes_->Lookup("辽C22222", PlateColor::kYellow, kNow + 2 * kHour).state,
            PassState::kRevoked);
  // Passes that ended longer ago than the retention are not loaded.
  OpenPasses({}, kNow + PassStore::kIndexRetentionMs + 6 * kHour);
  EXPECT_FALSE(passes_->FindIndexed(kept.id));
  EXPECT_TRUE(passes_->Get(kept.id).value());  // still in the database
}

TEST_F(PassStoreTest, ListFiltersPagesAndCounts) {
  PassApplication a = Create(Trip("辽C12345"));
  PassApplication b = Create(Trip("辽C22222"));
  PassApplication bad = Create(Trip("辽C99999"));
  PassApplication other = Trip("辽C33333");
  other.applicant = "staff9";
  other = Create(other);
  ASSERT_TRUE(passes_->Revoke(b.id, "staff", "撤销", kNow));

  auto ids = [&](const std::function<void(PassListQuery&)>& set) {
    PassListQuery query;
    query.now_ms = kNow;
    set(query);
    auto page = passes_->List(query);
    EXPECT_TRUE(page) << page.error().Message();
    std::vector<int64_t> result;
    for (const auto& item : page->items)
      result.push_back(item.id);
    return std::make_pair(page->total, result);
  };
  using Ids = std::vector<int64_t>;
  EXPECT_EQ(ids([](auto&) {}), std::make_pair(int64_t{4}, Ids{other.id, bad.id, b.id, a.id}));
  EXPECT_EQ(ids([&](auto& q) { q.status = "approved"; }),
            std::make_pair(int64_t{2}, Ids{other.id, a.id}));
  EXPECT_EQ(ids([&](auto& q) { q.status = "revoked"; }), std::make_pair(int64_t{1}, Ids{b.id}));
  EXPECT_EQ(ids([&](auto& q) { q.status = "rejected"; }), std::make_pair(int64_t{1}, Ids{bad.id}));
  EXPECT_EQ(ids([&](auto& q) {
              q.status = "expired";
              q.now_ms = kNow + 6 * kHour;
            }),
            std::make_pair(int64_t{2}, Ids{other.id, a.id}));
  EXPECT_EQ(ids([&](auto& q) {
              q.status = "approved";
              q.now_ms = kNow + 6 * kHour;
            }).first,
            0);
  EXPECT_EQ(ids([&](auto& q) { q.plate = "辽C2"; }), std::make_pair(int64_t{1}, Ids{b.id}));
  EXPECT_EQ(ids([&](auto& q) { q.plate = "辽C"; }).first, 4);
  EXPECT_EQ(ids([&](auto& q) { q.carrier_credit_code = CreditCode(2); }).first, 0);
  EXPECT_EQ(ids([&](auto& q) { q.applicant = std::string("staff9"); }),
            std::make_pair(int64_t{1}, Ids{other.id}));
  EXPECT_EQ(ids([&](auto& q) { q.kind = PassKind::kStanding; }).first, 0);
  EXPECT_EQ(ids([&](auto& q) {
              q.offset = 1;
              q.limit = 2;
            }),
            std::make_pair(int64_t{4}, Ids{bad.id, b.id}));
  PassListQuery injection;
  injection.status = "'; DROP TABLE passes; --";
  auto wrong = passes_->List(injection);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kBadValue);
}

TEST_F(PassStoreTest, ArrivalsAtASite) {
  PassApplication pass = Create(Trip());
  Create(Trip("辽C99999"));  // rejected: not expected
  auto arrivals = passes_->Arrivals("S1", kNow);
  ASSERT_TRUE(arrivals);
  ASSERT_EQ(arrivals->size(), 1u);
  EXPECT_EQ((*arrivals)[0].pass->id, pass.id);
  EXPECT_EQ((*arrivals)[0].phase, ArrivalPhase::kUpcoming);
  auto shown = ArrivalJson((*arrivals)[0]);
  EXPECT_EQ(shown["plate"], "辽C12345");
  EXPECT_EQ(shown["driver_names"][0], "张三");
  EXPECT_EQ(shown["cargo"]["name"], "蔬菜");
  EXPECT_EQ(shown["phase"], "upcoming");
  EXPECT_EQ((*passes_->Arrivals("S1", kNow + 2 * kHour))[0].phase, ArrivalPhase::kEntryOpen);
  EXPECT_EQ((*passes_->Arrivals("S1", kNow + 6 * kHour))[0].phase, ArrivalPhase::kEntryClosed);
  EXPECT_TRUE(passes_->Arrivals("S1", kNow + 11 * kHour)->empty());
  EXPECT_EQ(passes_->Arrivals("S1", kNow + 11 * kHour, 2 * kHour)->size(), 1u);
  EXPECT_TRUE(passes_->Arrivals("S2", kNow)->empty());
}

TEST_F(PassStoreTest, RoutesUpsertAndList) {
  std::vector<PublishedRoute> routes = {
      {"R1", "鞍山绕城货运通道", R"({"type":"LineString","coordinates":[[122.9,41.1],[123,41.2]]})",
       false},
      {"R2", "危化品专用通道", R"({"type":"LineString","coordinates":[[122.8,41.0],[123,41.0]]})",
       true}};
  auto changed = passes_->UpsertRoutes(routes, kNow);
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 1);  // R1 unchanged
  auto listed = passes_->Routes();
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, routes);
  EXPECT_EQ(passes_->FindRoute("R2").value(), routes[1]);
  EXPECT_FALSE(passes_->FindRoute("R3").value());
  auto collection = RoutesFeatureCollection(*listed);
  EXPECT_EQ(collection["features"][1]["properties"]["allows_hazardous"], true);
}

TEST_F(PassStoreTest, ConcurrentCreatesAndLookupsStayConsistent) {
  constexpr int kThreads = 4;
  constexpr int kEach = 10;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto created = passes_->Create(Trip(t % 2 ? "辽C12345" : "辽C22222"), kNow);
        if (!created || created->status != PassStatus::kApproved)
          failed = true;
        // What was just created is visible at once.
        else if (!passes_->FindIndexed(created->id))
          failed = true;
        passes_->Lookup("辽C12345", PlateColor::kYellow, kNow + 2 * kHour);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_FALSE(failed);
  PassListQuery all;
  all.now_ms = kNow;
  EXPECT_EQ(passes_->List(all)->total, kThreads * kEach);
}

// Issue 13 item 6: a carrier applying for itself names only its own vehicle and drivers; any
// other is refused before anything is checked or stored, with one answer whether the record is
// another company's or does not exist.
TEST_F(PassStoreTest, ACarrierMayNameOnlyItsOwnVehicleAndDrivers) {
  registry::Vehicle vehicle;
  vehicle.plate = "辽C44444";
  vehicle.plate_color = PlateColor::kYellow;
  vehicle.vehicle_class = registry::VehicleClass::kHeavyTruck;
  vehicle.carrier_credit_code = CreditCode(2);
  std::vector<registry::Vehicle> vehicles = {vehicle};
  ASSERT_TRUE(store_->Upsert(std::span<const registry::Vehicle>(vehicles), 1));
  registry::Driver driver;
  driver.id_number = IdNumber(2);
  driver.name = "王五";
  driver.licence_valid_until = "2020-01-01";
  driver.carrier_credit_code = CreditCode(2);
  std::vector<registry::Driver> drivers = {driver};
  ASSERT_TRUE(store_->Upsert(std::span<const registry::Driver>(drivers), 1));
  std::vector<registry::HealthRecord> health = {
      {IdNumber(2), "核酸检测", kNow - 2 * kHour, "王五", "阳性", std::nullopt, 0}};
  ASSERT_TRUE(store_->Upsert(std::span<registry::HealthRecord>(health), 1));

  const CreateOptions own{.own_fleet_only = true};
  std::vector<PassApplication> refused;
  PassApplication foreign_driver = Trip();
  foreign_driver.driver_id_numbers = {IdNumber(1), IdNumber(2)};
  refused.push_back(foreign_driver);
  PassApplication unknown_driver = Trip();
  unknown_driver.driver_id_numbers = {IdNumber(1), IdNumber(3)};
  refused.push_back(unknown_driver);
  refused.push_back(Trip("辽C44444"));  // another company's vehicle
  refused.push_back(Trip("辽C99999"));  // no such vehicle
  for (const auto& application : refused) {
    auto created = passes_->Create(application, kNow, own);
    ASSERT_FALSE(created) << ApplicationJson(*created, kNow).dump();
    EXPECT_EQ(created.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(created.error().detail, "pass: the vehicle or a driver is not the applicant's");
  }
  pass::PassListQuery all;
  all.now_ms = kNow;
  EXPECT_EQ(passes_->List(all)->total, 0);  // nothing stored

  auto mine = passes_->Create(Trip(), kNow, own);
  ASSERT_TRUE(mine) << mine.error().Message();
  EXPECT_EQ(mine->status, PassStatus::kApproved);

  // Staff applying for a carrier: another company's driver is a finding, with nothing about him.
  auto staff = passes_->Create(foreign_driver, kNow);
  ASSERT_TRUE(staff);
  EXPECT_EQ(staff->status, PassStatus::kRejected);
  ASSERT_EQ(staff->checks.size(), 1u) << ApplicationJson(*staff, kNow).dump();
  EXPECT_EQ(staff->checks[0].code, "driver.carrier_mismatch");
  EXPECT_EQ(staff->checks[0].driver_index, 1);
}

}  // namespace
}  // namespace baotong::pass

namespace baotong::pass {
namespace {

// What identifies or judges a person is sealed in the stored application; what the statistics
// count (cargo, origin, destinations) stays readable by SQL.
TEST_F(PassStoreTest, AStoredApplicationSealsItsDriversAndKeepsItsFreightReadable) {
  PassApplication application = Trip();
  application.driver_names = {"张三"};
  const PassApplication pass = Create(std::move(application));
  auto query = database_->Prepare(
      "SELECT body, json_extract(body, '$.cargo.category'), json_extract(body, '$.origin') "
      "FROM passes WHERE id = ?");
  ASSERT_TRUE(query);
  query->Bind(1, pass.id);
  auto row = query->Step();
  ASSERT_TRUE(row && *row);
  const std::string body = query->Text(0);
  EXPECT_EQ(body.find(IdNumber(1)), std::string::npos) << body;
  EXPECT_EQ(body.find("张三"), std::string::npos) << body;
  EXPECT_EQ(query->Text(1), "生活物资");
  EXPECT_EQ(query->Text(2), "沈阳");
  query->Reset();
  // And it reads back whole.
  auto found = passes_->Get(pass.id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->driver_id_numbers, std::vector<std::string>{IdNumber(1)});
  EXPECT_EQ((*found)->driver_names, std::vector<std::string>{"张三"});
}

// Issue 13 item 17 (review): plain bodies were read forever, so whoever could write the file
// swapped one in (here naming another driver) and it was taken as the application.
TEST_F(PassStoreTest, APlainBodySwappedInAfterSealingDoesNotRead) {
  const PassApplication pass = Create(Trip());
  PassApplication forged = pass;
  forged.driver_id_numbers = {IdNumber(2)};
  auto swap = database_->Prepare("UPDATE passes SET body = ? WHERE id = ?");
  ASSERT_TRUE(swap);
  ASSERT_TRUE(swap->Bind(1, ApplicationJson(forged, 0).dump()).Bind(2, pass.id).Run());
  auto found = passes_->Get(pass.id);
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().code, ErrorCode::kStorage);
}

// A database written before issue 13 holds plain bodies: the sealing migration at open reads
// them (and only it), and seals them in place.
TEST_F(PassStoreTest, APlainBodyOfAnOlderDatabaseIsSealedAtOpen) {
  PassApplication application = Trip();
  application.driver_names = {"张三"};
  const PassApplication pass = Create(std::move(application));
  passes_.reset();
  auto swap = database_->Prepare("UPDATE passes SET body = ? WHERE id = ?");
  ASSERT_TRUE(swap);
  ASSERT_TRUE(swap->Bind(1, ApplicationJson(pass, 0).dump()).Bind(2, pass.id).Run());
  ASSERT_TRUE(database_->Exec("DELETE FROM component_migrations WHERE component = 'pass_sealed'"));
  OpenPasses();
  auto body = database_->Prepare("SELECT body FROM passes WHERE id = ?");
  ASSERT_TRUE(body);
  body->Bind(1, pass.id);
  ASSERT_TRUE(*body->Step());
  EXPECT_EQ(body->Text(0).find(IdNumber(1)), std::string::npos) << body->Text(0);
  EXPECT_EQ(body->Text(0).find("张三"), std::string::npos) << body->Text(0);
  auto found = passes_->Get(pass.id);
  ASSERT_TRUE(found && *found) << (found ? "" : found.error().Message());
  EXPECT_EQ((*found)->driver_id_numbers, std::vector<std::string>{IdNumber(1)});
  EXPECT_EQ((*found)->driver_names, std::vector<std::string>{"张三"});
}

}  // namespace
}  // namespace baotong::pass
