#include "registry/registry_store.h"

#include <gtest/gtest.h>

#include <vector>

#include "registry_fixture.h"

namespace baotong::registry {
namespace {

using testing::CreditCode;
using testing::IdNumber;

constexpr std::string_view kToday = "2026-11-26";

class RegistryStoreTest : public testing::RegistryTest {
 protected:
  Carrier MakeCarrier(int n, std::string district, std::optional<std::string> permit) {
    return Carrier{CreditCode(n), "企业" + std::to_string(n), std::move(district),
                   std::nullopt,  "许可" + std::to_string(n), std::move(permit),
                   std::nullopt};
  }
  Vehicle MakeVehicle(std::string plate, int carrier, std::optional<std::string> cert,
                      std::optional<std::string> insurance) {
    Vehicle vehicle;
    vehicle.plate = std::move(plate);
    vehicle.plate_color = PlateColor::kYellow;
    vehicle.vehicle_class = VehicleClass::kHeavyTruck;
    vehicle.carrier_credit_code = CreditCode(carrier);
    vehicle.transport_cert_valid_until = std::move(cert);
    vehicle.insurance_valid_until = std::move(insurance);
    return vehicle;
  }
  Driver MakeDriver(int n, int carrier, std::optional<std::string> licence,
                    std::optional<std::string> qualification) {
    Driver driver;
    driver.id_number = IdNumber(n);
    driver.name = "司机" + std::to_string(n);
    driver.licence_class = "A2";
    driver.licence_valid_until = std::move(licence);
    driver.qualification_valid_until = std::move(qualification);
    driver.carrier_credit_code = CreditCode(carrier);
    return driver;
  }
  // Two carriers in two districts; vehicles at each status boundary.
  void Populate() {
    std::vector<Carrier> carriers = {MakeCarrier(1, "铁东区", "2030-01-01"),
                                     MakeCarrier(2, "铁西区", "2030-01-01")};
    ASSERT_TRUE(store_->Upsert(std::span<const Carrier>(carriers), 1));
    std::vector<Vehicle> vehicles = {
        MakeVehicle("辽C00001", 1, "2030-01-01", "2030-01-01"),  // valid
        MakeVehicle("辽C00002", 1, "2030-01-01", "2026-12-26"),  // expiring: exactly 30 days
        MakeVehicle("辽C00003", 1, "2026-11-25", "2030-01-01"),  // expired yesterday
        MakeVehicle("辽C00004", 2, std::nullopt, "2030-01-01"),  // missing
        MakeVehicle("辽C00005", 2, "2026-12-27", "2030-01-01"),  // valid: 31 days
        MakeVehicle("辽C00006", 2, "2026-11-26", std::nullopt),  // missing and expiring: missing
    };
    ASSERT_TRUE(store_->Upsert(std::span<const Vehicle>(vehicles), 1));
    std::vector<Driver> drivers = {MakeDriver(1, 1, "2030-01-01", "2030-01-01"),
                                   MakeDriver(2, 2, "2026-11-25", "2030-01-01")};
    ASSERT_TRUE(store_->Upsert(std::span<const Driver>(drivers), 1));
  }
  std::vector<std::string> Keys(Kind kind, const ListQuery& query, const char* field) {
    auto page = store_->List(kind, query);
    EXPECT_TRUE(page) << database_->LastMessage();
    std::vector<std::string> keys;
    if (page) {
      for (const auto& item : page->items)
        keys.push_back(item[field].get<std::string>());
    }
    return keys;
  }
  ListQuery Query() {
    ListQuery query;
    query.today = std::string(kToday);
    return query;
  }
};

using Strings = std::vector<std::string>;

TEST_F(RegistryStoreTest, UpsertTellsInsertedUpdatedUnchanged) {
  std::vector<Carrier> carriers = {MakeCarrier(1, "铁东区", "2030-01-01"),
                                   MakeCarrier(2, "铁西区", std::nullopt)};
  auto first = store_->Upsert(std::span<const Carrier>(carriers), 1);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, (std::vector{UpsertOutcome::kInserted, UpsertOutcome::kInserted}));
  carriers[1].address = "新地址";
  auto second = store_->Upsert(std::span<const Carrier>(carriers), 2);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, (std::vector{UpsertOutcome::kUnchanged, UpsertOutcome::kUpdated}));
  auto stored = store_->FindCarrier(CreditCode(2));
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ(**stored, carriers[1]);

  // An unchanged row is not written: its updated_at_ms stays.
  auto stamp = database_->Prepare("SELECT updated_at_ms FROM carriers WHERE credit_code = ?");
  stamp->Bind(1, std::string_view(carriers[0].credit_code));
  ASSERT_TRUE(*stamp->Step());
  EXPECT_EQ(stamp->Int(0), 1);
}

TEST_F(RegistryStoreTest, UpsertJoinsTheCallersTransaction) {
  auto transaction = store::Transaction::Begin(*database_);
  ASSERT_TRUE(transaction);
  std::vector<Carrier> carriers = {MakeCarrier(1, "铁东区", std::nullopt)};
  ASSERT_TRUE(store_->Upsert(std::span<const Carrier>(carriers), 1));
  // Rolled back with the caller's transaction.
  { auto dropped = std::move(*transaction); }
  EXPECT_EQ(*store_->Count(Kind::kCarriers), 0);
}

TEST_F(RegistryStoreTest, StatusFiltersMatchTheCredentialRules) {
  Populate();
  ListQuery query = Query();
  query.status = CredentialStatus::kValid;
  EXPECT_EQ(Keys(Kind::kVehicles, query, "plate"), (Strings{"辽C00001", "辽C00005"}));
  query.status = CredentialStatus::kExpiring;
  EXPECT_EQ(Keys(Kind::kVehicles, query, "plate"), (Strings{"辽C00002"}));
  query.status = CredentialStatus::kExpired;
  EXPECT_EQ(Keys(Kind::kVehicles, query, "plate"), (Strings{"辽C00003"}));
  query.status = CredentialStatus::kMissing;
  EXPECT_EQ(Keys(Kind::kVehicles, query, "plate"), (Strings{"辽C00004", "辽C00006"}));

  // Each item's credential_status, computed in C++, agrees with the SQL filter.
  for (auto status : {CredentialStatus::kValid, CredentialStatus::kExpiring,
                      CredentialStatus::kExpired, CredentialStatus::kMissing}) {
    query.status = status;
    auto page = store_->List(Kind::kVehicles, query);
    ASSERT_TRUE(page);
    for (const auto& item : page->items)
      EXPECT_EQ(item["credential_status"], CredentialStatusId(status)) << item.dump();
  }

  query.status = CredentialStatus::kExpired;
  EXPECT_EQ(Keys(Kind::kDrivers, query, "id_number"), (Strings{IdNumber(2)}));
  query.status = CredentialStatus::kValid;
  EXPECT_EQ(Keys(Kind::kDrivers, query, "id_number"), (Strings{IdNumber(1)}));
}

TEST_F(RegistryStoreTest, ExpiringWindowIsAParameter) {
  Populate();
  ListQuery query = Query();
  query.status = CredentialStatus::kExpiring;
  query.expiring_within_days = 31;
  EXPECT_EQ(Keys(Kind::kVehicles, query, "plate"), (Strings{"辽C00002", "辽C00005"}));
}

TEST_F(RegistryStoreTest, CarrierPermitCountsForItsVehicles) {
  Populate();
  // Carrier 1's permit expires: all its vehicles become expired, in the filter and the items.
  std::vector<Carrier> carriers = {MakeCarrier(1, "铁东区", "2026-01-01")};
  ASSERT_TRUE(store_->Upsert(std::span<const Carrier>(carriers), 2));
  ListQuery query = Query();
  query.status = CredentialStatus::kExpired;
  EXPECT_EQ(Keys(Kind::kVehicles, query, "plate"), (Strings{"辽C00001", "辽C00002", "辽C00003"}));
  // A vehicle registered before its carrier gets the carrier's district once it arrives.
  std::vector<Vehicle> early = {MakeVehicle("辽C00009", 3, "2030-01-01", "2030-01-01")};
  ASSERT_TRUE(store_->Upsert(std::span<const Vehicle>(early), 3));
  std::vector<Carrier> late = {MakeCarrier(3, "千山区", "2030-01-01")};
  ASSERT_TRUE(store_->Upsert(std::span<const Carrier>(late), 3));
  auto vehicle = store_->Get(Kind::kVehicles, "辽C00009-2", {}, kToday);
  ASSERT_TRUE(vehicle && *vehicle);
  EXPECT_EQ((**vehicle)["district"], "千山区");
  EXPECT_EQ((**vehicle)["credential_status"], "valid");
}

TEST_F(RegistryStoreTest, ScopeLimitsWhatAUserSees) {
  Populate();
  ListQuery query = Query();
  query.scope.district = "铁西区";
  EXPECT_EQ(Keys(Kind::kVehicles, query, "plate"), (Strings{"辽C00004", "辽C00005", "辽C00006"}));
  EXPECT_EQ(Keys(Kind::kCarriers, query, "credit_code"), (Strings{CreditCode(2)}));
  EXPECT_EQ(Keys(Kind::kDrivers, query, "id_number"), (Strings{IdNumber(2)}));

  query = Query();
  query.scope.carrier_credit_code = CreditCode(1);
  EXPECT_EQ(Keys(Kind::kVehicles, query, "plate"), (Strings{"辽C00001", "辽C00002", "辽C00003"}));
  EXPECT_EQ(Keys(Kind::kCarriers, query, "credit_code"), (Strings{CreditCode(1)}));
  EXPECT_EQ(Keys(Kind::kDrivers, query, "id_number"), (Strings{IdNumber(1)}));
  // A scoped Get of another company's vehicle finds nothing.
  auto hidden = store_->Get(Kind::kVehicles, "辽C00004-2", query.scope, kToday);
  ASSERT_TRUE(hidden);
  EXPECT_FALSE(*hidden);

  // A user-chosen district filter narrows within the scope.
  query = Query();
  query.district = "铁东区";
  query.status = CredentialStatus::kExpired;
  EXPECT_EQ(Keys(Kind::kVehicles, query, "plate"), (Strings{"辽C00003"}));
}

TEST_F(RegistryStoreTest, SearchPagingAndClassFilter) {
  Populate();
  ListQuery query = Query();
  query.q = "辽c0000";  // a plate prefix, lower case as typed
  query.limit = 2;
  query.offset = 2;
  auto page = store_->List(Kind::kVehicles, query);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 6);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0]["plate"], "辽C00003");
  query = Query();
  query.q = "0005";
  EXPECT_EQ(Keys(Kind::kVehicles, query, "plate"), (Strings{"辽C00005"}));
  query.q = "企业2";
  EXPECT_EQ(Keys(Kind::kCarriers, query, "credit_code"), (Strings{CreditCode(2)}));
  query = Query();
  query.vehicle_class = VehicleClass::kHazardous;
  EXPECT_TRUE(Keys(Kind::kVehicles, query, "plate").empty());
  query.limit = 5000;  // capped, not an error
  EXPECT_TRUE(store_->List(Kind::kVehicles, query));
}

TEST_F(RegistryStoreTest, ItemsCarryTheApiFields) {
  Populate();
  auto carriers = store_->List(Kind::kCarriers, Query());
  ASSERT_TRUE(carriers);
  EXPECT_EQ(carriers->items[0]["vehicle_count"], 3);
  EXPECT_EQ(carriers->items[0]["district"], "铁东区");

  auto vehicle = store_->Get(Kind::kVehicles, "辽C00003-2", {}, kToday);
  ASSERT_TRUE(vehicle && *vehicle);
  const auto& v = **vehicle;
  EXPECT_EQ(v["plate_color"], 2);
  EXPECT_EQ(v["plate_color_name"], "黄色");
  EXPECT_EQ(v["vehicle_class"], "heavy_truck");
  EXPECT_EQ(v["vehicle_class_name"], "重型货车");
  EXPECT_EQ(v["carrier_name"], "企业1");
  EXPECT_EQ(v["district"], "铁东区");
  EXPECT_TRUE(v["vin"].is_null());
  EXPECT_EQ(v["credential_status"], "expired");
  EXPECT_EQ(v["credential"]["status"], "expired");
  ASSERT_EQ(v["credential"]["reasons"].size(), 1u);
  EXPECT_EQ(v["credential"]["reasons"][0]["code"], "transport_cert.expired");
  EXPECT_EQ(v["credential"]["items"].size(), 3u);

  auto driver = store_->Get(Kind::kDrivers, IdNumber(2), {}, kToday);
  ASSERT_TRUE(driver && *driver);
  EXPECT_EQ((**driver)["credential"]["reasons"][0]["code"], "licence.expired");

  auto carrier = store_->Get(Kind::kCarriers, CreditCode(2), {}, kToday);
  ASSERT_TRUE(carrier && *carrier);
  EXPECT_EQ((**carrier)["name"], "企业2");
  EXPECT_EQ((**carrier)["vehicle_count"], 3);
  EXPECT_EQ((**carrier)["business_permit_valid_until"], "2030-01-01");

  // A malformed "today" is refused, not thrown.
  ListQuery bad = Query();
  bad.today = "26-11-2026";
  auto refused = store_->List(Kind::kVehicles, bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kBadValue);

  auto missing = store_->Get(Kind::kVehicles, "辽C00003-1", {}, kToday);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto malformed = store_->Get(Kind::kVehicles, "辽C00003", {}, kToday);
  ASSERT_TRUE(malformed);
  EXPECT_FALSE(*malformed);
}

TEST_F(RegistryStoreTest, TerminalsHealthRecordsAndSites) {
  Populate();
  std::vector<Terminal> terminals = {
      Terminal{"013900000001", "T1", "70111", "BT-808", "辽C00004", PlateColor::kYellow},
      Terminal{"013900000002", std::nullopt, std::nullopt, std::nullopt, std::nullopt,
               std::nullopt}};
  ASSERT_TRUE(store_->Upsert(std::span<const Terminal>(terminals), 1));
  auto all = store_->Terminals();
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, terminals);
  auto terminal = store_->Get(Kind::kTerminals, "013900000001");
  ASSERT_TRUE(terminal && *terminal);
  EXPECT_EQ((**terminal)["plate_color"], 2);
  // A terminal is in the district of the vehicle it is fitted to.
  ListQuery query = Query();
  query.scope.district = "铁西区";
  EXPECT_EQ(Keys(Kind::kTerminals, query, "phone"), (Strings{"013900000001"}));
  query.scope = Scope{std::nullopt, CreditCode(1)};
  EXPECT_TRUE(Keys(Kind::kTerminals, query, "phone").empty());

  std::vector<HealthRecord> records(1);
  records[0].id_number = IdNumber(2);
  records[0].name = "司机2";
  records[0].kind = "核酸检测";
  records[0].result = "阴性";
  records[0].tested_at = 1764000000000;
  records[0].valid_until = "2026-11-27";
  auto outcome = store_->Upsert(std::span<HealthRecord>(records), 1);
  ASSERT_TRUE(outcome);
  EXPECT_EQ((*outcome)[0], UpsertOutcome::kInserted);
  ASSERT_GT(records[0].id, 0);
  int64_t id = records[0].id;
  records[0].id = 0;
  outcome = store_->Upsert(std::span<HealthRecord>(records), 2);
  EXPECT_EQ((*outcome)[0], UpsertOutcome::kUnchanged);
  EXPECT_EQ(records[0].id, id);
  auto record = store_->Get(Kind::kHealthRecords, std::to_string(id));
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((**record)["result"], "阴性");
  EXPECT_EQ((**record)["tested_at"], 1764000000000);
  EXPECT_FALSE(*store_->Get(Kind::kHealthRecords, "x1"));
  // Health records follow their person's driver record into district scope.
  query = Query();
  query.scope.district = "铁东区";
  auto page = store_->List(Kind::kHealthRecords, query);
  EXPECT_EQ(page->total, 0);
  query.scope.district = "铁西区";
  page = store_->List(Kind::kHealthRecords, query);
  EXPECT_EQ(page->total, 1);

  std::vector<Site> sites = {
      Site{"ZD-1", "鞍钢西门装货点", SiteKind::kLoading, "铁西区",
           R"({"type":"Point","coordinates":[122.95,41.12]})"},
      Site{
          "ZD-2", "腾鳌服务区", SiteKind::kServiceArea, "海城市",
          R"({"type":"Polygon","coordinates":[[[122.9,41.1],[123.0,41.1],[123.0,41.2],[122.9,41.1]]]})"}};
  ASSERT_TRUE(store_->Upsert(std::span<const Site>(sites), 1));
  auto site = store_->Get(Kind::kSites, "ZD-1");
  ASSERT_TRUE(site && *site);
  EXPECT_EQ((**site)["kind_name"], "装货点");
  EXPECT_EQ((**site)["geometry"]["type"], "Point");
  auto features = store_->SiteFeatures();
  ASSERT_TRUE(features);
  ASSERT_EQ(features->size(), 2u);
  EXPECT_EQ((*features)[1]["properties"]["layer"], "site");
  EXPECT_EQ((*features)[1]["properties"]["kind_name"], "服务区");
  EXPECT_EQ((*features)[1]["geometry"]["type"], "Polygon");
  // Carriers see every site; districts their own.
  query = Query();
  query.scope.carrier_credit_code = CreditCode(1);
  EXPECT_EQ(Keys(Kind::kSites, query, "code"), (Strings{"ZD-1", "ZD-2"}));
  query.scope = Scope{"海城市", std::nullopt};
  EXPECT_EQ(Keys(Kind::kSites, query, "code"), (Strings{"ZD-2"}));
}

TEST_F(RegistryStoreTest, MigrateTwiceIsHarmless) {
  EXPECT_TRUE(RegistryStore::Migrate(*database_));
}

TEST(Kinds, NamesRoundTrip) {
  for (Kind kind : kAllKinds)
    EXPECT_EQ(ParseKind(KindName(kind)), kind);
  EXPECT_FALSE(ParseKind("trucks"));
  EXPECT_EQ(KindChineseName(Kind::kVehicles), "车辆");
  EXPECT_EQ(ParseVehicleClass("危险货物运输车"), VehicleClass::kHazardous);
  EXPECT_EQ(ParseVehicleClass("tour_bus"), VehicleClass::kTourBus);
  EXPECT_EQ(ParseSiteKind("物流园区"), SiteKind::kLogisticsPark);
  EXPECT_EQ(VehicleKey("辽C12345", PlateColor::kYellow), "辽C12345-2");
}

}  // namespace
}  // namespace baotong::registry
