#include "common/hex.h"

#include <gtest/gtest.h>

namespace baotong {
namespace {

TEST(Hex, ParsesWithSeparatorsAndPrefix) {
  auto bytes = ParseHex("0x7E 02:00-0a\n");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, (std::vector<uint8_t>{0x7e, 0x02, 0x00, 0x0a}));
}

TEST(Hex, RejectsOddDigitsAndNonHex) {
  EXPECT_EQ(ParseHex("7e0").error().code, ErrorCode::kBadValue);
  EXPECT_EQ(ParseHex("7 e").error().code, ErrorCode::kBadValue);
  EXPECT_EQ(ParseHex("zz").error().code, ErrorCode::kBadValue);
}

TEST(Hex, FormatsLowerCase) {
  std::vector<uint8_t> bytes{0x00, 0xab, 0x7e};
  EXPECT_EQ(ToHex(bytes), "00ab7e");
  EXPECT_EQ(*ParseHex(ToHex(bytes)), bytes);
}

}  // namespace
}  // namespace baotong
