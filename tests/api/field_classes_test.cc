// Issue 13 item 3: every field that can hold an ID number or a phone is masked. Every field of
// every record kind is classified (a new field fails here until it is), 从业资格证号 is masked
// like the ID number it usually is, and numbers quoted in text are caught by the detector, in
// listings, details and the .xlsx export.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <set>

#include "api/masking.h"
#include "api_fixture.h"
#include "registry/record_json.h"
#include "registry/registry_store.h"

namespace baotong::api {
namespace {

using OrderedJson = nlohmann::ordered_json;

Principal As(Role role) {
  Principal principal;
  principal.username = "u";
  principal.role = role;
  if (role == Role::kDistrict)
    principal.district = "铁东区";
  if (role == Role::kCarrier)
    principal.carrier_credit_code = "91210300MA0XXXXXX1";
  return principal;
}

// Every record kind with every optional field set, as record_json writes it and as the store's
// Get adds to it (credential).
std::vector<std::pair<std::string, OrderedJson>> EveryRecordKind() {
  registry::Carrier carrier{"91210300MA0XXXXXX1",    "顺达运输",   "铁东区",      "解放东路1号",
                            "辽交运管许可鞍字001号", "2030-01-01", "0412-5551234"};
  registry::Vehicle vehicle{"辽C12345",
                            registry::PlateColor::kYellow,
                            registry::VehicleClass::kTruck,
                            carrier.credit_code,
                            "LFWSRXRJ2J1E00001",
                            "辽交运鞍字001号",
                            "2030-01-01",
                            "2030-01-01"};
  registry::Driver driver{"210302198507150011", "张伟",
                          "13912345678",        "A2",
                          "2030-01-01",         "210302198507150011",
                          "道路货物运输驾驶员", "2030-01-01",
                          carrier.credit_code};
  registry::Terminal terminal{"013900000001", "T1",       "70111",
                              "BT-808",       "辽C12345", registry::PlateColor::kYellow};
  registry::HealthRecord health{"210302198507150011", "核酸检测", 1, "张伟", "阴性",
                                "2030-01-01",         7};
  registry::Site site{"ZD-1", "卸货点", registry::SiteKind::kUnloading, "铁东区",
                      R"({"type":"Point","coordinates":[123.0,41.1]})"};
  registry::CredentialReport report;
  std::vector<std::pair<std::string, OrderedJson>> records{
      {"carriers", registry::CarrierJson(carrier, 1)},
      {"vehicles",
       registry::VehicleJson(vehicle, "顺达运输", "铁东区", registry::CredentialStatus::kValid)},
      {"drivers", registry::DriverJson(driver, registry::CredentialStatus::kValid)},
      {"terminals", registry::TerminalJson(terminal)},
      {"health_records", registry::HealthRecordJson(health)},
      {"sites", registry::SiteJson(site)}};
  for (auto& [kind, record] : records) {
    if (kind == "vehicles" || kind == "drivers")
      record["credential"] = registry::CredentialJson(report);
  }
  return records;
}

TEST(FieldClassesTest, EveryFieldOfEveryRecordKindIsClassified) {
  std::set<std::string> kinds;
  for (const auto& [kind, record] : EveryRecordKind()) {
    kinds.insert(kind);
    for (const auto& item : record.items()) {
      EXPECT_TRUE(ClassifyField(kind, item.key()))
          << kind << "." << item.key() << " is not classified in src/api/masking.cc";
    }
  }
  for (registry::Kind kind : registry::kAllKinds)
    EXPECT_TRUE(kinds.contains(std::string(registry::KindName(kind)))) << "add the kind above";
  // The classes that matter most.
  EXPECT_EQ(ClassifyField("drivers", "qualification_cert_no"), FieldClass::kIdNumber);
  EXPECT_EQ(ClassifyField("drivers", "id_number"), FieldClass::kIdNumber);
  EXPECT_EQ(ClassifyField("drivers", "phone"), FieldClass::kPhone);
  EXPECT_EQ(ClassifyField("health_records", "result"), FieldClass::kHealthResult);
  EXPECT_EQ(ClassifyField("terminals", "phone"), FieldClass::kDeviceNumber);
  EXPECT_FALSE(ClassifyField("drivers", "emergency_contact"));
}

// The store's own records, as listings and details serve them: the same fields.
TEST(FieldClassesTest, TheStoresRecordsHaveOnlyClassifiedFields) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("baotong-field-classes-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    auto database = store::Database::Open(dir / "registry.db");
    ASSERT_TRUE(database);
    ASSERT_TRUE(registry::RegistryStore::Migrate(**database));
    registry::RegistryStore store(**database);
    std::vector<registry::Carrier> carriers{
        {"91210300MA0XXXXXX1", "顺达运输", "铁东区", "地址", "许可", "2030-01-01", "0412"}};
    ASSERT_TRUE(store.Upsert(std::span<const registry::Carrier>(carriers), 1));
    std::vector<registry::Driver> drivers{{"210302198507150011", "张伟", "13912345678", "A2",
                                           "2030-01-01", "210302198507150011", "货运", "2030-01-01",
                                           "91210300MA0XXXXXX1"}};
    ASSERT_TRUE(store.Upsert(std::span<const registry::Driver>(drivers), 1));
    for (auto [kind, key] : {std::pair{registry::Kind::kCarriers, "91210300MA0XXXXXX1"},
                             std::pair{registry::Kind::kDrivers, "210302198507150011"}}) {
      auto record = store.Get(kind, key);
      ASSERT_TRUE(record && *record);
      for (const auto& item : (*record)->items()) {
        EXPECT_TRUE(ClassifyField(registry::KindName(kind), item.key()))
            << registry::KindName(kind) << "." << item.key();
      }
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(FieldClassesTest, TheQualificationNumberIsMaskedLikeTheIdNumber) {
  const OrderedJson driver = EveryRecordKind()[2].second;
  for (Role role : AllRoles()) {
    OrderedJson record = driver;
    MaskOutcome outcome = MaskRecord(record, "drivers", As(role));
    const bool sees = SeesUnmasked(As(role), PersonalField::kIdNumber, "91210300MA0XXXXXX1");
    EXPECT_EQ(record["qualification_cert_no"], sees ? "210302198507150011" : "210302********0011")
        << RoleId(role);
    EXPECT_EQ(record["id_number"], record["qualification_cert_no"]) << RoleId(role);
    EXPECT_EQ(record.dump().find("210302198507150011") == std::string::npos, !sees)
        << RoleId(role) << record.dump();
    EXPECT_EQ(record.dump().find("13912345678") == std::string::npos, !sees) << RoleId(role);
    // The terminal's SIM number and the credit code stay as they are.
    EXPECT_EQ(record["carrier_credit_code"], "91210300MA0XXXXXX1");
    (void)outcome;
  }
  // Another carrier sees the driver masked.
  Principal other = As(Role::kCarrier);
  other.carrier_credit_code = "91210300MA0YYYYYY2";
  OrderedJson record = driver;
  MaskRecord(record, "drivers", other);
  EXPECT_EQ(record["qualification_cert_no"], "210302********0011");
  EXPECT_NE(std::find(record["masked"].begin(), record["masked"].end(), "qualification_cert_no"),
            record["masked"].end());
}

TEST(FieldClassesTest, TextQuotingANumberIsMaskedForWhoeverSeesNumbersMasked) {
  OrderedJson carrier = EveryRecordKind()[0].second;
  carrier["contact_phone"] = "139-1234-5678";
  carrier["address"] = "联系人身份证21030219850715001X，铁东区";
  OrderedJson district_view = carrier;
  MaskRecord(district_view, "carriers", As(Role::kDistrict));
  EXPECT_EQ(district_view["contact_phone"], "139-****-5678");
  EXPECT_EQ(district_view["address"], "联系人身份证210302********001X，铁东区");
  EXPECT_EQ(district_view["credit_code"], "91210300MA0XXXXXX1");
  EXPECT_EQ(district_view["masked"], OrderedJson::array({"address", "contact_phone"}));
  OrderedJson admin_view = carrier;
  MaskRecord(admin_view, "carriers", As(Role::kAdmin));
  EXPECT_EQ(admin_view["contact_phone"], "139-1234-5678");
  // A field nobody classified yet, holding an ID number, is caught by its value.
  OrderedJson driver = EveryRecordKind()[2].second;
  driver["driving_licence_no"] = "210302198507150011";
  driver["emergency_contact"] = {{"name", "王芳"}, {"phone", "+86 13800001111"}};
  MaskRecord(driver, "drivers", As(Role::kCheckpoint));
  EXPECT_EQ(driver["driving_licence_no"], "210302********0011");
  EXPECT_EQ(driver["emergency_contact"]["phone"], "+86 138****1111");
  // A record of a kind the table does not know: personal names and values both masked.
  OrderedJson unknown{{"id_number", "ABC"}, {"note", "手机13912345678"}};
  MaskRecord(unknown, "lorries", As(Role::kDistrict));
  EXPECT_EQ(unknown["id_number"], "***");
  EXPECT_EQ(unknown["note"], "手机139****5678");
}

TEST(FieldClassesTest, TheDetectorFindsIdNumbersAndMobilesAndLeavesOtherNumbers) {
  struct Example {
    std::string text;
    std::string masked;
  };
  const Example examples[] = {
      {"210302198507150011", "210302********0011"},
      {"驾驶员11010519491231002x未登记", "驾驶员110105********002x未登记"},
      {"13912345678", "139****5678"},
      {"139 1234 5678", "139 **** 5678"},
      {"8613912345678", "86139****5678"},
      {"2026-11-25 13912345678", "2026-11-25 139****5678"},
      {"210302 19850715 0011", "210302 ******** 0011"},
      // Not personal numbers: left as they are.
      {"0412-5551234", "0412-5551234"},
      {"2026-11-25", "2026-11-25"},
      {"12912345678", "12912345678"},                // no mobile starts 12
      {"139123456789", "139123456789"},              // 12 digits
      {"210302198513150011", "210302198513150011"},  // month 13
      {"91210300MA0QC4KX6U", "91210300MA0QC4KX6U"},  // a credit code
      {"LFWSRXRJ2J1E00001", "LFWSRXRJ2J1E00001"},    // a VIN
      {"", ""},
  };
  for (const auto& example : examples) {
    std::string text = example.text;
    EXPECT_EQ(MaskPersonalNumbersIn(text), example.masked != example.text) << example.text;
    EXPECT_EQ(text, example.masked);
  }
}

// ---- Through the API: listings, details and the .xlsx export.

// The text of every file in a .xlsx (a zip of deflated XML), concatenated.
std::string XlsxText(const std::string& zip) {
  auto u16 = [&](size_t at) {
    return static_cast<uint32_t>(static_cast<uint8_t>(zip[at])) |
           static_cast<uint32_t>(static_cast<uint8_t>(zip[at + 1])) << 8;
  };
  auto u32 = [&](size_t at) { return u16(at) | u16(at + 2) << 16; };
  std::string text;
  const size_t end = zip.rfind(std::string("PK\x05\x06", 4));
  if (end == std::string::npos)
    return text;
  const uint32_t entries = u16(end + 10);
  size_t at = u32(end + 16);
  for (uint32_t entry = 0; entry < entries && at + 46 <= zip.size(); ++entry) {
    const uint32_t method = u16(at + 10);
    const uint32_t compressed = u32(at + 20);
    const uint32_t size = u32(at + 24);
    const uint32_t local = u32(at + 42);
    at += 46 + u16(at + 28) + u16(at + 30) + u16(at + 32);
    const size_t data = local + 30 + u16(local + 26) + u16(local + 28);
    if (method == 0) {
      text.append(zip, data, compressed);
      continue;
    }
    std::string out(size, '\0');
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
      continue;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zip.data() + data));
    stream.avail_in = compressed;
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = size;
    inflate(&stream, Z_FINISH);
    inflateEnd(&stream);
    text += out;
  }
  return text;
}

class FieldMaskingRoutesTest : public testing::ApiFixture {};

TEST_F(FieldMaskingRoutesTest, DistrictAndCheckpointNeverSeeTheQualificationNumber) {
  // The fixture's 铁东区 driver has qualification_cert_no = his ID number.
  const std::string id = "210302198507150011";
  for (Role role : {Role::kDistrict, Role::kCheckpoint}) {
    auto listing = Get("/api/registry/drivers?limit=100", role);
    ASSERT_EQ(listing.result(), testing::http::status::ok) << RoleId(role);
    EXPECT_EQ(listing.body().find(id), std::string::npos) << RoleId(role) << listing.body();
    EXPECT_NE(listing.body().find("210302********0011"), std::string::npos) << RoleId(role);
  }
  auto workbook = Get("/api/registry/drivers/export.xlsx", Role::kDistrict);
  ASSERT_EQ(workbook.result(), testing::http::status::ok) << workbook.body();
  const std::string text = XlsxText(workbook.body());
  EXPECT_NE(text.find("张伟"), std::string::npos) << "the workbook could not be read";
  EXPECT_EQ(text.find(id), std::string::npos);
  EXPECT_NE(text.find("210302********0011"), std::string::npos);
  // 交通运输局 exports it whole.
  const std::string full =
      XlsxText(Get("/api/registry/drivers/export.xlsx", Role::kTransport).body());
  EXPECT_NE(full.find(id), std::string::npos);
}

}  // namespace
}  // namespace baotong::api
