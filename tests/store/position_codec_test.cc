#include "store/sqlite/position_codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace baotong::store {
namespace {

std::vector<model::Position> Sample() {
  std::vector<model::Position> positions;
  model::Position p;
  p.terminal = "013912345678";
  p.serial = 65535;
  p.device_time_ms = 1'700'000'000'000;
  p.receive_time_ms = 1'700'000'000'900;
  p.alarm = 0xffffffff;
  p.status = 0x0c0003;
  p.lat_e6 = -90'000'000;
  p.lon_e6 = 180'000'000;
  p.altitude_m = 65535;
  p.speed_dkmh = 1200;
  p.direction = 359;
  p.extras = {0x01, 0x04, 0x00, 0x01, 0xe2, 0x40, 0x30, 0x01, 0x1b};
  positions.push_back(p);
  p.serial = 0;  // wraps
  p.device_time_ms = 0;
  p.receive_time_ms = std::numeric_limits<int64_t>::max();
  p.alarm = 0;
  p.lat_e6 = std::numeric_limits<int32_t>::max();
  p.lon_e6 = std::numeric_limits<int32_t>::min();
  p.altitude_m = 0;
  p.extras.clear();
  positions.push_back(p);
  p.device_time_ms = std::numeric_limits<int64_t>::min();
  p.receive_time_ms = std::numeric_limits<int64_t>::max();
  p.extras.assign(300, 0xab);
  positions.push_back(p);
  std::mt19937_64 random(42);
  for (int i = 0; i < 100; ++i) {
    p.serial = static_cast<uint16_t>(random());
    p.device_time_ms = static_cast<int64_t>(random());
    p.receive_time_ms = static_cast<int64_t>(random());
    p.alarm = static_cast<uint32_t>(random());
    p.status = static_cast<uint32_t>(random());
    p.lat_e6 = static_cast<int32_t>(random());
    p.lon_e6 = static_cast<int32_t>(random());
    p.altitude_m = static_cast<uint16_t>(random());
    p.speed_dkmh = static_cast<uint16_t>(random());
    p.direction = static_cast<uint16_t>(random());
    p.extras.assign(random() % 20, static_cast<uint8_t>(random()));
    positions.push_back(p);
  }
  return positions;
}

std::string Encode(const std::vector<model::Position>& positions) {
  std::vector<const model::Position*> pointers;
  for (const auto& p : positions) {
    pointers.push_back(&p);
  }
  std::string blob;
  EncodePositions(pointers, blob);
  return blob;
}

std::span<const uint8_t> Bytes(const std::string& blob) {
  return {reinterpret_cast<const uint8_t*>(blob.data()), blob.size()};
}

TEST(PositionCodecTest, RoundTripsEveryField) {
  const auto positions = Sample();
  const std::string blob = Encode(positions);
  std::vector<model::Position> decoded;
  ASSERT_TRUE(DecodePositions(Bytes(blob), "013912345678", decoded));
  EXPECT_EQ(decoded, positions);
}

TEST(PositionCodecTest, EmptyChunkRoundTrips) {
  const std::string blob = Encode({});
  std::vector<model::Position> decoded;
  ASSERT_TRUE(DecodePositions(Bytes(blob), "1", decoded));
  EXPECT_TRUE(decoded.empty());
}

TEST(PositionCodecTest, TypicalReportIsSmall) {
  std::vector<model::Position> positions;
  model::Position p;
  p.terminal = "013912345678";
  for (int i = 0; i < 100; ++i) {
    p.serial = static_cast<uint16_t>(i * 3);
    p.device_time_ms = 1'700'000'000'000 + i * 10'000;
    p.receive_time_ms = p.device_time_ms + 800;
    p.status = 0x0c0003;
    p.lat_e6 = 41'108'500 + i * 60;
    p.lon_e6 = 122'994'300 + i * 80;
    p.altitude_m = 25;
    p.speed_dkmh = static_cast<uint16_t>(600 + i % 7);
    p.direction = 87;
    positions.push_back(p);
  }
  EXPECT_LT(Encode(positions).size(), 100u * 16);
}

TEST(PositionCodecTest, RejectsEveryTruncationAndTrailingBytes) {
  const std::string blob = Encode(Sample());
  for (size_t size = 0; size < blob.size(); ++size) {
    std::vector<model::Position> decoded;
    EXPECT_FALSE(DecodePositions(Bytes(blob.substr(0, size)), "1", decoded)) << size;
  }
  std::vector<model::Position> decoded;
  EXPECT_FALSE(DecodePositions(Bytes(blob + '\0'), "1", decoded));
  std::string other_version = blob;
  other_version[0] = 2;
  EXPECT_FALSE(DecodePositions(Bytes(other_version), "1", decoded));
}

}  // namespace
}  // namespace baotong::store
