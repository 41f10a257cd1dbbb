#include "protocol/jt808/header.h"

#include <gtest/gtest.h>

#include "common/hex.h"
#include "protocol/jt808/frame.h"
#include "protocol/jt808/test_messages.h"

namespace baotong::jt808 {
namespace {

std::vector<uint8_t> Bytes(std::string_view hex) {
  return *ParseHex(hex);
}

TEST(Phone, DecodesAllDigitsAndStripsForAlias) {
  auto phone = DecodePhone(Bytes("013912345678"));
  ASSERT_TRUE(phone);
  EXPECT_EQ(phone->digits(), "013912345678");
  EXPECT_EQ(phone->WithoutLeadingZeros(), "13912345678");
}

TEST(Phone, RejectsNonBcdAndNonDigits) {
  EXPECT_EQ(DecodePhone(Bytes("01391234567a")).error().code, ErrorCode::kBadBcd);
  EXPECT_FALSE(Phone::FromDigits("1391234567x"));
  EXPECT_FALSE(Phone::FromDigits(""));
  EXPECT_FALSE(Phone::FromDigits("123456789012345678901"));
}

TEST(Phone, EncodesLeftPaddedAndRefusesOverflow) {
  std::vector<uint8_t> out;
  ByteWriter writer(out);
  ASSERT_TRUE(EncodePhone(*Phone::FromDigits("13912345678"), 6, writer));
  EXPECT_EQ(ToHex(out), "013912345678");
  out.clear();
  // A 2019 number whose leading zeros are padding fits a 2013 header.
  ASSERT_TRUE(EncodePhone(*Phone::FromDigits("00000000013912345678"), 6, writer));
  EXPECT_EQ(ToHex(out), "013912345678");
  EXPECT_EQ(EncodePhone(*Phone::FromDigits("1234567890123"), 6, writer).error().code,
            ErrorCode::kTooLong);
}

TEST(BcdTime, ConvertsChinaLocalTimeToUtc) {
  // 2022-04-20 08:50:00 in UTC+8 is 00:50:00 UTC.
  auto time = DecodeBcdTime(Bytes("220420085000"));
  ASSERT_TRUE(time);
  ASSERT_TRUE(time->has_value());
  EXPECT_EQ(**time, 1'650'415'800'000);
  std::vector<uint8_t> out;
  ByteWriter writer(out);
  ASSERT_TRUE(EncodeBcdTime(**time, writer));
  EXPECT_EQ(ToHex(out), "220420085000");
}

TEST(BcdTime, CrossesMidnightAndLeapDay) {
  // 2024-02-29 00:30 local is 2024-02-28 16:30 UTC.
  auto time = DecodeBcdTime(Bytes("240229003000"));
  ASSERT_TRUE(time && time->has_value());
  EXPECT_EQ(**time, 1'709'137'800'000);
}

TEST(BcdTime, AllZerosMeansNoTime) {
  auto time = DecodeBcdTime(Bytes("000000000000"));
  ASSERT_TRUE(time);
  EXPECT_FALSE(time->has_value());
}

TEST(BcdTime, RejectsBadDigitsAndDates) {
  EXPECT_EQ(DecodeBcdTime(Bytes("2204200850a0")).error().code, ErrorCode::kBadBcd);
  EXPECT_EQ(DecodeBcdTime(Bytes("230229000000")).error().code, ErrorCode::kBadTime);  // no leap
  EXPECT_EQ(DecodeBcdTime(Bytes("221320000000")).error().code, ErrorCode::kBadTime);
  EXPECT_EQ(DecodeBcdTime(Bytes("220420246000")).error().code, ErrorCode::kBadTime);
  std::vector<uint8_t> out;
  ByteWriter writer(out);
  EXPECT_EQ(EncodeBcdTime(int64_t{0}, writer).error().code, ErrorCode::kBadTime);  // 1970
}

TEST(Header, RoundTripsEveryShape) {
  for (Version version : {Version::k2013, Version::k2019}) {
    for (bool subpackaged : {false, true}) {
      Header header = testing::TestHeader(0xbeef, version);
      header.msg_id = 0x0801;
      header.protocol_version = 1;
      header.encryption = 1;
      if (subpackaged)
        header.subpackage = Subpackage{26, 2};
      std::vector<uint8_t> bytes;
      ByteWriter writer(bytes);
      ASSERT_TRUE(EncodeHeader(header, 3, writer));
      EXPECT_EQ(bytes.size(), HeaderSize(header));
      bytes.insert(bytes.end(), {0xaa, 0xbb, 0xcc, 0x00});  // body + check code slot
      size_t header_size = 0;
      auto decoded = DecodeHeader(bytes, header_size);
      ASSERT_TRUE(decoded) << decoded.error().Message();
      header.body_length = 3;
      EXPECT_EQ(*decoded, header);
      EXPECT_EQ(header_size, HeaderSize(header));
    }
  }
}

TEST(Header, FallsBackTo2013WhenVersionFlagIsWrong) {
  // A 2013 heartbeat header with bit 14 set, as some devices send (SmallChi README example 14).
  auto bytes = Bytes("0002400001391234567800 01 00");
  size_t header_size = 0;
  auto header = DecodeHeader(bytes, header_size);
  ASSERT_TRUE(header) << header.error().Message();
  EXPECT_EQ(header->version, Version::k2013);
  EXPECT_EQ(header->phone.digits(), "013912345678");
  EXPECT_EQ(header_size, 12u);
}

TEST(Header, RejectsProtocolVersionZeroIn2019) {
  Header header = testing::TestHeader(1, Version::k2019);
  header.protocol_version = 0;
  std::vector<uint8_t> bytes;
  ByteWriter writer(bytes);
  ASSERT_TRUE(EncodeHeader(header, 0, writer));
  bytes.push_back(0);
  size_t header_size = 0;
  EXPECT_EQ(DecodeHeader(bytes, header_size).error().code, ErrorCode::kUnknownVersion);
}

TEST(Header, RejectsBadSubpackageIndexes) {
  Header header = testing::TestHeader();
  header.subpackage = Subpackage{3, 4};
  std::vector<uint8_t> bytes;
  ByteWriter writer(bytes);
  ASSERT_TRUE(EncodeHeader(header, 0, writer));
  bytes.push_back(0);
  size_t header_size = 0;
  EXPECT_EQ(DecodeHeader(bytes, header_size).error().code, ErrorCode::kBadValue);
}

TEST(Header, RefusesBodiesOver1023Bytes) {
  std::vector<uint8_t> bytes;
  ByteWriter writer(bytes);
  EXPECT_EQ(EncodeHeader(testing::TestHeader(), 1024, writer).error().code, ErrorCode::kTooLong);
}

}  // namespace
}  // namespace baotong::jt808
