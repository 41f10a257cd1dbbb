// Issue 13 item 2: every import row is checked against the importer's scope. A table over
// every role (and, to exercise the ownership rules on every kind, a carrier and a district
// scope given every kind) and every record kind: an in-scope row, an out-of-scope new row and
// an update of another company's existing record; rejected rows leave the registry unchanged.
// Then the reported attack end to end through the API.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "api/import_jobs.h"
#include "api_fixture.h"
#include "registry/importer.h"
#include "registry/registry_fixture.h"

namespace baotong::api {
namespace {

using Json = testing::Json;
namespace http = testing::http;
using registry::ImportScope;
using registry::Kind;
using registry::testing::CreditCode;
using registry::testing::IdNumber;

constexpr std::string_view kToday = "2026-11-26";

// What docs/roles.md gives each role to import, written out again so that a change of the
// matrix that is not also made here fails.
std::set<Kind> DocumentedImportKinds(Role role) {
  switch (role) {
    case Role::kAdmin:
      return {registry::kAllKinds.begin(), registry::kAllKinds.end()};
    case Role::kTransport:
      return {Kind::kCarriers, Kind::kVehicles, Kind::kDrivers, Kind::kTerminals, Kind::kSites};
    case Role::kPolice:
      return {Kind::kVehicles, Kind::kDrivers};
    case Role::kHealth:
      return {Kind::kHealthRecords};
    case Role::kDistrict:
    case Role::kCheckpoint:
      return {};
    case Role::kCarrier:
      return {Kind::kVehicles, Kind::kDrivers, Kind::kTerminals};
  }
  return {};
}

// Company A is in 铁东区, company B in 铁西区. The carrier scope is A's, the district scope
// 铁东区.
const std::string kCompanyA = CreditCode(1);
const std::string kCompanyB = CreditCode(2);

// One row (CSV with its header) per kind and case.
enum class Case { kInScope, kOutOfScopeNew, kOtherCompanysExisting };
constexpr Case kAllCases[] = {Case::kInScope, Case::kOutOfScopeNew, Case::kOtherCompanysExisting};
std::string_view CaseName(Case c) {
  switch (c) {
    case Case::kInScope:
      return "in scope";
    case Case::kOutOfScopeNew:
      return "out-of-scope new row";
    case Case::kOtherCompanysExisting:
      return "another company's existing record";
  }
  return "";
}

std::string RowCsv(Kind kind, Case c) {
  switch (kind) {
    case Kind::kCarriers: {
      const std::string header = "统一社会信用代码,企业名称,所属区县,地址\n";
      switch (c) {
        case Case::kInScope:  // A itself, a new address
          return header + kCompanyA + ",顺达运输,铁东区,解放东路2号\n";
        case Case::kOutOfScopeNew:
          return header + CreditCode(12) + ",新开运输,铁西区,\n";
        case Case::kOtherCompanysExisting:  // B, moved into 铁东区
          return header + kCompanyB + ",安达物流,铁东区,\n";
      }
      break;
    }
    case Kind::kVehicles: {
      const std::string header =
          "车牌号码,车牌颜色,车辆类型,统一社会信用代码,道路运输证有效期至,交强险到期日期\n";
      switch (c) {
        case Case::kInScope:
          return header + "辽C00011,黄色,重型货车," + kCompanyA + ",2030-01-01,2030-01-01\n";
        case Case::kOutOfScopeNew:
          return header + "辽C00012,黄色,重型货车," + kCompanyB + ",2030-01-01,2030-01-01\n";
        case Case::kOtherCompanysExisting:  // B's truck, named as A's, with expired papers
          return header + "辽C00002,黄色,重型货车," + kCompanyA + ",2020-01-01,2020-01-01\n";
      }
      break;
    }
    case Kind::kDrivers: {
      const std::string header = "身份证号,姓名,手机号,准驾车型,所属企业信用代码\n";
      switch (c) {
        case Case::kInScope:
          return header + IdNumber(11) + ",王强,13900000011,A2," + kCompanyA + "\n";
        case Case::kOutOfScopeNew:
          return header + IdNumber(12) + ",赵敏,13900000012,A2," + kCompanyB + "\n";
        case Case::kOtherCompanysExisting:  // B's driver, moved to A
          return header + IdNumber(2) + ",李娜,13900000002,B2," + kCompanyA + "\n";
      }
      break;
    }
    case Kind::kTerminals: {
      const std::string header = "终端手机号,终端ID,车牌号码,车牌颜色\n";
      switch (c) {
        case Case::kInScope:
          return header + "013900000011,T11,辽C00001,黄色\n";
        case Case::kOutOfScopeNew:
          return header + "013900000012,T12,辽C00002,黄色\n";
        case Case::kOtherCompanysExisting:  // B's terminal, refitted to A's truck
          return header + "013900000002,T02,辽C00001,黄色\n";
      }
      break;
    }
    case Kind::kHealthRecords: {
      const std::string header = "身份证号,姓名,检测类型,检测结果,检测时间\n";
      switch (c) {
        case Case::kInScope:
          return header + IdNumber(1) + ",张伟,核酸检测,阴性,2026-11-25 09:00\n";
        case Case::kOutOfScopeNew:
          return header + IdNumber(2) + ",李娜,核酸检测,阴性,2026-11-25 09:00\n";
        case Case::kOtherCompanysExisting:  // B's driver's stored result, changed
          return header + IdNumber(2) + ",李娜,核酸检测,阳性,2026-11-24 08:00\n";
      }
      break;
    }
    case Kind::kSites: {
      const std::string header = "场所编码,场所名称,场所类型,所属区县,经度,纬度\n";
      switch (c) {
        case Case::kInScope:
          return header + "ZD-A2,铁东新卸货点,卸货点,铁东区,123.0,41.1\n";
        case Case::kOutOfScopeNew:
          return header + "ZD-B2,铁西新卸货点,卸货点,铁西区,122.9,41.1\n";
        case Case::kOtherCompanysExisting:  // 铁西区's site, moved into 铁东区
          return header + "ZD-B,铁西卸货点,卸货点,铁东区,122.9,41.1\n";
      }
      break;
    }
  }
  return "";
}

// Whether the in-scope row of `kind` is inside a scoped importer's reach at all: a carrier's
// scope holds its company, vehicles, drivers and terminals; a district's also its sites; health
// records belong to no company or district.
bool ScopeHolds(const ImportScope& scope, Kind kind) {
  if (scope.CityWide())
    return true;
  if (kind == Kind::kHealthRecords)
    return false;
  if (kind == Kind::kSites)
    return !scope.carrier_credit_code;
  return true;
}

class ImportScopeTest : public ::testing::Test {
 protected:
  void TearDown() override {
    store_.reset();
    database_.reset();
    std::error_code ignored;
    for (const auto& dir : dirs_)
      std::filesystem::remove_all(dir, ignored);
  }

  // A fresh registry: A and B with a vehicle, a driver and a terminal each, an unaffiliated
  // driver, a health record of B's driver and a site in each district.
  void Fresh() {
    store_.reset();
    database_.reset();
    static int counter = 0;
    dirs_.push_back(
        std::filesystem::temp_directory_path() /
        ("baotong-import-scope-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)));
    std::filesystem::remove_all(dirs_.back());
    auto database = store::Database::Open(dirs_.back() / "registry.db");
    ASSERT_TRUE(database);
    database_ = std::move(*database);
    ASSERT_TRUE(registry::RegistryStore::Migrate(*database_));
    store_ = std::make_unique<registry::RegistryStore>(*database_);

    std::vector<registry::Carrier> carriers{{kCompanyA, "顺达运输", "铁东区", {}, {}, {}, {}},
                                            {kCompanyB, "安达物流", "铁西区", {}, {}, {}, {}}};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Carrier>(carriers), 1));
    std::vector<registry::Vehicle> vehicles(2);
    vehicles[0].plate = "辽C00001";
    vehicles[0].carrier_credit_code = kCompanyA;
    vehicles[1].plate = "辽C00002";
    vehicles[1].carrier_credit_code = kCompanyB;
    for (auto& vehicle : vehicles) {
      vehicle.transport_cert_valid_until = "2030-01-01";
      vehicle.insurance_valid_until = "2030-01-01";
    }
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Vehicle>(vehicles), 1));
    std::vector<registry::Driver> drivers(3);
    drivers[0] = {IdNumber(1), "张伟", "13900000001", "A2", {}, {}, {}, {}, kCompanyA};
    drivers[1] = {IdNumber(2), "李娜", "13900000002", "B2", {}, {}, {}, {}, kCompanyB};
    drivers[2] = {IdNumber(3), "刘洋", "13900000003", "A2", {}, {}, {}, {}, std::nullopt};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Driver>(drivers), 1));
    std::vector<registry::Terminal> terminals(2);
    terminals[0] = {"013900000001", "T01", {}, {}, "辽C00001", registry::PlateColor::kYellow};
    terminals[1] = {"013900000002", "T02", {}, {}, "辽C00002", registry::PlateColor::kYellow};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Terminal>(terminals), 1));
    std::vector<registry::HealthRecord> health(1);
    health[0].id_number = IdNumber(2);
    health[0].kind = "核酸检测";
    health[0].tested_at = 1795478400000;  // 2026-11-24 08:00 China time
    health[0].name = "李娜";
    health[0].result = "阴性";
    ASSERT_TRUE(store_->Upsert(std::span<registry::HealthRecord>(health), 1));
    std::vector<registry::Site> sites(2);
    sites[0] = {"ZD-A", "铁东卸货点", registry::SiteKind::kUnloading, "铁东区",
                R"({"type":"Point","coordinates":[123.0,41.1]})"};
    sites[1] = {"ZD-B", "铁西卸货点", registry::SiteKind::kUnloading, "铁西区",
                R"({"type":"Point","coordinates":[122.9,41.1]})"};
    ASSERT_TRUE(store_->Upsert(std::span<const registry::Site>(sites), 1));
  }

  // Every table but the import log, every column, rows sorted (however the store lays out its
  // tables: sealed personal fields included).
  std::string Snapshot() {
    std::vector<std::string> tables;
    auto names = database_->Prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'import%' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name");
    EXPECT_TRUE(names);
    while (names) {
      auto row = names->Step();
      if (!row || !*row)
        break;
      tables.push_back(names->Text(0));
    }
    EXPECT_TRUE(std::find(tables.begin(), tables.end(), "vehicles") != tables.end());
    std::string text;
    for (const std::string& table : tables) {
      auto select = database_->Prepare("SELECT * FROM \"" + table + "\"");
      EXPECT_TRUE(select) << table << ": " << database_->LastMessage();
      if (!select)
        continue;
      std::vector<std::string> rows;
      while (true) {
        auto row = select->Step();
        EXPECT_TRUE(row);
        if (!row || !*row)
          break;
        std::string line;
        for (int column = 0; column < select->ColumnCount(); ++column)
          line += select->OptionalText(column).value_or("NULL") + "|";
        rows.push_back(std::move(line));
      }
      std::sort(rows.begin(), rows.end());
      text += table + ":\n";
      for (const auto& line : rows)
        text += line + "\n";
    }
    return text;
  }

  tl::expected<registry::ImportResult, registry::ImportError> Run(Kind kind, const std::string& csv,
                                                                  const ImportScope& scope) {
    registry::ImportOptions options;
    options.today = std::string(kToday);
    options.scope = scope;
    return registry::Import(*store_, kind, csv, options);
  }

  std::vector<std::filesystem::path> dirs_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<registry::RegistryStore> store_;
};

Principal As(Role role) {
  Principal principal;
  principal.username = std::string(RoleId(role)) + "_user";
  principal.role = role;
  if (role == Role::kDistrict)
    principal.district = "铁东区";
  if (role == Role::kCarrier)
    principal.carrier_credit_code = kCompanyA;
  return principal;
}

TEST_F(ImportScopeTest, EveryRoleImportsOnlyItsKindsAndOnlyWithinItsScope) {
  struct Importer {
    std::string name;
    ImportScope scope;
  };
  std::vector<Importer> importers;
  for (Role role : AllRoles()) {
    ImportScope scope = ImportScopeFor(As(role));
    for (Kind kind : registry::kAllKinds) {
      EXPECT_EQ(scope.AllowsKind(kind), DocumentedImportKinds(role).contains(kind))
          << RoleId(role) << " " << registry::KindName(kind);
    }
    EXPECT_EQ(scope.carrier_credit_code,
              role == Role::kCarrier ? std::optional(kCompanyA) : std::nullopt);
    EXPECT_EQ(scope.district,
              role == Role::kDistrict ? std::optional<std::string>("铁东区") : std::nullopt);
    importers.push_back({std::string(RoleId(role)), scope});
  }
  // No role imports every kind with a scope; these exercise the ownership rules of every kind.
  importers.push_back({"carrier scope, every kind", ImportScope{std::nullopt, kCompanyA, {}}});
  importers.push_back({"district scope, every kind", ImportScope{std::nullopt, {}, "铁东区"}});

  for (const Importer& importer : importers) {
    for (Kind kind : registry::kAllKinds) {
      for (Case c : kAllCases) {
        SCOPED_TRACE(importer.name + " / " + std::string(registry::KindName(kind)) + " / " +
                     std::string(CaseName(c)));
        Fresh();
        const std::string before = Snapshot();
        auto result = Run(kind, RowCsv(kind, c), importer.scope);
        if (!importer.scope.AllowsKind(kind)) {
          ASSERT_FALSE(result);
          EXPECT_NE(result.error().message.find("无权导入"), std::string::npos);
          EXPECT_EQ(Snapshot(), before);
          continue;
        }
        ASSERT_TRUE(result) << result.error().message;
        const bool accepted =
            importer.scope.CityWide() || (c == Case::kInScope && ScopeHolds(importer.scope, kind));
        if (accepted) {
          EXPECT_EQ(result->accepted, 1);
          EXPECT_EQ(result->rejected, 0)
              << (result->rejections.empty() ? "" : result->rejections[0].reason);
          EXPECT_NE(Snapshot(), before);
        } else {
          EXPECT_EQ(result->accepted, 0);
          EXPECT_EQ(result->rejected, 1);
          ASSERT_EQ(result->rejections.size(), 1u);
          EXPECT_EQ(result->rejections[0].row, 2);
          EXPECT_TRUE(result->rejections[0].reason.starts_with("超出导入范围"))
              << result->rejections[0].reason;
          EXPECT_EQ(Snapshot(), before);
        }
      }
    }
  }
}

TEST_F(ImportScopeTest, ACarrierCannotClaimAnUnaffiliatedDriverOrLeaveTheCompanyUnnamed) {
  const ImportScope carrier = ImportScopeFor(As(Role::kCarrier));
  Fresh();
  const std::string before = Snapshot();
  // The unaffiliated driver, claimed; a new driver with no company; A's own driver moved to B;
  // A's terminal refitted to B's truck.
  auto drivers =
      Run(Kind::kDrivers,
          "身份证号,姓名,准驾车型,所属企业信用代码\n" + IdNumber(3) + ",刘洋,A2," + kCompanyA +
              "\n" + IdNumber(13) + ",孙丽,A2,\n" + IdNumber(1) + ",张伟,A2," + kCompanyB + "\n",
          carrier);
  ASSERT_TRUE(drivers) << drivers.error().message;
  EXPECT_EQ(drivers->rejected, 3);
  auto terminals =
      Run(Kind::kTerminals, "终端手机号,车牌号码,车牌颜色\n013900000001,辽C00002,黄色\n", carrier);
  ASSERT_TRUE(terminals) << terminals.error().message;
  EXPECT_EQ(terminals->rejected, 1);
  EXPECT_EQ(Snapshot(), before);
  // A file without the company column keeps the stored company: still A's driver, accepted.
  auto own = Run(Kind::kDrivers, "身份证号,姓名,准驾车型\n" + IdNumber(1) + ",张伟,A1\n", carrier);
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_EQ(own->updated, 1);
  EXPECT_EQ(own->rejected, 0);
  auto stored = store_->FindDriver(IdNumber(1));
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->carrier_credit_code, kCompanyA);
  EXPECT_EQ((*stored)->licence_class, "A1");
}

TEST_F(ImportScopeTest, AScopedAccountWithoutItsScopeImportsNothing) {
  Principal carrier = As(Role::kCarrier);
  carrier.carrier_credit_code.reset();
  Fresh();
  const std::string before = Snapshot();
  auto result =
      Run(Kind::kVehicles, RowCsv(Kind::kVehicles, Case::kInScope), ImportScopeFor(carrier));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->rejected, 1);
  EXPECT_EQ(Snapshot(), before);
}

// The attack as reported, through the API: carrier A (the fixture's 铁东区 company) imports B's
// vehicle with expired papers and B's driver with A's credit code.
class ImportAttackTest : public testing::ApiFixture {
 protected:
  Json ImportAs(Role role, std::string_view kind, const std::string& csv) {
    auto started = Send(http::verb::post, "/api/imports?kind=" + std::string(kind), csv, role);
    EXPECT_EQ(started.result(), http::status::accepted) << started.body();
    imports_->WaitIdle();
    return Body(Get("/api/imports/" + std::to_string(Body(started)["id"].get<int64_t>()), role));
  }
};

TEST_F(ImportAttackTest, ACarrierCannotTakeOverAnotherCompanysVehicleOrDriver) {
  const std::string own(testing::kTiedongCarrier);
  const std::string other(testing::kOtherCarrier);
  auto vehicle_before = registry_->FindVehicle("辽C67890", registry::PlateColor::kYellow);
  auto driver_before = registry_->FindDriver("11010519491231002X");
  ASSERT_TRUE(vehicle_before && *vehicle_before && driver_before && *driver_before);

  const std::string vehicle_header =
      "车牌号码,车牌颜色,车辆类型,统一社会信用代码,道路运输证有效期至,交强险到期日期\r\n";
  // B's truck with expired papers, as B's and as A's.
  for (const std::string& named : {other, own}) {
    Json vehicles =
        ImportAs(Role::kCarrier, "vehicles",
                 vehicle_header + "辽C67890,黄色,重型货车," + named + ",2020-01-01,2020-01-01\r\n");
    EXPECT_EQ(vehicles["status"], "done") << vehicles.dump();
    EXPECT_EQ(vehicles["accepted"], 0);
    EXPECT_EQ(vehicles["rejected"], 1);
  }
  Json drivers = ImportAs(Role::kCarrier, "drivers",
                          "身份证号,姓名,手机号,准驾车型,所属企业信用代码\r\n"
                          "11010519491231002X,李娜,13812345678,B2," +
                              own + "\r\n");
  EXPECT_EQ(drivers["accepted"], 0);
  EXPECT_EQ(drivers["rejected"], 1);
  ASSERT_EQ(drivers["rejections"].size(), 1u);
  EXPECT_TRUE(drivers["rejections"][0]["reason"].get<std::string>().starts_with("超出导入范围"));

  // B's records are as they were.
  auto vehicle_after = registry_->FindVehicle("辽C67890", registry::PlateColor::kYellow);
  auto driver_after = registry_->FindDriver("11010519491231002X");
  ASSERT_TRUE(vehicle_after && *vehicle_after && driver_after && *driver_after);
  EXPECT_TRUE(**vehicle_after == **vehicle_before);
  EXPECT_TRUE(**driver_after == **driver_before);
  // A still sees B's driver only masked (or not at all), and cannot open B's vehicle's track.
  auto driver = Get("/api/registry/drivers/11010519491231002X", Role::kCarrier);
  EXPECT_EQ(driver.body().find("11010519491231002X"), std::string::npos) << driver.body();
  EXPECT_EQ(driver.body().find("13812345678"), std::string::npos) << driver.body();
  auto listing = Get("/api/registry/drivers?limit=100", Role::kCarrier);
  EXPECT_EQ(listing.body().find("11010519491231002X"), std::string::npos);
  EXPECT_EQ(listing.body().find("13812345678"), std::string::npos);
  EXPECT_EQ(
      Get("/api/track?terminal=013900000002&from=1&to=2&purpose=test%20purpose", Role::kCarrier)
          .result(),
      http::status::forbidden);

  // 交通运输局 (city-wide) may still correct B's vehicle.
  Json transport = ImportAs(
      Role::kTransport, "vehicles",
      "车牌号码,车牌颜色,车辆类型,统一社会信用代码,道路运输证有效期至\r\n辽C67890,黄色,重型货车," +
          other + ",2031-01-01\r\n");
  EXPECT_EQ(transport["updated"], 1) << transport.dump();
}

}  // namespace
}  // namespace baotong::api
