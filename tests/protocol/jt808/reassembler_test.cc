#include "protocol/jt808/reassembler.h"

#include <gtest/gtest.h>

#include "protocol/jt808/test_messages.h"

namespace baotong::jt808 {
namespace {

Header Part(uint16_t serial, uint16_t total, uint16_t index,
            std::string_view phone = "013912345678") {
  Header header;
  header.msg_id = msg_id::kMultimediaUpload;
  header.phone = *Phone::FromDigits(phone);
  header.serial = serial;
  header.subpackage = Subpackage{total, index};
  return header;
}

std::vector<uint8_t> Body(uint8_t fill, size_t size = 10) {
  return std::vector<uint8_t>(size, fill);
}

TEST(Reassembler, JoinsPackagesInIndexOrderWhateverTheArrivalOrder) {
  Reassembler reassembler;
  // Serials need not be consecutive (SmallChi's MergerTest uses 1233 and 1250).
  ASSERT_FALSE(*reassembler.Add(Part(1250, 3, 3), Body(3), 0));
  ASSERT_FALSE(*reassembler.Add(Part(1233, 3, 1), Body(1), 0));
  auto whole = reassembler.Add(Part(1240, 3, 2), Body(2), 0);
  ASSERT_TRUE(whole && *whole);
  std::vector<uint8_t> expected = Body(1);
  for (uint8_t fill : {2, 3}) {
    auto part = Body(fill);
    expected.insert(expected.end(), part.begin(), part.end());
  }
  EXPECT_EQ((*whole)->body, expected);
  EXPECT_EQ((*whole)->header.serial, 1233);  // package 1's header
  EXPECT_FALSE((*whole)->header.subpackage);
  EXPECT_EQ(reassembler.group_count(), 0u);
  EXPECT_EQ(reassembler.buffered_bytes(), 0u);
}

TEST(Reassembler, IgnoresRepeatedPackages) {
  Reassembler reassembler;
  ASSERT_FALSE(*reassembler.Add(Part(1, 2, 1), Body(1), 0));
  ASSERT_FALSE(*reassembler.Add(Part(1, 2, 1), Body(9), 0));
  auto whole = reassembler.Add(Part(2, 2, 2), Body(2), 0);
  ASSERT_TRUE(whole && *whole);
  EXPECT_EQ((*whole)->body[0], 1);
}

TEST(Reassembler, KeepsTerminalsApart) {
  Reassembler reassembler;
  ASSERT_FALSE(*reassembler.Add(Part(1, 2, 1, "013900000001"), Body(1), 0));
  ASSERT_FALSE(*reassembler.Add(Part(1, 2, 2, "013900000002"), Body(2), 0));
  EXPECT_EQ(reassembler.group_count(), 2u);
}

TEST(Reassembler, AsksForMissingPackagesThenGivesUp) {
  ReassemblyLimits limits;
  limits.resend_after_ms = 1000;
  limits.max_resend_requests = 2;
  Reassembler reassembler(limits);
  ASSERT_FALSE(*reassembler.Add(Part(100, 5, 1), Body(1), 0));
  ASSERT_FALSE(*reassembler.Add(Part(103, 5, 4), Body(4), 0));

  EXPECT_TRUE(reassembler.Poll(999).empty());
  auto requests = reassembler.Poll(1000);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].phone.digits(), "013912345678");
  EXPECT_EQ(requests[0].message.original_serial, 100);
  EXPECT_EQ(requests[0].message.package_indexes, (std::vector<uint16_t>{2, 3, 5}));

  EXPECT_TRUE(reassembler.Poll(1500).empty());  // asked recently
  EXPECT_EQ(reassembler.Poll(2000).size(), 1u);
  EXPECT_TRUE(reassembler.Poll(3000).empty());  // asked twice: dropped
  EXPECT_EQ(reassembler.group_count(), 0u);
  EXPECT_EQ(reassembler.dropped_groups(), 1u);
  EXPECT_EQ(reassembler.buffered_bytes(), 0u);
}

TEST(Reassembler, DerivesOriginalSerialWithoutPackageOne) {
  ReassemblyLimits limits;
  limits.resend_after_ms = 10;
  Reassembler reassembler(limits);
  ASSERT_FALSE(*reassembler.Add(Part(205, 6, 6), Body(6), 0));
  auto requests = reassembler.Poll(10);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].message.original_serial, 200);
}

TEST(Reassembler, ExpiresOldGroups) {
  ReassemblyLimits limits;
  limits.expire_after_ms = 5000;
  limits.resend_after_ms = 100'000;
  Reassembler reassembler(limits);
  ASSERT_FALSE(*reassembler.Add(Part(1, 2, 1), Body(1), 0));
  EXPECT_TRUE(reassembler.Poll(5000).empty());
  EXPECT_EQ(reassembler.group_count(), 0u);
}

TEST(Reassembler, StaysWithinGroupAndByteLimits) {
  ReassemblyLimits limits;
  limits.max_groups = 4;
  limits.max_bytes = 100;
  Reassembler reassembler(limits);
  for (int terminal = 0; terminal < 50; ++terminal) {
    std::string phone = "0139000000" + std::to_string(10 + terminal);
    ASSERT_TRUE(reassembler.Add(Part(1, 3, 1, phone), Body(1, 30), terminal));
    EXPECT_LE(reassembler.group_count(), 4u);
    EXPECT_LE(reassembler.buffered_bytes(), 100u);
  }
  EXPECT_GT(reassembler.dropped_groups(), 0u);
  // One message larger than the whole budget is refused, not buffered.
  auto too_big = reassembler.Add(Part(1, 2, 1, "013999999999"), Body(1, 60), 100);
  ASSERT_TRUE(too_big);
  auto rest = reassembler.Add(Part(2, 2, 2, "013999999999"), Body(2, 60), 100);
  ASSERT_FALSE(rest);
  EXPECT_EQ(rest.error().code, ErrorCode::kResourceLimit);
  EXPECT_LE(reassembler.buffered_bytes(), 100u);
}

TEST(Reassembler, RejectsNonPackagesAndBadIndexes) {
  Reassembler reassembler;
  Header plain = testing::TestHeader();
  EXPECT_EQ(reassembler.Add(plain, Body(1), 0).error().code, ErrorCode::kBadValue);
  EXPECT_EQ(reassembler.Add(Part(1, 2, 3), Body(1), 0).error().code, ErrorCode::kBadValue);
  EXPECT_EQ(reassembler.Add(Part(1, 2, 0), Body(1), 0).error().code, ErrorCode::kBadValue);
}

}  // namespace
}  // namespace baotong::jt808
