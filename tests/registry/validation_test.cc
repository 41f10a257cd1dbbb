#include "registry/validation.h"

#include <gtest/gtest.h>

namespace baotong::registry {
namespace {

constexpr int kToday = 20261126;

TEST(IdNumber, AcceptsValidNumbersAndNormalisesX) {
  // The example of GB 11643-1999 itself, and an Anshan (210302) number.
  EXPECT_EQ(*NormaliseIdNumber("11010519491231002X", kToday), "11010519491231002X");
  EXPECT_EQ(*NormaliseIdNumber("11010519491231002x", kToday), "11010519491231002X");
  EXPECT_EQ(*NormaliseIdNumber("210302198507150011", kToday), "210302198507150011");
}

TEST(IdNumber, SaysWhatIsWrong) {
  EXPECT_EQ(NormaliseIdNumber("21030219850715001", kToday).error().code, "id_number.length");
  EXPECT_EQ(NormaliseIdNumber("21030219850715001A", kToday).error().code, "id_number.characters");
  EXPECT_EQ(NormaliseIdNumber("910302198507150011", kToday).error().code, "id_number.region");
  EXPECT_EQ(NormaliseIdNumber("210302198502300011", kToday).error().code,
            "id_number.birth_date");  // 30 February
  EXPECT_EQ(NormaliseIdNumber("210302203001010011", kToday).error().code,
            "id_number.birth_date");  // in the future
  auto wrong_check = NormaliseIdNumber("210302198507150018", kToday);
  ASSERT_FALSE(wrong_check);
  EXPECT_EQ(wrong_check.error().code, "id_number.check_digit");
  EXPECT_NE(wrong_check.error().message.find("should be 1"), std::string::npos);
  EXPECT_NE(wrong_check.error().message.find("校验码"), std::string::npos);
}

TEST(CreditCode, AcceptsValidCodes) {
  EXPECT_EQ(*NormaliseCreditCode("91350100M000100Y43"), "91350100M000100Y43");
  EXPECT_EQ(*NormaliseCreditCode("91110000802100433b"), "91110000802100433B");
}

TEST(CreditCode, SaysWhatIsWrong) {
  EXPECT_EQ(NormaliseCreditCode("9135010").error().code, "credit_code.length");
  EXPECT_EQ(NormaliseCreditCode("91350100M000100I43").error().code, "credit_code.characters");
  EXPECT_EQ(NormaliseCreditCode("H1350100M000100Y43").error().code, "credit_code.authority");
  EXPECT_EQ(NormaliseCreditCode("9135A100M000100Y43").error().code, "credit_code.region");
  auto wrong = NormaliseCreditCode("911100001000013141");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "credit_code.check_character");
  EXPECT_NE(wrong.error().message.find("should be F"), std::string::npos);
}

TEST(Plate, AcceptsOrdinaryNewEnergyAndSpecialPlates) {
  EXPECT_EQ(*NormalisePlate("辽C12345"), "辽C12345");
  EXPECT_EQ(*NormalisePlate("辽c·a1234"), "辽CA1234");
  EXPECT_EQ(*NormalisePlate("辽C D12345"), "辽CD12345");  // small new-energy, electric
  EXPECT_EQ(*NormalisePlate("辽CF12345"), "辽CF12345");   // small new-energy, hybrid
  EXPECT_EQ(*NormalisePlate("辽C12345D"), "辽C12345D");   // large new-energy
  EXPECT_EQ(*NormalisePlate("辽C1234挂"), "辽C1234挂");   // trailer
  EXPECT_EQ(*NormalisePlate("京A1234学"), "京A1234学");
}

TEST(Plate, SaysWhatIsWrong) {
  EXPECT_EQ(NormalisePlate("").error().code, "plate.empty");
  EXPECT_EQ(NormalisePlate("XC12345").error().code, "plate.province");
  EXPECT_EQ(NormalisePlate("辽112345").error().code, "plate.authority");
  EXPECT_EQ(NormalisePlate("辽C1234").error().code, "plate.format");    // too short
  EXPECT_EQ(NormalisePlate("辽C1234O").error().code, "plate.format");   // O looks like 0
  EXPECT_EQ(NormalisePlate("辽CX12345").error().code, "plate.format");  // not a new-energy letter
  EXPECT_EQ(NormalisePlate("辽C12345X").error().code, "plate.format");
  EXPECT_EQ(NormalisePlate("\xff\xfe").error().code, "plate.empty");  // not UTF-8
}

TEST(PlateColor, KnowsTheCodes) {
  EXPECT_EQ(*ParsePlateColor(2), PlateColor::kYellow);
  EXPECT_EQ(*ParsePlateColor(0), PlateColor::kNone);
  EXPECT_FALSE(ParsePlateColor(6));
  EXPECT_FALSE(ParsePlateColor(-1));
}

TEST(LicenceClass, KnowsTheClasses) {
  EXPECT_EQ(*NormaliseLicenceClass("a2"), "A2");
  EXPECT_EQ(*NormaliseLicenceClass("B2"), "B2");
  EXPECT_EQ(NormaliseLicenceClass("A4").error().code, "licence_class.unknown");
  EXPECT_FALSE(NormaliseLicenceClass(""));
}

}  // namespace
}  // namespace baotong::registry
