#include "api/masking.h"

#include <gtest/gtest.h>

namespace baotong::api {
namespace {

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

TEST(MaskingTest, MasksIdNumbersAndPhonesLikeTheExamples) {
  EXPECT_EQ(MaskIdNumber("210302198507150011"), "210302********0011");
  EXPECT_EQ(MaskIdNumber("21030219850715001X"), "210302********001X");
  EXPECT_EQ(MaskPhone("13912345678"), "139****5678");
  EXPECT_EQ(MaskHealthResult("阴性"), "***");
  EXPECT_EQ(MaskHealthResult(""), "");
}

TEST(MaskingTest, OddInputsShowAtMostHalf) {
  EXPECT_EQ(MaskIdNumber(""), "");
  EXPECT_EQ(MaskPhone(""), "");
  EXPECT_EQ(MaskPhone("1"), "*");
  EXPECT_EQ(MaskPhone("123"), "***");
  EXPECT_EQ(MaskPhone("1234"), "1**4");
  // A landline keeps a quarter at each end.
  EXPECT_EQ(MaskPhone("0412-5551234"), "041******234");
  // An old 15-digit ID number.
  EXPECT_EQ(MaskIdNumber("210302850715001"), "210*********001");
  // Longer than standard: still a quarter at each end.
  EXPECT_EQ(MaskIdNumber("2103021985071500119"), "2103***********0119");
  for (std::string_view text : {"a", "ab", "abcdefg", "0412-5551234", "1234567890123"}) {
    const std::string masked = MaskPhone(text);
    EXPECT_EQ(masked.size(), text.size()) << text;
    size_t shown = 0;
    for (char c : masked)
      shown += c != '*';
    EXPECT_LE(shown * 2, text.size()) << text;
  }
}

TEST(MaskingTest, Utf8IsMaskedByCharactersNeverSplittingOne) {
  // Eight characters of three bytes: two shown at each end.
  EXPECT_EQ(MaskPhone("鞍山市铁东区一号"), "鞍山****一号");
  EXPECT_EQ(MaskIdNumber("张三"), "**");
  // Mixed widths and a stray continuation byte at the start do not crash or cut characters.
  EXPECT_EQ(MaskPhone("电话13912345"), "电话******45");
  const std::string stray =
      "\x80\x80"
      "12345678";
  EXPECT_EQ(MaskPhone(stray),
            "\x80\x80"
            "1*****78");
}

TEST(MaskingTest, WhoSeesWhatUnmasked) {
  const std::optional<std::string_view> none;
  for (Role role : {Role::kAdmin, Role::kTransport, Role::kPolice, Role::kHealth}) {
    EXPECT_TRUE(SeesUnmasked(As(role), PersonalField::kIdNumber, none)) << RoleId(role);
    EXPECT_TRUE(SeesUnmasked(As(role), PersonalField::kPhone, none)) << RoleId(role);
  }
  for (Role role : {Role::kDistrict, Role::kCheckpoint, Role::kCarrier}) {
    EXPECT_FALSE(SeesUnmasked(As(role), PersonalField::kIdNumber, none)) << RoleId(role);
    EXPECT_FALSE(SeesUnmasked(As(role), PersonalField::kPhone, none)) << RoleId(role);
  }
  for (Role role : AllRoles())
    EXPECT_EQ(SeesUnmasked(As(role), PersonalField::kHealthResult, none), role == Role::kHealth)
        << RoleId(role);

  const Principal carrier = As(Role::kCarrier);
  EXPECT_TRUE(SeesUnmasked(carrier, PersonalField::kIdNumber, "91210300MA0XXXXXX1"));
  EXPECT_TRUE(SeesUnmasked(carrier, PersonalField::kPhone, "91210300MA0XXXXXX1"));
  EXPECT_FALSE(SeesUnmasked(carrier, PersonalField::kHealthResult, "91210300MA0XXXXXX1"));
  EXPECT_FALSE(SeesUnmasked(carrier, PersonalField::kIdNumber, "91210300MA0YYYYYY2"));
  // A carrier account without a credit code sees nobody's data, not everybody's.
  Principal broken = carrier;
  broken.carrier_credit_code = "";
  EXPECT_FALSE(SeesUnmasked(broken, PersonalField::kIdNumber, ""));
}

nlohmann::ordered_json Driver(std::string carrier) {
  return {{"id_number", "210302198507150011"},
          {"name", "张伟"},
          {"phone", "13912345678"},
          {"carrier_credit_code", std::move(carrier)}};
}

TEST(MaskingTest, MaskRecordMasksDriversForADistrict) {
  auto record = Driver("91210300MA0XXXXXX1");
  MaskOutcome outcome = MaskRecord(record, "drivers", As(Role::kDistrict));
  EXPECT_EQ(record["id_number"], "210302********0011");
  EXPECT_EQ(record["phone"], "139****5678");
  EXPECT_EQ(record["name"], "张伟");
  EXPECT_EQ(record["masked"], nlohmann::ordered_json::array({"id_number", "phone"}));
  EXPECT_FALSE(outcome.RevealsPersonalData());
}

TEST(MaskingTest, MaskRecordTellsWhenPersonalDataIsRevealed) {
  auto record = Driver("91210300MA0XXXXXX1");
  MaskOutcome outcome = MaskRecord(record, "drivers", As(Role::kPolice));
  EXPECT_EQ(record["id_number"], "210302198507150011");
  EXPECT_EQ(record["masked"], nlohmann::ordered_json::array());
  EXPECT_EQ(outcome.revealed, (std::vector<std::string>{"id_number", "phone"}));
  EXPECT_TRUE(outcome.RevealsPersonalData());

  auto own = Driver("91210300MA0XXXXXX1");
  EXPECT_TRUE(MaskRecord(own, "drivers", As(Role::kCarrier)).RevealsPersonalData());
  EXPECT_EQ(own["phone"], "13912345678");
  auto other = Driver("91210300MA0YYYYYY2");
  EXPECT_FALSE(MaskRecord(other, "drivers", As(Role::kCarrier)).RevealsPersonalData());
  EXPECT_EQ(other["phone"], "139****5678");
}

TEST(MaskingTest, HealthRecordsShowResultsOnlyToHealth) {
  nlohmann::ordered_json record = {
      {"id", 7}, {"id_number", "210302198507150011"}, {"name", "张伟"}, {"result", "阴性"}};
  auto for_police = record;
  MaskRecord(for_police, "health_records", As(Role::kPolice));
  EXPECT_EQ(for_police["result"], "***");
  EXPECT_EQ(for_police["id_number"], "210302198507150011");
  EXPECT_EQ(for_police["masked"], nlohmann::ordered_json::array({"result"}));

  auto for_health = record;
  auto outcome = MaskRecord(for_health, "health_records", As(Role::kHealth));
  EXPECT_EQ(for_health["result"], "阴性");
  EXPECT_EQ(outcome.revealed, (std::vector<std::string>{"id_number", "result"}));
}

TEST(MaskingTest, NonPersonalPhonesAreLeftAlone) {
  nlohmann::ordered_json carrier = {{"credit_code", "91210300MA0XXXXXX1"},
                                    {"contact_phone", "0412-5551234"}};
  MaskRecord(carrier, "carriers", As(Role::kCheckpoint));
  EXPECT_EQ(carrier["contact_phone"], "0412-5551234");
  EXPECT_EQ(carrier["masked"], nlohmann::ordered_json::array());

  nlohmann::ordered_json terminal = {{"phone", "013900000001"}, {"plate", "辽C12345"}};
  MaskRecord(terminal, "terminals", As(Role::kCheckpoint));
  EXPECT_EQ(terminal["phone"], "013900000001");
}

TEST(MaskingTest, UnknownKindsFailClosedAndOddValuesAreHandled) {
  nlohmann::ordered_json record = {
      {"phone", "13912345678"}, {"id_number", nullptr}, {"result", ""}};
  MaskRecord(record, "something_new", As(Role::kCheckpoint));
  EXPECT_EQ(record["phone"], "139****5678");
  EXPECT_TRUE(record["id_number"].is_null());
  EXPECT_EQ(record["result"], "");
  EXPECT_EQ(record["masked"], nlohmann::ordered_json::array({"phone"}));

  nlohmann::ordered_json numeric = {{"id_number", 210302198507150011LL}};
  MaskRecord(numeric, "drivers", As(Role::kDistrict));
  EXPECT_EQ(numeric["id_number"], "***");

  nlohmann::ordered_json not_an_object = nlohmann::ordered_json::array({1, 2});
  EXPECT_FALSE(MaskRecord(not_an_object, "drivers", As(Role::kDistrict)).RevealsPersonalData());
  EXPECT_EQ(not_an_object.size(), 2u);
}

}  // namespace
}  // namespace baotong::api
