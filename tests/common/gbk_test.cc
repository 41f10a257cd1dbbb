#include "common/gbk.h"

#include <gtest/gtest.h>

namespace baotong {
namespace {

// 辽C12345 in GBK: 辽 = C1 C9.
const std::vector<uint8_t> kPlateGbk{0xc1, 0xc9, 'C', '1', '2', '3', '4', '5'};

TEST(Gbk, DecodesPlate) {
  auto text = GbkToUtf8(kPlateGbk);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "辽C12345");
}

TEST(Gbk, EncodesPlate) {
  std::vector<uint8_t> out;
  ASSERT_TRUE(AppendUtf8AsGbk("辽C12345", out));
  EXPECT_EQ(out, kPlateGbk);
}

TEST(Gbk, RoundTripsCommonText) {
  for (const char* text : {"鞍山市货运通", "您已偏离备案路线，请尽快返回", "plain ascii", ""}) {
    std::vector<uint8_t> gbk;
    ASSERT_TRUE(AppendUtf8AsGbk(text, gbk)) << text;
    auto back = GbkToUtf8(gbk);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, text);
  }
}

TEST(Gbk, RejectsInvalidBytes) {
  // 0xC1 starts a two-byte character; 0x20 cannot be its second byte.
  std::vector<uint8_t> bad{0xc1, 0x20};
  EXPECT_EQ(GbkToUtf8(bad).error().code, ErrorCode::kBadEncoding);
  std::vector<uint8_t> truncated{'A', 0xc1};
  EXPECT_EQ(GbkToUtf8(truncated).error().code, ErrorCode::kBadEncoding);
}

TEST(Gbk, RejectsInvalidUtf8AndCharactersGbkLacks) {
  std::vector<uint8_t> out;
  EXPECT_EQ(AppendUtf8AsGbk("\xff\xfe", out).error().code, ErrorCode::kBadEncoding);
  // An emoji has no GBK form.
  EXPECT_EQ(AppendUtf8AsGbk("车\U0001F69A", out).error().code, ErrorCode::kBadEncoding);
}

}  // namespace
}  // namespace baotong
