#include "common/bytes.h"

#include <gtest/gtest.h>

namespace baotong {
namespace {

TEST(ByteReader, ReadsBigEndian) {
  std::vector<uint8_t> data{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  ByteReader reader(data);
  EXPECT_EQ(reader.U8(), 0x01);
  EXPECT_EQ(reader.U16(), 0x0203);
  EXPECT_EQ(reader.U32(), 0x04050607u);
  EXPECT_TRUE(reader.ok());
  EXPECT_TRUE(reader.empty());
}

TEST(ByteReader, FailsStickilyPastTheEnd) {
  std::vector<uint8_t> data{0x01, 0x02, 0x03};
  ByteReader reader(data);
  EXPECT_EQ(reader.U32(), 0u);
  EXPECT_FALSE(reader.ok());
  // A later read that would fit still fails: the structure is already broken.
  EXPECT_EQ(reader.U8(), 0);
  EXPECT_TRUE(reader.Bytes(1).empty());
  EXPECT_FALSE(reader.ok());
}

TEST(ByteWriter, WritesAndPatches) {
  std::vector<uint8_t> out;
  ByteWriter writer(out);
  writer.U16(0);
  writer.U32(0xdeadbeef);
  writer.PatchU16(0, 0x1234);
  EXPECT_EQ(out, (std::vector<uint8_t>{0x12, 0x34, 0xde, 0xad, 0xbe, 0xef}));
}

}  // namespace
}  // namespace baotong
